/**
 * The Redis job queue on a real redis-server (loopback, no persistence): records look like JobStore's,
 * transitions are guarded by the claim token (a lost worker cannot record an outcome), cancellation,
 * retries, and a job whose worker stops renewing its lock is taken over by another worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ZkaiError } from '../../common/errors.ts';
import { configFromEnv } from '../../server/config.ts';
import { FINAL_STATES, type Job, type JobHandler } from '../jobs.ts';
import { RedisJobStore, redisOptions } from './redis-store.ts';
import { RedisJobWorker } from './redis-worker.ts';
import { hasRedisServer, startTestRedis, type TestRedis } from './test-redis.ts';
import { parseQueueSetting } from './types.ts';

const skip = hasRedisServer() ? false : 'redis-server is not installed';

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const finished = (store: RedisJobStore, id: string) =>
  until(`job ${id} to finish`, async () => {
    const job = await store.get(id);
    return job && FINAL_STATES.includes(job.state) ? job : undefined;
  });

describe('ZKAI_QUEUE parsing', () => {
  it('accepts empty / sqlite / redis URLs and rejects anything else', () => {
    assert.deepEqual(parseQueueSetting(undefined), { kind: 'sqlite' });
    assert.deepEqual(parseQueueSetting(''), { kind: 'sqlite' });
    assert.deepEqual(parseQueueSetting('redis://127.0.0.1:6379'), { kind: 'redis', url: 'redis://127.0.0.1:6379' });
    assert.equal(parseQueueSetting('http://127.0.0.1:6379'), undefined);
    assert.equal(parseQueueSetting('localhost:6379'), undefined);
    assert.deepEqual(configFromEnv({ ZKAI_QUEUE: 'redis://10.0.0.5:6380/2' }).queue, { kind: 'redis', url: 'redis://10.0.0.5:6380/2' });
    assert.throws(() => configFromEnv({ ZKAI_QUEUE: 'amqp://x' }), /ZKAI_QUEUE/);
    assert.deepEqual(redisOptions('redis://u:p%40ss@10.0.0.5:6380/2'), {
      host: '10.0.0.5',
      port: 6380,
      db: 2,
      username: 'u',
      password: 'p@ss',
    });
  });
});

describe('Redis job queue', { skip }, () => {
  let redis: TestRedis;
  let store: RedisJobStore;
  const workers: RedisJobWorker[] = [];

  before(async () => {
    redis = await startTestRedis();
    store = await RedisJobStore.connect(redis.url, { prefix: 'zkai-test', maxAttempts: 3 });
  });

  after(async () => {
    for (const w of workers) await w.close(0);
    await store?.close();
    await redis?.stop();
  });

  function startWorker(handler: JobHandler, opts: { lockMs?: number; stalledMs?: number; name?: string } = {}): RedisJobWorker {
    const w = new RedisJobWorker(redis.url, store, { membership: handler }, { lockMs: 2000, stalledMs: 500, ...opts });
    w.start();
    workers.push(w);
    return w;
  }

  it('stores jobs like JobStore: queued, listed newest first, counted, cancellable while queued', async () => {
    const a = await store.enqueue('membership', { root: '0x01', recordId: 'a', epoch: '1' }, 'tenant-a');
    const b = await store.enqueue('membership', { root: '0x01', recordId: 'b', epoch: '1' });
    assert.equal(a.state, 'queued');
    assert.equal(a.attempts, 0);
    assert.equal(a.tenant, 'tenant-a');
    assert.equal(b.tenant, 'default');
    assert.deepEqual(a.request, { root: '0x01', recordId: 'a', epoch: '1' });
    assert.equal(await store.queuedCount(), 2);
    assert.deepEqual(
      (await store.list()).map((j) => j.id),
      [b.id, a.id],
    );
    assert.deepEqual(
      (await store.list({ tenant: 'tenant-a' })).map((j) => j.id),
      [a.id],
    );
    const cancelled = await store.cancel(a.id);
    assert.equal(cancelled?.outcome, 'cancelled');
    assert.equal(cancelled?.job.state, 'cancelled');
    assert.equal((await store.cancel(a.id))?.outcome, 'finished');
    assert.equal(await store.cancel('00000000-0000-4000-8000-000000000000'), undefined);
    assert.equal(await store.get('00000000-0000-4000-8000-000000000000'), undefined);
    await store.cancel(b.id);
    const counts = await store.counts();
    assert.equal(counts.queued, 0);
    assert.equal(counts.cancelled, 2);
    // Nothing left on the BullMQ queue for a worker to pick up.
    assert.equal(await store.queue.getWaitingCount(), 0);
  });

  it('the retention sweep deletes finished jobs older than the cutoff: record, counts and listing', async () => {
    const before = await store.counts();
    const finished: string[] = [];
    for (const outcome of ['succeeded', 'failed'] as const) {
      const job = await store.enqueue('membership', { prune: outcome });
      await store.queue.remove(job.id);
      assert.equal(await store.claim(job.id, 'w'), 'running');
      const value = outcome === 'failed' ? { error: { code: 'BAD_INPUT', message: 'no' } } : { result: { ok: true } };
      assert.equal(await store.finish(job.id, 'w', outcome, value), outcome);
      finished.push(job.id);
    }
    const cancelled = await store.enqueue('membership', { prune: 'cancelled' });
    await store.cancel(cancelled.id);
    finished.push(cancelled.id);
    const running = await store.enqueue('membership', { prune: 'running' });
    await store.queue.remove(running.id);
    assert.equal(await store.claim(running.id, 'w'), 'running');
    // A model's compile job is its record: never pruned.
    const compiled = await store.enqueue('model-compile', { prune: 'model' });
    await store.queue.remove(compiled.id);
    assert.equal(await store.claim(compiled.id, 'w'), 'running');
    assert.equal(await store.finish(compiled.id, 'w', 'succeeded', { result: { ok: true } }), 'succeeded');

    assert.equal(await store.pruneFinished(new Date(Date.now() - 3_600_000)), 0, 'nothing finished more than an hour ago');
    const pruned = await store.pruneFinished(new Date(Date.now() + 1000));
    assert.ok(pruned >= 3, `pruned ${pruned}`); // and any finished job the tests before this one left
    for (const id of finished) assert.equal(await store.get(id), undefined);
    assert.equal((await store.get(running.id))?.state, 'running');
    assert.equal((await store.get(compiled.id))?.state, 'succeeded');
    const listed = (await store.list({ limit: 1000 })).map((j) => j.id);
    assert.ok(listed.includes(running.id) && !finished.some((id) => listed.includes(id)));
    const after = await store.counts();
    assert.deepEqual([after.succeeded, after.failed, after.cancelled], [1, 0, 0], 'only the model compile is left');
    assert.equal(after.running, before.running + 1);
    assert.equal(await store.redis.zcard('zkai-test:jobs:created'), listed.length, 'no listing entry without a record');
    await store.finish(running.id, 'w', 'succeeded', { result: {} });
  });

  it('lists the workers that reported recently, dropping stale ones', async () => {
    await store.heartbeat({ name: 'a', concurrency: 2, busy: 1, utilization: 0.5 });
    await store.redis.hset('zkai-test:workers', 'gone', JSON.stringify({ concurrency: 1, busy: 0, utilization: 0, at: 0 }));
    assert.deepEqual(await store.workers(), [{ name: 'a', concurrency: 2, busy: 1, utilization: 0.5 }]);
    assert.equal(await store.redis.hexists('zkai-test:workers', 'gone'), 0);
    await store.removeWorker('a');
    assert.deepEqual(await store.workers(), []);
  });

  it('only the current claim can record an outcome, and only once', async () => {
    const job = await store.enqueue('membership', { n: 1 });
    await store.queue.remove(job.id); // driven by hand here, not by a worker
    assert.equal(await store.claim(job.id, 'first'), 'running');
    // The first worker is presumed lost; another takes the job over.
    assert.equal(await store.claim(job.id, 'second'), 'running');
    assert.equal(await store.finish(job.id, 'first', 'succeeded', { result: { by: 'first' } }), undefined);
    assert.equal(await store.finish(job.id, 'second', 'succeeded', { result: { by: 'second' } }), 'succeeded');
    assert.equal(await store.finish(job.id, 'second', 'succeeded', { result: { by: 'again' } }), undefined);
    assert.equal(await store.claim(job.id, 'third'), 'succeeded', 'a finished job is never run again');
    const done = (await store.get(job.id))!;
    assert.deepEqual(done.result, { by: 'second' });
    assert.equal(done.attempts, 2);
    assert.ok(done.startedAt && done.finishedAt);
  });

  it("setProgress stores a running job's phase for its current claim only; a new claim clears it", async () => {
    const job = await store.enqueue('membership', { n: 9 });
    await store.queue.remove(job.id);
    const at = new Date().toISOString();
    assert.equal(await store.setProgress(job.id, { phase: 'witness', percent: 0, updatedAt: at }), false, 'queued: ignored');
    assert.equal(await store.claim(job.id, 'first'), 'running');
    assert.equal(await store.setProgress(job.id, { phase: 'msm', percent: 25, updatedAt: at }, 'first'), true);
    assert.deepEqual((await store.get(job.id))?.progress, { phase: 'msm', percent: 25, updatedAt: at });
    assert.equal((await store.list()).find((j) => j.id === job.id)?.progress?.phase, 'msm');
    assert.equal(await store.claim(job.id, 'second'), 'running');
    assert.equal((await store.get(job.id))?.progress, undefined, 'a new attempt starts without progress');
    assert.equal(await store.setProgress(job.id, { phase: 'quotient', updatedAt: at }, 'first'), false, 'a lost worker is ignored');
    assert.equal(await store.setProgress(job.id, { phase: 'quotient', updatedAt: at }, 'second'), true);
    assert.equal((await store.get(job.id))?.progress?.phase, 'quotient');
    await store.finish(job.id, 'second', 'succeeded', { result: {} });
    assert.equal(await store.setProgress(job.id, { phase: 'msm', updatedAt: at }, 'second'), false, 'finished: ignored');
  });

  it('gives up on a job whose worker was lost on every attempt', async () => {
    const job = await store.enqueue('membership', { n: 2 });
    await store.queue.remove(job.id);
    for (const t of ['a', 'b', 'c']) assert.equal(await store.claim(job.id, t), 'running');
    assert.equal(await store.claim(job.id, 'd'), 'failed');
    const failed = (await store.get(job.id))!;
    assert.equal(failed.error?.code, 'INTERNAL');
    assert.equal(failed.attempts, 3);
  });

  it('runs jobs through a worker: success, retry after a transient error, failure on a ZkaiError', async () => {
    const seen = new Map<string, number>();
    startWorker(async (job: Job) => {
      const n = (seen.get(job.id) ?? 0) + 1;
      seen.set(job.id, n);
      if (job.request.mode === 'flaky' && n === 1) throw new Error('transient');
      if (job.request.mode === 'bad') throw new ZkaiError('UNKNOWN_RECORD', 'no such record');
      return { ok: job.request.mode, n };
    });
    const ok = await store.enqueue('membership', { mode: 'ok' });
    const flaky = await store.enqueue('membership', { mode: 'flaky' });
    const bad = await store.enqueue('membership', { mode: 'bad' });
    const [a, b, c] = await Promise.all([finished(store, ok.id), finished(store, flaky.id), finished(store, bad.id)]);
    assert.equal(a.state, 'succeeded');
    assert.deepEqual(a.result, { ok: 'ok', n: 1 });
    assert.equal(a.attempts, 1);
    assert.equal(b.state, 'succeeded');
    assert.deepEqual(b.result, { ok: 'flaky', n: 2 });
    assert.equal(b.attempts, 2);
    assert.equal(c.state, 'failed');
    assert.equal(c.error?.code, 'UNKNOWN_RECORD');
    assert.equal(c.result, undefined);
  });

  it('a running job whose cancel was asked for ends cancelled, its result dropped', async () => {
    for (const w of workers.splice(0)) await w.close(0);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    startWorker(async (_job, ctx) => {
      ctx?.progress({ phase: 'witness' });
      await gate;
      return { proof: 'late' };
    });
    const job = await store.enqueue('membership', { mode: 'slow' });
    await until('the job to run', async () => ((await store.get(job.id))?.state === 'running' ? true : undefined));
    // The worker's progress reports reach the record (through its claim token).
    const progress = await until('its progress', async () => (await store.get(job.id))?.progress);
    assert.equal(progress.phase, 'witness');
    assert.equal(progress.percent, 0);
    const res = await store.cancel(job.id);
    assert.equal(res?.outcome, 'cancel-requested');
    assert.equal(res?.job.cancelRequested, true);
    release();
    const done = await finished(store, job.id);
    assert.equal(done.state, 'cancelled');
    assert.equal(done.result, undefined);
  });

  it('a graceful close finishes the running job and takes no new one', async () => {
    for (const w of workers.splice(0)) await w.close(0);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const w = startWorker(async () => {
      await gate;
      return { done: true };
    });
    const running = await store.enqueue('membership', { mode: 'shutdown' });
    await until('the job to run', async () => ((await store.get(running.id))?.state === 'running' ? true : undefined));
    const closed = w.close(20_000);
    const later = await store.enqueue('membership', { mode: 'after-close' });
    release();
    await closed;
    assert.equal((await store.get(running.id))?.state, 'succeeded');
    assert.equal((await store.get(later.id))?.state, 'queued', 'a closing worker takes no new job');
    await store.cancel(later.id);
  });

  it('a worker that stops renewing its lock mid-job loses the job to another worker, which completes it once', async () => {
    for (const w of workers.splice(0)) await w.close(0);
    const lost = startWorker(() => new Promise(() => {}), { name: 'lost', lockMs: 1500 });
    await lost.ready();
    const job = await store.enqueue('membership', { mode: 'stall' });
    await until('the job to run', async () => ((await store.get(job.id))?.state === 'running' ? true : undefined));
    // Force-close: no more lock renewals, the handler never returns (as if the process had died).
    await lost.close(0);
    startWorker(async (j) => ({ by: 'rescuer', attempt: j.attempts }), { name: 'rescuer', lockMs: 1500, stalledMs: 300 });
    const done = await finished(store, job.id);
    assert.equal(done.state, 'succeeded');
    assert.deepEqual(done.result, { by: 'rescuer', attempt: 2 });
    assert.equal(done.attempts, 2);
  });
});
