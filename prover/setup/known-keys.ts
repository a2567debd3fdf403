import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadCircuit } from '../../circuits/build.ts';
import { cacheDir } from '../../common/config.ts';
import { canonicalJson, sha256Hex } from '../../common/hash.ts';
import { type CommitmentKey, checkCommitmentKey, statementVkey } from '../commitment.ts';
import { lookupLayout } from '../lookup/circuit.ts';
import { LOOKUP_KEY_FILE, lookupStatementKey } from '../lookup/setup.ts';
import { COMMITMENT_KEY_FILE } from './commitment-key.ts';
import { type SetupMeta, setupFiles } from './groth16-setup.ts';

/**
 * Verification-key hashes of the setups this machine holds for `circuitId` (from each
 * `setup-*\/setup.json`). An auditor's CLI uses them to refuse a bundle that carries a key of its
 * own making: a bundle's embedded key proves nothing unless it is a key the verifier trusts.
 */
export async function knownVkeyHashes(circuitId: string): Promise<string[]> {
  if (!/^[a-z0-9-]+$/i.test(circuitId)) return [];
  const dir = cacheDir('circuits', circuitId);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  const hashes: string[] = [];
  for (const entry of entries.filter((e) => e.startsWith('setup-'))) {
    try {
      const meta = JSON.parse(await readFile(path.join(dir, entry, 'setup.json'), 'utf8')) as SetupMeta;
      if (meta.vkeySha256) hashes.push(meta.vkeySha256);
      // A circuit with committed inputs: its bundles carry the statement key derived with the commitment key; a LogUp
      // circuit's (prover/lookup/), the one derived with its lookup key (and with the commitment key, if it has one).
      const keyFile = path.join(dir, entry, COMMITMENT_KEY_FILE);
      const lookupFile = path.join(dir, entry, LOOKUP_KEY_FILE);
      const hasKey = existsSync(keyFile);
      const hasLookup = existsSync(lookupFile);
      if (hasKey || hasLookup) {
        const vkey = JSON.parse(await readFile(setupFiles(path.join(dir, entry), meta).vkey, 'utf8')) as Record<string, unknown>;
        const key = hasKey ? (JSON.parse(await readFile(keyFile, 'utf8')) as CommitmentKey) : undefined;
        // A key whose κ history does not verify (a substituted κ) is not trusted.
        if (key) await checkCommitmentKey(vkey, key);
        if (key && !hasLookup) hashes.push(sha256Hex(canonicalJson(statementVkey(vkey, key))));
        if (hasLookup) {
          const lookupKey = JSON.parse(await readFile(lookupFile, 'utf8')) as CommitmentKey;
          await checkCommitmentKey(vkey, lookupKey);
          const layout = await lookupLayout(await loadCircuit(circuitId));
          hashes.push(sha256Hex(canonicalJson(lookupStatementKey(vkey, lookupKey, layout, key))));
        }
      }
    } catch {
      // A setup still being written (or removed) is not a trusted key.
    }
  }
  return hashes;
}
