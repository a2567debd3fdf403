/**
 * Model compile attempts (jobs/model-jobs.ts): two attempts of one compile can run at once (a node lost the queue's
 * lock, and another attempt took the job over while the first went on). The blind is random, so the two compiles
 * differ; the manifest recorded must be the one of the folder left in place, whichever attempt's outcome is recorded.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../common/config.ts';
import { loadCompiledModel } from '../prover/inference.ts';
import type { ProgressUpdate } from '../prover/progress.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import type { Job } from './jobs.ts';
import { compileProgressOf, modelCompileJobHandler, removeAttemptFolders } from './model-jobs.ts';
import { modelPaths } from './models.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const ID = '00000000-0000-4000-8000-0000000000c1';

describe('model compile attempts', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  it('two attempts at once: the first to finish wins, both answer with the manifest in place, no attempt folder is left', async () => {
    const modelsDir = await mkdtemp(path.join(os.tmpdir(), 'zkai-compile-attempts-'));
    dirs.push(modelsDir);
    const p = modelPaths(modelsDir, ID);
    await mkdir(path.dirname(p.onnx), { recursive: true });
    await copyFile(path.join(FIXTURES, 'mlp_digits.onnx'), p.onnx);
    await copyFile(path.join(FIXTURES, 'digits_test.csv'), p.calibration);
    const handler = modelCompileJobHandler({ modelsDir });
    const job = {
      id: 'c1',
      kind: 'model-compile',
      request: { modelId: ID, name: 'mlp-digits', weights: 'private-pedersen', input: 'private-hashed' },
    } as unknown as Job;
    // One attempt's progress as its runner hears it: from the compile's child process, then the handler's own end.
    const heard: ProgressUpdate[] = [];
    const [a, b] = await Promise.all([handler(job, { progress: (u) => heard.push(u) }), handler(job)]);
    const phases = heard.map((u) => u.phase).filter((ph, i, all) => ph !== all[i - 1]);
    assert.deepEqual(phases, ['import', 'quantize', 'circuit', 'setup', 'commitment', 'store'], JSON.stringify(heard));
    assert.ok(
      heard.every((u, i) => i === 0 || u.percent! >= heard[i - 1]!.percent!),
      JSON.stringify(heard),
    );
    assert.deepEqual(heard.at(-1), { phase: 'store', percent: 100 });
    const inPlace = JSON.parse(await readFile(path.join(p.compiled, 'model.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(a, inPlace);
    assert.deepEqual(b, inPlace);
    assert.deepEqual((await readdir(p.dir)).sort(), ['compiled', 'upload']);
    // The folder in place opens the commitment its manifest names (its blind is the one that made it).
    const loaded = await loadCompiledModel(p.compiled);
    assert.equal(loaded.manifest.weightCommitment, inPlace.weightCommitment);
  });

  it("a compile child's progress passes only as prover/progress.ts's phases and steps with a percent", () => {
    assert.deepEqual(compileProgressOf({ phase: 'setup', step: 'contribution', percent: 80 }), {
      phase: 'setup',
      step: 'contribution',
      percent: 80,
    });
    assert.deepEqual(compileProgressOf({ phase: 'circuit', percent: 5 }), { phase: 'circuit', percent: 5 });
    for (const bad of [
      undefined,
      'setup',
      { phase: 'circom', percent: 5 }, // not a phase of the set
      { phase: 'setup', step: 'L section', percent: 80 }, // free text from a log is no step
      { phase: 'setup', step: 'zkey' }, // no percent
      { phase: 'setup', percent: 101 },
      { phase: 'setup', percent: Number.NaN },
    ])
      assert.equal(compileProgressOf(bad), undefined, JSON.stringify(bad));
  });

  it('at start, only the folders of attempts are removed', async () => {
    const modelsDir = await mkdtemp(path.join(os.tmpdir(), 'zkai-compile-stale-'));
    dirs.push(modelsDir);
    const dir = path.join(modelsDir, ID);
    for (const name of ['compiled', 'upload', 'compiled.attempt-0b1c2d3e-4f50-4617-8899-aabbccddeeff', 'compiled.attempt-x'])
      await mkdir(path.join(dir, name), { recursive: true });
    await removeAttemptFolders(modelsDir);
    assert.deepEqual((await readdir(dir)).sort(), ['compiled', 'compiled.attempt-x', 'upload']);
    await removeAttemptFolders(path.join(modelsDir, 'none')); // no models folder: nothing to do
  });
});
