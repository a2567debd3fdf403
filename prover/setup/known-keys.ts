import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../../common/config.ts';
import { canonicalJson, sha256Hex } from '../../common/hash.ts';
import { type CommitmentKey, checkCommitmentKey, statementVkey } from '../commitment.ts';
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
      // A circuit with committed inputs: its bundles carry the statement key derived with the commitment key.
      const keyFile = path.join(dir, entry, COMMITMENT_KEY_FILE);
      if (existsSync(keyFile)) {
        const vkey = JSON.parse(await readFile(setupFiles(path.join(dir, entry), meta).vkey, 'utf8')) as Record<string, unknown>;
        const key = JSON.parse(await readFile(keyFile, 'utf8')) as CommitmentKey;
        await checkCommitmentKey(vkey, key); // a key whose κ history does not verify (a substituted κ) is not trusted
        hashes.push(sha256Hex(canonicalJson(statementVkey(vkey, key))));
      }
    } catch {
      // A setup still being written (or removed) is not a trusted key.
    }
  }
  return hashes;
}
