/**
 * `npm run bench -- lookups`: model circuits with and without LogUp range checks (`--lookups logup`;
 * docs/lookups.md), on LeNet-5 on 28×28 (`lenet5_28.onnx`, 100 calibration rows):
 *  - constraints, public signals and Groth16 domain for each weights mode (the generator's counts, which every compile
 *    checks against circom's): the issue-17 target is at least 2× fewer constraints;
 *  - end to end with Pedersen weights (the default) through the real pipeline, once without and once with lookups:
 *    compile + setup, then the warm proof on the pool (two witness passes and D with lookups) and every bundle verified.
 *    ZKAI_BENCH_LOOKUPS_PROVE=0 skips this part (minutes of compile and setup each).
 * Run alone: node --import tsx bench/model-lookups.ts (prints the JSON).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateCircom } from '../circuits/model/codegen.ts';
import { importOnnx } from '../circuits/model/import.ts';
import { quantizeModel } from '../circuits/model/quantize.ts';
import { REPO_ROOT } from '../common/config.ts';
import { compileModel, proveInference, readCalibrationCsv } from '../prover/inference.ts';
import { ProverPool } from '../prover/pool.ts';
import { verifyBundle } from '../prover/verify.ts';
import { median, timeIt } from './stats.ts';

const RUNS = Number(process.env.ZKAI_BENCH_RUNS ?? 5);
const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const ONNX = path.join(FIXTURES, 'lenet5_28.onnx');
const CSV = path.join(FIXTURES, 'digits28_test.csv');
const domain = (rows: number) => 2 ** Math.ceil(Math.log2(rows));

export async function benchModelLookups(log: (m: string) => void): Promise<Record<string, unknown>> {
  const ir = importOnnx(ONNX);
  const rows = (await readCalibrationCsv(CSV, 784)).slice(0, 100);
  const qm = quantizeModel(
    ir,
    rows.map((r) => r.input),
  );
  const counts: Record<string, unknown> = {};
  for (const weights of ['public-constants', 'private-pedersen', 'private-committed'] as const) {
    const row = (lookups: 'off' | 'logup') => {
      const g = generateCircom(qm, { name: 'bench-lookups', weights, input: 'private-hashed', lookups });
      return {
        constraints: g.totalConstraints,
        publicSignals: g.publicSignals.length,
        domain: domain(g.totalConstraints + g.publicSignals.length + 1),
      };
    };
    const off = row('off');
    const on = row('logup');
    counts[weights] = { bitDecomposition: off, logup: on, constraintRatio: +(off.constraints / on.constraints).toFixed(2) };
    log(`  LeNet-5 ${weights}: ${off.constraints} → ${on.constraints} constraints (domain ${off.domain} → ${on.domain})`);
  }
  const out: Record<string, unknown> = { model: 'circuits/model/fixtures/lenet5_28.onnx', calibrationRows: 100, counts };
  if (process.env.ZKAI_BENCH_LOOKUPS_PROVE === '0') return out;

  const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-bench-lookups-'));
  const pool = new ProverPool({ threads: 1 });
  try {
    const input = rows[0]!.input;
    const proved: Record<string, unknown> = {};
    for (const lookups of ['off', 'logup'] as const) {
      const t0 = performance.now();
      const compiled = await compileModel(ONNX, CSV, {
        outDir: path.join(dir, lookups),
        name: `lenet5-lookups-${lookups}`,
        weights: 'private-pedersen',
        lookups,
        log,
      });
      const compileMs = performance.now() - t0;
      await proveInference(pool, compiled, input); // warm: keys and witness calculator loaded
      const ms: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const { ms: t, value: bundle } = await timeIt(() => proveInference(pool, compiled, input));
        if (!(await verifyBundle(bundle, { expectedVkeyHash: compiled.manifest.vkeyHash })).valid)
          throw new Error(`LeNet-5 (lookups ${lookups}): an invalid proof`);
        ms.push(t);
      }
      proved[lookups] = {
        constraints: compiled.manifest.constraints.total,
        compileAndSetupMs: Math.round(compileMs),
        proveMedianMs: Math.round(median(ms)),
        proveRunsMs: ms.map(Math.round),
      };
      log(`  LeNet-5 Pedersen, lookups ${lookups}: ${JSON.stringify(proved[lookups])}`);
    }
    return { ...out, pedersenEndToEnd: proved, runs: RUNS };
  } finally {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchModelLookups((m) => process.stderr.write(`${m}\n`)), null, 2));
}
