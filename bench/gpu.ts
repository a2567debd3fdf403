/**
 * WebGPU backend benchmark: G1 MSM at 2^12..2^16 (to 2^20 on a hardware adapter) against the CPU engines
 * measured in the same run (the native engine when built, ffjavascript always), the NTT at 2^12..2^16, and
 * full Groth16 proofs of the synthetic circuit (1000 constraints; 2^16 on hardware) with the G1 MSMs on the GPU.
 * The adapter is labelled software or hardware: on lavapipe (a CPU Vulkan driver, as in CI) the GPU path
 * is expected to be slower than the CPU engines; the figures that matter come from a real GPU.
 * Each GPU size reports the first call (upload + conversion of the bases, the cost paid once per zkey)
 * and the median of the resident-bases calls after it.
 */

import { readFile } from 'node:fs/promises';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import { syntheticCircuitSpec, syntheticInput } from '../circuits/bench/synthetic.ts';
import { buildCircuit } from '../circuits/build.ts';
import type { ProvingBackend } from '../gpu/backend.ts';
import { describeAdapter } from '../gpu/webgpu/device.ts';
import { createWebGpuBackend, shutdownWebGpu, webGpuStatus } from '../gpu/webgpu/index.ts';
import { frVector, randomFr, randomG1Bases } from '../gpu/webgpu/reference.ts';
import { type Groth16Kernels, kernelsFrom, proveGroth16 } from '../prover/groth16/prove.ts';
import { computeQuotientWasm } from '../prover/groth16/quotient-wasm.ts';
import { createWasmBackend } from '../prover/groth16/wasm-backend.ts';
import { parseWtns } from '../prover/groth16/wtns.ts';
import { parseZkey } from '../prover/groth16/zkey.ts';
import type { NativeEngine } from '../prover/native/api.ts';
import { ensureCircuitSetup } from '../prover/setup/index.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { median, timeIt } from './stats.ts';

const RUNS = 3;

function tiled(pool: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n * 64);
  for (let at = 0; at < out.byteLength; at += pool.byteLength)
    out.set(pool.subarray(0, Math.min(pool.byteLength, out.byteLength - at)), at);
  return out;
}

async function medianMs(fn: () => Promise<unknown>, runs = RUNS): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timeIt(fn)).ms);
  return Math.round(median(times) * 10) / 10;
}

/**
 * Full Groth16 proofs of the synthetic circuit: G1 MSMs on the GPU (quotient and G2 on native when built,
 * else wasm) against all-native and all-wasm, medians after one warm-up proof each (bases resident).
 */
async function benchProof(
  gpu: ProvingBackend,
  native: NativeEngine | null,
  wasm: ProvingBackend,
  constraints: number,
  log: (m: string) => void,
): Promise<Record<string, unknown>> {
  const circuit = await buildCircuit(syntheticCircuitSpec(constraints));
  const setup = await ensureCircuitSetup(circuit);
  const calculator = (await WitnessCalculatorBuilder(await readFile(circuit.wasmPath))) as {
    calculateWTNSBin(i: Record<string, unknown>, sanity: boolean): Promise<Uint8Array>;
  };
  const witness = parseWtns(await calculator.calculateWTNSBin(syntheticInput(3), true)).values;
  const zkey = parseZkey(new Uint8Array(await readFile(setup.zkeyPath)));
  const rest: ProvingBackend = native ?? wasm;
  const quotient = native ? native.groth16Quotient.bind(native) : computeQuotientWasm;
  const variants: Groth16Kernels[] = [{ name: `webgpu+${rest.name}`, g1: gpu, g2: rest, quotient }];
  if (native) variants.push(kernelsFrom(native, quotient));
  variants.push(kernelsFrom(wasm, computeQuotientWasm));
  const row: Record<string, unknown> = { constraints, domainSize: zkey.domainSize };
  for (const k of variants) {
    await proveGroth16(zkey, witness, k);
    row[`${k.name}Ms`] = await medianMs(() => proveGroth16(zkey, witness, k));
  }
  log(`gpu: Groth16 proof, synthetic ${constraints}: ${JSON.stringify(row)}`);
  return row;
}

export async function benchGpu(log: (m: string) => void): Promise<Record<string, unknown>> {
  const gpu = await createWebGpuBackend({ log });
  const status = webGpuStatus();
  if (!gpu) {
    log(`gpu: skipped — ${status.reason}`);
    return { skipped: true, reason: status.reason, adapter: status.adapter ?? null };
  }
  const adapter = status.adapter!;
  const label = describeAdapter(adapter);
  log(`gpu: adapter ${label}`);
  const cpus: ProvingBackend[] = [];
  const { loadNativeEngine } = await import('../prover/native/index.ts');
  const native = loadNativeEngine();
  if (native) cpus.push(native);
  cpus.push(await createWasmBackend());
  const maxLog = adapter.software ? 16 : 20;
  const pool = randomG1Bases(4096);
  const msm: Record<string, unknown>[] = [];
  try {
    for (let log2 = 12; log2 <= maxLog; log2 += 2) {
      const n = 1 << log2;
      const bases = tiled(pool, n);
      const scalars = frVector(Array.from({ length: n }, randomFr));
      const firstCallMs = Math.round((await timeIt(() => gpu.msmG1(bases, scalars))).ms);
      const row: Record<string, unknown> = { log2, gpuFirstCallMs: firstCallMs, gpuMs: await medianMs(() => gpu.msmG1(bases, scalars)) };
      for (const cpu of cpus) {
        const ms = await medianMs(() => cpu.msmG1(bases, scalars));
        row[`${cpu.name}Ms`] = ms;
        row[`speedupVs${cpu.name[0]!.toUpperCase()}${cpu.name.slice(1)}`] = Math.round((ms / (row.gpuMs as number)) * 100) / 100;
      }
      log(`gpu: MSM G1 2^${log2}: ${JSON.stringify(row)}`);
      msm.push(row);
    }
    const ntt: Record<string, unknown>[] = [];
    for (const log2 of [12, 14, 16]) {
      const values = frVector(Array.from({ length: 1 << log2 }, randomFr));
      await gpu.ntt(values);
      const row: Record<string, unknown> = { log2, gpuMs: await medianMs(() => gpu.ntt(values)) };
      for (const cpu of cpus) row[`${cpu.name}Ms`] = await medianMs(() => cpu.ntt(values));
      log(`gpu: NTT 2^${log2}: ${JSON.stringify(row)}`);
      ntt.push(row);
    }
    const proof = await benchProof(gpu, native, cpus.at(-1)!, adapter.software ? 1000 : 1 << 16, log);
    return { adapter: { ...adapter, label }, software: adapter.software, runs: RUNS, msmG1: msm, ntt, proof };
  } finally {
    await gpu.close?.();
    for (const cpu of cpus) await cpu.close?.();
    await shutdownWebGpu();
    await releaseVerifierResources();
  }
}

// `node --import tsx bench/gpu.ts` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await benchGpu((m) => console.error(m));
  console.log(JSON.stringify(results, null, 2));
  process.exit(0);
}
