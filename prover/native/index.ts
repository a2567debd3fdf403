/**
 * Loader for zkai's native C++ engine (prover/native/src, built by prover/native/build.mjs on `npm ci`).
 * The addon is optional: when it was not built (no compiler, ZKAI_NATIVE=off at install time) loading
 * returns null and callers fall back to the snarkjs/WASM path. Choosing an engine is the caller's job.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NttOptions } from '../../gpu/backend.ts';
import type { FixedTablePlan } from '../groth16/fixed-tables.ts';
import type { NativeEngine } from './api.ts';

/** The functions the addon exports (src/addon.cpp); every one returns a Promise of a Buffer. */
interface NativeAddon {
  version: string;
  threads: number;
  msmG1(bases: Uint8Array, scalars: Uint8Array): Promise<Uint8Array>;
  msmG2(bases: Uint8Array, scalars: Uint8Array): Promise<Uint8Array>;
  ntt(values: Uint8Array, inverse: boolean, coset: boolean): Promise<Uint8Array>;
  groth16Quotient(coefs: Uint8Array, nCoefs: number, witness: Uint8Array, domainSize: number): Promise<Uint8Array>;
  groth16Finish(key: Uint8Array, parts: Uint8Array, rs: Uint8Array): Uint8Array;
  lookupAlphaPatch(plan: Uint8Array, values: Uint8Array, alpha2: Uint8Array, out: Uint8Array): boolean;
  g1FixedBase(scalars: Uint8Array): Promise<Uint8Array>;
  g2FixedBase(scalars: Uint8Array): Promise<Uint8Array>;
  g1SparseCombine(points: Uint8Array, terms: Uint8Array, nOutputs: number): Promise<Uint8Array>;
  g2SparseCombine(points: Uint8Array, terms: Uint8Array, nOutputs: number): Promise<Uint8Array>;
  g1BatchScale(points: Uint8Array, scalar: Uint8Array): Promise<Uint8Array>;
  prepareGroth16(domainSize: number, nVars: number, nCoefs: number): Promise<Uint8Array>;
  fixedTablePlan(n: number, g2: boolean, maxCopies: number, window: number): FixedTablePlan;
  fixedTableBuild(bases: Uint8Array, g2: boolean, table: Uint8Array, window: number, copies: number): Promise<Uint8Array>;
  msmFixed(table: Uint8Array, scalars: Uint8Array, g2: boolean): Promise<Uint8Array>;
  scratchKeptBytes(): number;
  mapFile(path: string): ArrayBuffer;
  poseidonParams(t: number, nRoundsF: number, nRoundsP: number, C: Uint8Array, S: Uint8Array, M: Uint8Array, P: Uint8Array): number;
  poseidonHash(handle: number, inputs: Uint8Array): Promise<Uint8Array>;
  merkleSumLevel(handle: number, nodes: Uint8Array, zero: Uint8Array): Promise<Uint8Array>;
}

export interface NativeEngineStatus {
  available: boolean;
  /** Why the engine is unavailable. */
  reason?: string;
  version?: string;
  threads?: number;
}

/** This folder (in a compiled bundle too: cli/build-bundle.mjs keeps every module's import.meta its source file's). */
const NATIVE_DIR = dirname(fileURLToPath(import.meta.url));

/** Where build.mjs leaves the addon. */
export const NATIVE_ADDON_PATH = join(NATIVE_DIR, 'build', 'Release', 'zkai_native.node');

let loaded: { engine: NativeEngine | null; status: NativeEngineStatus } | undefined;

function wrap(addon: NativeAddon): NativeEngine {
  return {
    name: 'native',
    version: addon.version,
    threads: addon.threads,
    description: `${addon.version}, ${addon.threads} threads`,
    msmG1: (bases, scalars) => addon.msmG1(bases, scalars),
    msmG2: (bases, scalars) => addon.msmG2(bases, scalars),
    ntt: (values: Uint8Array, opts?: NttOptions) => addon.ntt(values, opts?.inverse === true, opts?.coset === true),
    groth16Quotient: (coefs, nCoefs, witness, domainSize) => addon.groth16Quotient(coefs, nCoefs, witness, domainSize),
    groth16Finish: (key, parts, rs) => addon.groth16Finish(key, parts, rs),
    lookupAlphaPatch: (plan, values, alpha2, out) => addon.lookupAlphaPatch(plan, values, alpha2, out),
    g1FixedBase: (scalars) => addon.g1FixedBase(scalars),
    g2FixedBase: (scalars) => addon.g2FixedBase(scalars),
    g1SparseCombine: (points, terms, nOutputs) => addon.g1SparseCombine(points, terms, nOutputs),
    g2SparseCombine: (points, terms, nOutputs) => addon.g2SparseCombine(points, terms, nOutputs),
    g1BatchScale: (points, scalar) => addon.g1BatchScale(points, scalar),
    prepareGroth16: async (domainSize, nVars, nCoefs) => {
      await addon.prepareGroth16(domainSize, nVars, nCoefs);
    },
    fixedTablePlan: (n, g2, maxCopies, window = 0) => addon.fixedTablePlan(n, g2, maxCopies, window),
    fixedTableBuild: async (bases, g2, table, window, copies) => {
      await addon.fixedTableBuild(bases, g2, table, window, copies);
    },
    msmFixed: (table, scalars, g2) => addon.msmFixed(table, scalars, g2),
    scratchKeptBytes: () => addon.scratchKeptBytes(),
    mapFile: (path) => new Uint8Array(addon.mapFile(path)),
    poseidonParams: (t, nRoundsF, nRoundsP, C, S, M, P) => addon.poseidonParams(t, nRoundsF, nRoundsP, C, S, M, P),
    poseidonHash: (handle, inputs) => addon.poseidonHash(handle, inputs),
    merkleSumLevel: (handle, nodes, zero) => addon.merkleSumLevel(handle, nodes, zero),
    // The engine keeps no device state; its threads live only for the duration of a call.
    close: async () => {},
  };
}

/** CPU flags that name instruction-set extensions a `-march=native` build may use. */
const ISA_FLAG = /^(adx|aes|avx\w*|bmi\d|f16c|fma\w*|gfni|lzcnt|abm|movbe|pclmulqdq|popcnt|sha_ni|sse\w*|ssse3|vaes|vpclmulqdq)$/;

/** The instruction-set extensions the build machine had (`buildFlags`) that this CPU's `cpuinfo` lacks. */
export function missingCpuFeatures(buildFlags: readonly string[], cpuinfo: string): string[] {
  const here = new Set(/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim().split(/\s+/) ?? []);
  return buildFlags.filter((f) => ISA_FLAG.test(f) && !here.has(f));
}

/** Why this CPU cannot run the build (it was compiled with -march=native elsewhere), or null when it can or we cannot tell. */
function cpuMismatch(): string | null {
  try {
    const recorded = JSON.parse(readFileSync(join(dirname(NATIVE_ADDON_PATH), 'cpu-flags.json'), 'utf8')) as { flags?: string[] };
    const missing = missingCpuFeatures(recorded.flags ?? [], readFileSync('/proc/cpuinfo', 'utf8'));
    if (missing.length === 0) return null;
    return `the addon was built on a CPU with ${missing.join(', ')}, which this CPU lacks (run npm run build:native here)`;
  } catch {
    return null; // no record (older build) or no /proc/cpuinfo: load as before
  }
}

function load(): { engine: NativeEngine | null; status: NativeEngineStatus } {
  if (loaded) return loaded;
  if (!existsSync(NATIVE_ADDON_PATH)) {
    loaded = { engine: null, status: { available: false, reason: 'the addon is not built (run npm run build:native)' } };
    return loaded;
  }
  const mismatch = cpuMismatch();
  if (mismatch) {
    loaded = { engine: null, status: { available: false, reason: mismatch } };
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
    const engine = wrap(addon);
    loaded = { engine, status: { available: true, version: addon.version, threads: addon.threads } };
  } catch (err) {
    loaded = { engine: null, status: { available: false, reason: `the addon failed to load: ${(err as Error).message}` } };
  }
  return loaded;
}

/** The native engine, or null when the addon is missing or fails to load (cached). */
export function loadNativeEngine(): NativeEngine | null {
  return load().engine;
}

/** Whether the native engine can be used, and if not why. */
export function nativeEngineStatus(): NativeEngineStatus {
  return { ...load().status };
}
