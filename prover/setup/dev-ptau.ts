import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../../common/config.ts';
import { ZkaiError } from '../../common/errors.ts';
import { publishOnce, uniqueSuffix, writeFileAtomic } from '../../common/fs.ts';
import { sha256File } from '../../common/hash.ts';
import { writeDevPtauFile } from './dev-ptau-file.ts';
import { randomScalar } from './fr.ts';
import { DEV_CONTRIBUTION_NAME, MAX_DEV_POWER, type PtauInfo, ptauSectionSizes } from './ptau.ts';
import { devContributionSectionSize } from './ptau-transcript.ts';
import { loadSetupNative } from './setup-engine.ts';

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
  /** What computed the points: the native engine or ffjavascript's WASM workers (absent in older sidecars). */
  engine?: 'zkai-native' | 'ffjavascript';
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

async function readSidecar(metaFile: string, power: number): Promise<DevPtauSidecar | undefined> {
  try {
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as DevPtauSidecar;
    if (meta.power !== power || meta.insecure !== true || !/^[0-9a-f]{64}$/.test(meta.sha256)) return undefined;
    return meta;
  } catch {
    return undefined;
  }
}

/** Files whose sha256 this process has checked, by path, size, mtime and inode (a change of any re-checks). */
const checked = new Map<string, string>();

/**
 * sha256 of a cached file, computed once per process per version of the file: a cached dev ptau is
 * checked against its sidecar's hash before first use (not by size alone), so a file damaged or
 * replaced in the cache is caught.
 */
async function cachedFileSha256(file: string): Promise<string> {
  const s = await stat(file);
  const key = `${file}\0${s.size}\0${s.mtimeMs}\0${s.ino}`;
  let sha = checked.get(key);
  if (!sha) {
    sha = await sha256File(file);
    checked.set(key, sha);
  }
  return sha;
}

/** Why a cached file cannot be used as recorded (undefined: it can). */
async function cacheProblem(file: string, meta: DevPtauSidecar, power: number): Promise<string | undefined> {
  if (!existsSync(file)) return 'missing';
  const size = (await stat(file)).size;
  if (size !== devPtauFileSize(power)) return `size ${size} bytes, expected ${devPtauFileSize(power)}`;
  const sha = await cachedFileSha256(file);
  return sha === meta.sha256 ? undefined : `sha256 ${sha} differs from the recorded ${meta.sha256}`;
}

export interface EnsureDevPtauOptions {
  log?: (msg: string) => void;
  /** Regenerate even if cached (new secrets, hence a new file and new circuit keys). */
  force?: boolean;
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
export async function ensureDevPtau(power: number, opts: EnsureDevPtauOptions = {}): Promise<PtauInfo> {
  if (!Number.isInteger(power) || power < 1 || power > MAX_DEV_POWER) {
    throw new ZkaiError('BAD_INPUT', `dev ptau power must be an integer in 1..${MAX_DEV_POWER}, got ${power}`, { power });
  }
  const dir = cacheDir('ptau');
  const file = path.join(dir, `dev-${power}.ptau`);
  const metaFile = path.join(dir, `dev-${power}.json`);

  let meta = await readSidecar(metaFile, power);
  if (meta && opts.force) {
    opts.log?.(`regenerating dev-${power}.ptau (--force): circuits set up with the old file get new keys`);
    await unlink(file).catch(() => {});
    meta = undefined;
  }
  const problem = meta && (await cacheProblem(file, meta, power));
  if (meta && problem) {
    // Damaged or replaced since it was recorded: never use it. The keys made from the old file stay
    // in their own setup folders (named by its hash); circuits get new keys from the new file.
    opts.log?.(`WARNING: cached ${file} does not match ${path.basename(metaFile)} (${problem}): discarding it and regenerating`);
    await unlink(file).catch(() => {});
    meta = undefined;
  }
  if (!meta) {
    const started = performance.now();
    await mkdir(dir, { recursive: true });
    if (existsSync(file) && (await stat(file)).size !== devPtauFileSize(power)) {
      await unlink(file).catch(() => {}); // not one of ours (files only appear complete): replace it
    }
    let engineName: DevPtauSidecar['engine'];
    if (!existsSync(file)) {
      const native = loadSetupNative();
      engineName = native ? 'zkai-native' : 'ffjavascript';
      opts.log?.(
        `generating development powers of tau 2^${power} (INSECURE) with ${native ? `the native engine (${native.version})` : 'ffjavascript WASM workers'} …`,
      );
      const tmp = `${file}.${uniqueSuffix()}.tmp`;
      try {
        // The toxic waste lives only in this call's memory: drawn from the OS CSPRNG, handed to
        // the writer, never logged or stored, and dropped when this block ends. (JS cannot wipe
        // memory, so it stays until the garbage collector reuses it — another reason this is dev only.)
        await writeDevPtauFile(
          tmp,
          power,
          { tau: randomScalar(), alpha: randomScalar(), beta: randomScalar() },
          { log: opts.log, engine: native },
        );
        await publishOnce(tmp, file);
      } finally {
        await unlink(tmp).catch(() => {});
      }
    }
    meta = {
      power,
      sha256: await cachedFileSha256(file),
      createdAt: new Date().toISOString(),
      insecure: true,
      source: 'zkai-dev',
      warning: DEV_PTAU_WARNING,
      contributionName: DEV_CONTRIBUTION_NAME,
      seconds: Math.round((performance.now() - started) / 10) / 100,
      ...(engineName ? { engine: engineName } : {}),
    };
    await writeFileAtomic(metaFile, `${JSON.stringify(meta, null, 2)}\n`);
    opts.log?.(`development ptau 2^${power} ready: ${file} (${meta.seconds}s)`);
  }
  opts.log?.(`WARNING: using dev-${power}.ptau — ${DEV_PTAU_WARNING}`);
  return devInfo(file, power, meta.sha256);
}
