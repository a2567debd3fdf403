/**
 * `npm run bench -- large-models` (issue 14, item 3): the models whose unrolled circuits could not be proved.
 * - LeNet-5 on 28×28 (bench/lenet-model.ts, Pedersen weights, hashed input): compile + setup from a cold cache, warm
 *   proof, verify, and the witness calculator's largest wasm function (V8 refuses one over 7,654,321 bytes; the
 *   unrolled generator made a 9,207,952-byte one and every proof failed).
 * - The 784-256-128-10 MLP with public weights (bench/mlp-model.ts): circom compile (it crashed circom2 with one
 *   784-term constant expression per neuron), constraints, largest function.
 * Both run in a fresh ZKAI_HOME-like cache of their own (a temporary circuit name per run) so compile is cold.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildModelCircuit } from '../circuits/model/codegen.ts';
import { importOnnx } from '../circuits/model/import.ts';
import { quantizeModel } from '../circuits/model/quantize.ts';
import { compileModel, proveInference, readCalibrationCsv } from '../prover/inference.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources, verifyBundle } from '../prover/verify.ts';
import { writeLenetModel } from './lenet-model.ts';
import { writeMlpModel } from './mlp-model.ts';
import { median, timeIt } from './stats.ts';

const RUNS = 3;

export async function benchLargeModels(log: (m: string) => void): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-bench-large-'));
  const out: Record<string, unknown> = {};
  const pool = new ProverPool({ threads: 1 });
  try {
    // LeNet-5, end to end. The circuit name carries the run's time so the compile and setup are cold.
    const lenet = await writeLenetModel(path.join(dir, 'lenet'));
    const t0 = performance.now();
    const compiled = await compileModel(lenet.onnx, lenet.csv, {
      outDir: path.join(dir, 'lenet-model'),
      name: `lenet5-bench-${Date.now()}`,
      weights: 'private-pedersen',
      log,
    });
    const compileMs = performance.now() - t0;
    const input = JSON.parse(await readFile(lenet.input, 'utf8')) as number[];
    await proveInference(pool, compiled, input); // warm: keys and witness calculator loaded
    const prove: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { ms, value: bundle } = await timeIt(() => proveInference(pool, compiled, input));
      prove.push(ms);
      if (!(await verifyBundle(bundle, { expectedVkeyHash: compiled.manifest.vkeyHash })).valid)
        throw new Error('LeNet-5: an invalid proof');
    }
    out.lenet5 = {
      constraints: compiled.manifest.constraints.total,
      compileAndSetupMs: Math.round(compileMs),
      circomSeconds: compiled.model.circuit.compileSeconds,
      largestWasmFunctionBytes: compiled.model.circuit.largestWasmFunction,
      proveMedianMs: Math.round(median(prove)),
      proveRunsMs: prove.map(Math.round),
    };
    log(`  LeNet-5 28x28: ${JSON.stringify(out.lenet5)}`);

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
