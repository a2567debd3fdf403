import { existsSync } from 'node:fs';
import { link, mkdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../../common/config.ts';
import { ZkaiError } from '../../common/errors.ts';
import { writeFileAtomic } from '../../common/fs.ts';
import { sha256File } from '../../common/hash.ts';
import { writeDevPtauFile } from './dev-ptau-file.ts';
import { randomScalar } from './fr.ts';
import { DEV_CONTRIBUTION_NAME, MAX_DEV_POWER, type PtauInfo, ptauSectionSizes } from './ptau.ts';
import { devContributionSectionSize } from './ptau-transcript.ts';

export const DEV_PTAU_WARNING =
  'INSECURE development powers of tau: its secrets (τ, α, β) were drawn on this machine by zkai, so proofs made with it ' +
  'prove nothing to anyone else. Set ZKAI_PTAU to a public ceremony file (prepared for phase 2) for production.';

/** What `dev-<power>.json` beside the file records. */
export interface DevPtauSidecar {
  power: number;
  sha256: string;
  createdAt: string;
  insecure: true;
  source: 'zkai-dev';
  warning: string;
  contributionName: string;
  seconds: number;
}

/** Exact size of a dev ptau of this power: detects a truncated or foreign file in the cache. */
export function devPtauFileSize(power: number): number {
  const sizes = ptauSectionSizes(power);
  sizes.set(1, 44);
  sizes.set(7, devContributionSectionSize());
  let total = 12;
  for (const size of sizes.values()) total += 12 + size;
  return total;
}

function devInfo(file: string, power: number, sha256: string): PtauInfo {
  return { path: file, power, sha256, insecure: true, source: 'zkai-dev', label: `dev-${power} (INSECURE development ptau)` };
}

async function readSidecar(metaFile: string, file: string, power: number): Promise<DevPtauSidecar | undefined> {
  try {
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as DevPtauSidecar;
    if (meta.power !== power || meta.insecure !== true || !/^[0-9a-f]{64}$/.test(meta.sha256)) return undefined;
    if ((await stat(file)).size !== devPtauFileSize(power)) return undefined;
    return meta;
  } catch {
    return undefined;
  }
}

/**
 * A development powers-of-tau file of 2^power, prepared for Groth16 phase 2, cached as
 * `.zkai/ptau/dev-<power>.ptau` (+ `dev-<power>.json`). Generated here in seconds instead of
 * snarkjs's minutes, and INSECURE by construction: every use logs a warning, the returned
 * info says `insecure: true`, and the file's one contribution is named as such.
 *
 * Concurrent callers (other processes too) never see a half-written file: it is written under
 * a temporary name and hard-linked into place, and the first one to land wins.
 */
export async function ensureDevPtau(power: number, opts: { log?: (msg: string) => void } = {}): Promise<PtauInfo> {
  if (!Number.isInteger(power) || power < 1 || power > MAX_DEV_POWER) {
    throw new ZkaiError('BAD_INPUT', `dev ptau power must be an integer in 1..${MAX_DEV_POWER}, got ${power}`, { power });
  }
  const dir = cacheDir('ptau');
  const file = path.join(dir, `dev-${power}.ptau`);
  const metaFile = path.join(dir, `dev-${power}.json`);

  let meta = await readSidecar(metaFile, file, power);
  if (!meta) {
    const started = performance.now();
    await mkdir(dir, { recursive: true });
    if (existsSync(file) && (await stat(file)).size !== devPtauFileSize(power)) {
      await unlink(file).catch(() => {}); // not one of ours (files only appear complete): replace it
    }
    if (!existsSync(file)) {
      opts.log?.(`generating development powers of tau 2^${power} (INSECURE) …`);
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      try {
        // The toxic waste lives only in this call's memory: drawn from the OS CSPRNG, handed to
        // the writer, never logged or stored, and dropped when this block ends. (JS cannot wipe
        // memory, so it stays until the garbage collector reuses it — another reason this is dev only.)
        await writeDevPtauFile(tmp, power, { tau: randomScalar(), alpha: randomScalar(), beta: randomScalar() }, { log: opts.log });
        await publish(tmp, file);
      } finally {
        await unlink(tmp).catch(() => {});
      }
    }
    meta = {
      power,
      sha256: await sha256File(file),
      createdAt: new Date().toISOString(),
      insecure: true,
      source: 'zkai-dev',
      warning: DEV_PTAU_WARNING,
      contributionName: DEV_CONTRIBUTION_NAME,
      seconds: Math.round((performance.now() - started) / 10) / 100,
    };
    await writeFileAtomic(metaFile, `${JSON.stringify(meta, null, 2)}\n`);
    opts.log?.(`development ptau 2^${power} ready: ${file} (${meta.seconds}s)`);
  }
  opts.log?.(`WARNING: using dev-${power}.ptau — ${DEV_PTAU_WARNING}`);
  return devInfo(file, power, meta.sha256);
}

/** Put a finished file in place unless another process already did (then keep theirs). */
async function publish(tmp: string, file: string): Promise<void> {
  try {
    await link(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    // Filesystems without hard links: a rename is atomic too, it just may replace a twin.
    await rename(tmp, file);
  }
}
