/**
 * Workers on other machines, with no shared directory (docs/deploy.md, "Workers on other machines"): the API node,
 * PostgreSQL and Redis on one host; two `zkai worker` processes on two others (network namespaces joined by a bridge,
 * test/netns.ts), each with its own EMPTY ZKAI_HOME, fetching the circuit, the proving key and the dataset from the API
 * node by content hash. Mid-batch one worker is killed with SIGKILL and Redis is restarted empty; every job still
 * succeeds exactly once (no duplicates, none lost) and every bundle verifies. A model uploaded meanwhile compiles on
 * the API node (never on a worker: compiles make circuits and keys), and its inference proofs run on the surviving
 * worker, which fetches the compiled model (weights, circuit, keys, commitment key) by the manifest hash its jobs name.
 * Where namespaces cannot be made the workers run on loopback, still with their own data directories, and the test
 * says so.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../common/config.ts';
import { hasPostgres, startTestPostgres, type TestPostgres } from '../jobs/queue/test-postgres.ts';
import { hasRedisServer, startTestRedis, type TestRedis } from '../jobs/queue/test-redis.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { freePort } from '../verifier-contracts/chain.ts';
import { makeTestHosts, type TestHosts } from './netns.ts';
import { logEvents, type Proc, records, serviceEnv, sharedArtifactsHome, spawnProc } from './procs.ts';
import { requireOrSkip } from './require-dep.ts';

const DEPTH = 2;
/** Jobs before the kill, while Redis is down (each such request waits on the unreachable queue), and after it is back. */
const BEFORE = 8;
const WHILE_DOWN = 3;
const AFTER = 5;
const TOKEN = randomBytes(32).toString('hex');
/** The smallest model fixture the service's upload takes (an 8×8 digit MLP), and its proofs. */
const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const INFERENCES = 2;

describe('workers on other hosts, no shared directory: kill -9 and a Redis restart mid-batch', {
  skip: requireOrSkip(hasRedisServer(), 'redis-server') || requireOrSkip(hasPostgres(), 'PostgreSQL (initdb, pg_ctl)'),
  timeout: 420_000,
}, () => {
  let hosts: TestHosts;
  let apiHome: string;
  let base: string;
  let redis: TestRedis;
  let db: TestPostgres;
  let apiNode: Proc;
  let root: string;
  const workerHomes: string[] = [];
  const workers: Proc[] = [];
  /** Seconds since `since`, for the figures. */
  const secs = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
  let startup = '';

  async function api(method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  before(async () => {
    const began = performance.now();
    hosts = makeTestHosts(2);
    if (hosts.fellBackToLoopback)
      process.stderr.write(
        `[multi-host] NOTE: network namespaces could not be made here (${hosts.fellBackToLoopback}); the workers run as separate ` +
          'processes on loopback, each with its own empty data directory, instead of on separate network hosts\n',
      );
    await prepareMembershipCircuit(DEPTH);
    apiHome = await sharedArtifactsHome('zkai-multihost-api-');
    const port = await freePort();
    base = `http://${hosts.address}:${port}`;
    redis = await startTestRedis({ host: hosts.address });
    db = await startTestPostgres({ host: hosts.address });
    apiNode = spawnProc(
      [path.join(REPO_ROOT, 'server', 'main.ts')],
      serviceEnv(apiHome, port, {
        ZKAI_HOST: hosts.address,
        ZKAI_TREE_DEPTH: String(DEPTH),
        ZKAI_QUEUE: redis.url,
        ZKAI_DB: db.url,
        ZKAI_QUEUE_RECONCILE_MS: '300',
        ZKAI_WORKER_TOKEN: TOKEN,
      }),
    );
    await apiNode.waitFor((l) => l.includes('listening') || l.includes(base), 'the API node to listen');
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      if ((await fetch(`${base}/health`).catch(() => undefined))?.ok) break;
    }
    const res = await api('POST', '/v1/datasets', { records: records(2 ** DEPTH) });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    root = res.body.rootHex as string;
    for (const [i, host] of hosts.hosts.entries()) {
      const home = await mkdtemp(path.join(os.tmpdir(), `zkai-multihost-w${i + 1}-`));
      workerHomes.push(home);
      const worker = spawnProc(
        [path.join(REPO_ROOT, 'cli', 'main.ts'), 'worker', '--name', `w${i + 1}`],
        {
          ZKAI_HOME: home,
          ZKAI_QUEUE: redis.url,
          ZKAI_DB: db.url,
          ZKAI_API_URL: base,
          ZKAI_WORKER_TOKEN: TOKEN,
          ZKAI_TREE_DEPTH: String(DEPTH),
          ZKAI_POOL_SIZE: '1',
          // Short locks so the killed worker's job moves on within seconds (production default: 30 s).
          ZKAI_QUEUE_LOCK_MS: '3000',
          ZKAI_QUEUE_STALLED_MS: '1000',
        },
        host.prefix,
      );
      workers.push(worker);
    }
    await Promise.all(workers.map((w, i) => w.waitFor((l) => l.includes('pulling jobs from'), `worker w${i + 1} to start`)));
    startup = secs(began);
  });

  after(async () => {
    for (const w of workers) await w.kill();
    await apiNode?.kill();
    await redis?.stop();
    await db?.stop();
    hosts?.remove();
    for (const dir of [apiHome, ...workerHomes]) if (dir) await rm(dir, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  it('every job finishes exactly once, with bundles that verify', async (t) => {
    // Each worker began with an empty data directory and fetched the circuit and the key from the API node.
    for (const [i, w] of workers.entries()) {
      assert.ok(
        w.lines.some((l) => l.includes('fetching circuit')),
        `w${i + 1} fetched the circuit`,
      );
      assert.ok(
        w.lines.some((l) => l.includes('fetching the proving key')),
        `w${i + 1} fetched the proving key`,
      );
    }
    const submit = async (n: number, epoch0: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await api('POST', `/v1/datasets/${root}/proofs`, { recordId: `r${(i % 2 ** DEPTH) + 1}`, epoch: epoch0 + i });
        assert.equal(res.status, 202, JSON.stringify(res.body));
        ids.push(res.body.jobId as string);
      }
      return ids;
    };
    const batchStart = performance.now();
    // The model's compile (on the API node) runs while the workers prove the batch.
    const upload = await api('POST', '/v1/models', {
      name: 'mlp-digits',
      onnx: readFileSync(path.join(FIXTURES, 'mlp_digits.onnx')).toString('base64'),
      calibrationCsv: readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8'),
    });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    const modelId = upload.body.id as string;
    const ids = await submit(BEFORE, 1000);

    // kill -9 of w1, caught in the middle of a job when it can be (proofs of depth 2 are short), else once it has begun any.
    const [victim, survivor] = workers as [Proc, Proc];
    const started = () => logEvents(victim.lines, 'job started').map((e) => e.jobId as string);
    const ended = () =>
      new Set(['job succeeded', 'job failed', 'job will be retried'].flatMap((m) => logEvents(victim.lines, m).map((e) => e.jobId)));
    let midJob = false;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 5))) {
      midJob = started().some((id) => !ended().has(id));
      if (midJob || (started().length > 0 && Date.now() > deadline - 50_000)) break;
    }
    assert.ok(started().length > 0, 'w1 took a job before it was killed');
    await victim.kill('SIGKILL');
    const killedAt = secs(batchStart);

    // Redis restarted empty with jobs in flight, and more accepted while it was down: the store of record has them all.
    const openAtCrash = (await Promise.all(ids.map(async (id) => (await api('GET', `/v1/jobs/${id}`)).body.state))).filter(
      (state) => state !== 'succeeded',
    ).length;
    await redis.crash();
    const whileDown = await submit(WHILE_DOWN, 2000);
    await redis.restart();
    const redisBackAt = secs(batchStart);
    const all = [...ids, ...whileDown, ...(await submit(AFTER, 3000))];

    const deadline = Date.now() + 120_000;
    let jobs: Record<string, unknown>[] = [];
    do {
      await new Promise((r) => setTimeout(r, 200));
      jobs = await Promise.all(all.map(async (id) => (await api('GET', `/v1/jobs/${id}`)).body));
    } while (jobs.some((j) => j.state === 'queued' || j.state === 'running') && Date.now() < deadline);
    const lost = jobs.filter((j) => j.state !== 'succeeded');
    assert.deepEqual(lost, [], 'every job succeeded');

    const successes = workers.flatMap((w) => logEvents(w.lines, 'job succeeded')).map((e) => e.jobId as string);
    const duplicates = all.filter((id) => successes.filter((s) => s === id).length > 1);
    assert.deepEqual(duplicates, [], 'no job succeeded twice');
    for (const id of all) assert.equal(successes.filter((s) => s === id).length, 1, `job ${id} succeeded once`);
    assert.ok(logEvents(survivor.lines, 'job succeeded').length > 0);

    let verified = 0;
    for (const id of all) {
      const bundle = (await api('GET', `/v1/jobs/${id}/bundle`)).body;
      assert.equal((await api('POST', '/v1/verify', bundle)).body.valid, true, `bundle of ${id} verifies`);
      verified++;
    }
    // The model: compiled by the API node, proved by the surviving worker from what it fetched into its empty home.
    let model: Record<string, unknown> = {};
    for (const until = Date.now() + 240_000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
      model = (await api('GET', `/v1/models/${modelId}`)).body;
      if (model.state !== 'compiling') break;
    }
    assert.equal(model.state, 'ready', JSON.stringify(model));
    const compiledAt = secs(batchStart);
    const csvRow = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8').split('\n')[1]!.split(',').slice(0, 64).map(Number);
    const inferenceIds: string[] = [];
    for (let i = 0; i < INFERENCES; i++) {
      const res = await api('POST', `/v1/models/${modelId}/prove`, { input: csvRow.map((v) => (v + i) % 17) });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      inferenceIds.push(res.body.jobId as string);
    }
    let inferences: Record<string, unknown>[] = [];
    for (const until = Date.now() + 180_000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
      inferences = await Promise.all(inferenceIds.map(async (id) => (await api('GET', `/v1/jobs/${id}`)).body));
      if (!inferences.some((j) => j.state === 'queued' || j.state === 'running')) break;
    }
    assert.deepEqual(
      inferences.map((j) => j.state),
      inferenceIds.map(() => 'succeeded'),
      JSON.stringify(inferences),
    );
    for (const id of inferenceIds) {
      const bundle = (await api('GET', `/v1/jobs/${id}/bundle`)).body;
      assert.equal((bundle.metadata as Record<string, unknown>)?.model, 'mlp-digits');
      assert.equal((await api('POST', '/v1/verify', bundle)).body.valid, true, `inference bundle of ${id} verifies`);
      verified++;
    }
    const proved = logEvents(survivor.lines, 'job succeeded').filter((e) => inferenceIds.includes(e.jobId as string));
    assert.equal(proved.length, INFERENCES, 'the surviving worker proved every inference');
    assert.ok(
      survivor.lines.some((l) => l.includes(`fetching model ${modelId}`)),
      'the worker fetched the model',
    );
    assert.ok(existsSync(path.join(workerHomes[1]!, 'models', modelId, 'compiled', 'model.json')));
    // No worker ran the compile: the API node made the circuit and its keys.
    for (const w of workers)
      assert.deepEqual(
        logEvents(w.lines, 'job started').filter((e) => e.kind === 'model-compile'),
        [],
      );

    // The workers' caches hold what they fetched, in their own directories.
    for (const home of workerHomes)
      assert.ok((await readdir(path.join(home, 'circuits'))).some((d) => d.startsWith(`membership-d${DEPTH}-`)));
    // The survivor proved from the dataset it fetched (w1 may have died before its copy was in place).
    assert.ok(existsSync(path.join(workerHomes[1]!, 'datasets', root, 'dataset.json')));
    assert.ok(survivor.lines.some((l) => l.includes(`fetching dataset ${root}`)));

    const where = hosts.fellBackToLoopback
      ? 'separate processes on loopback (no network namespaces here)'
      : `network namespaces ${hosts.hosts.map((h) => `${h.name} (${h.address})`).join(', ')}, API node at ${hosts.address}`;
    const figures =
      `model: compiled on the API node by ${compiledAt} s, ${INFERENCES} inference proofs on w2 (empty home, model fetched) verified; ` +
      `jobs: ${all.length}, workers: ${workers.length} on ${where}, kills: 1 (${midJob ? 'mid-job' : 'between jobs'}), ` +
      `redis restarts: 1 (${openAtCrash} earlier jobs unfinished then, ${WHILE_DOWN} accepted while it was down), duplicates: ${duplicates.length}, lost: ${lost.length}, bundles verified: ${verified}; ` +
      `seconds: start ${startup} (API node, PostgreSQL, Redis, workers fetching circuit and key), kill at ${killedAt}, ` +
      `Redis back at ${redisBackAt}, all done at ${secs(batchStart)}`;
    t.diagnostic(figures);
    process.stderr.write(`[multi-host] ${figures}\n`);
  });
});
