/**
 * Model files kept in PostgreSQL (pg-model-files.ts): what API node A took and compiled is made again, checked, in
 * node B's own data directory (its models folder and its circuit cache, both empty: no shared folder), and proves
 * there under the manifest's key; a compile job on another node compiles the upload A took. A changed blob is refused (ARTIFACT_MISMATCH) and nothing of it is published; a
 * later compile of the same upload is replaced by the first one kept; a row naming a path outside the data folders is
 * refused before anything is written.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { cacheDir, REPO_ROOT } from '../common/config.ts';
import { isZkaiError } from '../common/errors.ts';
import type { ModelManifest } from '../prover/inference.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources, verifyBundle } from '../prover/verify.ts';
import { requireOrSkip } from '../test/require-dep.ts';
import { inferenceJobHandler, modelCompileJobHandler } from './model-jobs.ts';
import { modelPaths } from './models.ts';
import { BLOBS_DDL } from './pg-blobs.ts';
import { MODEL_FILES_DDL, type SharedModelFiles, sharedModelFiles } from './pg-model-files.ts';
import { connectPg } from './pg-pool.ts';
import { hasPostgres, startTestPostgres, type TestPostgres } from './queue/test-postgres.ts';
import { compileFixtureModel } from './test-models.ts';
import { asNodeAt, compiledRecord } from './test-nodes.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const ID = '00000000-0000-4000-8000-0000000000b1';
const INPUT = Array.from({ length: 64 }, (_, i) => i % 13);
const refused = (code: string, what?: RegExp) => (err: unknown) =>
  isZkaiError(err) && err.code === code && (!what || what.test(err.message));

describe('model files in PostgreSQL: no folder shared between API nodes', {
  skip: requireOrSkip(hasPostgres(), 'PostgreSQL (initdb, pg_ctl)'),
}, () => {
  let db: TestPostgres;
  let pool: pg.Pool;
  let tmp: string;
  let nodeA: SharedModelFiles;
  let manifest: ModelManifest;
  const homeBefore = process.env.ZKAI_HOME;

  /** Another API node: its own data directory (models folder and circuit cache), which the circuit code resolves too. */
  const asNode = <T>(name: string, work: (files: SharedModelFiles, home: string) => Promise<T>) =>
    asNodeAt(pool, path.join(tmp, name), work);
  const compiledRow = () => compiledRecord(pool, ID);

  before(async () => {
    db = await startTestPostgres();
    pool = await connectPg(db.url, 'model files', `${BLOBS_DDL};\n${MODEL_FILES_DDL}`);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-model-files-'));
    // Node A: its models folder here, its circuits in the test cache (where compileModel puts them).
    const modelsA = path.join(tmp, 'a', 'models');
    nodeA = sharedModelFiles(pool, { models: modelsA, circuits: cacheDir('circuits') });
    manifest = await compileFixtureModel(modelsA, ID, { name: 'mlp-digits', weights: 'private-pedersen' });
  });

  after(async () => {
    process.env.ZKAI_HOME = homeBefore;
    await pool?.end();
    await db?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  it('an upload kept by A is made again in B’s models folder; one kept by nobody is UNKNOWN_MODEL', async () => {
    await nodeA.keepUpload(ID);
    await nodeA.keepUpload(ID); // idempotent: the row and the blobs stay as they are
    await asNode('b-upload', async (b, home) => {
      await b.fetchUpload(ID);
      const p = modelPaths(path.join(home, 'models'), ID);
      assert.deepEqual(await readFile(p.onnx), await readFile(path.join(FIXTURES, 'mlp_digits.onnx')));
      assert.deepEqual(await readFile(p.calibration), await readFile(path.join(FIXTURES, 'digits_test.csv')));
      await assert.rejects(b.fetchUpload('00000000-0000-4000-8000-0000000000ff'), refused('UNKNOWN_MODEL'));
    });
  });

  it('a model compiled on A is made again in an empty data directory, and proves there under its manifest’s key', async () => {
    assert.deepEqual(await nodeA.keepCompiled(ID), manifest);
    const kept = await compiledRow();
    assert.ok(
      kept.files.some((f) => f.path.endsWith('/opening.json')),
      'the blind is kept',
    );
    assert.ok(kept.files.some((f) => f.path.endsWith('/circuit.zkey')) && kept.files.some((f) => f.path.endsWith('/commitkey.json')));
    await asNode('b', async (b, home) => {
      const prover = new ProverPool({ threads: 1 });
      try {
        const handler = inferenceJobHandler({ pool: prover, modelsDir: path.join(home, 'models'), fetchModel: (id) => b.loadCompiled(id) });
        const job = { id: 'j1', kind: 'inference', request: { modelId: ID, input: INPUT } } as unknown as Parameters<typeof handler>[0];
        const bundle = await handler(job);
        const report = await verifyBundle(bundle, { expectedVkeyHash: manifest.vkeyHash });
        assert.equal(report.valid, true, JSON.stringify(report));
      } finally {
        await prover.close();
      }
      // Everything came from the store of record into B's own folders, in the setup folder A proves with.
      const setupName = path.posix.basename(kept.setupDir);
      assert.ok(existsSync(path.join(home, 'circuits', manifest.circuitId, setupName, 'circuit.zkey')));
      assert.deepEqual((await readdir(modelPaths(path.join(home, 'models'), ID).compiled)).sort(), [
        'model.json',
        'opening.json',
        'quantized.json',
      ]);
    });
  });

  it('answers the manifest of record, and the statement key by circuit (for /v1/verify), on any node', async () => {
    assert.deepEqual(await nodeA.vkeyHashes(manifest.circuitId), [manifest.vkeyHash]);
    assert.deepEqual(await nodeA.vkeyHashes('model-other-000000000000'), []);
    await asNode('g', async (g) => {
      assert.deepEqual(await g.manifestOfRecord(ID), manifest);
      assert.equal(await g.manifestOfRecord('00000000-0000-4000-8000-0000000000ff'), undefined);
    });
  });

  it('a later compile of the same upload is replaced by the first one kept', async () => {
    await asNode('c', async (c, home) => {
      const dir = modelPaths(path.join(home, 'models'), ID).compiled;
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'model.json'), JSON.stringify({ ...manifest, weightCommitment: 'another compile' }));
      assert.deepEqual(await c.keepCompiled(ID), manifest);
      assert.deepEqual(JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')), manifest);
      assert.equal((await compiledRow()).manifest.weightCommitment, manifest.weightCommitment);
    });
  });

  it('a compile job on another node compiles the upload A kept, and the first compile kept stays the model', async () => {
    await asNode('f', async (f, home) => {
      const modelsDir = path.join(home, 'models');
      const handler = modelCompileJobHandler({ modelsDir, files: f });
      const request = { modelId: ID, name: 'mlp-digits', weights: 'private-pedersen', input: 'private-hashed' };
      const job = { id: 'c1', kind: 'model-compile', request } as unknown as Parameters<typeof handler>[0];
      // Its own compile has another blind: the manifest of record is still A's, and so is the folder here.
      assert.deepEqual(await handler(job), manifest);
      const p = modelPaths(modelsDir, ID);
      assert.deepEqual(await readFile(p.onnx), await readFile(path.join(FIXTURES, 'mlp_digits.onnx')), 'the upload came from PostgreSQL');
      assert.deepEqual(JSON.parse(await readFile(path.join(p.compiled, 'model.json'), 'utf8')), manifest);
    });
  });

  it('a changed blob is ARTIFACT_MISMATCH, and nothing of the model is published', async () => {
    const quantized = (await compiledRow()).files.find((f) => f.path.endsWith('/quantized.json'))!;
    const flip = () =>
      pool.query('UPDATE zkai_blob_chunks SET bytes = set_byte(bytes, 7, get_byte(bytes, 7) # 1) WHERE sha256 = $1 AND chunk = 0', [
        quantized.sha256,
      ]);
    await flip();
    try {
      await asNode('d', async (d, home) => {
        await assert.rejects(d.loadCompiled(ID), refused('ARTIFACT_MISMATCH', /hashes to/));
        const dir = modelPaths(path.join(home, 'models'), ID).compiled;
        const left = existsSync(dir) ? await readdir(dir) : [];
        assert.ok(!left.includes('model.json') && !left.includes('quantized.json'), `published: ${left.join(', ')}`);
        assert.deepEqual(
          left.filter((n) => n.endsWith('.tmp')),
          [],
          'no temporary file left',
        );
      });
    } finally {
      await flip();
    }
  });

  it('a row naming a path outside the data folders is refused before anything is written', async () => {
    const id = '00000000-0000-4000-8000-0000000000b2';
    const files = [{ path: 'models/../../escaped.txt', sha256: 'ab'.repeat(32), size: 1 }];
    await pool.query("INSERT INTO zkai_model_files (model_id, stage, record) VALUES ($1, 'upload', $2)", [id, JSON.stringify({ files })]);
    await asNode('e', async (e, home) => {
      await assert.rejects(e.fetchUpload(id), refused('ARTIFACT_MISMATCH', /outside the data folders/));
      assert.equal(existsSync(path.join(home, 'escaped.txt')), false);
      assert.equal(existsSync(path.join(tmp, 'escaped.txt')), false);
    });
  });
});
