import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { ZkaiError } from '../common/errors.ts';
import { JobRunner, JobStore } from '../jobs/jobs.ts';
import { membershipJobHandler } from '../jobs/membership-job.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from './app.ts';
import type { AuthOptions } from './auth.ts';
import { createMetrics, type ServiceMetrics } from './metrics.ts';
import { openEventStream, sseEvents } from './test-sse.ts';

/** These tests are about the API itself, not keys (server/tenancy.test.ts is): auth off, explicitly. */
const AUTH_OFF: AuthOptions = { mode: 'off' };
// A depth-4 membership circuit keeps compile, setup and proving to a second or two.
const DEPTH = 4;
const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const RECORDS = [
  { id: 'a', contributor: addr(0xa1), contentHash: hash(1), weight: 3 },
  { id: 'b', contributor: addr(0xb2), contentHash: hash(2), weight: 5 },
];
const UNKNOWN_JOB = '00000000-0000-4000-8000-000000000000';

function assertError(res: LightMyRequestResponse, status: number, code: string): void {
  assert.equal(res.statusCode, status, `expected ${status} ${code}, got ${res.statusCode}: ${res.body}`);
  assert.equal(res.json().error.code, code, res.body);
}

/** The value of one sample in Prometheus text, e.g. sample(text, 'zkai_jobs{state="queued"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('observability and limits', () => {
  let tmp: string;
  let datasetsDir: string;
  let membership: MembershipCircuit;
  let root: string;
  const cleanups: (() => Promise<void> | void)[] = [];

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-obs-test-'));
    datasetsDir = path.join(tmp, 'datasets');
    membership = await prepareMembershipCircuit(DEPTH);
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  /** An app over its own in-memory store whose runner never runs anything (jobs stay queued). */
  async function idleApp(opts: { maxQueue?: number; rateLimit?: number } = {}) {
    const store = new JobStore(':memory:');
    const metrics = createMetrics();
    const app = await buildApp({ store, runner: { pump() {} }, membership, datasetsDir, metrics, auth: AUTH_OFF, ...opts });
    cleanups.push(async () => {
      await app.close();
      store.close();
    });
    // Each app has its own (in-memory) tenant store: commit in each, so its default tenant owns the dataset.
    const res = await app.inject({ method: 'POST', url: '/v1/datasets', payload: { records: RECORDS } });
    assert.ok(res.statusCode === 201 || res.statusCode === 200, res.body);
    root = res.json().rootHex;
    const ask = () => app.inject({ method: 'POST', url: `/v1/datasets/${root}/proofs`, payload: { recordId: 'a', epoch: 1 } });
    return { store, app, metrics, ask };
  }

  test('GET /metrics: named metrics, and the jobs-by-state gauge moves', async () => {
    const { app, ask } = await idleApp();
    const before = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(before.statusCode, 200);
    assert.match(String(before.headers['content-type']), /^text\/plain/);
    for (const name of [
      'zkai_jobs_queued',
      'zkai_jobs',
      'zkai_proof_duration_seconds',
      'zkai_job_outcomes_total',
      'zkai_job_duration_seconds',
      'zkai_http_request_duration_seconds',
      'zkai_pool_utilization',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      assert.match(before.body, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exposed`);
    }
    assert.equal(sample(before.body, 'zkai_jobs{state="queued"}'), 0);
    assert.equal((await ask()).statusCode, 202);
    assert.equal((await ask()).statusCode, 202);
    const afterText = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.equal(sample(afterText, 'zkai_jobs{state="queued"}'), 2);
    assert.equal(sample(afterText, 'zkai_jobs_queued'), 2);
    // The HTTP histogram labels by route pattern and status.
    assert.ok(
      (sample(afterText, 'zkai_http_request_duration_seconds_count{method="POST",route="/v1/datasets/:root/proofs",status="202"}') ?? 0) >=
        2,
      afterText
        .split('\n')
        .filter((l) => l.startsWith('zkai_http_request_duration_seconds_count'))
        .join('\n'),
    );
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    assert.equal(doc.paths['/metrics'], undefined, '/metrics is not part of the API document');
  });

  test('cancel: a queued job never runs; a running one ends cancelled when it returns; finished ones are 409', async () => {
    const { store, app, ask } = await idleApp();
    const queued = (await ask()).json();
    const cancelled = await app.inject({ method: 'POST', url: `/v1/jobs/${queued.jobId}/cancel` });
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    assert.equal(cancelled.json().state, 'cancelled');
    assert.equal(cancelled.json().phase, 'done');
    assert.equal(store.claimNext(), undefined, 'the runner finds nothing to run');
    assertError(await app.inject({ method: 'POST', url: `/v1/jobs/${queued.jobId}/cancel` }), 409, 'JOB_FINISHED');
    assertError(await app.inject({ method: 'POST', url: `/v1/jobs/${UNKNOWN_JOB}/cancel` }), 404, 'UNKNOWN_JOB');

    // Running: marked, then cancelled (result discarded) when the proof returns.
    const running = (await ask()).json();
    assert.equal(store.claimNext()?.id, running.jobId);
    const requested = await app.inject({ method: 'POST', url: `/v1/jobs/${running.jobId}/cancel` });
    assert.equal(requested.statusCode, 202, requested.body);
    assert.equal(requested.json().state, 'running');
    assert.equal(requested.json().cancelRequested, true);
    assert.equal(store.succeed(running.jobId, { proof: 'ignored' }), 'cancelled');
    const ended = store.get(running.jobId)!;
    assert.equal(ended.state, 'cancelled');
    assert.equal(ended.result, undefined, 'the result is discarded');
    assertError(await app.inject({ method: 'GET', url: `/v1/jobs/${running.jobId}/bundle` }), 409, 'JOB_NOT_FINISHED');

    // A finished job cannot be cancelled.
    const finished = (await ask()).json();
    store.claimNext();
    store.fail(finished.jobId, { code: 'WITNESS_FAILED', message: 'no' });
    assertError(await app.inject({ method: 'POST', url: `/v1/jobs/${finished.jobId}/cancel` }), 409, 'JOB_FINISHED');

    // A restart does not resurrect a job whose cancel was asked for while it ran.
    const interrupted = (await ask()).json();
    store.claimNext();
    store.cancel(interrupted.jobId);
    store.requeueInterrupted();
    assert.equal(store.get(interrupted.jobId)?.state, 'cancelled');
    assert.equal(store.claimNext(), undefined);
  });

  test('SSE over a real socket: the first event arrives at once, and a client that disconnects ends the stream', async () => {
    const { app, ask, store } = await idleApp();
    const { jobId } = (await ask()).json();
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    // node:http rather than fetch: aborting a fetch body does not close its socket at once.
    const first = await new Promise<{ headers: http.IncomingHttpHeaders; chunk: string }>((resolve, reject) => {
      const req = http.get(`${address}/v1/jobs/${jobId}/events`, (res) => {
        res.once('data', (chunk) => {
          req.destroy(); // the client goes away mid-stream
          resolve({ headers: res.headers, chunk: String(chunk) });
        });
      });
      req.on('error', reject);
    });
    assert.match(String(first.headers['content-type']), /^text\/event-stream/);
    assert.match(first.chunk, /^event: job\n/);
    assert.equal(sseEvents(first.chunk)[0]?.state, 'queued');
    // The job goes on unaffected, and the server lets go of the stream: closing does not wait for it (nothing runs
    // this job, so a close that waited on its stream would never return, and the test would time out).
    assert.equal(store.get(jobId)?.state, 'queued');
    await app.close();
    assert.equal(store.get(jobId)?.state, 'queued', 'closed while the job was still queued');
  });

  test('SSE: closing the server ends open streams instead of waiting for their jobs', async () => {
    const { app, ask } = await idleApp();
    const { jobId } = (await ask()).json();
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    let body = '';
    const ended = new Promise<void>((resolve, reject) => {
      http
        .get(`${address}/v1/jobs/${jobId}/events`, (res) => {
          res.on('data', (chunk) => (body += chunk));
          res.on('end', resolve);
          res.on('error', reject);
        })
        .on('error', reject);
    });
    await until(() => body.length > 0);
    // Nothing runs this job: a close that waited for it (or a stream the close did not end) would never return.
    await app.close();
    await ended;
    assert.equal(sseEvents(body)[0]?.state, 'queued');
  });

  test('queue full: 429 QUEUE_FULL with Retry-After', async () => {
    const { ask } = await idleApp({ maxQueue: 2 });
    assert.equal((await ask()).statusCode, 202);
    assert.equal((await ask()).statusCode, 202);
    const full = await ask();
    assertError(full, 429, 'QUEUE_FULL');
    assert.ok(Number(full.headers['retry-after']) > 0, `Retry-After: ${full.headers['retry-after']}`);
  });

  test('rate limit: 429 RATE_LIMITED, /health and /metrics exempt', async () => {
    // idleApp's dataset commit is the first of the 4 requests allowed.
    const { app } = await idleApp({ rateLimit: 4 });
    for (let i = 0; i < 3; i++) assertError(await app.inject({ method: 'GET', url: `/v1/jobs/${UNKNOWN_JOB}` }), 404, 'UNKNOWN_JOB');
    const limited = await app.inject({ method: 'GET', url: `/v1/jobs/${UNKNOWN_JOB}` });
    assertError(limited, 429, 'RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) > 0, `Retry-After: ${limited.headers['retry-after']}`);
    for (let i = 0; i < 5; i++) {
      assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
      assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
    }
  });

  test('job timeout: the job fails with JOB_TIMEOUT, the late result is discarded, and the slot is held until it returns', async () => {
    const store = new JobStore(':memory:');
    const metrics: ServiceMetrics = createMetrics();
    const finish = new Map<string, () => void>();
    const runner = new JobRunner(
      store,
      { membership: (job) => new Promise((resolve) => finish.set(job.id, () => resolve({ late: true }))) },
      { timeoutMs: 50, pollMs: 20, onOutcome: metrics.jobOutcome },
    );
    const app = await buildApp({ store, runner, membership, datasetsDir, metrics, auth: AUTH_OFF });
    cleanups.push(async () => {
      await app.close();
      for (const f of finish.values()) f();
      await runner.stop(1000);
      store.close();
    });
    runner.start();
    const job = store.enqueue('membership', { root, recordId: 'a', epoch: '1' });
    runner.pump();
    await until(() => store.get(job.id)?.state === 'failed');
    const view = (await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}` })).json();
    assert.equal(view.error.code, 'JOB_TIMEOUT');
    assertError(await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/bundle` }), 422, 'JOB_TIMEOUT');

    // The timed-out proof still occupies the (single) slot: the next job waits in the queue.
    const next = store.enqueue('membership', { root, recordId: 'b', epoch: '1' });
    runner.pump(); // claims at once (synchronously) when a slot is free
    assert.equal(store.get(next.id)?.state, 'queued');
    finish.get(job.id)!();
    await until(() => store.get(next.id)?.state !== 'queued');
    assert.equal(store.get(job.id)?.state, 'failed', 'the late result does not revive the job');
    assert.equal(store.get(job.id)?.result, undefined);
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.equal(sample(text, 'zkai_job_outcomes_total{kind="membership",result="timeout"}'), 1);
  });

  test('cancel a job the runner is running: 202, then cancelled when its handler returns, counted as cancelled', async () => {
    const store = new JobStore(':memory:');
    const metrics = createMetrics();
    let finish: (() => void) | undefined;
    const runner = new JobRunner(
      store,
      { membership: () => new Promise((resolve) => (finish = () => resolve({ proof: 'discarded' }))) },
      { pollMs: 20, onOutcome: metrics.jobOutcome },
    );
    const app = await buildApp({ store, runner, membership, datasetsDir, metrics, auth: AUTH_OFF });
    cleanups.push(async () => {
      await app.close();
      finish?.();
      await runner.stop(1000);
      store.close();
    });
    runner.start();
    const job = store.enqueue('membership', { root, recordId: 'a', epoch: '1' });
    runner.pump();
    await until(() => finish !== undefined);
    const res = await app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel` });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(res.json().cancelRequested, true);
    finish!();
    await until(() => store.get(job.id)?.state === 'cancelled');
    assert.equal(store.get(job.id)?.result, undefined);
    assert.equal(sample(await metrics.registry.metrics(), 'zkai_job_outcomes_total{kind="membership",result="cancelled"}'), 1);
  });

  test('a ZkaiError still fails a job once, and is counted', async () => {
    const store = new JobStore(':memory:');
    const metrics = createMetrics();
    const runner = new JobRunner(
      store,
      {
        membership: async () => {
          throw new ZkaiError('WITNESS_FAILED', 'false statement');
        },
      },
      { pollMs: 20, timeoutMs: 5000, onOutcome: metrics.jobOutcome },
    );
    cleanups.push(async () => {
      await runner.stop(1000);
      store.close();
    });
    runner.start();
    const job = store.enqueue('membership', {});
    runner.pump();
    await until(() => store.get(job.id)?.state === 'failed');
    assert.equal(store.get(job.id)?.error?.code, 'WITNESS_FAILED');
    const text = await metrics.registry.metrics();
    assert.equal(sample(text, 'zkai_job_outcomes_total{kind="membership",result="failed"}'), 1);
  });

  test('SSE: a real depth-4 proof streams queued -> running -> succeeded; the proof is in the metrics', async () => {
    const store = new JobStore(':memory:');
    const metrics = createMetrics();
    const pool = new ProverPool({ threads: 1 });
    // The app's pump does nothing and the runner polls slowly, so the stream sees the job queued first.
    const runner = new JobRunner(
      store,
      { membership: membershipJobHandler({ pool, membership, datasetsDir, observeProof: metrics.observeProof }) },
      { pollMs: 300, onOutcome: metrics.jobOutcome },
    );
    const app = await buildApp({ store, runner: { pump() {} }, membership, datasetsDir, metrics, pool, eventPollMs: 50, auth: AUTH_OFF });
    cleanups.push(async () => {
      await app.close();
      await runner.stop();
      await pool.close();
      store.close();
    });
    // This app's tenant store is its own: commit here too (same records, same root).
    root = (await app.inject({ method: 'POST', url: '/v1/datasets', payload: { records: RECORDS } })).json().rootHex;
    const accepted = await app.inject({ method: 'POST', url: `/v1/datasets/${root}/proofs`, payload: { recordId: 'b', epoch: 2 } });
    assert.equal(accepted.statusCode, 202, accepted.body);
    const { jobId } = accepted.json();
    const started = performance.now();
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const stream = openEventStream(`${address}/v1/jobs/${jobId}/events`);
    // Start the runner only once the stream has shown the job queued.
    await stream.first;
    runner.start();
    const res = await stream.done;
    const seconds = (performance.now() - started) / 1000;
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    const events = sseEvents(res.body);
    const states = events.map((e) => e.state);
    assert.equal(states[0], 'queued', states.join(' -> '));
    assert.equal(states.at(-1), 'succeeded', states.join(' -> '));
    // Phases: queued, then (after an optional plain `running`) the prover's reported phases in order, then done.
    const phases = events.map((e) => e.phase);
    assert.equal(phases[0], 'queued');
    assert.equal(phases.at(-1), 'done');
    const reported = phases.slice(1, -1).filter((p) => p !== 'running');
    assert.ok(['witness,proving', 'witness,quotient,msm'].includes(reported.join()), `reported phases ${phases.join(' -> ')}`);
    const last = events.at(-1)!;
    assert.equal(last.id, jobId);
    assert.ok(last.startedAt && last.finishedAt, 'timestamps are shown');
    console.log(`SSE stream of a depth-${DEPTH} proof: ${phases.join(' -> ')} in ${seconds.toFixed(2)} s`);

    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    // Labelled with the engine that proved (native when the addon is built, else snarkjs): the bundle says which.
    const engine = (await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/bundle` })).json().metadata.engine;
    const proofCount = sample(text, `zkai_proof_duration_seconds_count{circuit="${membership.circuit.id}",engine="${engine}"}`);
    assert.equal(proofCount, 1, 'one proof observed');
    const proofSum = sample(text, `zkai_proof_duration_seconds_sum{circuit="${membership.circuit.id}",engine="${engine}"}`)!;
    console.log(`proof latency (cold worker): ${proofSum.toFixed(2)} s`);
    assert.equal(sample(text, 'zkai_job_outcomes_total{kind="membership",result="succeeded"}'), 1);
    const utilization = sample(text, 'zkai_pool_utilization') ?? -1;
    assert.ok(utilization > 0.01 && utilization <= 1, `pool utilisation ${utilization} after one proof in a fresh pool`);
    console.log(`pool utilisation after one proof: ${utilization.toFixed(2)}`);
    assert.equal(sample(text, 'zkai_pool_threads'), 1);

    // A stream for a finished job answers its final state at once; an unknown job is 404.
    const again = await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/events` });
    assert.deepEqual(
      sseEvents(again.body).map((e) => e.state),
      ['succeeded'],
    );
    assertError(await app.inject({ method: 'GET', url: `/v1/jobs/${UNKNOWN_JOB}/events` }), 404, 'UNKNOWN_JOB');
  });
});
