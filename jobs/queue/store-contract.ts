// The behaviour every store of record must show (JobRecordsApi), run by store-contract.test.ts against each one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobRecordsApi } from './types.ts';

/**
 * Registers the contract suite for one store. `connect` opens a new connection to one shared, initially empty
 * store: the suite opens two, as an API node and a worker on other machines would, and checks that the guarded
 * transitions hold across them.
 */
export function describeStoreContract(
  name: string,
  connect: () => Promise<JobRecordsApi>,
  opts: { skip?: false | string; teardown?: () => Promise<void> } = {},
): void {
  const skip = opts.skip ?? false;
  describe(`store of record contract: ${name}`, { skip }, () => {
    let api: JobRecordsApi;
    let worker: JobRecordsApi;
    before(async () => {
      api = await connect();
      worker = await connect();
    });
    after(async () => {
      await api?.close();
      await worker?.close();
      await opts.teardown?.();
    });

    it('a recorded job is read back by every connection; listing is per tenant, newest first; counts agree', async () => {
      const a = await api.enqueue('membership', { n: 'a' }, 'tenant-a');
      const b = await api.enqueue('inference', { n: 'b' });
      assert.equal(a.state, 'queued');
      assert.equal(a.attempts, 0);
      assert.equal(b.tenant, 'default');
      assert.deepEqual(await worker.get(a.id), a);
      assert.deepEqual(
        (await worker.list({ tenant: 'tenant-a' })).map((j) => j.id),
        [a.id],
      );
      assert.deepEqual(
        (await api.list()).map((j) => j.id),
        [b.id, a.id],
      );
      assert.equal(await worker.queuedCount(), 2);
      assert.deepEqual(await worker.counts(), { queued: 2, running: 0, succeeded: 0, failed: 0, cancelled: 0 });
      assert.deepEqual(
        (await worker.unfinished()).map((j) => [j.id, j.state, j.attempts]),
        [
          [a.id, 'queued', 0],
          [b.id, 'queued', 0],
        ],
      );
      assert.equal(await api.get('00000000-0000-4000-8000-000000000000'), undefined);
      for (const j of [a, b]) assert.equal((await api.cancel(j.id))?.outcome, 'cancelled');
    });

    it('an attempt succeeds once: only the current claim records an outcome, and a finished job is never claimed again', async () => {
      const job = await api.enqueue('membership', { n: 1 });
      assert.equal(await worker.claim(job.id, 'first', 3), 'running');
      assert.equal(await api.claim(job.id, 'second', 3), 'running', 'a re-delivery takes the attempt over');
      const [late, current] = await Promise.all([
        worker.finishHeld(job.id, 'first', 'succeeded', { result: { by: 'first' } }),
        api.finishHeld(job.id, 'second', 'succeeded', { result: { by: 'second' } }),
      ]);
      assert.deepEqual([late, current], [undefined, 'succeeded']);
      assert.equal(await worker.finishHeld(job.id, 'second', 'succeeded', { result: { by: 'again' } }), undefined);
      assert.equal(await worker.claim(job.id, 'third', 3), 'succeeded');
      const done = (await api.get(job.id))!;
      assert.deepEqual(done.result, { by: 'second' });
      assert.equal(done.attempts, 2);
      assert.ok(done.finishedAt);
      assert.equal(await worker.claim('00000000-0000-4000-8000-000000000000', 'x', 3), 'missing');
    });

    it('progress belongs to the current claim; a retry goes back to queued; a lost worker on every attempt fails the job', async () => {
      const job = await api.enqueue('membership', { n: 2 });
      const at = new Date().toISOString();
      assert.equal(await worker.setProgress(job.id, { phase: 'msm', updatedAt: at }, 'nobody'), false, 'queued: ignored');
      assert.equal(await worker.claim(job.id, 'a', 3), 'running');
      assert.equal(await worker.setProgress(job.id, { phase: 'msm', percent: 40, updatedAt: at }, 'a'), true);
      assert.equal((await api.get(job.id))?.progress?.phase, 'msm');
      assert.equal(await worker.finishHeld(job.id, 'a', 'queued'), 'queued');
      assert.equal((await api.get(job.id))?.state, 'queued');
      assert.equal(await worker.claim(job.id, 'b', 3), 'running');
      assert.equal((await api.get(job.id))?.progress, undefined, 'a new attempt starts without progress');
      assert.equal(await worker.setProgress(job.id, { phase: 'witness', updatedAt: at }, 'a'), false, 'the old attempt is ignored');
      assert.equal(await worker.claim(job.id, 'c', 3), 'running');
      assert.equal(await worker.claim(job.id, 'd', 3), 'failed');
      const failed = (await api.get(job.id))!;
      assert.equal(failed.error?.code, 'INTERNAL');
      assert.equal(failed.attempts, 3);
    });

    it('a cancel asked for while running wins over the result; a queued cancel is final', async () => {
      const job = await api.enqueue('membership', { n: 3 });
      assert.equal(await worker.claim(job.id, 'a', 3), 'running');
      assert.equal((await api.cancel(job.id))?.outcome, 'cancel-requested');
      assert.equal(await worker.finishHeld(job.id, 'a', 'succeeded', { result: { late: true } }), 'cancelled');
      assert.equal((await api.get(job.id))?.result, undefined);
      const queued = await api.enqueue('membership', { n: 4 });
      assert.equal((await api.cancel(queued.id))?.outcome, 'cancelled');
      assert.equal(await worker.claim(queued.id, 'a', 3), 'cancelled');
      assert.equal((await api.cancel(queued.id))?.outcome, 'finished');
    });

    it('retention deletes finished proof jobs only: never a model compile, a queued or a running job', async () => {
      const proof = await api.enqueue('membership', { n: 5 });
      await worker.claim(proof.id, 't', 3);
      await worker.finishHeld(proof.id, 't', 'succeeded', { result: {} });
      const compile = await api.enqueue('model-compile', { n: 6 });
      await worker.claim(compile.id, 't', 3);
      await worker.finishHeld(compile.id, 't', 'succeeded', { result: {} });
      const running = await api.enqueue('inference', { n: 7 });
      await worker.claim(running.id, 't', 3);
      const queued = await api.enqueue('inference', { n: 8 });
      assert.equal(await api.pruneFinished(new Date(Date.now() - 3_600_000)), 0);
      assert.ok((await api.pruneFinished(new Date(Date.now() + 1000))) >= 1);
      assert.equal(await api.get(proof.id), undefined);
      assert.equal((await worker.get(compile.id))?.state, 'succeeded');
      assert.equal((await worker.get(running.id))?.state, 'running');
      assert.equal((await worker.get(queued.id))?.state, 'queued');
      assert.deepEqual(
        (await api.unfinished()).map((j) => j.id),
        [running.id, queued.id],
      );
    });
  });
}
