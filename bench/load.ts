/**
 * Load: the HTTP service under a fixed number of concurrent clients asking for membership proofs, against
 * a single-process snarkjs baseline (sequential `snarkjs.groth16.fullProve`) on the same inputs, same run.
 *
 * Each of the autocannon connections is a closed-loop client: POST /v1/datasets/:root/proofs, then
 * GET /v1/jobs/:id/events, a server-sent event stream that ends when the job is finished. A proof's
 * latency is from sending the POST to the end of that stream (queueing included); throughput is
 * proofs finished per second of the whole run. The service runs in this process (embedded queue,
 * warm prover pool, auth off, no chain), on loopback.
 *
 * Knobs: ZKAI_BENCH_LOAD_JOBS (default 24), ZKAI_BENCH_LOAD_CONCURRENCY (default 4),
 * ZKAI_BENCH_LOAD_DEPTH (membership tree depth, default 20), ZKAI_POOL_SIZE (prover threads, default 1).
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import * as snarkjs from 'snarkjs';
import { loadDataset, membershipInput } from '../circuits/dataset/index.ts';
import { cacheDir } from '../common/config.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { configFromEnv } from '../server/config.ts';
import { startService } from '../server/service.ts';
import { median, percentile } from './stats.ts';

const JOBS = Number(process.env.ZKAI_BENCH_LOAD_JOBS ?? 24);
const CONCURRENCY = Number(process.env.ZKAI_BENCH_LOAD_CONCURRENCY ?? 4);
const DEPTH = Number(process.env.ZKAI_BENCH_LOAD_DEPTH ?? 20);
const RECORDS = Math.min(64, 2 ** DEPTH);

const round = (x: number, digits = 1) => +x.toFixed(digits);

function latencySummary(ms: number[]) {
  return {
    p50: round(percentile(ms, 50)),
    p99: round(percentile(ms, 99)),
    median: round(median(ms)),
    max: round(Math.max(...ms)),
    n: ms.length,
  };
}

/** The (record, epoch) of job i: the same list for the service and the baseline. */
const jobInput = (i: number) => ({ recordId: `r${i % RECORDS}`, epoch: 1000 + i });

export async function benchLoad(log: (m: string) => void): Promise<Record<string, unknown>> {
  const membership = await prepareMembershipCircuit(DEPTH, log);
  const home = await mkdtemp(path.join(os.tmpdir(), 'zkai-bench-load-'));
  await symlink(cacheDir('circuits'), path.join(home, 'circuits'));
  await symlink(cacheDir('ptau'), path.join(home, 'ptau'));
  const config = {
    ...configFromEnv({ ZKAI_POOL_SIZE: process.env.ZKAI_POOL_SIZE ?? '' }),
    home,
    port: 0,
    treeDepth: DEPTH,
    chain: 'off' as const,
    warmup: true,
    logLevel: 'silent',
    auth: 'off' as const,
    rateLimit: 10_000_000,
    maxQueue: 100_000,
  };
  const service = await startService(config, { handleSignals: false, log: () => {} });
  try {
    const records = Array.from({ length: RECORDS }, (_, i) => ({
      id: `r${i}`,
      contributor: `0x${(i % 16).toString(16).repeat(40)}`,
      contentHash: `0x${(i + 1).toString(16).padStart(64, '0')}`,
      weight: i + 1,
    }));
    const commit = await fetch(`${service.url}/v1/datasets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ records }),
    });
    const committed = (await commit.json()) as { rootHex: string };
    if (!commit.ok) throw new Error(`dataset commit failed: ${JSON.stringify(committed)}`);
    const root = committed.rootHex;

    // Service under load.
    log(`load: ${JOBS} membership proofs (depth ${DEPTH}), ${CONCURRENCY} concurrent clients, ${config.poolSize} prover thread(s)`);
    let next = 0;
    const latencies: number[] = [];
    const failures: string[] = [];
    const started = performance.now();
    const result = await autocannon({
      url: service.url,
      connections: CONCURRENCY,
      amount: 2 * JOBS,
      timeout: 600,
      requests: [
        {
          method: 'POST',
          path: `/v1/datasets/${root}/proofs`,
          headers: { 'content-type': 'application/json' },
          setupRequest: (req, context) => {
            context.sentAt = performance.now();
            return { ...req, body: JSON.stringify(jobInput(next++)) };
          },
          onResponse: (status, body, context) => {
            if (status !== 202) failures.push(`submit ${status}: ${body.slice(0, 200)}`);
            context.jobId = status === 202 ? (JSON.parse(body) as { jobId: string }).jobId : undefined;
          },
        },
        {
          method: 'GET',
          setupRequest: (req, context) => (context.jobId ? { ...req, path: `/v1/jobs/${context.jobId}/events` } : undefined),
          onResponse: (status, body, context) => {
            if (status === 200 && body.includes('"state":"succeeded"')) latencies.push(performance.now() - (context.sentAt as number));
            else failures.push(`job ${context.jobId} ended: ${status} ${body.slice(-200)}`);
          },
        },
      ],
    });
    const seconds = (performance.now() - started) / 1000;
    if (failures.length) throw new Error(`load run had failures: ${failures.slice(0, 3).join('; ')}`);
    const service_ = {
      proofs: latencies.length,
      seconds: round(seconds, 2),
      proofsPerSecond: round(latencies.length / seconds, 3),
      latencyMs: latencySummary(latencies),
      httpErrors: result.errors + result.timeouts + result.non2xx,
    };
    log(
      `  service: ${service_.proofsPerSecond} proofs/s, latency p50 ${service_.latencyMs.p50} ms, p99 ${service_.latencyMs.p99} ms (${latencies.length} proofs)`,
    );

    // Baseline: the same inputs proved one after another with snarkjs in this process.
    const dataset = await loadDataset(path.join(home, 'datasets', root, 'dataset.json'));
    const baselineMs: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < JOBS; i++) {
      const { recordId, epoch } = jobInput(i);
      const input = await membershipInput(dataset, recordId, epoch);
      const t = performance.now();
      await snarkjs.groth16.fullProve(input as never, membership.circuit.wasmPath, membership.setup.zkeyPath);
      baselineMs.push(performance.now() - t);
    }
    const baselineSeconds = (performance.now() - t0) / 1000;
    const baseline = {
      proofs: JOBS,
      seconds: round(baselineSeconds, 2),
      proofsPerSecond: round(JOBS / baselineSeconds, 3),
      latencyMs: latencySummary(baselineMs),
    };
    log(
      `  snarkjs sequential: ${baseline.proofsPerSecond} proofs/s, latency p50 ${baseline.latencyMs.p50} ms, p99 ${baseline.latencyMs.p99} ms`,
    );

    return {
      circuit: { id: membership.circuit.id, depth: DEPTH, constraints: membership.circuit.nConstraints },
      concurrency: CONCURRENCY,
      proverThreads: config.poolSize,
      cpus: os.availableParallelism(),
      service: service_,
      snarkjsSequential: baseline,
      throughputRatio: round(service_.proofsPerSecond / baseline.proofsPerSecond, 2),
      note: 'service latency includes queueing behind the other clients (closed loop, submit to end of event stream)',
    };
  } finally {
    await service.close();
    await rm(home, { recursive: true, force: true });
    await releaseVerifierResources();
  }
}

// `node --import tsx bench/load.ts`: run just this benchmark.
if (import.meta.url === `file://${process.argv[1]}`) {
  benchLoad((m) => process.stderr.write(`${m}\n`)).then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
