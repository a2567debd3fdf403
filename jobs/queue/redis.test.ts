/**
 * The Redis queue on a real redis-server (loopback, no persistence): Redis is only a transport. Job records live in
 * the store of record (a JobStore); workers claim each attempt there under a token; a Redis flush or restart loses no
 * accepted job (the API side re-delivers every unfinished one) and no finished one (the records were never in Redis).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ZkaiError } from '../../common/errors.ts';
import { configFromEnv } from '../../server/config.ts';
import { requireOrSkip } from '../../test/require-dep.ts';
import { FINAL_STATES, type Job, type JobHandler, JobStore } from '../jobs.ts';
import { type Delivery, SWEEP_EVERY_CHECKS, startDelivery } from './delivery.ts';
import { API_QUEUE_NAME, RedisTransport, redisOptions } from './redis-transport.ts';
import { type JobRecords, RedisJobWorker } from './redis-worker.ts';
import { hasRedisServer, startTestRedis, type TestRedis } from './test-redis.ts';
import { parseQueueSetting } from './types.ts';

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

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

describe('Redis job queue (a transport over the store of record)', { skip: requireOrSkip(hasRedisServer(), 'redis-server') }, () => {
  let redis: TestRedis;
  let transport: RedisTransport;
  let records: JobStore;
  let delivery: Delivery;
  let before0: Job;
  const workers: RedisJobWorker[] = [];
  const finished = (id: string) =>
    until(`job ${id} to finish`, () => {
      const job = records.get(id);
      return job && FINAL_STATES.includes(job.state) ? job : undefined;
    });

  before(async () => {
    redis = await startTestRedis();
    transport = await RedisTransport.connect(redis.url, { prefix: 'zkai-test' });
    records = new JobStore(':memory:');
    // A job recorded before the queue existed (as with ZKAI_QUEUE switched from embedded): delivered at start.
    before0 = records.enqueue('membership', { mode: 'ok', from: 'before the queue' });
    delivery = await startDelivery(records, transport, { reconcileMs: 200 });
  });

  after(async () => {
    for (const w of workers) await w.close(0);
    await delivery?.close();
    await transport?.close();
    records?.close();
    await redis?.stop();
  });

  function startWorker(handler: JobHandler, opts: { lockMs?: number; stalledMs?: number; name?: string } = {}): RedisJobWorker {
    const w = new RedisJobWorker(
      redis.url,
      records,
      transport,
      { membership: handler },
      { lockMs: 2000, stalledMs: 500, maxAttempts: 3, ...opts },
    );
    w.start();
    workers.push(w);
    return w;
  }
  const stopWorkers = async () => {
    for (const w of workers.splice(0)) await w.close(0);
  };

  it('the job API answers from the store of record: queued, listed newest first, counted, cancellable while queued', async () => {
    const { store } = delivery;
    const a = await store.enqueue('membership', { root: '0x01', recordId: 'a', epoch: '1' }, 'tenant-a');
    const b = await store.enqueue('membership', { root: '0x01', recordId: 'b', epoch: '1' });
    assert.equal(a.state, 'queued');
    assert.equal(a.tenant, 'tenant-a');
    assert.deepEqual(records.get(a.id), a, 'the record is the store of record’s');
    assert.deepEqual(
      (await store.list({ tenant: 'tenant-a' })).map((j) => j.id),
      [a.id],
    );
    assert.equal((await store.cancel(a.id))?.outcome, 'cancelled');
    assert.equal((await store.cancel(a.id))?.outcome, 'finished');
    await store.cancel(b.id);
    // Delivered (both, and the one recorded before the queue started), as ids only.
    const waiting = await transport.queue.getWaiting();
    assert.deepEqual(new Set(waiting.map((j) => j.data.id)), new Set([before0.id, a.id, b.id]));
    assert.ok(waiting.every((j) => Object.keys(j.data).length === 1));
  });

  it('lists the workers that reported recently, dropping stale ones', async () => {
    await transport.heartbeat({ name: 'a', concurrency: 2, busy: 1, utilization: 0.5 });
    await transport.redis.hset('zkai-test:workers', 'gone', JSON.stringify({ concurrency: 1, busy: 0, utilization: 0, at: 0 }));
    assert.deepEqual(await transport.workers(), [{ name: 'a', concurrency: 2, busy: 1, utilization: 0.5 }]);
    assert.equal(await transport.redis.hexists('zkai-test:workers', 'gone'), 0);
    await transport.removeWorker('a');
    assert.deepEqual(await transport.workers(), []);
  });

  it('runs jobs through a worker: success, retry after a transient error, failure on a ZkaiError; cancelled ones are skipped', async () => {
    const seen = new Map<string, number>();
    startWorker(async (job: Job) => {
      const n = (seen.get(job.id) ?? 0) + 1;
      seen.set(job.id, n);
      if (job.request.mode === 'flaky' && n === 1) throw new Error('transient');
      if (job.request.mode === 'bad') throw new ZkaiError('UNKNOWN_RECORD', 'no such record');
      return { ok: job.request.mode, n };
    });
    const ok = await delivery.store.enqueue('membership', { mode: 'ok' });
    const flaky = await delivery.store.enqueue('membership', { mode: 'flaky' });
    const bad = await delivery.store.enqueue('membership', { mode: 'bad' });
    const [a, b, c, d] = await Promise.all([finished(ok.id), finished(flaky.id), finished(bad.id), finished(before0.id)]);
    assert.equal(a.state, 'succeeded');
    assert.deepEqual(a.result, { ok: 'ok', n: 1 });
    assert.equal(a.attempts, 1);
    assert.equal(b.state, 'succeeded');
    assert.deepEqual(b.result, { ok: 'flaky', n: 2 });
    assert.equal(b.attempts, 2);
    assert.equal(c.state, 'failed');
    assert.equal(c.error?.code, 'UNKNOWN_RECORD');
    assert.equal(d.state, 'succeeded', 'the job recorded before the queue started was delivered');
    assert.equal(records.counts().cancelled, 2, 'the cancelled ones were never run');
    assert.equal(
      [...seen.values()].reduce((x, y) => x + y, 0),
      5,
    );
  });

  it('a running job whose cancel was asked for ends cancelled, its result dropped', async () => {
    await stopWorkers();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    startWorker(async (_job, ctx) => {
      ctx?.progress({ phase: 'witness' });
      await gate;
      return { proof: 'late' };
    });
    const job = await delivery.store.enqueue('membership', { mode: 'slow' });
    const progress = await until('its progress', () => records.get(job.id)?.progress);
    assert.equal(progress.phase, 'witness');
    assert.equal((await delivery.store.cancel(job.id))?.outcome, 'cancel-requested');
    release();
    const done = await finished(job.id);
    assert.equal(done.state, 'cancelled');
    assert.equal(done.result, undefined);
  });

  it('a graceful close finishes the running job and takes no new one', async () => {
    await stopWorkers();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const w = startWorker(async () => {
      await gate;
      return { done: true };
    });
    const running = await delivery.store.enqueue('membership', { mode: 'shutdown' });
    await until('the job to run', () => (records.get(running.id)?.state === 'running' ? true : undefined));
    const closed = w.close(20_000);
    const later = await delivery.store.enqueue('membership', { mode: 'after-close' });
    release();
    await closed;
    assert.equal(records.get(running.id)?.state, 'succeeded');
    assert.equal(records.get(later.id)?.state, 'queued', 'a closing worker takes no new job');
    await delivery.store.cancel(later.id);
  });

  it('a worker that stops renewing its lock mid-job loses the job to another worker, which completes it once', async () => {
    await stopWorkers();
    const lost = startWorker(() => new Promise(() => {}), { name: 'lost', lockMs: 1500 });
    await lost.ready();
    const job = await delivery.store.enqueue('membership', { mode: 'stall' });
    await until('the job to run', () => (records.get(job.id)?.state === 'running' ? true : undefined));
    await lost.close(0); // no more lock renewals, the handler never returns (as if the process had died)
    startWorker(async (j) => ({ by: 'rescuer', attempt: j.attempts }), { name: 'rescuer', lockMs: 1500, stalledMs: 300 });
    const done = await finished(job.id);
    assert.equal(done.state, 'succeeded');
    assert.deepEqual(done.result, { by: 'rescuer', attempt: 2 });
  });

  it('a delivery dropped while Redis keeps its contents (a claim failed in the store of record) is delivered again', async () => {
    await stopWorkers();
    // A worker whose first claim fails as a database would under load: BullMQ fails that delivery and removes it, the
    // record stays queued, and the marker is still there; only the periodic sweep can hand the job out again.
    let failures = 0;
    const flakyRecords: JobRecords = {
      claim: (id, token, max) => {
        if (failures++ === 0) throw new Error('SQLITE_BUSY: database is locked');
        return records.claim(id, token, max);
      },
      finishHeld: (...a) => records.finishHeld(...a),
      get: (id) => records.get(id),
      setProgress: (...a) => records.setProgress(...a),
    };
    const w = new RedisJobWorker(
      redis.url,
      flakyRecords,
      transport,
      { membership: async () => ({ swept: true }) },
      { lockMs: 2000, stalledMs: 500 },
    );
    w.start();
    workers.push(w);
    const job = await delivery.store.enqueue('membership', { mode: 'dropped-delivery' });
    await until('the failed claim', () => (failures > 0 ? true : undefined));
    assert.equal(records.get(job.id)?.state, 'queued');
    assert.equal(await transport.hasMarker(), true, 'Redis kept its contents: no reconciliation is due');
    const done = await finished(job.id); // the timer's checks (reconcileMs 200) sweep within SWEEP_EVERY_CHECKS of them
    assert.equal(done.state, 'succeeded');
    assert.deepEqual(done.result, { swept: true });
    assert.equal(done.attempts, 1, 'the failed claim counted no attempt');
    assert.ok(SWEEP_EVERY_CHECKS > 1);
  });

  it('FLUSHALL loses no job: queued and running jobs are delivered again, each succeeds once, finished ones stay', async () => {
    await stopWorkers();
    const earlier = records.list({ state: 'succeeded', limit: 1000 }).length;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const runs = new Map<string, string[]>();
    const handler =
      (name: string): JobHandler =>
      async (job) => {
        runs.set(job.id, [...(runs.get(job.id) ?? []), name]);
        if (name === 'before-flush') await gate;
        return { by: name };
      };
    // One worker holds the first job at the flush; the other jobs are still queued.
    const first = startWorker(handler('before-flush'), { name: 'before-flush', lockMs: 60_000 });
    await first.ready();
    const running = await delivery.store.enqueue('membership', { n: 'running' });
    await until('the job to run', () => (records.get(running.id)?.state === 'running' ? true : undefined));
    await first.close(0); // stays out of the way; its proof is still "running" (the gate)
    const queued = [];
    for (let i = 0; i < 5; i++) queued.push(await delivery.store.enqueue('membership', { n: i }));

    await transport.redis.flushall();
    assert.equal(await transport.queue.getWaitingCount(), 0, 'Redis lost every delivery');
    await delivery.check(); // what the timer does every reconcileMs: the marker is gone, so re-deliver
    assert.equal(await transport.hasMarker(), true);
    startWorker(handler('after-flush'), { name: 'after-flush' });
    const done = await Promise.all([running, ...queued].map((j) => finished(j.id)));
    assert.deepEqual(
      done.map((j) => j.state),
      done.map(() => 'succeeded'),
    );
    // The job whose delivery the flush lost was taken over (a second attempt) and succeeded once, by the new worker.
    assert.deepEqual(records.get(running.id)?.result, { by: 'after-flush' });
    assert.equal(records.get(running.id)?.attempts, 2);
    release(); // the first worker's late result is refused: not its attempt any more
    await until('the late attempt to end', () => (runs.get(running.id)?.length === 2 ? true : undefined));
    assert.deepEqual(records.get(running.id)?.result, { by: 'after-flush' });
    for (const j of queued) assert.deepEqual(runs.get(j.id), ['after-flush'], `job ${j.id} ran once`);
    assert.equal(records.list({ state: 'succeeded', limit: 1000 }).length, earlier + 6, 'finished jobs are still there');
  });

  it('a model compile goes to the API nodes’ queue: a worker never runs it, even one with a compile handler', async () => {
    await stopWorkers();
    const ranOnWorker: string[] = [];
    // A proofs worker offering a compile handler too (as workers did before compiles moved to the API nodes).
    const w = new RedisJobWorker(
      redis.url,
      records,
      transport,
      {
        membership: async () => ({ ok: true }),
        'model-compile': async (job) => {
          ranOnWorker.push(job.id);
          return { compiledBy: 'worker' };
        },
      },
      { lockMs: 2000, stalledMs: 500 },
    );
    w.start();
    workers.push(w);
    const compile = await delivery.store.enqueue('model-compile', { modelId: 'm1' });
    const proof = await delivery.store.enqueue('membership', { mode: 'ok' });
    assert.equal((await finished(proof.id)).state, 'succeeded', 'the worker is live and takes proofs');
    assert.equal(records.get(compile.id)?.state, 'queued');
    assert.deepEqual(
      (await transport.apiQueue.getWaiting()).map((j) => j.data.id),
      [compile.id],
    );
    // A compile delivered to the proofs' queue anyway (by an older release): a worker without a compile handler
    // leaves it unclaimed (attempts unchanged) for the reconciliation to deliver to the API nodes' queue.
    await stopWorkers();
    const proofsOnly = startWorker(async () => ({ ok: true }));
    await transport.queue.add('job', { id: compile.id }, { jobId: `${compile.id}-legacy`, removeOnComplete: true, removeOnFail: true });
    await until('the legacy delivery to be taken', async () => ((await transport.queue.getWaitingCount()) === 0 ? true : undefined));
    await proofsOnly.close(5000);
    assert.equal(records.get(compile.id)?.state, 'queued');
    assert.equal(records.get(compile.id)?.attempts, 0);
    // The API node's consumer (jobs/queue-node.ts runApiJobs) runs it.
    const api = new RedisJobWorker(
      redis.url,
      records,
      transport,
      { 'model-compile': async () => ({ compiledBy: 'api' }) },
      {
        queueName: API_QUEUE_NAME,
        lockMs: 2000,
        stalledMs: 500,
      },
    );
    api.start();
    workers.push(api);
    const done = await finished(compile.id);
    assert.equal(done.state, 'succeeded');
    assert.deepEqual(done.result, { compiledBy: 'api' });
    assert.deepEqual(ranOnWorker, []);
    await stopWorkers();
  });

  it("an API node's compile writes its phase, setup step and percent under its claim, 100 before it succeeds (issue 16)", async () => {
    await stopWorkers();
    // Every progress write the store of record takes, as the job's event stream would see it (in order, no polling).
    const written: [string | undefined, string | undefined, number | undefined][] = [];
    const unwatch = records.onProgress((id) => {
      const p = records.get(id)?.progress;
      written.push([p?.phase, p?.step, p?.percent]);
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // As compileInChild passes on the compile child's reports (model-jobs.ts), then the handler's own end.
    const api = new RedisJobWorker(
      redis.url,
      records,
      transport,
      {
        'model-compile': async (_job, ctx) => {
          ctx?.progress({ phase: 'circuit', percent: 5 });
          ctx?.progress({ phase: 'setup', step: 'zkey', percent: 46 });
          ctx?.progress({ phase: 'setup', step: 'contribution', percent: 70 });
          ctx?.progress({ phase: 'store', percent: 100 });
          await held;
          return { compiled: true };
        },
      },
      { queueName: API_QUEUE_NAME, lockMs: 2000, stalledMs: 500 },
    );
    api.start();
    workers.push(api);
    try {
      const compile = await delivery.store.enqueue('model-compile', { modelId: 'm' });
      // Written only under the attempt's claim token (a write under another is ignored, and this would time out).
      await until("the compile's end", () => (records.get(compile.id)?.progress?.percent === 100 ? true : undefined));
      // Still running, and what a reader sees is the claim's last report.
      assert.equal(records.get(compile.id)?.state, 'running');
      assert.deepEqual(written, [
        ['circuit', undefined, 5],
        ['setup', 'zkey', 46],
        ['setup', 'contribution', 70],
        ['store', undefined, 100],
      ]);
      release();
      assert.equal((await finished(compile.id)).state, 'succeeded');
    } finally {
      release();
      unwatch();
      await stopWorkers();
    }
  });

  it('a Redis restart without persistence loses no job; status says unreachable, then not persistent', async () => {
    await stopWorkers();
    const seen = new Map<string, number>();
    startWorker(async (job) => {
      seen.set(job.id, (seen.get(job.id) ?? 0) + 1);
      return { ok: true };
    });
    assert.deepEqual(await transport.status(), { backend: 'redis', reachable: true, persistent: false });
    await stopWorkers(); // so the jobs below wait in the queue across the restart
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await delivery.store.enqueue('membership', { restart: i })).id);
    await redis.restart();
    const worker = startWorker(async (job) => {
      seen.set(job.id, (seen.get(job.id) ?? 0) + 1);
      return { ok: true };
    });
    await worker.ready();
    // Accepted while the new Redis is empty: recorded and delivered like the others.
    ids.push((await delivery.store.enqueue('membership', { restart: 'after' })).id);
    const done = await Promise.all(ids.map((id) => finished(id)));
    assert.deepEqual(
      done.map((j) => j.state),
      done.map(() => 'succeeded'),
    );
    for (const id of ids) assert.equal(seen.get(id), 1, `job ${id} ran once`);
    await stopWorkers(); // before Redis goes away: a BullMQ worker's close waits for a connection it lost
    await transport.redis.config('SET', 'appendonly', 'yes');
    assert.equal((await transport.status()).persistent, true);
    await transport.redis.config('SET', 'appendonly', 'no');
    await redis.crash();
    await until('the connection to drop', () => (transport.redis.status === 'ready' ? undefined : true));
    assert.deepEqual(await transport.status(), { backend: 'redis', reachable: false, persistent: null });
    await redis.restart(); // for the clean-up
    await until('the connection to come back', () => (transport.redis.status === 'ready' ? true : undefined));
  });
});
