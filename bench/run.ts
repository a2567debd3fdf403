/**
 * `npm run bench`: measures zkai against baselines run in the same process tree, on this machine, and
 * writes bench/results.json (sections not run this time keep their previous entry).
 *
 * Sections (all by default; `npm run bench -- native groth16` or ZKAI_BENCH_SECTIONS=native,groth16 picks):
 *  - core: membership proof (depth 20) on the warm pool vs `snarkjs groth16 fullprove` as a CLI (cold process per
 *    proof) and in-process; dataset commitment of 100,000 records (ZKAI_BENCH_RECORDS); model circuit sizes.
 *  - native: the C++ engine's MSM/NTT against ffjavascript (bench/native.ts).
 *  - groth16: our prover (native engine) against snarkjs on the same zkey + witness at 2^14..2^17 (bench/groth16.ts).
 *  - prove-cli: `zkai prove` against the `snarkjs groth16 prove` CLI, whole processes, membership and 2^14..2^17
 *    (2^20 opt-in: ZKAI_BENCH_CLI_SIZES=16000,65000,130000,1040000), wall time and peak RSS of each (bench/prove-cli.ts).
 *  - setup: dev powers of tau and our zkey generation against snarkjs (bench/setup.ts).
 *  - model-setup: the phase-2 contribution against snarkjs's, and loading a Pedersen-committed 784-256-128-10 MLP
 *    with and without its cached commitment (bench/model-setup.ts).
 *  - models: constraints per fixture and weights mode; the 64-32-16-10 MLP end to end; every issue-14 fixture and the
 *    largest model (≈1M constraints) cold, one process each: ops, parameters, constraints, compile + setup, warm
 *    proof, peak RSS, where the time goes (bench/models.ts, bench/model-fixtures.ts).
 *  - large-models: LeNet-5 on 28×28 end to end and the 784-256-128-10 MLP with public weights: compile + setup,
 *    warm proof, the witness calculator's largest function (bench/large-models.ts; issue 14).
 *  - lookups: LeNet-5 with and without LogUp range checks: constraints per weights mode, and end to end with Pedersen
 *    weights, compile + setup and warm proof (bench/model-lookups.ts; issue 17).
 *  - dataset: dataset commitments at data scale: the native engine's Poseidon against the JavaScript reference in the
 *    same run (1,000,000 records), and an out-of-core commitment with its peak RSS (bench/dataset.ts; issue 17).
 *  - dataset-scale (only when named): 100,000,000 records committed out of core, time and peak RSS
 *    (bench/dataset-scale.ts; ~45 GB of disk, tens of minutes).
 *  - gpu: the WebGPU backend, labelled with its adapter (bench/gpu.ts).
 *  - load: the HTTP service under autocannon against a single-process snarkjs baseline (bench/load.ts), then the
 *    multi-node set-up with 1, 2 and 3 worker hosts in network namespaces: proofs/s and the API's p99 (bench/load-hosts.ts).
 *  - gas: RoyaltyVault.claim, registerCommittedModel and attest with real proofs, against the figures before
 *    issue 13 (bench/gas.ts); InferenceMarket request, fulfil, refund and withdraw (bench/market-gas.ts).
 * Medians throughout; ratios are baseline / zkai.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as snarkjs from 'snarkjs';
import { commitDataset, type DatasetRecord, membershipInput } from '../circuits/dataset/index.ts';
import { REPO_ROOT } from '../common/config.ts';
import { snarkjsCliPath } from '../common/snarkjs-cli.ts';
import { prepareMembershipCircuit, proveMembership } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import { verifyBundle } from '../prover/verify.ts';
import { median, timeIt } from './stats.ts';

const RUNS = Number(process.env.ZKAI_BENCH_RUNS ?? 7);
const RECORDS = Number(process.env.ZKAI_BENCH_RECORDS ?? 100_000);
// Its own folder: other sections (dataset, dataset-scale) keep theirs under bench/tmp, and may run beside this one.
const TMP = path.join(REPO_ROOT, 'bench', 'tmp', 'core');
const log = (m: string) => process.stderr.write(`${m}\n`);

function syntheticRecords(n: number): DatasetRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `rec-${i}`,
    contributor: `0x${randomBytes(20).toString('hex')}`,
    contentHash: `0x${randomBytes(32).toString('hex')}`,
    weight: BigInt(1 + (i % 1000)),
  }));
}

async function benchCore(): Promise<Record<string, unknown>> {
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  const results: Record<string, unknown> = { runs: RUNS };

  log(`dataset commit: ${RECORDS} records, depth 20`);
  const records = syntheticRecords(RECORDS);
  const commit = await timeIt(() => commitDataset(records, path.join(TMP, 'dataset.json'), { depth: 20 }));
  results.datasetCommit = { records: RECORDS, depth: 20, seconds: +(commit.ms / 1000).toFixed(2) };
  log(`  ${(commit.ms / 1000).toFixed(2)} s`);
  const dataset = commit.value;

  const mc = await prepareMembershipCircuit(20, log);
  results.membershipCircuit = { id: mc.circuit.id, constraints: mc.circuit.nConstraints, wires: mc.circuit.nWires };

  // Baseline: snarkjs CLI fullprove (witness + proof) in a fresh process each time.
  const snarkjsCli = snarkjsCliPath();
  const baseline: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const input = await membershipInput(dataset, `rec-${(i * 7919) % RECORDS}`, i);
    const inputPath = path.join(TMP, `input-${i}.json`);
    writeFileSync(inputPath, JSON.stringify(input));
    const t = performance.now();
    execFileSync(
      process.execPath,
      [
        snarkjsCli,
        'groth16',
        'fullprove',
        inputPath,
        mc.circuit.wasmPath,
        mc.setup.zkeyPath,
        path.join(TMP, 'p.json'),
        path.join(TMP, 'pub.json'),
      ],
      { stdio: 'ignore' },
    );
    baseline.push(performance.now() - t);
    log(`  snarkjs CLI fullprove #${i + 1}: ${baseline.at(-1)!.toFixed(0)} ms`);
  }

  // Second baseline: snarkjs fullProve in this process (no process start-up; zkey and wasm read per call).
  const inProcess: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const input = await membershipInput(dataset, `rec-${(i * 15485863) % RECORDS}`, 50 + i);
    const r = await timeIt(() => snarkjs.groth16.fullProve(input, mc.circuit.wasmPath, mc.setup.zkeyPath));
    inProcess.push(r.ms);
    log(`  snarkjs fullProve in-process #${i + 1}: ${r.ms.toFixed(0)} ms`);
  }

  const pool = new ProverPool({ threads: 1 });
  // The first request waits for the worker thread to start (it imports the prover's modules), loads the circuit
  // (zkey, witness wasm, the engine's preparation), then proves. The worker's own timings split the three: loadMs, and
  // witnessMs + proveMs, the proof, compared with the same figure of warm requests (inputs made beforehand).
  const keys = { circuitId: mc.circuit.id, wasmPath: mc.circuit.wasmPath, zkeyPath: mc.setup.zkeyPath };
  const poolInput = async (i: number) =>
    (await membershipInput(dataset, `rec-${(i * 7) % RECORDS}`, 200 + i)) as unknown as Record<string, unknown>;
  const inWorker = (t: { witnessMs: number; proveMs: number }) => t.witnessMs + t.proveMs;
  const firstInput = await poolInput(0);
  const first = await timeIt(() => pool.prove(keys, firstInput));
  const loadMs = first.value.timings.loadMs;
  const firstProofMs = inWorker(first.value.timings);
  const startMs = first.ms - loadMs - firstProofMs;
  log(
    `  warm pool: first request ${first.ms.toFixed(0)} ms = worker start ${startMs.toFixed(0)} ms + circuit load ${loadMs.toFixed(0)} ms + first proof ${firstProofMs.toFixed(0)} ms (witness ${first.value.timings.witnessMs.toFixed(0)})`,
  );
  const warmProve: number[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const input = await poolInput(i);
    warmProve.push(inWorker((await pool.prove(keys, input)).timings));
  }
  log(`  warm proofs in the worker (witness + proof): ${warmProve.map((m) => m.toFixed(0)).join(', ')} ms`);
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await timeIt(() => proveMembership(pool, mc, dataset, `rec-${(i * 104729) % RECORDS}`, 100 + i));
    warm.push(r.ms);
    log(`  warm pool proof #${i + 1}: ${r.ms.toFixed(0)} ms`);
    if (i === 0 && !(await verifyBundle(r.value, { expectedVkeyHash: mc.setup.vkeyHash })).valid)
      throw new Error('bench produced an invalid proof');
  }
  await pool.close();

  const b = median(baseline);
  const w = median(warm);
  const ip = median(inProcess);
  results.membershipProof = {
    baseline: 'snarkjs groth16 fullprove (CLI, fresh process)',
    baselineMedianMs: Math.round(b),
    warmPoolMedianMs: Math.round(w),
    warmPoolWorkerStartMs: Math.round(startMs),
    warmPoolLoadMs: Math.round(loadMs),
    warmPoolFirstProofMs: Math.round(firstProofMs),
    warmPoolWarmProofMedianMs: Math.round(median(warmProve)),
    warmPoolFirstProofVsWarm: +(firstProofMs / median(warmProve)).toFixed(2),
    speedup: +(b / w).toFixed(2),
    inProcessFullProveMedianMs: Math.round(ip),
    speedupVsInProcess: +(ip / w).toFixed(2),
    baselineRunsMs: baseline.map(Math.round),
    inProcessRunsMs: inProcess.map(Math.round),
    warmRunsMs: warm.map(Math.round),
  };
  results.loadAverage = os.loadavg().map((l) => +l.toFixed(1));
  console.log(`\nmembership proof (depth 20, ${mc.circuit.nConstraints} constraints), median of ${RUNS}:`);
  console.log(`  snarkjs CLI fullprove (fresh process)               ${b.toFixed(0)} ms`);
  console.log(`  snarkjs fullProve (in-process, per-call file reads)   ${ip.toFixed(0)} ms`);
  console.log(
    `  zkai warm pool                                      ${w.toFixed(0)} ms   → ${(b / w).toFixed(2)}× faster than the CLI, ${(ip / w).toFixed(2)}× than in-process`,
  );
  console.log(`dataset commit: ${RECORDS} records in ${(commit.ms / 1000).toFixed(2)} s`);
  rmSync(TMP, { recursive: true, force: true });
  return results;
}

type Section = (log: (m: string) => void) => Promise<Record<string, unknown>>;
const SECTIONS: Record<string, () => Promise<Section>> = {
  core: async () => benchCore,
  native: async () => (await import('./native.ts')).benchNative,
  groth16: async () => (await import('./groth16.ts')).benchGroth16,
  'prove-cli': async () => (await import('./prove-cli.ts')).benchProveCli,
  setup: async () => (await import('./setup.ts')).benchSetup,
  gpu: async () => (await import('./gpu.ts')).benchGpu,
  load: async () => {
    const { benchLoad } = await import('./load.ts');
    const { benchLoadHosts } = await import('./load-hosts.ts');
    // In-process first, then the multi-node set-up with 1, 2 and 3 worker hosts.
    return async (log) => ({ ...(await benchLoad(log)), acrossHosts: await benchLoadHosts(log) });
  },
  models: async () => (await import('./models.ts')).benchModels,
  gas: async () => (await import('./gas.ts')).benchGas,
  'model-setup': async () => (await import('./model-setup.ts')).benchModelSetup,
  'large-models': async () => (await import('./large-models.ts')).benchLargeModels,
  lookups: async () => (await import('./model-lookups.ts')).benchModelLookups,
  dataset: async () => (await import('./dataset.ts')).benchDataset,
  'dataset-scale': async () => (await import('./dataset-scale.ts')).benchDatasetScale,
};

/** Sections that run only when asked for by name: tens of minutes and tens of GB of disk. */
const OPT_IN = new Set(['dataset-scale']);

async function main() {
  // As the service and `zkai worker` do (prover/witness-compile.ts): the warm pools measured here are theirs.
  const { applyWitnessCompile, witnessCompileFrom } = await import('../prover/witness-compile.ts');
  const witnessCompile = witnessCompileFrom();
  applyWitnessCompile(witnessCompile);
  log(`witness calculators compiled ${witnessCompile} (ZKAI_WITNESS_COMPILE)`);
  const asked = [...process.argv.slice(2), ...(process.env.ZKAI_BENCH_SECTIONS ?? '').split(',')].map((x) => x.trim()).filter(Boolean);
  const unknown = asked.filter((x) => !(x in SECTIONS));
  if (unknown.length) throw new Error(`unknown bench section(s) ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  const sections = asked.length ? asked : Object.keys(SECTIONS).filter((s) => !OPT_IN.has(s));
  const file = path.join(REPO_ROOT, 'bench', 'results.json');
  const machine = {
    witnessCompile,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  const date = new Date().toISOString();
  let failed = 0;
  for (const name of sections) {
    log(`\n== bench section: ${name}`);
    const started = performance.now();
    let out: Record<string, unknown>;
    try {
      out = await (await SECTIONS[name]!())(log);
    } catch (err) {
      failed++;
      log(`bench section ${name} failed: ${(err as Error)?.stack ?? err}`);
      out = { error: String((err as Error)?.message ?? err) };
    }
    log(`== ${name}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
    // Read again just before writing: another bench run may have written its sections meanwhile (a long section
    // such as dataset-scale runs beside others), and only this section's entry is this run's to replace.
    let results: Record<string, unknown> = {};
    try {
      results = JSON.parse(readFileSync(file, 'utf8'));
    } catch {}
    results.machine = machine;
    results.date = date;
    // The core section's keys stay top-level (as before); the others nest under their name.
    if (name === 'core' && !('error' in out)) Object.assign(results, out);
    else results[name] = { ...out, measuredAt: new Date().toISOString() };
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  }
  console.log(`wrote bench/results.json (${sections.join(', ')})`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
