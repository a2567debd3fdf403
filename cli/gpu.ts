/**
 * `zkai gpu selftest [--max-log 16]`: prints the WebGPU adapter (and whether it is software), then checks
 * the GPU MSM and NTT against the CPU engine (native when built, else ffjavascript) on random inputs at
 * several sizes. Exit codes: 0 all equal, 1 a mismatch or error, 2 no adapter or bad usage.
 */
import { parseArgs } from 'node:util';
import type { ProvingBackend } from '../gpu/backend.ts';
import { describeAdapter } from '../gpu/webgpu/device.ts';
import { createWebGpuBackend, shutdownWebGpu, webGpuStatus } from '../gpu/webgpu/index.ts';
import { frVector, randomFr, randomG1Bases } from '../gpu/webgpu/reference.ts';

const out = (m: string) => process.stdout.write(`${m}\n`);

async function cpuReference(): Promise<ProvingBackend> {
  const { loadNativeEngine } = await import('../prover/native/index.ts');
  const native = loadNativeEngine();
  if (native) return native;
  const { createWasmBackend } = await import('../prover/groth16/wasm-backend.ts');
  return createWasmBackend();
}

function tiledBases(pool: Uint8Array, n: number): Uint8Array {
  const bases = new Uint8Array(n * 64);
  for (let at = 0; at < bases.byteLength; at += pool.byteLength)
    bases.set(pool.subarray(0, Math.min(pool.byteLength, bases.byteLength - at)), at);
  return bases;
}

async function selftest(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'max-log': { type: 'string' } } });
  const maxLog = Number(values['max-log'] ?? 16);
  if (!Number.isInteger(maxLog) || maxLog < 1 || maxLog > 24) {
    out('--max-log must be an integer from 1 to 24');
    return 2;
  }
  const gpu = await createWebGpuBackend({ log: out });
  const status = webGpuStatus();
  if (!gpu) {
    if (!status.adapter) {
      out(`no WebGPU adapter: ${status.reason}`);
      return 2;
    }
    out(`adapter: ${describeAdapter(status.adapter)}`);
    out(`FAIL self-check: ${status.reason}`);
    return 1;
  }
  out(`adapter: ${describeAdapter(status.adapter!)}`);
  const cpu = await cpuReference();
  out(`reference: ${cpu.description}`);
  let failures = 0;
  const check = async (what: string, run: () => Promise<[Uint8Array, Uint8Array]>) => {
    const t0 = performance.now();
    try {
      const [got, want] = await run();
      const ok = Buffer.from(got).equals(Buffer.from(want));
      if (!ok) failures++;
      out(`${ok ? 'ok  ' : 'FAIL'} ${what} (${(performance.now() - t0).toFixed(0)} ms)`);
    } catch (err) {
      failures++;
      out(`FAIL ${what}: ${(err as Error).message}`);
    }
  };
  try {
    const pool = randomG1Bases(Math.min(1 << maxLog, 4096), 101);
    const sizes = [1, 3, 17, 1000];
    for (let log = 4; log <= maxLog; log += 4) sizes.push(1 << log);
    if (!sizes.includes(1 << maxLog)) sizes.push(1 << maxLog);
    for (const n of sizes.filter((s) => s <= 1 << maxLog).sort((a, b) => a - b)) {
      const bases = tiledBases(pool, n);
      const scalars = frVector(Array.from({ length: n }, (_, i) => (i % 13 === 0 ? 0n : randomFr())));
      await check(`MSM G1 n=${n}`, async () => [await gpu.msmG1(bases, scalars), await cpu.msmG1(bases, scalars)]);
    }
    for (let log = 1; log <= Math.min(maxLog, 16); log += log < 4 ? 3 : 4) {
      const values = frVector(Array.from({ length: 1 << log }, randomFr));
      for (const opts of [{}, { inverse: true }, { coset: true }, { inverse: true, coset: true }]) {
        await check(`NTT 2^${log} ${JSON.stringify(opts)}`, async () => [await gpu.ntt(values, opts), await cpu.ntt(values, opts)]);
      }
    }
  } finally {
    await gpu.close?.();
    await cpu.close?.();
    await shutdownWebGpu();
    const { releaseVerifierResources } = await import('../prover/verify.ts');
    await releaseVerifierResources();
  }
  out(failures === 0 ? 'all GPU results equal the CPU engine' : `${failures} mismatch(es)`);
  return failures === 0 ? 0 : 1;
}

export async function gpuCommand(sub: string | undefined, args: string[]): Promise<number> {
  if (sub === 'selftest') return selftest(args);
  out('usage: zkai gpu selftest [--max-log 16]');
  return 2;
}
