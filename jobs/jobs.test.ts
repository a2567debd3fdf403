import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ZkaiError } from '../common/errors.ts';
import { type Job, JobRunner, JobStore, jobTimeoutMs } from './jobs.ts';

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('JobStore and JobRunner', () => {
  const dirs: string[] = [];
  const tempStore = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-jobs-'));
    dirs.push(dir);
    return path.join(dir, 'jobs.sqlite');
  };
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('the retention sweep deletes finished proof jobs older than the cutoff, never queued, running or model-compile ones', () => {
    const store = new JobStore(':memory:');
    const succeeded = store.enqueue('membership', { n: 1 });
    assert.equal(store.claimNext()?.id, succeeded.id);
    store.succeed(succeeded.id, { ok: true });
    const failed = store.enqueue('membership', { n: 2 });
    assert.equal(store.claimNext()?.id, failed.id);
    store.fail(failed.id, { code: 'BAD_INPUT', message: 'no' });
    const cancelled = store.enqueue('membership', { n: 3 });
    store.cancel(cancelled.id);
    // A model's compile job is its record (jobs/models.ts): kept however old (issue 18: models died after 7 days).
    const compiled = store.enqueue('model-compile', { n: 6 });
    assert.equal(store.claimNext()?.id, compiled.id);
    store.succeed(compiled.id, { ok: true });
    const inference = store.enqueue('inference', { n: 7 });
    assert.equal(store.claimNext()?.id, inference.id);
    store.succeed(inference.id, { ok: true });
    const running = store.enqueue('membership', { n: 4 });
    assert.equal(store.claimNext()?.id, running.id);
    const queued = store.enqueue('membership', { n: 5 });

    assert.equal(store.pruneFinished(new Date(Date.now() - 3_600_000)), 0, 'nothing finished more than an hour ago');
    assert.equal(store.pruneFinished(new Date(Date.now() + 1000)), 4);
    for (const gone of [succeeded, failed, cancelled, inference]) assert.equal(store.get(gone.id), undefined);
    assert.equal(store.get(compiled.id)?.state, 'succeeded');
    assert.equal(store.get(running.id)?.state, 'running');
    assert.equal(store.get(queued.id)?.state, 'queued');
    assert.deepEqual(store.counts(), { queued: 1, running: 1, succeeded: 1, failed: 0, cancelled: 0 });
    assert.equal(store.pruneFinished(new Date(Date.now() + 1000)), 0);
    store.close();
  });

  it('a kind with its own time limit (model compiles) outlives the general one; 0 means none', async () => {
    assert.equal(jobTimeoutMs({ timeoutMs: 50 }, 'membership'), 50);
    assert.equal(jobTimeoutMs({ timeoutMs: 50, timeoutMsByKind: { 'model-compile': 0 } }, 'model-compile'), undefined);
    assert.equal(jobTimeoutMs({ timeoutMsByKind: { 'model-compile': 9 } }, 'model-compile'), 9);
    assert.equal(jobTimeoutMs({}, 'inference'), undefined);

    const store = new JobStore(':memory:');
    const slow = () => new Promise<Record<string, unknown>>((resolve) => setTimeout(() => resolve({ ok: true }), 200));
    const runner = new JobRunner(
      store,
      { membership: slow, 'model-compile': slow },
      { concurrency: 2, pollMs: 10, timeoutMs: 40, timeoutMsByKind: { 'model-compile': 10_000 } },
    );
    runner.start();
    const proof = store.enqueue('membership', { n: 1 });
    const compile = store.enqueue('model-compile', { n: 2 });
    runner.pump();
    await until(() => store.get(compile.id)?.state === 'succeeded' && store.get(proof.id)?.state === 'failed');
    assert.equal(store.get(proof.id)?.error?.code, 'JOB_TIMEOUT');
    assert.match(store.get(proof.id)?.error?.message ?? '', /within 40 ms/);
    await runner.stop();
    store.close();
  });

  it("at a job's timeout the runner aborts its context's signal, so a handler can stop its work (a compile's child)", async () => {
    const store = new JobStore(':memory:');
    let seen: AbortSignal | undefined;
    // Finishes only when told to stop, like a child process killed on abort.
    const stoppable = (_job: Job, ctx?: { signal?: AbortSignal }) =>
      new Promise<Record<string, unknown>>((_, reject) => {
        seen = ctx?.signal;
        ctx?.signal?.addEventListener('abort', () => reject(ctx.signal?.reason));
      });
    const runner = new JobRunner(store, { 'model-compile': stoppable }, { pollMs: 10, timeoutMsByKind: { 'model-compile': 30 } });
    runner.start();
    const job = store.enqueue('model-compile', { n: 1 });
    runner.pump();
    await until(() => store.get(job.id)?.state === 'failed');
    assert.equal(store.get(job.id)?.error?.code, 'JOB_TIMEOUT');
    assert.ok(seen, 'the handler got a signal');
    await until(() => seen?.aborted === true);
    assert.equal((seen!.reason as ZkaiError).code, 'JOB_TIMEOUT');
    await runner.stop(1000);
    store.close();
  });

  it('a job accepted before a crash is run after the restart, exactly once', async () => {
    const file = await tempStore();
    const first = new JobStore(file);
    const a = first.enqueue('membership', { n: 1 });
    const b = first.enqueue('membership', { n: 2 });
    // The "crashed" process had claimed a, never finished it, and never closed the store.
    assert.equal(first.claimNext()?.id, a.id);

    const second = new JobStore(file);
    const ran: unknown[] = [];
    const runner = new JobRunner(second, {
      membership: async (job: Job) => {
        ran.push(job.request.n);
        return { doubled: (job.request.n as number) * 2 };
      },
    });
    runner.start();
    await until(() => second.counts().succeeded === 2);
    await runner.stop();
    assert.deepEqual(ran, [1, 2], 'oldest first, each once');
    assert.equal(second.get(a.id)?.attempts, 2, 'the interrupted attempt is counted');
    assert.deepEqual(second.get(b.id)?.result, { doubled: 4 });
    first.close();
    second.close();
  });

  it('a ZkaiError fails the job with its code; an unexpected error is retried, then fails', async () => {
    const store = new JobStore(await tempStore());
    let calls = 0;
    const runner = new JobRunner(
      store,
      {
        membership: async (job: Job) => {
          calls++;
          if (job.request.kind === 'definite') throw new ZkaiError('UNKNOWN_RECORD', 'no such record');
          throw new Error('disk hiccup');
        },
      },
      { maxAttempts: 3, pollMs: 20 },
    );
    const definite = store.enqueue('membership', { kind: 'definite' });
    const flaky = store.enqueue('membership', { kind: 'flaky' });
    runner.start();
    await until(() => store.counts().failed === 2);
    await runner.stop();
    assert.deepEqual(store.get(definite.id)?.error, { code: 'UNKNOWN_RECORD', message: 'no such record' });
    assert.equal(store.get(definite.id)?.attempts, 1);
    assert.equal(store.get(flaky.id)?.attempts, 3);
    assert.equal(store.get(flaky.id)?.error?.code, 'INTERNAL');
    assert.equal(calls, 4);
    store.close();
  });

  it("setProgress records a running job's phase (an old database gets the column); the runner rate-limits writes", async () => {
    const file = await tempStore();
    // A store from before progress existed: the column is added on open.
    const Database = (await import('better-sqlite3')).default;
    const old = new Database(file);
    old.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, request TEXT NOT NULL, result TEXT,
      error TEXT, attempts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, started_at TEXT, finished_at TEXT)`);
    old.close();
    const store = new JobStore(file);
    const job = store.enqueue('membership', {});
    const at = new Date().toISOString();
    assert.equal(store.setProgress(job.id, { phase: 'witness', percent: 0, updatedAt: at }), false, 'not running: ignored');
    assert.equal(store.get(job.id)?.progress, undefined);
    store.claimNext();
    const heard: string[] = [];
    const unsubscribe = store.onProgress((id) => heard.push(id));
    assert.equal(store.setProgress(job.id, { phase: 'msm', percent: 25, updatedAt: at }), true);
    unsubscribe();
    assert.deepEqual(store.get(job.id)?.progress, { phase: 'msm', percent: 25, updatedAt: at });
    assert.equal(store.get(job.id)?.updatedAt, at);
    assert.deepEqual(heard, [job.id]);
    // A new attempt starts without the old attempt's progress.
    store.requeue(job.id);
    assert.equal(store.claimNext()?.progress, undefined);
    store.succeed(job.id, {});

    // Through the runner: every phase change is written, repeated percents of one phase are dropped.
    const writes: string[] = [];
    store.onProgress((id) => writes.push(store.get(id)!.progress!.phase));
    const runner = new JobRunner(store, {
      membership: async (_job, ctx) => {
        for (const phase of ['witness', 'quotient', 'msm'] as const) ctx?.progress({ phase });
        for (let p = 30; p < 100; p += 10) ctx?.progress({ phase: 'msm', percent: p });
        return {};
      },
    });
    const second = store.enqueue('membership', {});
    runner.start();
    await until(() => store.get(second.id)?.state === 'succeeded');
    await runner.stop();
    assert.deepEqual(writes, ['witness', 'quotient', 'msm']);
    store.close();
  });
});

describe('JobStore: a queue worker’s attempts (claim tokens)', () => {
  it('only the current claim can record an outcome, and only once; a finished job is never claimed again', () => {
    const store = new JobStore(':memory:');
    const job = store.enqueue('membership', { n: 1 });
    assert.equal(store.claim(job.id, 'first', 3), 'running');
    // The first worker is presumed lost (Redis re-delivered the job); another takes it over.
    assert.equal(store.claim(job.id, 'second', 3), 'running');
    assert.equal(store.finishHeld(job.id, 'first', 'succeeded', { result: { by: 'first' } }), undefined);
    assert.equal(store.finishHeld(job.id, 'second', 'succeeded', { result: { by: 'second' } }), 'succeeded');
    assert.equal(store.finishHeld(job.id, 'second', 'succeeded', { result: { by: 'again' } }), undefined);
    assert.equal(store.claim(job.id, 'third', 3), 'succeeded', 'a late delivery of a finished job is skipped');
    const done = store.get(job.id)!;
    assert.deepEqual(done.result, { by: 'second' });
    assert.equal(done.attempts, 2);
    assert.ok(done.startedAt && done.finishedAt);
    assert.equal(store.claim('00000000-0000-4000-8000-000000000000', 'x', 3), 'missing');
    store.close();
  });

  it('progress is written for the current claim only; a new claim clears it; a retry goes back to queued', () => {
    const store = new JobStore(':memory:');
    const job = store.enqueue('membership', { n: 9 });
    const at = new Date().toISOString();
    assert.equal(store.claim(job.id, 'first', 3), 'running');
    assert.equal(store.setProgress(job.id, { phase: 'msm', percent: 25, updatedAt: at }, 'first'), true);
    assert.equal(store.get(job.id)?.progress?.phase, 'msm');
    assert.equal(store.claim(job.id, 'second', 3), 'running');
    assert.equal(store.get(job.id)?.progress, undefined, 'a new attempt starts without progress');
    assert.equal(store.setProgress(job.id, { phase: 'quotient', updatedAt: at }, 'first'), false, 'a lost worker is ignored');
    assert.equal(store.setProgress(job.id, { phase: 'quotient', updatedAt: at }, 'second'), true);
    assert.equal(store.finishHeld(job.id, 'second', 'queued'), 'queued');
    assert.deepEqual(store.unfinished(), [{ id: job.id, kind: 'membership', state: 'queued', attempts: 2 }]);
    assert.equal(store.get(job.id)?.finishedAt, undefined);
    store.close();
  });

  it('gives up on a job whose worker was lost on every attempt; a cancel asked for meanwhile wins', () => {
    const store = new JobStore(':memory:');
    const job = store.enqueue('membership', { n: 2 });
    for (const t of ['a', 'b', 'c']) assert.equal(store.claim(job.id, t, 3), 'running');
    assert.equal(store.claim(job.id, 'd', 3), 'failed');
    assert.equal(store.get(job.id)?.error?.code, 'INTERNAL');
    assert.equal(store.get(job.id)?.attempts, 3);
    const cancelMe = store.enqueue('membership', { n: 3 });
    assert.equal(store.claim(cancelMe.id, 'a', 3), 'running');
    assert.equal(store.cancel(cancelMe.id)?.outcome, 'cancel-requested');
    assert.equal(store.finishHeld(cancelMe.id, 'a', 'succeeded', { result: { late: true } }), 'cancelled');
    assert.equal(store.get(cancelMe.id)?.result, undefined);
    assert.deepEqual(store.unfinished(), []);
    store.close();
  });
});
