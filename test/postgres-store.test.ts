/**
 * ZKAI_DB=postgres://…: job records in PostgreSQL, shared by the API node and `zkai worker` (jobs/pg-store.ts),
 * Redis as the transport. Every job succeeds once, its bundle verifies, the records are in PostgreSQL (not in the
 * data directory's SQLite file) and outlive an API restart. ZKAI_DB without the Redis queue is refused at start.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { REPO_ROOT } from '../common/config.ts';
import { isZkaiError } from '../common/errors.ts';
import { hasPostgres, startTestPostgres, type TestPostgres } from '../jobs/queue/test-postgres.ts';
import { hasRedisServer, startTestRedis, type TestRedis } from '../jobs/queue/test-redis.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { DEFAULT_CONFIG } from '../server/config.ts';
import { startService } from '../server/service.ts';
import { freePort } from '../verifier-contracts/chain.ts';
import { apiClient, logEvents, type Proc, records, serviceEnv, sharedArtifactsHome, spawnProc, waitHealthy } from './procs.ts';
import { requireOrSkip } from './require-dep.ts';

const DEPTH = 4;

describe('PostgreSQL as the store of record', {
  skip: requireOrSkip(hasRedisServer(), 'redis-server') || requireOrSkip(hasPostgres(), 'PostgreSQL (initdb, pg_ctl)'),
}, () => {
  let home: string;
  let port: number;
  let redis: TestRedis;
  let db: TestPostgres;
  let apiNode: Proc | undefined;
  let worker: Proc | undefined;
  let env: Record<string, string>;
  const api = (...args: Parameters<ReturnType<typeof apiClient>>) => apiClient(port)(...args);

  before(async () => {
    await prepareMembershipCircuit(DEPTH);
    home = await sharedArtifactsHome('zkai-pg-');
    port = await freePort();
    redis = await startTestRedis();
    db = await startTestPostgres();
    env = serviceEnv(home, port, {
      ZKAI_TREE_DEPTH: String(DEPTH),
      ZKAI_POOL_SIZE: '1',
      ZKAI_QUEUE: redis.url,
      ZKAI_DB: db.url,
      ZKAI_QUEUE_RECONCILE_MS: '300',
    });
  });

  after(async () => {
    await worker?.kill();
    await apiNode?.kill();
    await redis?.stop();
    await db?.stop();
    await rm(home, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  it('refuses ZKAI_DB without the Redis queue (the embedded runner proves from SQLite)', async () => {
    await assert.rejects(
      startService(
        { ...DEFAULT_CONFIG, home, port: 0, treeDepth: DEPTH, chain: 'off', logLevel: 'silent', db: { kind: 'postgres', url: db.url } },
        { log: () => {}, handleSignals: false },
      ),
      (err: unknown) => isZkaiError(err) && err.code === 'BAD_INPUT' && /ZKAI_QUEUE=redis/.test(err.message),
    );
  });

  it('proves through a worker; every job succeeds once; the records live in PostgreSQL and outlive an API restart', async () => {
    apiNode = spawnProc([path.join(REPO_ROOT, 'server', 'main.ts')], env);
    await waitHealthy(port, apiNode);
    worker = spawnProc([path.join(REPO_ROOT, 'cli', 'main.ts'), 'worker', '--name', 'pg-w1'], env);
    await worker.waitFor((l) => l.includes('pulling jobs from'), 'the worker to start');
    const root = (await api('POST', '/v1/datasets', { records: records(2 ** DEPTH) })).body.rootHex as string;
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const res = await api('POST', `/v1/datasets/${root}/proofs`, { recordId: `r${i}`, epoch: i });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      ids.push(res.body.jobId as string);
    }
    const deadline = Date.now() + 180_000;
    let jobs: Record<string, unknown>[] = [];
    do {
      await new Promise((r) => setTimeout(r, 100));
      jobs = await Promise.all(ids.map(async (id) => (await api('GET', `/v1/jobs/${id}`)).body));
    } while (jobs.some((j) => j.state === 'queued' || j.state === 'running') && Date.now() < deadline);
    assert.deepEqual(
      jobs.map((j) => j.state),
      ids.map(() => 'succeeded'),
    );
    const successes = logEvents(worker.lines, 'job succeeded').map((e) => e.jobId as string);
    for (const id of ids) assert.equal(successes.filter((s) => s === id).length, 1, `job ${id} succeeded once`);
    const bundles = new Map<string, unknown>();
    for (const id of ids) {
      const bundle = (await api('GET', `/v1/jobs/${id}/bundle`)).body;
      assert.equal((await api('POST', '/v1/verify', bundle)).body.valid, true);
      bundles.set(id, bundle);
    }

    // In PostgreSQL, not in the data directory's SQLite file.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const rows = (await client.query("SELECT id FROM zkai_jobs WHERE state = 'succeeded'")).rows.map((r) => r.id as string);
    await client.end();
    assert.deepEqual(rows.sort(), [...ids].sort());
    // Nor are the keys, tenants and models (jobs/catalogs.ts): the node has no SQLite tables at all, or empty ones.
    const file = path.join(home, 'jobs.sqlite');
    if (existsSync(file)) {
      const sqlite = new Database(file, { readonly: true });
      for (const name of ['jobs', 'api_keys', 'tenants', 'models', 'dataset_owners']) {
        const table = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(name);
        const local = table ? (sqlite.prepare(`SELECT COUNT(*) AS n FROM ${name}`).get() as { n: number }).n : 0;
        assert.equal(local, 0, `no row of ${name} in the local SQLite file`);
      }
      sqlite.close();
    }
    const client2 = new pg.Client({ connectionString: db.url });
    await client2.connect();
    const owners = (await client2.query('SELECT tenant, root FROM zkai_dataset_owners')).rows;
    const published = (await client2.query('SELECT root FROM zkai_datasets')).rows;
    await client2.end();
    assert.deepEqual(owners, [{ tenant: 'default', root }], "the dataset's owner is in PostgreSQL");
    assert.deepEqual(published, [{ root }], "and so are the dataset's records");

    await apiNode.kill('SIGTERM');
    apiNode = spawnProc([path.join(REPO_ROOT, 'server', 'main.ts')], env);
    await waitHealthy(port, apiNode);
    for (const id of ids) assert.deepEqual((await api('GET', `/v1/jobs/${id}/bundle`)).body, bundles.get(id));
    const health = (await api('GET', '/health')).body as { jobs: Record<string, number> };
    assert.equal(health.jobs.succeeded, 4);
    await worker.kill('SIGTERM');
    await apiNode.kill('SIGTERM');
  });
});
