/**
 * Load across hosts (part of `npm run bench -- load`): the multi-node set-up of test/multi-host.test.ts (an API node
 * with PostgreSQL and Redis on this host; `zkai worker` processes on hosts of their own, network namespaces made by
 * test/netns.ts, each with its own empty ZKAI_HOME fetching the circuit and key from the API node), measured with 1, 2
 * and 3 worker hosts: proofs per second, and the API's request latency (p50/p99 of every POST and GET the clients
 * made while the workers proved). Closed-loop clients: POST /v1/datasets/:root/proofs, then GET /v1/jobs/:id every
 * 50 ms until it is finished. The machine's load average is recorded with each run: every host here shares the same
 * few cores (and other work on the machine), so more worker hosts add no cores; the figure shows what the queue
 * costs and that the work spreads, not a speed-up.
 *
 * Knobs: ZKAI_BENCH_LOAD_JOBS (default 24 per run), ZKAI_BENCH_LOAD_CONCURRENCY (clients, default 4),
 * ZKAI_BENCH_LOAD_DEPTH (default 20). Needs redis-server and PostgreSQL; without them the section says so.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../common/config.ts';
import { hasPostgres, startTestPostgres, type TestPostgres } from '../jobs/queue/test-postgres.ts';
import { hasRedisServer, startTestRedis, type TestRedis } from '../jobs/queue/test-redis.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { makeTestHosts, type TestHosts } from '../test/netns.ts';
import { type Proc, records, serviceEnv, sharedArtifactsHome, spawnProc } from '../test/procs.ts';
import { freePort } from '../verifier-contracts/chain.ts';
import { percentile } from './stats.ts';

const JOBS = Number(process.env.ZKAI_BENCH_LOAD_JOBS ?? 24);
const CONCURRENCY = Number(process.env.ZKAI_BENCH_LOAD_CONCURRENCY ?? 4);
const DEPTH = Number(process.env.ZKAI_BENCH_LOAD_DEPTH ?? 20);
const RECORDS = Math.min(64, 2 ** DEPTH);
const HOSTS = 3;

const round = (x: number, digits = 1) => +x.toFixed(digits);
const loadAvg = () => os.loadavg().map((x) => round(x, 2));
const summary = (ms: number[]) => ({
  p50: round(percentile(ms, 50)),
  p99: round(percentile(ms, 99)),
  max: round(Math.max(...ms)),
  n: ms.length,
});

export async function benchLoadHosts(log: (m: string) => void): Promise<Record<string, unknown>> {
  if (!hasRedisServer() || !hasPostgres()) return { skipped: 'needs redis-server and PostgreSQL (initdb, pg_ctl)' };
  await prepareMembershipCircuit(DEPTH, log);
  const token = randomBytes(32).toString('hex');
  let hosts: TestHosts | undefined;
  let redis: TestRedis | undefined;
  let db: TestPostgres | undefined;
  let apiNode: Proc | undefined;
  const workers: Proc[] = [];
  const homes: string[] = [];
  try {
    hosts = makeTestHosts(HOSTS);
    const apiHome = await sharedArtifactsHome('zkai-bench-hosts-api-');
    homes.push(apiHome);
    const port = await freePort();
    const base = `http://${hosts.address}:${port}`;
    redis = await startTestRedis({ host: hosts.address });
    db = await startTestPostgres({ host: hosts.address });
    apiNode = spawnProc(
      [path.join(REPO_ROOT, 'server', 'main.ts')],
      serviceEnv(apiHome, port, {
        ZKAI_HOST: hosts.address,
        ZKAI_TREE_DEPTH: String(DEPTH),
        ZKAI_QUEUE: redis.url,
        ZKAI_DB: db.url,
        ZKAI_WORKER_TOKEN: token,
        ZKAI_LOG_LEVEL: 'warn',
        ZKAI_MAX_QUEUE: '100000',
      }),
    );
    for (const deadline = Date.now() + 180_000; ; await new Promise((r) => setTimeout(r, 200))) {
      if ((await fetch(`${base}/health`).catch(() => undefined))?.ok) break;
      if (Date.now() > deadline) throw new Error(`the API node did not answer: ${apiNode.lines.slice(-5).join(' | ')}`);
    }
    const commit = await fetch(`${base}/v1/datasets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ records: records(RECORDS) }),
    });
    const root = ((await commit.json()) as { rootHex: string }).rootHex;
    let epoch = 1000;

    /** One run: JOBS proofs by CONCURRENCY closed-loop clients; every API request timed. */
    const run = async (workerCount: number) => {
      const api: number[] = [];
      const proofs: number[] = [];
      const timed = async (route: string, init?: RequestInit) => {
        const t = performance.now();
        const res = await fetch(`${base}${route}`, init);
        const body = (await res.json()) as Record<string, unknown>;
        api.push(performance.now() - t);
        return { status: res.status, body };
      };
      let next = 0;
      const client = async () => {
        while (next < JOBS) {
          const i = next++;
          const t0 = performance.now();
          const submitted = await timed(`/v1/datasets/${root}/proofs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ recordId: `r${(i % RECORDS) + 1}`, epoch: epoch++ }),
          });
          if (submitted.status !== 202) throw new Error(`submit ${submitted.status}: ${JSON.stringify(submitted.body)}`);
          for (;;) {
            await new Promise((r) => setTimeout(r, 50));
            const job = (await timed(`/v1/jobs/${submitted.body.jobId}`)).body;
            if (job.state === 'succeeded') break;
            if (job.state !== 'queued' && job.state !== 'running') throw new Error(`job ${job.id} ended ${JSON.stringify(job)}`);
          }
          proofs.push(performance.now() - t0);
        }
      };
      const loadBefore = loadAvg();
      const started = performance.now();
      await Promise.all(Array.from({ length: CONCURRENCY }, client));
      const seconds = (performance.now() - started) / 1000;
      const out = {
        workerHosts: workerCount,
        proofs: proofs.length,
        seconds: round(seconds, 2),
        proofsPerSecond: round(proofs.length / seconds, 3),
        apiLatencyMs: summary(api),
        proofLatencyMs: summary(proofs),
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadAvg(),
      };
      log(
        `  ${workerCount} worker host(s): ${out.proofsPerSecond} proofs/s, API p50 ${out.apiLatencyMs.p50} ms p99 ${out.apiLatencyMs.p99} ms ` +
          `(${out.apiLatencyMs.n} requests), load average ${out.loadAverageAfter.join(' ')}`,
      );
      return out;
    };

    const runs = [];
    for (const [i, host] of hosts.hosts.entries()) {
      // One more worker host, with an empty data directory of its own (it fetches the circuit and key at start).
      const home = await mkdtemp(path.join(os.tmpdir(), `zkai-bench-hosts-w${i + 1}-`));
      homes.push(home);
      const worker = spawnProc(
        [path.join(REPO_ROOT, 'cli', 'main.ts'), 'worker', '--name', `w${i + 1}`],
        {
          ZKAI_HOME: home,
          ZKAI_QUEUE: redis.url,
          ZKAI_DB: db.url,
          ZKAI_API_URL: base,
          ZKAI_WORKER_TOKEN: token,
          ZKAI_TREE_DEPTH: String(DEPTH),
          ZKAI_POOL_SIZE: '1',
        },
        host.prefix,
      );
      workers.push(worker);
      await worker.waitFor((l) => l.includes('pulling jobs from'), `worker w${i + 1} to start`);
      log(`load across hosts: ${JOBS} membership proofs (depth ${DEPTH}), ${CONCURRENCY} clients, ${i + 1} worker host(s)`);
      runs.push(await run(i + 1));
    }
    return {
      circuitDepth: DEPTH,
      jobsPerRun: JOBS,
      clients: CONCURRENCY,
      proverThreadsPerWorker: 1,
      cpus: os.availableParallelism(),
      hosts: hosts.fellBackToLoopback
        ? `loopback (no network namespaces: ${hosts.fellBackToLoopback})`
        : 'network namespaces (test/netns.ts), API node + PostgreSQL + Redis on the bridge host',
      runs,
      note:
        'every worker host shares this machine’s cores (and the machine is shared with other work: see the load averages); ' +
        'API latency is of every POST and GET the clients made during the run',
    };
  } finally {
    for (const w of workers) await w.kill();
    await apiNode?.kill();
    await redis?.stop();
    await db?.stop();
    hosts?.remove();
    for (const dir of homes) await rm(dir, { recursive: true, force: true });
  }
}
