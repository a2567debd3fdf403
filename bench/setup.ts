/**
 * Trusted setup: the development powers of tau (zkai's generator, native engine when built) at 2^16 and 2^20,
 * against snarkjs's `powersoftau new` + `contribute` + `prepare phase2` at a small power (2^10: its group FFTs
 * take minutes at 2^12 and up); and zkai's zkey generation (prover/setup/zkey-new.ts) against `snarkjs zkey new`
 * (what `snarkjs groth16 setup` runs) on the same r1cs and ptau for a synthetic circuit of about 96,000
 * constraints. snarkjs's zkey new takes minutes there, so it runs once (ZKAI_BENCH_SETUP_BASELINE=0 skips it);
 * ours runs ZKAI_BENCH_SETUP_RUNS times (default 3, median). The two zkeys are compared byte for byte.
 *
 * Dev ptaus are generated in a temporary folder (deleted after; 2^20 is 1.2 GB). ZKAI_BENCH_SETUP_POWERS
 * changes the powers (default 16,20). Run alone: `node --import tsx bench/setup.ts`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as snarkjs from 'snarkjs';
import { syntheticCircuitSpec } from '../circuits/bench/synthetic.ts';
import { buildCircuit } from '../circuits/build.ts';
import { ensureDevPtau } from '../prover/setup/dev-ptau.ts';
import { writeDevPtauFile } from '../prover/setup/dev-ptau-file.ts';
import { randomScalar } from '../prover/setup/fr.ts';
import { powerFor } from '../prover/setup/ptau.ts';
import { ffjavascriptSetupEngine, loadSetupNative, nativeSetupEngine } from '../prover/setup/setup-engine.ts';
import { newZkey } from '../prover/setup/zkey-new.ts';
import { median } from './stats.ts';

const POWERS = (process.env.ZKAI_BENCH_SETUP_POWERS ?? '16,20').split(',').map(Number);
const RUNS = Number(process.env.ZKAI_BENCH_SETUP_RUNS ?? 3);
const BASELINE = process.env.ZKAI_BENCH_SETUP_BASELINE !== '0';
const ZKEY_CONSTRAINTS = Number(process.env.ZKAI_BENCH_SETUP_CONSTRAINTS ?? 96000);
const SNARKJS_PTAU_POWER = 10;
const sec = (ms: number) => Math.round(ms / 10) / 100;

/**
 * Wall time, and CPU time of the whole process (all threads: the native engine's, snarkjs's workers): on a
 * shared machine the CPU seconds say what the work costs when the wall clock is stretched by other load.
 */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000, value };
}

const secrets = () => ({ tau: randomScalar(), alpha: randomScalar(), beta: randomScalar() });

export async function benchSetup(log: (m: string) => void): Promise<Record<string, unknown>> {
  const native = loadSetupNative();
  const engineName = native ? `zkai-native (${native.version})` : 'ffjavascript workers (native engine not built)';
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-bench-setup-'));
  const results: Record<string, unknown> = { engine: engineName };
  try {
    // Development ptau: ours at each power; snarkjs's three steps at a small power, ours there too.
    const devPtau: Record<string, unknown> = {};
    for (const power of POWERS) {
      const file = path.join(tmp, `dev-${power}.ptau`);
      log(`dev ptau 2^${power} with ${engineName} …`);
      const { ms, cpuMs } = await timed(() => writeDevPtauFile(file, power, secrets(), { engine: native, log }));
      devPtau[`power${power}`] = { seconds: sec(ms), cpuSeconds: sec(cpuMs) };
      log(`dev ptau 2^${power}: ${sec(ms)} s (${sec(cpuMs)} s CPU)`);
      await rm(file, { force: true });
    }
    if (BASELINE) {
      const p = SNARKJS_PTAU_POWER;
      const ours = await timed(() => writeDevPtauFile(path.join(tmp, `ours-${p}.ptau`), p, secrets(), { engine: native }));
      log(`snarkjs powersoftau new + contribute + prepare phase2 at 2^${p} (once) …`);
      const curve = await snarkjs.curves.getCurveFromName('bn128');
      const theirs = await timed(async () => {
        const f0 = path.join(tmp, `s0-${p}.ptau`);
        const f1 = path.join(tmp, `s1-${p}.ptau`);
        await snarkjs.powersOfTau.newAccumulator(curve, p, f0);
        await snarkjs.powersOfTau.contribute(f0, f1, 'bench', 'bench entropy');
        await snarkjs.powersOfTau.preparePhase2(f1, path.join(tmp, `s2-${p}.ptau`));
      });
      devPtau.snarkjsBaseline = {
        power: p,
        snarkjsSeconds: sec(theirs.ms),
        snarkjsCpuSeconds: sec(theirs.cpuMs),
        zkaiSeconds: sec(ours.ms),
        zkaiCpuSeconds: sec(ours.cpuMs),
        ratio: Math.round((theirs.ms / ours.ms) * 10) / 10,
        note: 'snarkjs run once; its prepare phase2 (group FFTs) grows too fast to run at 2^16 here (129 s at 2^12)',
      };
      log(`dev ptau 2^${p}: snarkjs ${sec(theirs.ms)} s, zkai ${sec(ours.ms)} s`);
    }
    results.devPtau = devPtau;

    // zkey generation on the same r1cs + ptau.
    const circuit = await buildCircuit(syntheticCircuitSpec(ZKEY_CONSTRAINTS), { log });
    const power = powerFor(circuit.nConstraints, circuit.nPublic);
    const ptau = await ensureDevPtau(power, { log });
    const engine = nativeSetupEngine() ?? ffjavascriptSetupEngine;
    const ours = path.join(tmp, 'ours.zkey');
    const runs: number[] = [];
    const cpuRuns: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { ms, cpuMs } = await timed(() => newZkey(circuit.r1csPath, ptau.path, ours, engine, { log: i === 0 ? log : undefined }));
      runs.push(ms);
      cpuRuns.push(cpuMs);
      log(`zkai zkey new (${engine.name}) run ${i + 1}/${RUNS}: ${sec(ms)} s`);
    }
    const zkey: Record<string, unknown> = {
      circuit: circuit.id,
      constraints: circuit.nConstraints,
      ptauPower: power,
      engine: engine.name,
      zkaiSeconds: sec(median(runs)),
      zkaiRuns: runs.map(sec),
      zkaiCpuSeconds: sec(median(cpuRuns)),
    };
    if (BASELINE) {
      log(`snarkjs zkey new on the same r1cs and ptau (one run, minutes) …`);
      const theirs = path.join(tmp, 'snarkjs.zkey');
      const { ms, cpuMs } = await timed(() => snarkjs.zKey.newZKey(circuit.r1csPath, ptau.path, theirs));
      zkey.snarkjsSeconds = sec(ms);
      zkey.snarkjsCpuSeconds = sec(cpuMs);
      zkey.snarkjsRuns = 1;
      zkey.ratio = Math.round((ms / median(runs)) * 10) / 10;
      zkey.byteIdentical = (await readFile(ours)).equals(await readFile(theirs));
      log(`zkey new: snarkjs ${sec(ms)} s vs zkai ${sec(median(runs))} s → ${zkey.ratio}×, identical: ${zkey.byteIdentical}`);
    }
    results.zkeyNew = zkey;
    return results;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchSetup((m) => process.stderr.write(`${m}\n`)).then(
    async (r) => {
      console.log(JSON.stringify(r, null, 2));
      await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
