/**
 * The setup files this ZKAI_HOME holds for a circuit named by its chain id (sha256 of the circuit id, as ModelRegistry
 * records it), read only: what `zkai model listing` and GET /v1/economy/models/:modelId compare a listing's declared
 * setup identity with (verifier-contracts/economy-read.ts). Nothing is verified here; `zkai model audit --dir` does
 * (prover/model-setup.ts).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../../common/config.ts';
import { sha256Hex } from '../../common/hash.ts';
import type { CommitmentKey } from '../commitment.ts';
import { COMMITMENT_KEY_FILE, LOOKUP_KEY_FILE, readCommitmentKeyFile } from './commitment-key.ts';
import type { SetupMeta } from './groth16-setup.ts';

/** The setup files this ZKAI_HOME holds for a circuit and a ceremony, as a listing's setup identity is made from. */
export interface LocalSetupFiles {
  meta: SetupMeta;
  commitmentKey?: CommitmentKey;
  /** For a circuit compiled with lookups: its lookup key (its κ history is part of the identity too). */
  lookupKey?: CommitmentKey;
}

/**
 * This ZKAI_HOME's setup of the circuit whose id has the sha256 `circuitIdSha256` (what ModelRegistry records), in
 * the folder of the ceremony `ptauSha256` (setup folders are named by the ptau's sha256): its setup.json and, for a
 * Pedersen-committed circuit, its commitment key, and for one compiled with lookups its lookup key. Read only, nothing verified (`zkai model audit --dir` verifies).
 * 'no-circuit' when no circuit here has that id; 'other-ceremony' (with the ptau sha256 of the setups it has) when
 * the circuit is set up here from other ptau files only.
 */
export async function localSetupFiles(
  circuitIdSha256: string,
  ptauSha256: string,
): Promise<LocalSetupFiles | { missing: 'no-circuit' } | { missing: 'other-ceremony'; ptau: string[] }> {
  const want = circuitIdSha256.replace(/^0x/, '').toLowerCase();
  const ptau = ptauSha256.replace(/^0x/, '').toLowerCase();
  const circuits = cacheDir('circuits');
  // Names only, hashed: nothing from the chain becomes a path but the 12 hex digits of a bytes32 checked here.
  const names = existsSync(circuits) ? await readdir(circuits) : [];
  const id = names.find((n) => !n.includes('.tmp-') && sha256Hex(n) === want);
  if (!id) return { missing: 'no-circuit' };
  const dir = path.join(circuits, id);
  const folder = /^[0-9a-f]{64}$/.test(ptau) ? path.join(dir, `setup-${ptau.slice(0, 12)}`) : undefined;
  let meta: SetupMeta | undefined;
  try {
    if (folder) meta = JSON.parse(await readFile(path.join(folder, 'setup.json'), 'utf8')) as SetupMeta;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!meta || !folder) {
    const others: string[] = [];
    for (const n of await readdir(dir)) {
      if (!/^setup-[0-9a-f]{12}$/.test(n)) continue;
      const m = JSON.parse(await readFile(path.join(dir, n, 'setup.json'), 'utf8').catch(() => 'null')) as SetupMeta | null;
      if (m?.ptau?.sha256) others.push(m.ptau.sha256);
    }
    return { missing: 'other-ceremony', ptau: others };
  }
  const commitmentKey = await readCommitmentKeyFile(path.join(folder, COMMITMENT_KEY_FILE));
  const lookupKey = await readCommitmentKeyFile(path.join(folder, LOOKUP_KEY_FILE));
  return { meta, ...(commitmentKey ? { commitmentKey } : {}), ...(lookupKey ? { lookupKey } : {}) };
}
