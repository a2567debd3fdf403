/**
 * A circuit setup's commitment key (prover/commitment.ts), kept as `commitkey.json` in its setup folder: made once,
 * the first time a circuit with committed public inputs is set up, and multiplied by a fresh secret at every
 * `zkai setup contribute` (so κ, like δ, is unknown unless every contributor colludes). Every step is recorded in the
 * key's history with a proof of knowledge (prover/commitment-history.ts), so a κ substituted later is detected.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ZkaiError } from '../../common/errors.ts';
import { publishOnce, uniqueSuffix, writeFileAtomic } from '../../common/fs.ts';
import {
  type CommitmentKey,
  checkCommitmentKey,
  createCommitmentKey,
  type KappaContext,
  type KappaContribution,
  rerandomizeCommitmentKey,
} from '../commitment.ts';
import type { CircuitSetup, SetupMeta } from './groth16-setup.ts';

export const COMMITMENT_KEY_FILE = 'commitkey.json';
/** A LogUp circuit's lookup commitment key (prover/lookup/setup.ts), beside it in the same setup folder. */
export const LOOKUP_KEY_FILE = 'lookupkey.json';

/** The name of the key's first contribution (its creation). */
export const KEY_CREATION_NAME = 'zkai commitment key (OS CSPRNG)';

export async function readCommitmentKeyFile(file: string): Promise<CommitmentKey | undefined> {
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

/** snarkjs's hash of the setup's latest zkey contribution ('' if setup.json lists none): what a new key follows. */
export async function latestZkeyContribution(dir: string): Promise<string> {
  const meta = JSON.parse(await readFile(path.join(dir, 'setup.json'), 'utf8')) as SetupMeta;
  return meta.contributions.at(-1)?.hash ?? '';
}

/** Moves a version-1 key (no history) aside; true if `key` was one. */
async function setAsideVersion1(file: string, key: CommitmentKey, log?: (msg: string) => void): Promise<boolean> {
  if (key.format !== 'zkai-commitment-key' || (key.version as number) !== 1) return false;
  const aside = `${file}.v1-${uniqueSuffix()}.unverifiable`;
  await rename(file, aside).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err; // another process moved it first
  });
  log?.(`${file} has no κ history (version 1, unverifiable): moved to ${aside}; a new commitment key is made on next use`);
  return true;
}

/**
 * The setup's commitment key for `publicIndices`, created on first use. A key on disk is checked against the
 * setup's verification key (bases, κ's history, κ consistency: prover/commitment.ts checkCommitmentKey) before use;
 * a key with a broken history is refused (BAD_INPUT), never used.
 * A version-1 key (made before κ had a history, so nobody can check who knows its κ) is moved aside to
 * `commitkey.json.v1-<…>.unverifiable` and replaced by a new key; W survives (it does not depend on κ), K is redone.
 * Concurrent first uses agree: the key is published with link(2), which refuses to replace an existing file.
 */
export async function ensureCommitmentKey(
  setup: CircuitSetup,
  publicIndices: readonly number[],
  log?: (msg: string) => void,
): Promise<CommitmentKey> {
  const file = path.join(setup.dir, COMMITMENT_KEY_FILE);
  let key = await readCommitmentKeyFile(file);
  if (key && (await setAsideVersion1(file, key, log))) key = await readCommitmentKeyFile(file);
  if (!key) {
    const fresh = await createCommitmentKey(setup.vkey, publicIndices, {
      name: KEY_CREATION_NAME,
      zkeyContribution: await latestZkeyContribution(setup.dir),
    });
    const tmp = `${file}.${uniqueSuffix()}.tmp`;
    await writeFile(tmp, `${JSON.stringify(fresh)}\n`);
    await publishOnce(tmp, file);
    key = (await readCommitmentKeyFile(file))!;
  }
  if (key.publicIndices?.length !== publicIndices.length || key.publicIndices.some((v, i) => v !== publicIndices[i])) {
    throw new ZkaiError('BAD_INPUT', `${file} commits to other public inputs than this circuit's committed ones`);
  }
  try {
    await checkCommitmentKey(setup.vkey, key);
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `${file}: ${(err as Error).message} (zkai setup verify says more)`);
  }
  return key;
}

/**
 * A contribution's share: multiplies the setup folder's commitment key `name` (the weights' commitkey.json, or a LogUp
 * circuit's lookupkey.json: each κ is toxic waste of its own) by a fresh secret, if the folder has that key, recording
 * the step in its history bound to the zkey contribution (`ctx.zkeyContribution`). Returns the new history entry.
 * The key must verify first: contributing on top of a substituted κ would launder it.
 */
export async function contributeToCommitmentKey(
  setup: { dir: string; vkey: Record<string, unknown> },
  ctx: KappaContext,
  log?: (msg: string) => void,
  name: string = COMMITMENT_KEY_FILE,
): Promise<KappaContribution | undefined> {
  const file = path.join(setup.dir, name);
  const key = await readCommitmentKeyFile(file);
  if (!key || (await setAsideVersion1(file, key, log))) return undefined;
  try {
    await checkCommitmentKey(setup.vkey, key);
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `${file}: ${(err as Error).message}: not contributing on top of it`);
  }
  const next = await rerandomizeCommitmentKey(key, ctx);
  await writeFileAtomic(file, `${JSON.stringify(next)}\n`);
  return next.history.at(-1)!;
}

/**
 * What `zkai setup verify` adds for a setup with a commitment key: the key checked against the vkey (including κ's
 * history), and the history bound to the zkey's own contribution chain (`zkeyChain`, oldest first, as snarkjs read
 * it): the key's creation follows one zkey contribution, and every later zkey contribution re-randomised κ, in
 * order. Reasons go to `errors`; returns the history's published entries.
 */
export async function checkKeyAgainstSetup(
  vkey: Record<string, unknown>,
  key: CommitmentKey,
  zkeyChain: readonly { hash: string }[],
  errors: string[],
): Promise<boolean> {
  try {
    await checkCommitmentKey(vkey, key);
  } catch (err) {
    errors.push((err as Error).message);
    return false;
  }
  const history = key.history;
  const start = zkeyChain.findIndex((c) => c.hash === history[0]!.zkeyContribution);
  if (start < 0) {
    errors.push("commitment key history: its creation does not follow any contribution of the zkey's chain");
    return false;
  }
  for (let j = 1; j < history.length; j++) {
    const z = zkeyChain[start + j];
    if (z?.hash !== history[j]!.zkeyContribution) {
      errors.push(
        `commitment key history: κ contribution #${j + 1} does not come with zkey contribution #${start + j + 1}` +
          ' (the two chains disagree: a κ step was added, dropped or reordered)',
      );
      return false;
    }
  }
  const missing = zkeyChain.length - (start + history.length);
  if (missing > 0) {
    errors.push(
      `commitment key history: the last ${missing} zkey contribution(s) did not re-randomise κ ` +
        '(the key was replaced or rolled back to an older one)',
    );
    return false;
  }
  return true;
}
