/**
 * The WebGPU ProvingBackend: G1 MSM and the Fr NTT on the GPU (WGSL kernels through Dawn's Node binding),
 * G2 MSM delegated to a CPU backend (the native engine when built, else ffjavascript), since the G2 MSM
 * is a small share of a Groth16 proof and runs beside the G1 ones.
 *
 * `createWebGpuBackend()` returns null when no adapter exists or when the self-check — a small MSM
 * (random points, zero scalars, the identity, a repeated point) and forward/inverse/coset NTTs against
 * independent CPU references — disagrees; the reason is logged and kept in `webGpuStatus()`.
 */
import { FR_BYTES, G1_BYTES, type NttOptions, type ProvingBackend } from '../backend.ts';
import { BasesCache } from './bases-cache.ts';
import { describeAdapter, destroyGpuContext, type GpuAdapterInfo, type GpuContext, getGpuContext, gpuStatus } from './device.ts';
import { msmG1OnGpu, pointToSnarkjsG1 } from './msm.ts';
import { GpuNtt } from './ntt.ts';
import { frVector, randomFr, randomG1Bases, readFrVector, referenceMsmG1, referenceNtt } from './reference.ts';
import { withErrorScope } from './runtime.ts';

export interface WebGpuBackendOptions {
  /** Run the self-check before returning the backend (default true). */
  selfCheck?: boolean;
  /** Where the self-check failure and fallbacks are reported (default console.warn). */
  log?: (message: string) => void;
  /** Device memory kept for resident MSM bases (default ZKAI_GPU_BASES_MB or 2048 MiB). */
  basesBudgetBytes?: number;
  /** G2 MSM backend (default: native engine when built, else ffjavascript). */
  g2?: ProvingBackend;
  /** Most points per GPU MSM pass (default 2^20, capped by the storage binding limit); larger MSMs are split. */
  chunkPoints?: number;
}

export interface WebGpuStatus {
  available: boolean;
  adapter?: GpuAdapterInfo;
  reason?: string;
}

let selfCheckFailure: string | undefined;

/** Whether a usable adapter exists and why not; `adapter.software` tells lavapipe from a real GPU. */
export function webGpuStatus(): WebGpuStatus {
  const s = gpuStatus();
  if (!s.available) return { available: false, reason: s.reason };
  if (selfCheckFailure) return { available: false, adapter: s.info, reason: selfCheckFailure };
  return { available: true, adapter: s.info };
}

async function defaultG2(): Promise<ProvingBackend> {
  try {
    const native = await import('../../prover/native/index.ts');
    const engine = native.loadNativeEngine();
    if (engine) return engine;
  } catch {
    // addon module missing or failing to load: fall through to ffjavascript
  }
  const { createWasmBackend } = await import('../../prover/groth16/wasm-backend.ts');
  return createWasmBackend();
}

class WebGpuBackend implements ProvingBackend {
  readonly name = 'webgpu' as const;
  readonly description: string;
  private readonly bases: BasesCache;
  private readonly gpuNtt: GpuNtt;
  private g2: Promise<ProvingBackend> | null;

  constructor(
    private readonly ctx: GpuContext,
    basesBudgetBytes: number,
    g2: ProvingBackend | undefined,
    chunkPoints = 1 << 20,
  ) {
    this.description = `WebGPU on ${describeAdapter(ctx.info)}`;
    chunkPoints = Math.max(1, Math.min(chunkPoints, Math.floor(ctx.limits.maxStorageBufferBindingSize / G1_BYTES)));
    this.bases = new BasesCache(ctx, basesBudgetBytes, chunkPoints);
    this.gpuNtt = new GpuNtt(ctx);
    this.g2 = g2 ? Promise.resolve(g2) : null;
  }

  async msmG1(bases: Uint8Array, scalars: Uint8Array): Promise<Uint8Array> {
    const n = scalars.byteLength / FR_BYTES;
    if (!Number.isInteger(n)) throw new RangeError(`scalar buffer of ${scalars.byteLength} bytes is not a whole number of Fr elements`);
    if (bases.byteLength < n * G1_BYTES) throw new RangeError(`${n} scalars but only ${Math.floor(bases.byteLength / G1_BYTES)} bases`);
    if (n === 0) return new Uint8Array(G1_BYTES);
    return withErrorScope(this.ctx, async () => {
      const resident = await this.bases.get(bases);
      return pointToSnarkjsG1(await msmG1OnGpu(this.ctx, resident, scalars, n));
    });
  }

  async msmG2(bases: Uint8Array, scalars: Uint8Array): Promise<Uint8Array> {
    this.g2 ??= defaultG2();
    return (await this.g2).msmG2(bases, scalars);
  }

  async ntt(values: Uint8Array, opts: NttOptions = {}): Promise<Uint8Array> {
    return withErrorScope(this.ctx, () => this.gpuNtt.ntt(values, opts.inverse === true, opts.coset === true));
  }

  /** Resident bases held on the device (for tests and diagnostics). */
  get residentBasesCount(): number {
    return this.bases.size;
  }

  async close(): Promise<void> {
    this.bases.clear();
    this.gpuNtt.clear();
    const g2 = this.g2 ? await this.g2.catch(() => null) : null;
    this.g2 = null;
    await g2?.close?.();
  }
}

/** Compares the backend with the CPU references on small random inputs; returns a failure or undefined. */
export async function selfCheck(backend: ProvingBackend): Promise<string | undefined> {
  const n = 23;
  const bases = randomG1Bases(n, 7);
  bases.copyWithin(5 * G1_BYTES, 4 * G1_BYTES, 5 * G1_BYTES); // a repeated point
  const scalarValues = Array.from({ length: n }, (_, i) => (i % 5 === 2 ? 0n : randomFr()));
  scalarValues[4] = scalarValues[5]; // same point, same scalar: exercises doubling in a bucket
  const scalars = frVector(scalarValues);
  const got = await backend.msmG1(bases, scalars);
  if (!Buffer.from(got).equals(Buffer.from(referenceMsmG1(bases, scalars))))
    return `MSM of ${n} G1 points disagrees with the CPU reference`;
  const values = Array.from({ length: 16 }, randomFr);
  for (const [inverse, coset] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const out = readFrVector(await backend.ntt(frVector(values), { inverse, coset }));
    const want = referenceNtt(values, inverse, coset);
    if (out.some((v, i) => v !== want[i]))
      return `NTT (inverse=${inverse}, coset=${coset}) of 16 elements disagrees with the CPU reference`;
  }
  return undefined;
}

/**
 * The WebGPU backend, or null when there is no adapter or the self-check fails (reason in webGpuStatus()).
 * Keep the name: prover/engine.ts imports it dynamically.
 */
export async function createWebGpuBackend(opts: WebGpuBackendOptions = {}): Promise<ProvingBackend | null> {
  const log = opts.log ?? ((m: string) => console.warn(m));
  const ctx = await getGpuContext();
  if (!ctx) return null;
  const budget = opts.basesBudgetBytes ?? Number(process.env.ZKAI_GPU_BASES_MB ?? 2048) * 2 ** 20;
  const backend = new WebGpuBackend(ctx, budget, opts.g2, opts.chunkPoints);
  if (opts.selfCheck !== false) {
    let failure: string | undefined;
    try {
      failure = await selfCheck(backend);
    } catch (err) {
      failure = `self-check error: ${(err as Error).message}`;
    }
    if (failure) {
      selfCheckFailure = `WebGPU backend disabled on ${describeAdapter(ctx.info)}: ${failure}`;
      log(selfCheckFailure);
      await backend.close();
      return null;
    }
    selfCheckFailure = undefined;
  }
  return backend;
}

/** Releases the shared device (tests, CLI exit). */
export async function shutdownWebGpu(): Promise<void> {
  await destroyGpuContext();
}
