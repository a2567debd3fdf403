/**
 * The native engine's kernels against ffjavascript (the WASM arithmetic inside snarkjs) on the same inputs,
 * both using all cores: MSM G1 at 2^16 and 2^18, MSM G2 at 2^16, NTT at 2^17. Median of a few runs each;
 * `ratio` = ffjavascript ms / native ms (higher is better). Bases are random multiples of the generators.
 * Run alone: `node --import tsx bench/native.ts`.
 */
import { buildBn128 } from 'ffjavascript';
import { BN254_R } from '../common/bn254.ts';
import { loadNativeEngine, nativeEngineStatus } from '../prover/native/index.ts';
import { median, timeIt } from './stats.ts';

const R = BN254_R;
const RUNS = Number(process.env.ZKAI_BENCH_NATIVE_RUNS ?? 3);

interface FfCurve {
  G1: { multiExpAffine(b: Uint8Array, s: Uint8Array): Promise<Uint8Array> };
  G2: { multiExpAffine(b: Uint8Array, s: Uint8Array): Promise<Uint8Array> };
  Fr: { fft(b: Uint8Array): Promise<Uint8Array>; batchToMontgomery(b: Uint8Array): Promise<Uint8Array> };
  terminate(): Promise<void>;
}

/** n random canonical scalars (32-byte LE), from a fixed seed so runs are comparable. */
function randomScalars(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n * 32);
  let s = BigInt(seed) | 1n;
  for (let i = 0; i < n; i++) {
    s = (s * 6364136223846793005n + 1442695040888963407n) & ((1n << 256n) - 1n);
    let v = (s ^ (s >> 97n)) % R;
    for (let j = 0; j < 32; j++) {
      out[i * 32 + j] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  return out;
}

/** Median wall and CPU (all threads of this process: native pool and ffjavascript workers alike) milliseconds. */
async function medianMs(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const before = process.cpuUsage();
    wall.push((await timeIt(fn)).ms);
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: Math.round(median(wall) * 10) / 10, cpu: Math.round(median(cpu) * 10) / 10 };
}

export async function benchNative(log: (m: string) => void): Promise<Record<string, unknown>> {
  const engine = loadNativeEngine();
  if (!engine) return { skipped: nativeEngineStatus().reason };
  const curve = (await buildBn128(false)) as FfCurve;
  const results: Record<string, unknown> = { engine: engine.description, runs: RUNS };
  try {
    // CPU time is reported beside wall time because the machine may be shared: its ratio is the fairer one then.
    const record = (name: string, native: { wall: number; cpu: number }, ffjs: { wall: number; cpu: number }) => {
      const ratio = Math.round((ffjs.wall / native.wall) * 100) / 100;
      const cpuRatio = Math.round((ffjs.cpu / native.cpu) * 100) / 100;
      results[name] = {
        nativeMs: native.wall,
        ffjavascriptMs: ffjs.wall,
        ratio,
        nativeCpuMs: native.cpu,
        ffjavascriptCpuMs: ffjs.cpu,
        cpuRatio,
      };
      log(
        `native ${name}: ${native.wall} ms vs ffjavascript ${ffjs.wall} ms (${ratio}x; CPU ${native.cpu} vs ${ffjs.cpu} ms, ${cpuRatio}x)`,
      );
    };
    for (const log2 of [16, 18]) {
      const n = 1 << log2;
      const bases = await engine.g1FixedBase(randomScalars(n, log2));
      const scalars = randomScalars(n, 100 + log2);
      record(
        `msmG1_2^${log2}`,
        await medianMs(() => engine.msmG1(bases, scalars)),
        await medianMs(() => curve.G1.multiExpAffine(bases, scalars)),
      );
    }
    {
      const n = 1 << 16;
      const bases = await engine.g2FixedBase(randomScalars(n, 7));
      const scalars = randomScalars(n, 8);
      record(
        'msmG2_2^16',
        await medianMs(() => engine.msmG2(bases, scalars)),
        await medianMs(() => curve.G2.multiExpAffine(bases, scalars)),
      );
    }
    {
      const values = randomScalars(1 << 17, 9);
      const mont = await curve.Fr.batchToMontgomery(values);
      record('ntt_2^17', await medianMs(() => engine.ntt(values)), await medianMs(() => curve.Fr.fft(mont)));
    }
  } finally {
    await curve.terminate();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchNative((m) => process.stderr.write(`${m}\n`)).then((r) => console.log(JSON.stringify(r, null, 2)));
}
