/**
 * Tests' helpers for uploaded models (not a test itself): the fixture MLP compiled into a models folder as the service
 * lays it out, and one inference job run on it as a node runs it. Shared by the contribution tests
 * (pg-contribute.test.ts, contribute-models.test.ts) and pg-model-files.test.ts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '../common/config.ts';
import { type CompileModelOptions, compileModel, type ModelManifest } from '../prover/inference.ts';
import { ProverPool } from '../prover/pool.ts';
import type { Job } from './jobs.ts';
import { type InferenceJobDeps, inferenceJobHandler } from './model-jobs.ts';
import { modelPaths } from './models.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');

/** An input of the fixture MLP (8×8 digits). */
export const FIXTURE_INPUT = Array.from({ length: 64 }, (_, i) => i % 7);

/**
 * The fixture MLP uploaded as model `id` under `modelsDir` and compiled there. `opts.name`: a circuit of the test's own
 * (a contribution changes its setup, which no other test should see).
 */
export async function compileFixtureModel(
  modelsDir: string,
  id: string,
  opts: Pick<CompileModelOptions, 'weights' | 'lookups'> & { name: string },
): Promise<ModelManifest> {
  const p = modelPaths(modelsDir, id);
  await mkdir(path.dirname(p.onnx), { recursive: true });
  await writeFile(p.onnx, await readFile(path.join(FIXTURES, 'mlp_digits.onnx')));
  await writeFile(p.calibration, await readFile(path.join(FIXTURES, 'digits_test.csv')));
  return (await compileModel(p.onnx, p.calibration, { outDir: p.compiled, ...opts })).manifest;
}

/** An inference job for `modelId` (FIXTURE_INPUT), naming `manifestSha256` when given, as the API node accepts it. */
export function inferenceJob(modelId: string, manifestSha256?: string): Job {
  const request = { modelId, input: FIXTURE_INPUT, ...(manifestSha256 ? { manifestSha256 } : {}) };
  return { id: 'j', kind: 'inference', request } as unknown as Job;
}

/**
 * Run inference jobs with one handler (its loaded models kept between jobs, as a node's are) on a pool of one thread,
 * closed when `work` is done.
 */
export async function withInferenceHandler<T>(
  deps: Omit<InferenceJobDeps, 'pool'>,
  work: (run: (job: Job) => Promise<Record<string, unknown>>) => Promise<T>,
): Promise<T> {
  const pool = new ProverPool({ threads: 1 });
  try {
    const handler = inferenceJobHandler({ ...deps, pool });
    return await work((job) => handler(job) as Promise<Record<string, unknown>>);
  } finally {
    await pool.close();
  }
}
