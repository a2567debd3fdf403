/**
 * Which engine proves: ZKAI_ENGINE=native|snarkjs|wasm|webgpu.
 *   native  zkai's Groth16 prover (prover/groth16) on the C++ engine (prover/native) — the default when built.
 *   snarkjs snarkjs's own groth16.prove — the default otherwise, and always available.
 *   wasm    zkai's prover on ffjavascript (a reference; slower than snarkjs, no faster path).
 *   webgpu  zkai's prover with the G1 MSMs on the GPU (gpu/webgpu), quotient and G2 on native or wasm.
 * An engine that cannot load falls back (webgpu → native → snarkjs) with the reason logged and kept in
 * the description, so /health and the banner say what really runs.
 */
import { ZkaiError } from '../common/errors.ts';
import type { ProvingBackend } from '../gpu/backend.ts';
import { type Groth16Kernels, kernelsFrom } from './groth16/prove.ts';
import { computeQuotientWasm } from './groth16/quotient-wasm.ts';
import { createWasmBackend } from './groth16/wasm-backend.ts';
import type { NativeEngine } from './native/api.ts';

export const ENGINE_NAMES = ['native', 'snarkjs', 'wasm', 'webgpu'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export interface ProvingEngine {
  /** What proves: 'native', 'snarkjs', 'wasm', 'webgpu+native' or 'webgpu+wasm'. */
  name: string;
  /** One line for banners and /health: the engine and, after a fallback, why. */
  description: string;
  /** zkai's prover kernels; null for snarkjs (proved by snarkjs.groth16.prove). */
  kernels: Groth16Kernels | null;
  /** Set when the requested engine could not be used. */
  fallbackReason?: string;
}

/*
 * The native addon and the WebGPU backend are written by other modules and may be absent from a checkout;
 * importing through a variable keeps the type checker and the loader from requiring them.
 */
const NATIVE_MODULE = './native/index.ts';
const WEBGPU_MODULE = '../gpu/webgpu/index.ts';

/** The native engine, or null with the reason (addon not built, module missing, load error). */
export async function loadNative(): Promise<{ engine: NativeEngine | null; reason?: string }> {
  try {
    const mod = (await import(NATIVE_MODULE)) as {
      loadNativeEngine?: () => NativeEngine | null;
      nativeEngineStatus?: () => { reason?: string };
    };
    const engine = mod.loadNativeEngine?.() ?? null;
    if (engine) return { engine };
    return { engine: null, reason: mod.nativeEngineStatus?.().reason ?? 'the native addon is not built (npm run build:native)' };
  } catch (err) {
    return { engine: null, reason: `the native engine failed to load: ${firstLine(err)}` };
  }
}

async function loadWebGpu(): Promise<{ backend: ProvingBackend | null; reason?: string }> {
  try {
    const mod = (await import(WEBGPU_MODULE)) as { createWebGpuBackend?: () => Promise<ProvingBackend | null> };
    if (!mod.createWebGpuBackend) return { backend: null, reason: 'gpu/webgpu does not export createWebGpuBackend' };
    const backend = await mod.createWebGpuBackend();
    return backend ? { backend } : { backend: null, reason: 'no WebGPU adapter is available' };
  } catch (err) {
    return { backend: null, reason: `the WebGPU backend failed to load: ${firstLine(err)}` };
  }
}

/** G1 MSMs on the GPU; quotient and G2 on the native engine, else wasm. */
async function webGpuEngine(gpu: ProvingBackend, native: NativeEngine | null, log: (m: string) => void): Promise<ProvingEngine> {
  const rest: ProvingBackend = native ?? (await createWasmBackend());
  const quotient = native ? native.groth16Quotient.bind(native) : computeQuotientWasm;
  const label = `webgpu+${rest.name}`;
  // A software adapter (llvmpipe, SwiftShader) works but is far slower than the CPU engines: say so.
  if (/software|llvmpipe|swiftshader/i.test(gpu.description)) log(`zkai engine: WebGPU runs on a software adapter (${gpu.description})`);
  return {
    name: label,
    description: `webgpu (${gpu.description}; quotient and G2 on ${rest.name})`,
    kernels: { name: label, g1: gpu, g2: rest, quotient, ...(native ? { finish: native.groth16Finish.bind(native) } : {}) },
  };
}

async function autoWebGpu(log: (m: string) => void): Promise<ProvingBackend | null> {
  try {
    const { autoWebGpuBackend } = (await import('../gpu/select.ts')) as typeof import('../gpu/select.ts');
    return await autoWebGpuBackend(log);
  } catch (err) {
    log(`zkai engine: WebGPU probe failed (${firstLine(err)}); using the CPU engine`);
    return null;
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

function parseEngineName(value: string | undefined): EngineName | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if (!(ENGINE_NAMES as readonly string[]).includes(v)) {
    throw new ZkaiError('BAD_INPUT', `ZKAI_ENGINE=${value} is not one of ${ENGINE_NAMES.join(', ')}`);
  }
  return v as EngineName;
}

function nativeEngine(native: NativeEngine): ProvingEngine {
  return {
    name: 'native',
    description: `native (${native.version}, ${native.threads} threads)`,
    kernels: kernelsFrom(native, (c, n, w, d) => native.groth16Quotient(c, n, w, d)),
  };
}

const SNARKJS: ProvingEngine = { name: 'snarkjs', description: 'snarkjs (ffjavascript WebAssembly)', kernels: null };

function withFallback(engine: ProvingEngine, reason: string): ProvingEngine {
  return { ...engine, description: `${engine.description} — fallback: ${reason}`, fallbackReason: reason };
}

/**
 * Builds the engine ZKAI_ENGINE asks for (or the default). `log` receives fallback reasons.
 * Throws ZkaiError('BAD_INPUT') for an unknown ZKAI_ENGINE value.
 */
export async function selectEngine(
  requested: string | undefined = process.env.ZKAI_ENGINE,
  log: (m: string) => void = console.warn,
): Promise<ProvingEngine> {
  const name = parseEngineName(requested);
  if (name === 'snarkjs') return SNARKJS;
  if (name === 'wasm') {
    const wasm = await createWasmBackend();
    return { name: 'wasm', description: `wasm (${wasm.description})`, kernels: kernelsFrom(wasm, computeQuotientWasm) };
  }
  const native = await loadNative();
  if (name === 'webgpu') {
    const gpu = await loadWebGpu();
    if (gpu.backend) return webGpuEngine(gpu.backend, native.engine, log);
    const reason = `ZKAI_ENGINE=webgpu: ${gpu.reason}`;
    log(`zkai engine: ${reason}; falling back to ${native.engine ? 'native' : 'snarkjs'}`);
    return withFallback(native.engine ? nativeEngine(native.engine) : SNARKJS, reason);
  }
  if (name === undefined) {
    // Nothing asked for: a hardware GPU adapter that passes the self-check wins (gpu/select.ts never picks a
    // software adapter automatically, and ZKAI_GPU=off skips the probe).
    const auto = await autoWebGpu(log);
    if (auto) return webGpuEngine(auto, native.engine, log);
  }
  if (native.engine) return nativeEngine(native.engine);
  if (name === 'native') {
    const reason = `ZKAI_ENGINE=native: ${native.reason}`;
    log(`zkai engine: ${reason}; falling back to snarkjs`);
    return withFallback(SNARKJS, reason);
  }
  return SNARKJS; // default without a native build: snarkjs, no warning
}

let processEngine: Promise<ProvingEngine> | undefined;

/** This process's engine, selected once from ZKAI_ENGINE. */
export function processProvingEngine(): Promise<ProvingEngine> {
  processEngine ??= selectEngine();
  processEngine.catch(() => {
    processEngine = undefined;
  });
  return processEngine;
}

let engineSeenInProofs: string | undefined;

/**
 * Records the engine a finished proof names (the prover pool calls it with each answer). The workers choose
 * their engine themselves (a hardware GPU is probed there, not here), so once a proof has finished /health
 * reports what actually proved rather than a prediction.
 */
export function noteEngineUsed(name: string): void {
  engineSeenInProofs = name;
}

/**
 * What proves, for the service banner and /health, without starting a GPU device or a WASM curve in this
 * process: webgpu and wasm are reported as requested, and with ZKAI_ENGINE unset the CPU engine the workers
 * fall back to (the workers probe for a hardware GPU themselves and log their choice). After the first proof,
 * the name is the engine that proof used.
 */
export async function describeEngine(): Promise<{ name: string; description: string }> {
  const name = parseEngineName(process.env.ZKAI_ENGINE);
  let described: { name: string; description: string };
  if (name === 'webgpu') {
    described = { name, description: 'webgpu (requested; workers fall back to native or snarkjs when no adapter loads)' };
  } else if (name === 'wasm') {
    described = { name, description: 'wasm (zkai prover on ffjavascript)' };
  } else if (name === undefined) {
    const native = await loadNative();
    const cpu = native.engine ? nativeEngine(native.engine) : SNARKJS;
    const { webGpuChoice } = (await import('../gpu/select.ts')) as typeof import('../gpu/select.ts');
    const gpuNote = webGpuChoice() === 'auto' ? '; workers move G1 MSMs to a hardware GPU that passes the self-check' : '';
    described = { name: cpu.name, description: `${cpu.description}${gpuNote}` };
  } else {
    const engine = await processProvingEngine();
    described = { name: engine.name, description: engine.description };
  }
  return engineSeenInProofs ? { ...described, name: engineSeenInProofs } : described;
}
