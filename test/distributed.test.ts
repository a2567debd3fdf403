/**
 * Several prover nodes on one Redis queue: an API node (ZKAI_QUEUE=redis://…) that proves nothing itself
 * and `zkai worker` processes sharing its ZKAI_HOME. Measures proofs/s with 1 and with 2 workers (reported,
 * not asserted), then kills one of 3 workers with SIGKILL mid-proof: its job goes to another worker once
 * its lock expires, every job succeeds exactly once, every bundle verifies, and SIGTERM stops the rest cleanly.
 */
import assert from 'node:assert/strict';
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
const BATCH = 16;

describe('distributed proving: Redis queue, several workers, one killed', {
  skip: requireOrSkip(hasRedisServer(), 'redis-server'),
}, () => {
  let home: string;
  let port: number;
  let redis: TestRedis;
  let apiNode: Proc;
  let root: string;
  let env: Record<string, string>;
  const workers: Proc[] = [];
  const allIds: string[] = [];
  const api = (...args: Parameters<ReturnType<typeof apiClient>>) => apiClient(port)(...args);

  before(async () => {
    await prepareMembershipCircuit(DEPTH);
    home = await sharedArtifactsHome('zkai-dist-');
    port = await freePort();
    redis = await startTestRedis();
    // Short locks so a killed worker's job moves on within seconds (production default: 30 s).
    env = serviceEnv(home, port, {
      ZKAI_TREE_DEPTH: String(DEPTH),
      ZKAI_QUEUE: redis.url,
      ZKAI_QUEUE_LOCK_MS: '3000',
      ZKAI_QUEUE_STALLED_MS: '1000',
      ZKAI_POOL_SIZE: '1',
    });
    apiNode = spawnProc([path.join(REPO_ROOT, 'server', 'main.ts')], env);
    await waitHealthy(port, apiNode);
    const res = await api('POST', '/v1/datasets', { records: records(2 ** DEPTH) });
    root = res.body.rootHex as string;
  });

  after(async () => {
    for (const w of workers) await w.kill();
    await apiNode?.kill();
    await redis?.stop();
    await rm(home, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  async function startWorker(name: string): Promise<Proc> {
    const w = spawnProc([path.join(REPO_ROOT, 'cli', 'main.ts'), 'worker', '--name', name], env);
    workers.push(w);
    await w.waitFor((l) => l.includes('pulling jobs from'), `worker ${name} to start`);
    return w;
  }

  let epoch = 100;
  async function submit(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await api('POST', `/v1/datasets/${root}/proofs`, { recordId: `r${(i % 2 ** DEPTH) + 1}`, epoch: epoch++ });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      ids.push(res.body.jobId as string);
    }
    allIds.push(...ids);
    return ids;
  }

  async function allSucceeded(ids: string[], ms = 120_000): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + ms;
    let jobs: Record<string, unknown>[] = [];
    do {
      await new Promise((r) => setTimeout(r, 100));
      jobs = await Promise.all(ids.map(async (id) => (await api('GET', `/v1/jobs/${id}`)).body));
    } while (jobs.some((j) => j.state === 'queued' || j.state === 'running') && Date.now() < deadline);
    assert.deepEqual(
      jobs.map((j) => j.state),
      ids.map(() => 'succeeded'),
      JSON.stringify(jobs.filter((j) => j.state !== 'succeeded')),
    );
    return jobs;
  }

  /** Proofs per second for a batch (the workers already warm). */
  async function throughput(): Promise<number> {
    const started = performance.now();
    await allSucceeded(await submit(BATCH));
    return BATCH / ((performance.now() - started) / 1000);
  }

  it('the API node answers job routes the same way with the Redis queue', async () => {
    const [id] = await submit(1);
    const job = (await api('GET', `/v1/jobs/${id}`)).body;
    assert.equal(job.state, 'queued'); // no worker yet: the API node does not prove
    assert.equal(job.kind, 'membership');
    assert.equal(job.attempts, 0);
    assert.deepEqual(job.links, { job: `/v1/jobs/${id}`, bundle: `/v1/jobs/${id}/bundle` });
    const early = await api('GET', `/v1/jobs/${id}/bundle`);
    assert.equal(early.status, 409);
    assert.equal((early.body.error as { code: string }).code, 'JOB_NOT_FINISHED');
    const [cancelMe] = await submit(1);
    const cancelled = await api('POST', `/v1/jobs/${cancelMe}/cancel`);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.state, 'cancelled');
    allIds.pop(); // never succeeds
    const health = (await api('GET', '/health')).body as { jobs: Record<string, number> };
    assert.equal(health.jobs.queued, 1);
    assert.equal(health.jobs.cancelled, 1);
  });

  it('reports throughput with 1 and with 2 workers', async (t) => {
    await startWorker('w1');
    await allSucceeded(allIds.slice()); // the queued job from the first test warms w1
    const one = await throughput();
    await startWorker('w2');
    // Each worker reports itself: the API node's /metrics counts them.
    const workerMetrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(workerMetrics, /zkai_queue_workers\{stat="live"\} 2\b/);
    assert.match(workerMetrics, /zkai_queue_worker_utilization\{worker="w2"\}/);
    await allSucceeded(await submit(2)); // warm-up: loads the circuit in w2 (and keeps w1 busy meanwhile)
    const two = await throughput();
    const figures = `proofs/s with 1 worker: ${one.toFixed(2)}, with 2 workers: ${two.toFixed(2)} (ratio ${(two / one).toFixed(2)}; depth-${DEPTH} membership, ${BATCH} jobs each)`;
    t.diagnostic(figures);
    process.stderr.write(`[distributed] ${figures}\n`);
    assert.ok(one > 0 && two > 0);
  });

  it('a worker killed mid-proof leaves its job to another; every job succeeds exactly once', async (t) => {
    await startWorker('w3');
    const ids = await submit(12);
    // The victim: a worker seen in the middle of one of these jobs (started, not yet ended), killed at once.
    const inProgress = (w: Proc): string | undefined => {
      const ended = new Set(
        ['job succeeded', 'job failed', 'job will be retried'].flatMap((m) => logEvents(w.lines, m).map((e) => e.jobId)),
      );
      return logEvents(w.lines, 'job started')
        .map((e) => e.jobId as string)
        .find((id) => ids.includes(id) && !ended.has(id));
    };
    let victimWorker: Proc | undefined;
    let victimJob: string | undefined;
    for (const deadline = Date.now() + 60_000; !victimJob && Date.now() < deadline; ) {
      for (const w of workers) {
        const id = victimJob ? undefined : inProgress(w);
        if (id) [victimWorker, victimJob] = [w, id];
      }
      if (!victimJob) await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(victimWorker && victimJob, 'a worker was seen proving one of the jobs');
    await victimWorker.kill('SIGKILL');
    const started = { w: victimWorker };
    const victimSucceeded = logEvents(started.w.lines, 'job succeeded').some((e) => e.jobId === victimJob);

    const jobs = await allSucceeded(ids, 120_000);
    const victim = jobs[ids.indexOf(victimJob)]!;
    if (!victimSucceeded) assert.equal(victim.attempts, 2, 'the killed worker’s job was retried by another worker');
    const retried = logEvents(
      workers.filter((w) => w !== started.w).flatMap((w) => w.lines),
      'job started',
    ).filter((e) => e.jobId === victimJob);
    if (!victimSucceeded) assert.equal(retried.length, 1, 'exactly one other worker took the job over');
    t.diagnostic(`killed worker's job ${victimSucceeded ? 'had just succeeded' : `retried elsewhere, attempts ${victim.attempts}`}`);

    // Exactly one successful attempt per job, over every worker that ever ran, and one result each.
    const successes = workers.flatMap((w) => logEvents(w.lines, 'job succeeded')).map((e) => e.jobId as string);
    for (const id of allIds) assert.equal(successes.filter((s) => s === id).length, 1, `job ${id} succeeded exactly once`);
    assert.equal(successes.length, allIds.length);
    for (const id of ids) {
      const bundle = (await api('GET', `/v1/jobs/${id}/bundle`)).body;
      assert.equal((await api('POST', '/v1/verify', bundle)).body.valid, true, `bundle of ${id} verifies`);
    }

    // Metrics read the shared queue: every job accounted for.
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, new RegExp(`zkai_jobs\\{state="succeeded"\\} ${allIds.length}\\b`));
    assert.match(metrics, /zkai_jobs_queued 0\b/);

    // Graceful shutdown of the survivors: SIGTERM, exit 0.
    for (const w of workers.filter((w) => w !== started.w)) {
      await w.kill('SIGTERM');
      assert.equal(w.child.exitCode, 0, w.lines.slice(-5).join('\n'));
      assert.ok(w.lines.some((l) => l.includes('stopped')));
    }
  });
});
