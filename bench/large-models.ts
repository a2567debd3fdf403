/**
 * `npm run bench -- large-models` (issue 14, item 3): the models whose unrolled circuits could not be proved.
 * - LeNet-5 on 28×28, the committed fixture (circuits/model/fixtures/lenet5_28.onnx: PyTorch's, with AveragePool;
 *   calibrated on digits28_test.csv, proved on its first row; Pedersen weights, hashed input): compile + setup with a
 *   cold circuit and key cache (a fresh circuit name), and apart from it the dev ptau when it had to be made (a
 *   machine's one-time cost, like fetching a ceremony file), each phase's seconds as the compile logs them, warm
 *   proofs, verify, and the witness calculator's largest wasm function (V8 refuses one over 7,654,321 bytes; the
 *   unrolled generator made a 9,207,952-byte one and every proof failed). ZKAI_BENCH_LENET_ONLY=1 skips the MLP.
 * - The 784-256-128-10 MLP with public weights (bench/mlp-model.ts): circom compile (it crashed circom2 with one
 *   784-term constant expression per neuron), constraints, largest function.
 * Both run in a fresh ZKAI_HOME-like cache of their own (a temporary circuit name per run) so compile is cold.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildModelCircuit } from '../circuits/model/codegen.ts';
import { importOnnx } from '../circuits/model/import.ts';
import { quantizeModel } from '../circuits/model/quantize.ts';
import { REPO_ROOT } from '../common/config.ts';
import { compileModel, proveInference, readCalibrationCsv } from '../prover/inference.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources, verifyBundle } from '../prover/verify.ts';
import { writeMlpModel } from './mlp-model.ts';
import { median, timeIt } from './stats.ts';

const RUNS = 3;

export async function benchLargeModels(log: (m: string) => void): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-bench-large-'));
  const out: Record<string, unknown> = {};
  const pool = new ProverPool({ threads: 1 });
  try {
    // LeNet-5, end to end. The circuit name carries the run's time so the compile and setup are cold.
    const fixtures = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
    const csv = path.join(fixtures, 'digits28_test.csv');
    const phases: string[] = [];
    let ptauMs = 0;
    const t0 = performance.now();
    const compiled = await compileModel(path.join(fixtures, 'lenet5_28.onnx'), csv, {
      outDir: path.join(dir, 'lenet-model'),
      name: `lenet5-bench-${Date.now()}`,
      weights: 'private-pedersen',
      log: (m) => {
        log(m);
        // Lines that end with their seconds: circom, ptau, zkey, contribution phases.
        if (/\([\d.]+ ?s\)$|, [\d.]+s\)$/.test(m.trim())) phases.push(m.trim());
        const ptau = /^development ptau 2\^\d+ ready: .*\(([\d.]+)s\)$/.exec(m.trim());
        if (ptau) ptauMs = Number(ptau[1]) * 1000;
      },
    });
    const compileMs = performance.now() - t0;
    const input = (await readCalibrationCsv(csv, 784))[0]!.input;
    await proveInference(pool, compiled, input); // warm: keys and witness calculator loaded
    const prove: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { ms, value: bundle } = await timeIt(() => proveInference(pool, compiled, input));
      prove.push(ms);
      if (!(await verifyBundle(bundle, { expectedVkeyHash: compiled.manifest.vkeyHash })).valid)
        throw new Error('LeNet-5: an invalid proof');
    }
    out.lenet5 = {
      model: 'circuits/model/fixtures/lenet5_28.onnx',
      constraints: compiled.manifest.constraints.total,
      compileAndSetupMs: Math.round(compileMs),
      devPtauMs: Math.round(ptauMs),
      compileAndSetupWithoutPtauMs: Math.round(compileMs - ptauMs),
      phases,
      circomSeconds: compiled.model.circuit.compileSeconds,
      largestWasmFunctionBytes: compiled.model.circuit.largestWasmFunction,
      proveMedianMs: Math.round(median(prove)),
      proveRunsMs: prove.map(Math.round),
    };
    log(`  LeNet-5 28x28: ${JSON.stringify(out.lenet5)}`);

    if (process.env.ZKAI_BENCH_LENET_ONLY === '1') return { ...out, runs: RUNS };
    // The 784-256-128-10 MLP with public weights: compile only (the crash was circom's).
    const mlp = await writeMlpModel(path.join(dir, 'mlp'));
    const ir = importOnnx(mlp.onnx);
    const qm = quantizeModel(
      ir,
      (await readCalibrationCsv(mlp.csv, 784)).map((r) => r.input),
    );
    const { ms, value: built } = await timeIt(() =>
      buildModelCircuit(qm, { name: `mlp784-public-bench-${Date.now()}`, weights: 'public-constants', input: 'private-hashed' }, log),
    );
    out.mlp784PublicWeights = {
      constraints: built.circuit.nConstraints,
      compileMs: Math.round(ms),
      largestWasmFunctionBytes: built.circuit.largestWasmFunction,
    };
    log(`  MLP 784-256-128-10, public weights: ${JSON.stringify(out.mlp784PublicWeights)}`);
  } finally {
    await pool.close();
    await releaseVerifierResources();
    await rm(dir, { recursive: true, force: true });
  }
  return { ...out, runs: RUNS };
}
