/**
 * Several API nodes behind one address, sharing one PostgreSQL (ZKAI_DB) and one Redis queue, each with its own data
 * directory: a key made on node A (by `zkai admin` on A's machine) authenticates on node B and is revoked from B's;
 * nodes starting together make one first key between them; each tenant sees only its own datasets and models
 * through either node; a dataset committed through A is listed and proved from through B (B commits it again from
 * PostgreSQL, and a worker with an empty data directory fetches it from B); a model uploaded through A is read through B,
 * and once compiled (by A or B) is proved through a third node C, a process started later with a data directory of its
 * own (no shared folder, its own circuit cache): C makes the model's files, circuit and keys from PostgreSQL, refusing a
 * changed blob, and a worker fetches the model from C. Then `zkai setup contribute` on A's machine (ZKAI_DB) moves the
 * model to new keys for every node: C and a worker holding the old copy prove under the new key, a job accepted before
 * the contribution is refused (MODEL_KEYS_CHANGED), and no node trusts the superseded key any more. (A and B run in this
 * process, so they share its circuit cache, which resolves against the process's ZKAI_HOME; their models folders are
 * their own.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { cacheDir, REPO_ROOT } from '../common/config.ts';
import { modelPaths } from '../jobs/models.ts';
import type { CompiledRecord } from '../jobs/pg-model-files.ts';
import { hasPostgres, startTestPostgres, type TestPostgres } from '../jobs/queue/test-postgres.ts';
import { hasRedisServer, startTestRedis, type TestRedis } from '../jobs/queue/test-redis.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { DEFAULT_CONFIG } from '../server/config.ts';
import { type RunningService, startService } from '../server/service.ts';
import { freePort } from '../verifier-contracts/chain.ts';
import { type Proc, records, serviceEnv, sharedArtifactsHome, spawnProc, waitHealthy } from './procs.ts';
import { requireOrSkip } from './require-dep.ts';

const DEPTH = 4;
const TOKEN = 'w'.repeat(40);
const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');

describe('API nodes sharing PostgreSQL: keys, tenants, datasets and models', {
  skip: requireOrSkip(hasRedisServer(), 'redis-server') || requireOrSkip(hasPostgres(), 'PostgreSQL (initdb, pg_ctl)'),
}, () => {
  let redis: TestRedis;
  let db: TestPostgres;
  const homes: string[] = [];
  let nodes: RunningService[] = [];
  let worker: Proc | undefined;
  /** Node C: a service process of its own (its own ZKAI_HOME, so its own circuit cache too). */
  let nodeC: Proc | undefined;
  /** The model uploaded through A (by tenant acme, with key acmeKey). */
  let modelId = '';
  let acmeKey = '';
  /** Node C's address, the data directory of the worker that fetched from it, and a bundle proved before any contribution. */
  let cUrl = '';
  let workerHomeC = '';
  let bundleBefore: Record<string, unknown> = {};
  let contributedCircuit = '';

  /** A request to `node` as the holder of `key` (none: no key). */
  async function call(node: { url: string }, key: string | undefined, method: string, url: string, body?: unknown) {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await fetch(`${node.url}${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** Poll job `jobId` through `node` until it is no longer queued or running. */
  async function settled(node: { url: string }, key: string, jobId: string): Promise<Record<string, unknown>> {
    let job: Record<string, unknown> = {};
    for (const deadline = Date.now() + 300_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      job = (await call(node, key, 'GET', `/v1/jobs/${jobId}`)).body;
      if (job.state !== 'queued' && job.state !== 'running') break;
    }
    return job;
  }

  /** A `zkai worker` on data directory `home`, fetching from `apiUrl`, started (pulling jobs). */
  async function startWorker(name: string, home: string, apiUrl: string): Promise<Proc> {
    const proc = spawnProc([path.join(REPO_ROOT, 'cli', 'main.ts'), 'worker', '--name', name], {
      ZKAI_HOME: home,
      ZKAI_QUEUE: redis.url,
      ZKAI_DB: db.url,
      ZKAI_API_URL: apiUrl,
      ZKAI_WORKER_TOKEN: TOKEN,
      ZKAI_TREE_DEPTH: String(DEPTH),
      ZKAI_POOL_SIZE: '1',
    });
    try {
      await proc.waitFor((l) => l.includes('pulling jobs from'), 'the worker to start');
    } catch (err) {
      await proc.kill(); // never left running past the test
      throw err;
    }
    return proc;
  }

  /** `zkai admin …` as run on a node's machine: its ZKAI_HOME, the shared ZKAI_DB. */
  function admin(home: string, args: string[]) {
    const res = spawnSync(process.execPath, [path.join(REPO_ROOT, 'cli', 'bin.js'), 'admin', 'key', ...args], {
      encoding: 'utf8',
      env: { ...process.env, ZKAI_HOME: home, ZKAI_DB: db.url },
    });
    assert.equal(res.status, 0, res.stderr);
    return JSON.parse(res.stdout) as { id: string; key: string; tenant: string; revokedAt?: string };
  }

  before(async () => {
    await prepareMembershipCircuit(DEPTH);
    redis = await startTestRedis();
    db = await startTestPostgres();
    for (const name of ['a', 'b']) homes.push(await sharedArtifactsHome(`zkai-node-${name}-`));
    const config = (home: string) => ({
      ...DEFAULT_CONFIG,
      home,
      port: 0,
      treeDepth: DEPTH,
      chain: 'off' as const,
      warmup: false,
      logLevel: 'silent' as const,
      rateLimit: 1_000_000,
      auth: 'keys' as const,
      queue: { kind: 'redis' as const, url: redis.url },
      db: { kind: 'postgres' as const, url: db.url },
      queueReconcileMs: 300,
      workerToken: TOKEN,
    });
    // Started together, as a deployment's nodes are.
    nodes = await Promise.all(homes.map((home) => startService(config(home), { log: () => {}, handleSignals: false })));
  });

  after(async () => {
    await worker?.kill();
    await nodeC?.kill();
    for (const node of nodes) await node.close();
    await redis?.stop();
    await db?.stop();
    for (const home of homes) await rm(home, { recursive: true, force: true });
    // The circuit of this test's model, contributed to: not kept in the test cache for the next run.
    if (contributedCircuit) await rm(cacheDir('circuits', contributedCircuit), { recursive: true, force: true });
    await releaseVerifierResources();
  });

  it('nodes starting together make one first key, and it works on both', async () => {
    const firstKeys = nodes.map((n) => n.apiKey).filter((k) => k !== undefined);
    assert.equal(firstKeys.length, 1, 'one first key between the two nodes');
    for (const node of nodes) assert.equal((await call(node, firstKeys[0], 'GET', '/v1/datasets')).status, 200);
  });

  it("a key made on A's machine works on B; revoked from B's, it fails on A at once", async () => {
    const [a, b] = nodes as [RunningService, RunningService];
    const made = admin(homes[0]!, ['create', '--tenant', 'temp']);
    assert.equal((await call(b, made.key, 'GET', '/v1/jobs')).status, 200);
    const listed = spawnSync(process.execPath, [path.join(REPO_ROOT, 'cli', 'bin.js'), 'admin', 'key', 'list', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, ZKAI_HOME: homes[1]!, ZKAI_DB: db.url },
    });
    assert.ok(
      (JSON.parse(listed.stdout) as { id: string }[]).some((k) => k.id === made.id),
      "B's machine lists A's key",
    );
    assert.ok(admin(homes[1]!, ['revoke', made.id]).revokedAt);
    assert.equal((await call(a, made.key, 'GET', '/v1/jobs')).status, 401);
    assert.equal((await call(b, made.key, 'GET', '/v1/jobs')).status, 401);
  });

  it('a dataset committed through A is listed and proved from through B, by its tenant only', async () => {
    const [a, b] = nodes as [RunningService, RunningService];
    const acme = admin(homes[0]!, ['create', '--tenant', 'acme']).key;
    const globex = admin(homes[1]!, ['create', '--tenant', 'globex']).key;
    const committed = await call(a, acme, 'POST', '/v1/datasets', { records: records(2 ** DEPTH) });
    assert.equal(committed.status, 201, JSON.stringify(committed.body));
    const root = committed.body.rootHex as string;

    const listed = await call(b, acme, 'GET', '/v1/datasets');
    assert.deepEqual(
      (listed.body.datasets as { rootHex: string }[]).map((d) => d.rootHex),
      [root],
    );
    const manifest = await call(b, acme, 'GET', `/v1/datasets/${root}`);
    assert.equal(manifest.status, 200, JSON.stringify(manifest.body));
    assert.equal(manifest.body.leafCount, 2 ** DEPTH);
    for (const node of nodes) {
      assert.deepEqual((await call(node, globex, 'GET', '/v1/datasets')).body, { datasets: [] });
      assert.equal((await call(node, globex, 'GET', `/v1/datasets/${root}`)).status, 404);
      const theirs = await call(node, globex, 'POST', `/v1/datasets/${root}/proofs`, { recordId: 'r1', epoch: 1 });
      assert.equal(theirs.status, 404, "another tenant's dataset is as unknown as a missing one");
    }

    // A worker with an empty data directory, whose API node is B: it fetches the circuit, the key and the dataset
    // from B, which has the dataset only through PostgreSQL.
    const workerHome = await mkdtemp(path.join(os.tmpdir(), 'zkai-node-worker-'));
    homes.push(workerHome);
    worker = await startWorker('w1', workerHome, b.url);
    const asked = await call(b, acme, 'POST', `/v1/datasets/${root}/proofs`, { recordId: 'r3', epoch: 7 });
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    const jobId = asked.body.jobId as string;
    let job: Record<string, unknown> = {};
    for (const deadline = Date.now() + 180_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      job = (await call(a, acme, 'GET', `/v1/jobs/${jobId}`)).body;
      if (job.state !== 'queued' && job.state !== 'running') break;
    }
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    assert.ok(
      worker.lines.some((l) => l.includes(`fetching dataset ${root}`)),
      'the worker fetched the dataset from B',
    );
    assert.equal((await call(b, globex, 'GET', `/v1/jobs/${jobId}`)).status, 404, "another tenant's job is unknown");
    const bundle = await call(a, acme, 'GET', `/v1/jobs/${jobId}/bundle`);
    assert.equal(bundle.status, 200);
    assert.equal((await call(b, acme, 'POST', '/v1/verify', bundle.body)).body.valid, true);
  });

  it('a model uploaded through A is listed and read through B, by its tenant only', async () => {
    const [a, b] = nodes as [RunningService, RunningService];
    const acme = admin(homes[0]!, ['create', '--tenant', 'acme']).key;
    const globex = admin(homes[0]!, ['create', '--tenant', 'globex']).key;
    const upload = await call(a, acme, 'POST', '/v1/models', {
      // A name of this test's own: its circuit gets a setup contribution below, which no other test's keys should see.
      name: 'mlp-digits-nodes',
      onnx: readFileSync(path.join(FIXTURES, 'mlp_digits.onnx')).toString('base64'),
      calibrationCsv: readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8'),
    });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    const id = upload.body.id as string;
    modelId = id;
    acmeKey = acme;
    const onB = await call(b, acme, 'GET', `/v1/models/${id}`);
    assert.equal(onB.status, 200, JSON.stringify(onB.body));
    assert.equal(onB.body.name, 'mlp-digits-nodes');
    assert.deepEqual(
      ((await call(b, acme, 'GET', '/v1/models')).body.models as { id: string }[]).map((m) => m.id),
      [id],
    );
    for (const node of nodes) {
      assert.equal((await call(node, globex, 'GET', `/v1/models/${id}`)).status, 404);
      assert.deepEqual((await call(node, globex, 'GET', '/v1/models')).body, { models: [] });
    }
  });

  it('the model compiled by A or B is proved through node C, which shares no folder: from PostgreSQL, checked', async () => {
    const [a] = nodes as [RunningService, RunningService];
    const compileJob = ((await call(a, acmeKey, 'GET', `/v1/models/${modelId}`)).body.compileJob as { id: string }).id;
    const compiled = await settled(a, acmeKey, compileJob);
    assert.equal(compiled.state, 'succeeded', JSON.stringify(compiled));

    // Node C joins afterwards, a process of its own with an empty data directory: it never saw the upload or the
    // compile, and shares no folder with A or B (only the public powers of tau, as every node is given the same ones).
    const homeC = await mkdtemp(path.join(os.tmpdir(), 'zkai-node-c-'));
    homes.push(homeC);
    await symlink(cacheDir('ptau'), path.join(homeC, 'ptau'));
    const port = await freePort();
    const c = { url: `http://127.0.0.1:${port}` };
    cUrl = c.url;
    nodeC = spawnProc(
      [path.join(REPO_ROOT, 'server', 'main.ts')],
      serviceEnv(homeC, port, {
        ZKAI_AUTH: 'keys',
        ZKAI_TREE_DEPTH: String(DEPTH),
        ZKAI_QUEUE: redis.url,
        ZKAI_DB: db.url,
        ZKAI_QUEUE_RECONCILE_MS: '300',
        ZKAI_WORKER_TOKEN: TOKEN,
      }),
    );
    await waitHealthy(port, nodeC, 300_000);
    assert.equal((await call(c, acmeKey, 'GET', `/v1/models/${modelId}`)).body.state, 'ready');
    const compiledDir = modelPaths(path.join(homeC, 'models'), modelId).compiled;
    assert.equal(existsSync(compiledDir), false);

    // A changed row in the store of record: C refuses the model (ARTIFACT_MISMATCH) and publishes nothing of it.
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      const record = JSON.parse(
        (await sql.query("SELECT record FROM zkai_model_files WHERE model_id = $1 AND stage = 'compiled'", [modelId])).rows[0].record,
      ) as CompiledRecord;
      const quantized = record.files.find((f) => f.path.endsWith('/quantized.json'))!;
      const flip = () =>
        sql.query('UPDATE zkai_blob_chunks SET bytes = set_byte(bytes, 3, get_byte(bytes, 3) # 1) WHERE sha256 = $1 AND chunk = 0', [
          quantized.sha256,
        ]);
      const asWorker = () => fetch(`${c.url}/v1/worker/models/${modelId}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      await flip();
      const refused = await asWorker();
      assert.equal(refused.status, 500);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'ARTIFACT_MISMATCH');
      const left = existsSync(compiledDir) ? await readdir(compiledDir) : [];
      assert.ok(!left.includes('quantized.json') && !left.includes('model.json'), `published: ${left.join(', ')}`);
      await flip();
      assert.equal((await asWorker()).status, 200, 'the row restored, C serves the model');
    } finally {
      await sql.end();
    }
    assert.ok(existsSync(path.join(compiledDir, 'model.json')), "C made the model's folder from PostgreSQL");
    const circuitId = (await call(c, acmeKey, 'GET', `/v1/models/${modelId}`)).body.circuitId as string;
    assert.ok(
      existsSync(path.join(homeC, 'circuits', circuitId, 'circuit.json')),
      "and the model's circuit and keys, in its own circuit cache",
    );

    // The only worker now fetches from C: the proof asked for through C is made with the model C served.
    await worker?.kill();
    const workerHome = await mkdtemp(path.join(os.tmpdir(), 'zkai-node-worker-c-'));
    homes.push(workerHome);
    workerHomeC = workerHome;
    worker = await startWorker('w2', workerHome, c.url);
    const asked = await call(c, acmeKey, 'POST', `/v1/models/${modelId}/prove`, { input: Array.from({ length: 64 }, (_, i) => i % 11) });
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    const job = await settled(c, acmeKey, asked.body.jobId as string);
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    assert.ok(
      worker.lines.some((l) => l.includes(`fetching model ${modelId}`)),
      'the worker fetched the model from C',
    );
    const bundle = await call(c, acmeKey, 'GET', `/v1/jobs/${asked.body.jobId as string}/bundle`);
    assert.equal(bundle.status, 200);
    assert.equal((await call(c, acmeKey, 'POST', '/v1/verify', bundle.body)).body.valid, true);
    bundleBefore = bundle.body;
  });

  it('zkai setup contribute on A moves every node and worker to the new keys; a job accepted before it is refused', async () => {
    const [, b] = nodes as [RunningService, RunningService];
    const c = { url: cUrl };
    const before = (await call(c, acmeKey, 'GET', `/v1/models/${modelId}`)).body;
    contributedCircuit = before.circuitId as string;
    const input = { input: Array.from({ length: 64 }, (_, i) => (i * 3) % 11) };
    // No worker runs: a job accepted now waits in the queue, naming the model's manifest (its keys) as it is now.
    await worker?.kill();
    worker = undefined;
    const early = await call(c, acmeKey, 'POST', `/v1/models/${modelId}/prove`, input);
    assert.equal(early.status, 202, JSON.stringify(early.body));

    // On A's machine, with the deployment's ZKAI_DB: the contribution goes to the store of record, for every node.
    const contributed = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'cli', 'bin.js'), 'setup', 'contribute', before.circuitId as string, '--name', 'operator on A'],
      { encoding: 'utf8', env: { ...process.env, ZKAI_HOME: homes[0]!, ZKAI_DB: db.url } },
    );
    assert.equal(contributed.status, 0, contributed.stderr);
    const out = JSON.parse(contributed.stdout) as { modelsOfRecord: { id: string; vkeyHash: string }[] };
    const newHash = out.modelsOfRecord.find((m) => m.id === modelId)?.vkeyHash;
    assert.ok(newHash && newHash !== before.vkeyHash, contributed.stdout);
    for (const node of [c, b]) assert.equal((await call(node, acmeKey, 'GET', `/v1/models/${modelId}`)).body.vkeyHash, newHash);

    // The worker starts again on its data directory, which holds the model with the old keys.
    worker = await startWorker('w3', workerHomeC, c.url);
    const refused = await settled(c, acmeKey, early.body.jobId as string);
    assert.equal(refused.state, 'failed', JSON.stringify(refused));
    assert.equal((refused.error as { code: string }).code, 'MODEL_KEYS_CHANGED', 'not proved under the superseded key');

    const asked = await call(c, acmeKey, 'POST', `/v1/models/${modelId}/prove`, input);
    const job = await settled(c, acmeKey, asked.body.jobId as string);
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    assert.ok(
      worker.lines.some((l) => l.includes('superseded manifest')),
      'the worker replaced its copy',
    );
    const bundle = (await call(c, acmeKey, 'GET', `/v1/jobs/${asked.body.jobId as string}/bundle`)).body;
    assert.equal(bundle.vkeyHash, newHash, 'proved under the new keys');
    for (const node of [c, b]) assert.equal((await call(node, acmeKey, 'POST', '/v1/verify', bundle)).body.valid, true);
    // A bundle of the superseded key: every node trusts the model's key of record only.
    for (const node of [c, b]) {
      const old = (await call(node, acmeKey, 'POST', '/v1/verify', bundleBefore)).body;
      assert.equal(old.valid, false, JSON.stringify(old));
      assert.equal(old.pinned, false, 'refused as a key the service does not trust, not as a bad proof');
      assert.ok(old.reasonCode === 'VKEY_MISMATCH' || old.reasonCode === 'KEY_NOT_PINNED', JSON.stringify(old));
    }
  });
});
