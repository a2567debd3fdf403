/**
 * `zkai setup contribute` without ZKAI_DB (the embedded store): the models compiled on the circuit in this data
 * directory move to the new keys with it (contribute-models.ts). Their model.json names the new statement key and,
 * with Pedersen weights, the new proof of knowledge K (W unchanged); the node proves them under the new key, which
 * alone is trusted; a job accepted under the old manifest is refused at its start (MODEL_KEYS_CHANGED), even by a
 * node that still holds the old model loaded. The same rule publishes a contribution with PostgreSQL (pg-contribute.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cacheDir, REPO_ROOT } from '../common/config.ts';
import { isZkaiError } from '../common/errors.ts';
import type { ModelManifest } from '../prover/inference.ts';
import { knownVkeyHashes } from '../prover/setup/known-keys.ts';
import { releaseVerifierResources, verifyBundle } from '../prover/verify.ts';
import { LocalModelFiles } from './model-files.ts';
import { manifestHash } from './model-jobs.ts';
import { modelPaths } from './models.ts';
import { compileFixtureModel, inferenceJob, withInferenceHandler } from './test-models.ts';

const BIN = path.join(REPO_ROOT, 'cli', 'bin.js');
const ID = '00000000-0000-4000-8000-0000000000d1';

describe('zkai setup contribute without ZKAI_DB moves the models compiled on the circuit to the new keys', () => {
  // The CLI's own models folder (ZKAI_HOME's), where the service keeps uploaded models.
  const modelsDir = cacheDir('models');
  let compiled: ModelManifest;

  before(async () => {
    // Its own name: a circuit (and setup) of this test alone, so contributing to it changes no other test's keys.
    compiled = await compileFixtureModel(modelsDir, ID, { name: 'mlp-contrib-local', weights: 'private-pedersen' });
  });

  after(async () => {
    await rm(modelPaths(modelsDir, ID).dir, { recursive: true, force: true });
    if (compiled) await rm(cacheDir('circuits', compiled.circuitId), { recursive: true, force: true });
    await releaseVerifierResources();
  });

  it('the manifest names the new key, the model proves under it, and a job accepted under the old one is refused', async () => {
    const oldJob = inferenceJob(ID, manifestHash(compiled));
    // One handler throughout: a node that loaded and proved the model before the contribution.
    await withInferenceHandler({ modelsDir }, async (run) => {
      const oldBundle = await run(oldJob);
      assert.equal((await verifyBundle(oldBundle, { expectedVkeyHash: compiled.vkeyHash })).valid, true);

      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.ZKAI_DB;
      const cli = spawnSync(process.execPath, [BIN, 'setup', 'contribute', compiled.circuitId, '--name', 'local', '--entropy', 'x'], {
        encoding: 'utf8',
        env,
      });
      assert.equal(cli.status, 0, cli.stderr);

      const now = JSON.parse(await readFile(path.join(modelPaths(modelsDir, ID).compiled, 'model.json'), 'utf8')) as ModelManifest;
      assert.notEqual(now.vkeyHash, compiled.vkeyHash, 'model.json names the new statement key');
      assert.deepEqual(JSON.parse(cli.stdout).modelsOfRecord, [{ id: ID, vkeyHash: now.vkeyHash }]);
      assert.equal(now.weightCommitment, compiled.weightCommitment, 'W does not change with κ');
      assert.notDeepEqual(now.commitment, compiled.commitment, 'its proof of knowledge K = κ·W does');
      const trusted = await knownVkeyHashes(compiled.circuitId);
      assert.ok(trusted.includes(now.vkeyHash) && !trusted.includes(compiled.vkeyHash), 'only the new key is trusted');
      assert.deepEqual(await new LocalModelFiles(modelsDir).manifestOfRecord(ID), now, 'what the model routes show and jobs name');

      await assert.rejects(
        run(oldJob),
        (err: unknown) => isZkaiError(err) && err.code === 'MODEL_KEYS_CHANGED',
        'not proved under the superseded key',
      );
      const bundle = await run(inferenceJob(ID, manifestHash(now)));
      assert.equal((await verifyBundle(bundle, { expectedVkeyHash: now.vkeyHash })).valid, true, 'proved under the new keys');
      assert.equal((await verifyBundle(oldBundle, { expectedVkeyHash: now.vkeyHash })).valid, false);
    });
  });
});
