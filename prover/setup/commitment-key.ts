/**
 * A circuit setup's commitment key (prover/commitment.ts), kept as `commitkey.json` in its setup folder: made once,
 * the first time a circuit with committed public inputs is set up, and multiplied by a fresh secret at every
 * `zkai setup contribute` (so κ, like δ, is unknown unless every contributor colludes).
 */
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ZkaiError } from '../../common/errors.ts';
import { writeFileAtomic } from '../../common/fs.ts';
import { type CommitmentKey, checkCommitmentKey, createCommitmentKey, rerandomizeCommitmentKey } from '../commitment.ts';
import type { CircuitSetup } from './groth16-setup.ts';

export const COMMITMENT_KEY_FILE = 'commitkey.json';

async function readKey(file: string): Promise<CommitmentKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as CommitmentKey;
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `${file} is not JSON: ${(err as Error).message}`);
  }
}

/**
 * The setup's commitment key for `publicIndices`, created on first use. A key on disk is checked against the
 * setup's verification key (bases, and κ consistency: prover/commitment.ts checkCommitmentKey) before use.
 * Concurrent first uses agree: the key is published with link(2), which refuses to replace an existing file.
 */
export async function ensureCommitmentKey(setup: CircuitSetup, publicIndices: readonly number[]): Promise<CommitmentKey> {
  const file = path.join(setup.dir, COMMITMENT_KEY_FILE);
  let key = await readKey(file);
  if (!key) {
    const fresh = createCommitmentKey(setup.vkey, publicIndices);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, `${JSON.stringify(fresh)}\n`);
    try {
      await link(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await rm(tmp, { force: true });
    }
    key = (await readKey(file))!;
  }
  if (key.publicIndices?.length !== publicIndices.length || key.publicIndices.some((v, i) => v !== publicIndices[i])) {
    throw new ZkaiError('BAD_INPUT', `${file} commits to other public inputs than this circuit's committed ones`);
  }
  checkCommitmentKey(setup.vkey, key);
  return key;
}

/** A contribution's share: multiplies the setup folder's commitment key (if it has one) by a fresh secret. */
export async function contributeToCommitmentKey(setupDir: string): Promise<boolean> {
  const file = path.join(setupDir, COMMITMENT_KEY_FILE);
  const key = await readKey(file);
  if (!key) return false;
  await writeFileAtomic(file, `${JSON.stringify(rerandomizeCommitmentKey(key))}\n`);
  return true;
}
