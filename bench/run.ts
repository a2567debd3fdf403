/**
 * `npm run bench`: measures zkai against baselines run in the same process tree, on this machine.
 *
 *  - membership proof (depth 20): warm piscina pool vs `snarkjs groth16 fullprove` as a CLI (cold
 *    process per proof, as a user would run it). Median of N runs each; ratio baseline/zkai.
 *  - dataset commitment of 100,000 records (ZKAI_BENCH_RECORDS to change).
 * Writes bench/results.json.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as snarkjs from 'snarkjs';
import { commitDataset, type DatasetRecord, membershipInput } from '../circuits/dataset/index.ts';
import { buildModelCircuit } from '../circuits/model/codegen.ts';
import { importOnnx } from '../circuits/model/import.ts';
import { quantizeModel } from '../circuits/model/quantize.ts';
import { REPO_ROOT } from '../common/config.ts';
import { snarkjsCliPath } from '../common/snarkjs-cli.ts';
import { prepareMembershipCircuit, proveMembership } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import { verifyBundle } from '../prover/verify.ts';
import { median, timeIt } from './stats.ts';

const RUNS = Number(process.env.ZKAI_BENCH_RUNS ?? 7);
const RECORDS = Number(process.env.ZKAI_BENCH_RECORDS ?? 100_000);
const TMP = path.join(REPO_ROOT, 'bench', 'tmp');
const log = (m: string) => process.stderr.write(`${m}\n`);

function syntheticRecords(n: number): DatasetRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `rec-${i}`,
    contributor: `0x${randomBytes(20).toString('hex')}`,
    contentHash: `0x${randomBytes(32).toString('hex')}`,
    weight: BigInt(1 + (i % 1000)),
  }));
}

async function main() {
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  const results: Record<string, unknown> = {
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    date: new Date().toISOString(),
    runs: RUNS,
  };

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
  const first = await timeIt(() => proveMembership(pool, mc, dataset, 'rec-1', 1));
  log(`  warm pool: first proof (loads the circuit) ${first.ms.toFixed(0)} ms`);
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await timeIt(() => proveMembership(pool, mc, dataset, `rec-${(i * 104729) % RECORDS}`, 100 + i));
    warm.push(r.ms);
    log(`  warm pool proof #${i + 1}: ${r.ms.toFixed(0)} ms`);
    if (i === 0 && !(await verifyBundle(r.value)).valid) throw new Error('bench produced an invalid proof');
  }
  await pool.close();

  // Model circuits: constraints per fixture and mode (compile only; cached by content).
  const fixtures = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
  const calibration = readFileSync(path.join(fixtures, 'digits_test.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1, 101)
    .map((l) => l.split(',').slice(0, 64).map(Number));
  const models: Record<string, unknown> = {};
  for (const file of ['mlp_digits.onnx', 'cnn_digits.onnx']) {
    const qm = quantizeModel(importOnnx(path.join(fixtures, file)), calibration);
    for (const [mode, opts] of [
      ['public-weights', { weights: 'public-constants', input: 'public' }],
      ['committed-weights', { weights: 'private-committed', input: 'private-hashed' }],
    ] as const) {
      const built = await buildModelCircuit(qm, { name: `${file.replace('.onnx', '')}-${mode}`, ...opts });
      models[`${file.replace('.onnx', '')}/${mode}`] = {
        constraints: built.circuit.nConstraints,
        perLayer: Object.fromEntries(built.generated.layerCosts.map((l) => [l.layer, l.constraints])),
      };
      log(`  ${file} ${mode}: ${built.circuit.nConstraints} constraints`);
    }
  }
  results.modelCircuits = models;

  const b = median(baseline);
  const w = median(warm);
  const ip = median(inProcess);
  results.membershipProof = {
    baseline: 'snarkjs groth16 fullprove (CLI, fresh process)',
    baselineMedianMs: Math.round(b),
    warmPoolMedianMs: Math.round(w),
    warmPoolFirstProofMs: Math.round(first.ms),
    speedup: +(b / w).toFixed(2),
    inProcessFullProveMedianMs: Math.round(ip),
    speedupVsInProcess: +(ip / w).toFixed(2),
    baselineRunsMs: baseline.map(Math.round),
    inProcessRunsMs: inProcess.map(Math.round),
    warmRunsMs: warm.map(Math.round),
  };
  console.log(`\nmembership proof (depth 20, ${mc.circuit.nConstraints} constraints), median of ${RUNS}:`);
  console.log(`  snarkjs CLI fullprove (fresh process)               ${b.toFixed(0)} ms`);
  console.log(`  snarkjs fullProve (in-process, per-call file reads)   ${ip.toFixed(0)} ms`);
  console.log(
    `  zkai warm pool                                      ${w.toFixed(0)} ms   → ${(b / w).toFixed(2)}× faster than the CLI, ${(ip / w).toFixed(2)}× than in-process`,
  );
  console.log(`dataset commit: ${RECORDS} records in ${(commit.ms / 1000).toFixed(2)} s`);
  writeFileSync(path.join(REPO_ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log('wrote bench/results.json');
  rmSync(TMP, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
