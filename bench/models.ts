/**
 * `npm run bench -- models`: model circuits per fixture and weights mode (constraints, per layer), and for the
 * issue's 64-32-16-10 MLP the whole compile → prove → verify path with Pedersen- against Poseidon-committed weights
 * (the same quantized model, inputs and warm pool; medians); then every issue-14 fixture and the largest model
 * proved here, cold, one process each (bench/model-fixtures.ts).
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WeightsMode } from '../circuits/model/codegen.ts';
import { buildModelCircuit } from '../circuits/model/codegen.ts';
import { weightElements } from '../circuits/model/commit.ts';
import { importOnnx } from '../circuits/model/import.ts';
import { quantizeModel } from '../circuits/model/quantize.ts';
import { REPO_ROOT } from '../common/config.ts';
import { commitPublicInputs, randomScalar } from '../prover/commitment.ts';
import { compileModel, proveInference } from '../prover/inference.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources, verifyBundle } from '../prover/verify.ts';
import { benchModelFixtures } from './model-fixtures.ts';
import { median, timeIt } from './stats.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const RUNS = 5;
const MODES: [string, WeightsMode, 'public' | 'private-hashed'][] = [
  ['public-weights', 'public-constants', 'public'],
  ['poseidon-weights', 'private-committed', 'private-hashed'],
  ['pedersen-weights', 'private-pedersen', 'private-hashed'],
];

export async function benchModels(log: (m: string) => void): Promise<Record<string, unknown>> {
  const rows = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number));
  const calibration = rows.slice(0, 100).map((r) => r.slice(0, 64));

  // Constraints per fixture and mode (compile only; cached by content).
  const circuits: Record<string, unknown> = {};
  for (const file of ['mlp_digits.onnx', 'mlp3_digits.onnx', 'cnn_digits.onnx']) {
    const qm = quantizeModel(importOnnx(path.join(FIXTURES, file)), calibration);
    const base = file.replace('.onnx', '');
    for (const [mode, weights, input] of MODES) {
      const built = await buildModelCircuit(qm, { name: `${base}-${mode}`.replace(/_/g, '-'), weights, input });
      circuits[`${base}/${mode}`] = {
        constraints: built.circuit.nConstraints,
        publicSignals: built.circuit.nPublic,
        perLayer: Object.fromEntries(built.generated.layerCosts.map((l) => [l.layer, l.constraints])),
      };
      log(`  ${base} ${mode}: ${built.circuit.nConstraints} constraints, ${built.circuit.nPublic} public signals`);
    }
  }

  // The 64-32-16-10 MLP end to end in both committed modes.
  const inputs = rows.slice(100, 100 + RUNS).map((r) => r.slice(0, 64));
  const pool = new ProverPool({ threads: 1 });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-bench-models-'));
  const paths: Record<string, unknown> = {};
  try {
    for (const [mode, weights] of MODES.slice(1)) {
      const t0 = performance.now();
      const compiled = await compileModel(path.join(FIXTURES, 'mlp3_digits.onnx'), path.join(FIXTURES, 'digits_test.csv'), {
        outDir: path.join(dir, mode),
        name: `mlp3-digits-bench-${mode}`,
        weights,
      });
      const compileMs = performance.now() - t0;
      await proveInference(pool, compiled, inputs[0]!); // warm the worker (keys loaded)
      const prove: number[] = [];
      const verify: number[] = [];
      let bytes = 0;
      for (const input of inputs) {
        const { ms, value: bundle } = await timeIt(() => proveInference(pool, compiled, input));
        prove.push(ms);
        const v = await timeIt(() => verifyBundle(bundle, { expectedVkeyHash: compiled.manifest.vkeyHash }));
        if (!v.value.valid) throw new Error(`${mode}: an invalid proof`);
        verify.push(v.ms);
        bytes = JSON.stringify(bundle).length;
      }
      const commitMs = compiled.pedersen
        ? median(
            await Promise.all(
              [0, 1, 2].map(
                async () =>
                  (
                    await timeIt(
                      async () => await commitPublicInputs(compiled.pedersen!.key, [...weightElements(compiled.qm), randomScalar()]),
                    )
                  ).ms,
              ),
            ),
          )
        : undefined;
      paths[mode] = {
        constraints: compiled.manifest.constraints.total,
        compileAndSetupMs: Math.round(compileMs),
        proveMedianMs: Math.round(median(prove)),
        verifyMedianMs: Math.round(median(verify)),
        bundleBytes: bytes,
        ...(commitMs === undefined ? {} : { commitmentMs: Math.round(commitMs) }),
        proveRunsMs: prove.map(Math.round),
      };
      log(
        `  mlp3 ${mode}: ${compiled.manifest.constraints.total} constraints, compile+setup ${(compileMs / 1000).toFixed(1)} s, ` +
          `prove ${median(prove).toFixed(0)} ms, verify ${median(verify).toFixed(0)} ms (medians of ${RUNS})` +
          (commitMs === undefined ? '' : `, commitment W + K ${commitMs.toFixed(0)} ms`),
      );
    }
  } finally {
    await pool.close();
    await releaseVerifierResources();
    await rm(dir, { recursive: true, force: true });
  }
  // Issue 14's table: every fixture and the largest model, each cold and in a process of its own.
  const issue14 = await benchModelFixtures(log);
  return { circuits, mlp3: paths, runs: RUNS, issue14 };
}
