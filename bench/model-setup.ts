/**
 * The per-model setup steps issue 14 moved onto the native engine (`npm run bench -- model-setup`):
 *  - the phase-2 contribution: `snarkjs zkey contribute` against zkai's (prover/setup/zkey-contribute.ts) on the same
 *    initial zkey of a synthetic circuit of about 64,500 constraints (domain 2^16; ZKAI_BENCH_CONTRIB_CONSTRAINTS);
 *    snarkjs once (ZKAI_BENCH_SETUP_BASELINE=0 skips it), zkai ZKAI_BENCH_SETUP_RUNS times (median);
 *  - loading a Pedersen-committed 784-256-128-10 MLP (bench/mlp-model.ts, random weights): loadCompiledModel with W
 *    and K cached in opening.json, without the cache (computed on the engine in use), and both on noble
 *    (ZKAI_NATIVE=off: what every load cost before W was cached and the MSMs moved to the native engine).
 * Everything runs in a temporary ZKAI_HOME (deleted after). Run alone: `node --import tsx bench/run.ts model-setup`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as snarkjs from 'snarkjs';
import { syntheticCircuitSpec } from '../circuits/bench/synthetic.ts';
import { buildCircuit } from '../circuits/build.ts';
import { compileModel, loadCompiledModel } from '../prover/inference.ts';
import { OPENING_FILE } from '../prover/model-commitment.ts';
import { ensureDevPtau, powerFor } from '../prover/setup/index.ts';
import { nativeSetupEngine } from '../prover/setup/setup-engine.ts';
import { contributeZkey, pickContributionEngine } from '../prover/setup/zkey-contribute.ts';
import { newZkey } from '../prover/setup/zkey-new.ts';
import { writeMlpModel } from './mlp-model.ts';
import { median } from './stats.ts';

const CONSTRAINTS = Number(process.env.ZKAI_BENCH_CONTRIB_CONSTRAINTS ?? 64500);
const RUNS = Number(process.env.ZKAI_BENCH_SETUP_RUNS ?? 3);
const BASELINE = process.env.ZKAI_BENCH_SETUP_BASELINE !== '0';
const sec = (ms: number) => Math.round(ms / 10) / 100;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000, value };
}

async function withNoble<T>(work: () => Promise<T>): Promise<T> {
  const saved = process.env.ZKAI_NATIVE;
  process.env.ZKAI_NATIVE = 'off';
  try {
    return await work();
  } finally {
    if (saved === undefined) delete process.env.ZKAI_NATIVE;
    else process.env.ZKAI_NATIVE = saved;
  }
}

async function benchContribution(tmp: string, log: (m: string) => void): Promise<Record<string, unknown>> {
  const circuit = await buildCircuit(syntheticCircuitSpec(CONSTRAINTS));
  const power = powerFor(circuit.nConstraints, circuit.nPublic);
  const ptau = await ensureDevPtau(power, { log });
  const zkey0 = path.join(tmp, 'contrib-0.zkey');
  const native = nativeSetupEngine();
  if (native) await newZkey(circuit.r1csPath, ptau.path, zkey0, native);
  else await snarkjs.zKey.newZKey(circuit.r1csPath, ptau.path, zkey0);
  const engine = pickContributionEngine();
  const ours: { ms: number; cpuMs: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await timed(() =>
      contributeZkey(zkey0, path.join(tmp, 'contrib-zkai.zkey'), { name: 'bench', randomness: { entropy: 'bench' }, engine }),
    );
    ours.push(r);
    log(`zkai contribution (${engine.name}), ${circuit.nConstraints} constraints: ${sec(r.ms)} s (${sec(r.cpuMs)} s CPU)`);
  }
  const out: Record<string, unknown> = {
    constraints: circuit.nConstraints,
    power,
    engine: engine.name,
    zkaiSeconds: sec(median(ours.map((r) => r.ms))),
    zkaiCpuSeconds: sec(median(ours.map((r) => r.cpuMs))),
    runs: RUNS,
  };
  if (BASELINE) {
    log('snarkjs zkey contribute (once) …');
    const theirs = await timed(() => snarkjs.zKey.contribute(zkey0, path.join(tmp, 'contrib-snarkjs.zkey'), 'bench', 'bench entropy'));
    out.snarkjsSeconds = sec(theirs.ms);
    out.snarkjsCpuSeconds = sec(theirs.cpuMs);
    out.speedup = Math.round((theirs.ms / median(ours.map((r) => r.ms))) * 10) / 10;
    log(`snarkjs zkey contribute: ${sec(theirs.ms)} s (${sec(theirs.cpuMs)} s CPU) → ${out.speedup}×`);
  }
  return out;
}

async function benchModelLoad(tmp: string, log: (m: string) => void): Promise<Record<string, unknown>> {
  const files = await writeMlpModel(path.join(tmp, 'mlp'));
  const dir = path.join(tmp, 'mlp-out');
  const compile = await timed(() => compileModel(files.onnx, files.csv, { outDir: dir, name: 'mlp784', log }));
  const elements = compile.value.pedersen!.key.bases.length;
  log(
    `compiled the 784-256-128-10 MLP (${compile.value.manifest.constraints.total} constraints, ${elements} committed elements) in ${sec(compile.ms)} s`,
  );
  const opening = path.join(dir, OPENING_FILE);
  const withCache = await readFile(opening, 'utf8');
  const blindOnly = `${JSON.stringify({ blind: JSON.parse(withCache).blind })}\n`;
  const load = async (cached: boolean) => {
    await writeFile(opening, cached ? withCache : blindOnly);
    return timed(() => loadCompiledModel(dir));
  };
  const runs: Record<string, { ms: number; cpuMs: number }[]> = { cached: [], uncached: [], nobleCached: [], nobleUncached: [] };
  for (let i = 0; i < RUNS; i++) {
    runs.cached!.push(await load(true));
    runs.uncached!.push(await load(false));
  }
  // noble is slow (seconds per MSM): once each.
  runs.nobleCached!.push(await withNoble(() => load(true)));
  runs.nobleUncached!.push(await withNoble(() => load(false)));
  const out: Record<string, unknown> = {
    model: '784-256-128-10 MLP, Pedersen-committed weights',
    constraints: compile.value.manifest.constraints.total,
    committedElements: elements,
    compileSeconds: sec(compile.ms),
  };
  for (const [name, r] of Object.entries(runs)) {
    out[`load_${name}_ms`] = Math.round(median(r.map((x) => x.ms)));
    log(`loadCompiledModel ${name}: ${Math.round(median(r.map((x) => x.ms)))} ms (${Math.round(median(r.map((x) => x.cpuMs)))} ms CPU)`);
  }
  return out;
}

export async function benchModelSetup(log: (m: string) => void): Promise<Record<string, unknown>> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-bench-model-setup-'));
  const savedHome = process.env.ZKAI_HOME;
  process.env.ZKAI_HOME = path.join(tmp, 'home');
  try {
    return { contribution: await benchContribution(tmp, log), modelLoad: await benchModelLoad(tmp, log) };
  } finally {
    if (savedHome === undefined) delete process.env.ZKAI_HOME;
    else process.env.ZKAI_HOME = savedHome;
    await rm(tmp, { recursive: true, force: true });
  }
}
