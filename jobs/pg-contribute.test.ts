/**
 * A setup contribution to a model circuit of record (pg-contribute.ts) with the model files in PostgreSQL: node A
 * contributes after the compile; node B, which had loaded and proved with the old keys, follows at its next load (its
 * stale files replaced by sha256) and proves under the new statement key, which is the only one of record; a bundle of
 * the old key no longer verifies against the model's key. A contribution built on a base another node moved on from
 * is refused (SETUP_STALE) and leaves that node with the keys of record; a model only a node's folder held (compiled
 * before the store kept model files) is backfilled, once, and then made by another node from the store. A LogUp model's
 * lookup key is re-randomised and published with the rest.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { cacheDir } from '../common/config.ts';
import { isZkaiError } from '../common/errors.ts';
import { sha256File } from '../common/hash.ts';
import type { ModelManifest } from '../prover/inference.ts';
import { releaseVerifierResources, verifyBundle } from '../prover/verify.ts';
import { requireOrSkip } from '../test/require-dep.ts';
import { localPath } from './model-files.ts';
import { modelPaths } from './models.ts';
import { BLOBS_DDL } from './pg-blobs.ts';
import { contributeOfRecord } from './pg-contribute.ts';
import { type CompiledRecord, MODEL_FILES_DDL, type SharedModelFiles, sharedModelFiles } from './pg-model-files.ts';
import { MODELS_DDL } from './pg-models.ts';
import { connectPg } from './pg-pool.ts';
import { hasPostgres, startTestPostgres, type TestPostgres } from './queue/test-postgres.ts';
import { compileFixtureModel, inferenceJob, withInferenceHandler } from './test-models.ts';
import { asNodeAt, compiledRecord, withHome } from './test-nodes.ts';

const ID = '00000000-0000-4000-8000-0000000000c1';
const OLD = '00000000-0000-4000-8000-0000000000c2';
const LOGUP = '00000000-0000-4000-8000-0000000000c4';
const OTHER_KEYS = '00000000-0000-4000-8000-0000000000c5';

describe('a setup contribution to a model circuit of record reaches every node', {
  skip: requireOrSkip(hasPostgres(), 'PostgreSQL (initdb, pg_ctl)'),
}, () => {
  let db: TestPostgres;
  let pool: pg.Pool;
  let tmp: string;
  let nodeA: SharedModelFiles;
  let compiled: ModelManifest;
  let logupCircuit = '';
  const homeBefore = process.env.ZKAI_HOME;

  /** Another node: its own data directory, which the circuit code resolves too. */
  const asNode = <T>(name: string, work: (files: SharedModelFiles, home: string) => Promise<T>) =>
    asNodeAt(pool, path.join(tmp, name), work);
  /** Node A: the test's own data directory (where compileModel put the circuit). */
  const asA = <T>(work: () => Promise<T>) => withHome(homeBefore, work);
  const row = (id = ID) => compiledRecord(pool, id);

  /** Prove one inference with `files`' copy of the model; the bundle. */
  function prove(files: SharedModelFiles, home: string, id = ID): Promise<Record<string, unknown>> {
    return withInferenceHandler({ modelsDir: path.join(home, 'models'), fetchModel: (x) => files.loadCompiled(x) }, (run) =>
      run(inferenceJob(id)),
    );
  }

  before(async () => {
    db = await startTestPostgres();
    pool = await connectPg(db.url, 'model files', `${BLOBS_DDL};\n${MODEL_FILES_DDL};\n${MODELS_DDL}`);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-contribute-'));
    nodeA = sharedModelFiles(pool, { models: path.join(tmp, 'a', 'models'), circuits: cacheDir('circuits') });
    // Its own name: a circuit (and setup) of this test alone, so contributing to it changes no other test's keys.
    compiled = await compileFixtureModel(path.join(tmp, 'a', 'models'), ID, { name: 'mlp-contrib', weights: 'private-pedersen' });
    await nodeA.keepUpload(ID);
    await nodeA.keepCompiled(ID);
  });

  after(async () => {
    process.env.ZKAI_HOME = homeBefore;
    await pool?.end();
    await db?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    // This test's circuit, contributed to several times: not kept in the test cache for the next run.
    for (const id of [compiled?.circuitId, logupCircuit].filter(Boolean))
      await rm(cacheDir('circuits', id!), { recursive: true, force: true });
    await releaseVerifierResources();
  });

  it('A contributes after the compile; B, which proved with the old keys, proves under the new ones only', async () => {
    const oldBundle = await asNode('b', (b, home) => prove(b, home));
    assert.equal((await verifyBundle(oldBundle, { expectedVkeyHash: compiled.vkeyHash })).valid, true);

    const base = await row();
    const published = await asA(() =>
      contributeOfRecord(nodeA, compiled.circuitId, { name: 'node A', entropy: 'a', blobGraceMs: 3_600_000 }),
    );
    assert.ok(published);
    const moved = await row();
    // Collected once published: the superseded keys found unreferenced (kept through the grace), no file of a row marked.
    const marks = new Map(
      (await pool.query<{ sha256: string; at: Date | null }>('SELECT sha256, unreferenced_since AS at FROM zkai_blobs')).rows.map((r) => [
        r.sha256,
        r.at,
      ]),
    );
    const oldZkey = base.files.find((f) => f.path.endsWith('.zkey'))!;
    assert.ok(marks.get(oldZkey.sha256), 'the old zkey is found unreferenced, and not deleted within the grace');
    const upload = JSON.parse(
      (await pool.query<{ record: string }>("SELECT record FROM zkai_model_files WHERE model_id = $1 AND stage = 'upload'", [ID])).rows[0]!
        .record,
    ) as { files: { path: string; sha256: string }[] };
    for (const f of [...moved.files, ...upload.files]) assert.strictEqual(marks.get(f.sha256), null, `${f.path} is referenced`);
    const newHash = moved.manifest.vkeyHash as string;
    assert.notEqual(newHash, compiled.vkeyHash, 'the statement key changed');
    assert.deepEqual(published.models, [{ id: ID, vkeyHash: newHash }]);
    assert.equal(moved.manifest.weightCommitment, compiled.weightCommitment, 'W does not change with κ');
    assert.deepEqual(await nodeA.vkeyHashes(compiled.circuitId), [newHash], 'only the new key is of record');
    const meta = moved.files.find((f) => f.path.endsWith('/setup.json'))!;
    const chain = JSON.parse(await readFile(localPath({ models: '', circuits: cacheDir('circuits') }, meta.path), 'utf8')) as {
      contributions: { name: string }[];
    };
    assert.equal(chain.contributions.at(-1)?.name, 'node A');
    assert.equal(chain.contributions.length, published.contribution.contributions.length);

    const bundle = await asNode('b', async (b, home) => {
      const loaded = await b.loadCompiled(ID);
      assert.equal(loaded.manifest.vkeyHash, newHash, "B's copy followed the store of record");
      // Every file B holds is the one of record now (the stale setup.json, commitment key and manifest were replaced).
      for (const f of moved.files)
        assert.equal(
          await sha256File(localPath({ models: path.join(home, 'models'), circuits: path.join(home, 'circuits') }, f.path)),
          f.sha256,
          f.path,
        );
      return prove(b, home);
    });
    assert.equal((await verifyBundle(bundle, { expectedVkeyHash: newHash })).valid, true, 'proved under the new keys');
    const old = await verifyBundle(oldBundle, { expectedVkeyHash: newHash });
    assert.equal(old.valid, false, "the old key's bundle does not verify against the model's key of record");
  });

  it('a contribution on a base another node moved on from is refused, and leaves that node with the keys of record', async () => {
    const base = await row();
    let winner: CompiledRecord | undefined;
    const refused = await asNode('c', async (c, home) => {
      await assert.rejects(
        contributeOfRecord(c, compiled.circuitId, {
          name: 'node C',
          entropy: 'c',
          // A's contribution lands while C's is being made: C built on `base`, which is no longer the current one.
          beforePublish: async () => {
            await asA(() => contributeOfRecord(nodeA, compiled.circuitId, { name: 'node A again' }));
            winner = await row();
          },
        }),
        (err: unknown) => isZkaiError(err) && err.code === 'SETUP_STALE' && /contribute on top/.test(err.message),
      );
      return home;
    });
    const now = await row();
    assert.ok(winner);
    assert.deepEqual(now, winner, "A's contribution is the one of record; C's is not a branch of it");
    assert.notDeepEqual(now.manifest.vkeyHash, base.manifest.vkeyHash);
    const setupJson = now.files.find((f) => f.path.endsWith('/setup.json'))!;
    const chain = JSON.parse(
      await readFile(localPath({ models: '', circuits: path.join(refused, 'circuits') }, setupJson.path), 'utf8'),
    ) as {
      contributions: { name: string }[];
    };
    assert.deepEqual(
      chain.contributions.slice(-2).map((x) => x.name),
      ['node A', 'node A again'],
      "C's copy is back to the chain of record",
    );
    // C contributes again, on top of the current one: accepted.
    const again = await asNode('c', (c) => contributeOfRecord(c, compiled.circuitId, { name: 'node C' }));
    assert.deepEqual(
      again?.contribution.contributions.slice(-3).map((x) => x.name),
      ['node A', 'node A again', 'node C'],
    );
  });

  it('a LogUp model: the lookup key’s κ is re-randomised too, and the model proves under the new statement key', async () => {
    const id = LOGUP;
    const m = await asA(async () => {
      const out = await compileFixtureModel(path.join(tmp, 'a', 'models'), id, {
        name: 'mlp-contrib-logup',
        weights: 'private-pedersen',
        lookups: 'logup',
      });
      await nodeA.keepCompiled(id);
      return out;
    });
    logupCircuit = m.circuitId;
    const lookupKey = (r: CompiledRecord) => r.files.find((f) => f.path.endsWith('/lookupkey.json'))!.sha256;
    const base = await row(id);
    const published = await asA(() => contributeOfRecord(nodeA, m.circuitId, { name: 'node A' }));
    const moved = await row(id);
    assert.notEqual(lookupKey(moved), lookupKey(base), 'the lookup key was re-randomised and published');
    assert.equal(published?.models[0]?.vkeyHash, moved.manifest.vkeyHash);
    assert.notEqual(moved.manifest.vkeyHash, m.vkeyHash);
    const bundle = await asNode('b-logup', (b, home) => prove(b, home, id));
    assert.equal((await verifyBundle(bundle, { expectedVkeyHash: moved.manifest.vkeyHash as string })).valid, true);
  });

  it('a model only a node folder held is backfilled once, and another node then serves it from the store', async () => {
    // A model compiled before the store kept model files: in A's folder and the catalog, not in zkai_model_files.
    const from = modelPaths(path.join(tmp, 'a', 'models'), ID);
    const to = modelPaths(path.join(tmp, 'a', 'models'), OLD);
    await asA(() => nodeA.loadCompiled(ID)); // A's own folder on the current keys first
    await cp(path.dirname(from.compiled), path.dirname(to.compiled), { recursive: true });
    await pool.query("INSERT INTO zkai_models (id, tenant, name, compile_job, created_at) VALUES ($1, 'acme', 'old', 'job-old', 'then')", [
      OLD,
    ]);
    const stray = modelPaths(path.join(tmp, 'a', 'models'), '00000000-0000-4000-8000-0000000000c3');
    await cp(path.dirname(from.compiled), path.dirname(stray.compiled), { recursive: true });

    // One whose manifest names other keys than it proves with (its node contributed to them alone): never kept.
    const mismatched = modelPaths(path.join(tmp, 'a', 'models'), OTHER_KEYS);
    await cp(path.dirname(from.compiled), path.dirname(mismatched.compiled), { recursive: true });
    const manifestFile = path.join(mismatched.compiled, 'model.json');
    await writeFile(manifestFile, JSON.stringify({ ...JSON.parse(await readFile(manifestFile, 'utf8')), vkeyHash: 'ab'.repeat(32) }));
    await pool.query("INSERT INTO zkai_models (id, tenant, name, compile_job, created_at) VALUES ($1, 'acme', 'x', 'job-x', 'then')", [
      OTHER_KEYS,
    ]);

    await asNode('d', async (d) => assert.rejects(d.loadCompiled(OLD), (err: unknown) => isZkaiError(err) && err.code === 'UNKNOWN_MODEL'));
    const logged: string[] = [];
    assert.deepEqual(await asA(() => nodeA.backfill((m) => logged.push(m))), [OLD], 'only the catalog model that the store lacked');
    assert.ok(
      logged.some((l) => l.includes(OTHER_KEYS) && l.includes('another key')),
      logged.join('\n'),
    );
    assert.equal((await pool.query('SELECT 1 FROM zkai_model_files WHERE model_id = $1', [OTHER_KEYS])).rowCount, 0);
    assert.deepEqual(await asA(() => nodeA.backfill()), [], 'idempotent');
    const kept = await row(OLD);
    assert.equal(
      (await pool.query("SELECT 1 FROM zkai_model_files WHERE model_id = $1 AND stage = 'upload'", [OLD])).rowCount,
      1,
      'its upload too',
    );
    await asNode('d', async (d) => {
      const loaded = await d.loadCompiled(OLD);
      assert.equal(loaded.manifest.vkeyHash, kept.manifest.vkeyHash);
    });
  });
});
