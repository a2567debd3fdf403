/**
 * Issue 18, item 1: the state of record is separate from the queue. On one data directory: jobs, bundles and a model
 * made with the embedded queue are all still there after switching ZKAI_QUEUE to Redis; then Redis (run as documented,
 * `--save '' --appendonly no`) is killed and restarted mid-batch: /health says the queue is unreachable (not zeros), a
 * job accepted meanwhile is kept, every job finishes exactly once (counted in the worker's log), and the bundles
 * finished before the restart are still served and verify.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../common/config.ts';
import { hasRedisServer, startTestRedis, type TestRedis } from '../jobs/queue/test-redis.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { freePort } from '../verifier-contracts/chain.ts';
import { apiClient, logEvents, type Proc, records, serviceEnv, sharedArtifactsHome, spawnProc, waitHealthy } from './procs.ts';
import { requireOrSkip } from './require-dep.ts';

const DEPTH = 4;
const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');

type Body = Record<string, unknown>;

describe('the store of record outlives the queue', { skip: requireOrSkip(hasRedisServer(), 'redis-server') }, () => {
  let home: string;
  let port: number;
  let redis: TestRedis;
  let apiNode: Proc | undefined;
  let worker: Proc | undefined;
  let root: string;
  let epoch = 1;
  const earlier = new Map<string, Body>(); // job id → its bundle, from the embedded run
  let modelId: string;
  const api = (...args: Parameters<ReturnType<typeof apiClient>>) => apiClient(port)(...args);

  before(async () => {
    await prepareMembershipCircuit(DEPTH);
    home = await sharedArtifactsHome('zkai-durable-');
    port = await freePort();
    redis = await startTestRedis();
  });

  after(async () => {
    await worker?.kill();
    await apiNode?.kill();
    await redis?.stop();
    await rm(home, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  const env = (extra: Record<string, string> = {}) =>
    serviceEnv(home, port, { ZKAI_TREE_DEPTH: String(DEPTH), ZKAI_POOL_SIZE: '1', ...extra });
  const redisEnv = () =>
    env({ ZKAI_QUEUE: redis.url, ZKAI_QUEUE_LOCK_MS: '3000', ZKAI_QUEUE_STALLED_MS: '1000', ZKAI_QUEUE_RECONCILE_MS: '300' });

  async function startApi(e: Record<string, string>): Promise<void> {
    apiNode = spawnProc([path.join(REPO_ROOT, 'server', 'main.ts')], e);
    await waitHealthy(port, apiNode);
  }

  async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 180_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function submit(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await api('POST', `/v1/datasets/${root}/proofs`, { recordId: `r${(i % 2 ** DEPTH) + 1}`, epoch: epoch++ });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      ids.push(res.body.jobId as string);
    }
    return ids;
  }

  const allFinished = (ids: string[]) =>
    until(`jobs ${ids.join(', ')} to finish`, async () => {
      const jobs = await Promise.all(ids.map(async (id) => (await api('GET', `/v1/jobs/${id}`)).body));
      return jobs.some((j) => j.state === 'queued' || j.state === 'running') ? undefined : jobs;
    });

  it('with the embedded queue: proofs and a model', async () => {
    await startApi(env());
    root = (await api('POST', '/v1/datasets', { records: records(2 ** DEPTH) })).body.rootHex as string;
    const ids = await submit(3);
    const csv = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8');
    const onnx = readFileSync(path.join(FIXTURES, 'mlp_digits.onnx')).toString('base64');
    const upload = await api('POST', '/v1/models', { name: 'mlp-digits', onnx, calibrationCsv: csv });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    modelId = upload.body.id as string;
    const jobs = await allFinished(ids);
    assert.deepEqual(
      jobs.map((j) => j.state),
      ids.map(() => 'succeeded'),
    );
    for (const id of ids) earlier.set(id, (await api('GET', `/v1/jobs/${id}/bundle`)).body);
    const model = await until('the model to compile', async () => {
      const m = (await api('GET', `/v1/models/${modelId}`)).body;
      return m.state === 'compiling' ? undefined : m;
    });
    assert.equal(model.state, 'ready', JSON.stringify(model));
    const health = (await api('GET', '/health')).body;
    assert.deepEqual(health.queue, { backend: 'embedded', reachable: true, persistent: true });
    await apiNode!.kill('SIGTERM');
  });

  it('switched to Redis on the same data directory: every job, bundle and model is still there', async () => {
    await startApi(redisEnv());
    for (const [id, bundle] of earlier) {
      const job = await api('GET', `/v1/jobs/${id}`);
      assert.equal(job.status, 200, `job ${id} after the switch: ${JSON.stringify(job.body)}`);
      assert.equal(job.body.state, 'succeeded');
      assert.deepEqual((await api('GET', `/v1/jobs/${id}/bundle`)).body, bundle);
    }
    const model = (await api('GET', `/v1/models/${modelId}`)).body;
    assert.equal(model.state, 'ready', JSON.stringify(model));
    const health = (await api('GET', '/health')).body as { status: string; jobs: Record<string, number>; queue: Body };
    assert.equal(health.status, 'ok');
    assert.deepEqual(health.queue, { backend: 'redis', reachable: true, persistent: false }, 'Redis runs without AOF/RDB');
    assert.equal(health.jobs.succeeded, 4, 'three proofs and the compile, counted from the store of record');
  });

  it('a Redis restart without persistence mid-batch loses no job; each finishes once; /health says so meanwhile', async () => {
    worker = spawnProc([path.join(REPO_ROOT, 'cli', 'main.ts'), 'worker', '--name', 'w1'], redisEnv());
    await worker.waitFor((l) => l.includes('pulling jobs from'), 'the worker to start');
    const before = await submit(3);
    await allFinished(before);
    for (const id of before) earlier.set(id, (await api('GET', `/v1/jobs/${id}/bundle`)).body);
    const batch = await submit(6);

    await redis.crash(); // everything in it is gone
    const down = await until('/health to see the queue down', async () => {
      const h = (await api('GET', '/health')).body as { status: string; queue: Body; jobs: Record<string, number> };
      return h.queue.reachable === false ? h : undefined;
    });
    assert.equal(down.status, 'degraded');
    assert.equal(down.queue.persistent, null);
    assert.ok(down.jobs.succeeded >= 7, `job counts come from the store of record, not zeros: ${JSON.stringify(down.jobs)}`);
    batch.push(...(await submit(1))); // accepted while Redis is down: recorded, delivered once it is back
    await redis.restart();

    const jobs = await allFinished(batch);
    assert.deepEqual(
      jobs.map((j) => j.state),
      batch.map(() => 'succeeded'),
      JSON.stringify(jobs.filter((j) => j.state !== 'succeeded')),
    );
    const successes = logEvents(worker.lines, 'job succeeded').map((e) => e.jobId as string);
    for (const id of [...before, ...batch]) assert.equal(successes.filter((s) => s === id).length, 1, `job ${id} succeeded exactly once`);
    for (const id of batch) {
      const bundle = (await api('GET', `/v1/jobs/${id}/bundle`)).body;
      assert.equal((await api('POST', '/v1/verify', bundle)).body.valid, true, `bundle of ${id} verifies`);
    }
    for (const [id, bundle] of earlier) assert.deepEqual((await api('GET', `/v1/jobs/${id}/bundle`)).body, bundle, `bundle of ${id} kept`);
    const health = (await api('GET', '/health')).body as { status: string; queue: Body; jobs: Record<string, number> };
    assert.equal(health.status, 'ok');
    assert.deepEqual(health.queue, { backend: 'redis', reachable: true, persistent: false });
    assert.equal(health.jobs.succeeded, 4 + before.length + batch.length);
    assert.equal(health.jobs.queued + health.jobs.running, 0);
    await worker.kill('SIGTERM');
    await apiNode!.kill('SIGTERM');
  });
});
