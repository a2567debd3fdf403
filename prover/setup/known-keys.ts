import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../../common/config.ts';

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
      const meta = JSON.parse(await readFile(path.join(dir, entry, 'setup.json'), 'utf8')) as { vkeySha256?: string };
      if (meta.vkeySha256) hashes.push(meta.vkeySha256);
    } catch {
      // A setup still being written (or removed) is not a trusted key.
    }
  }
  return hashes;
}
