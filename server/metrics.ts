import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Job, JobOutcome, JobState } from '../jobs/jobs.ts';
import type { WorkerStats } from '../jobs/queue/redis-transport.ts';
import type { JobQueueApi } from '../jobs/queue/types.ts';

/** What the metrics read from the prover pool (ProverPool has these). */
export interface PoolStats {
  readonly threads: number;
  readonly utilization: number;
  readonly queueSize: number;
}

/**
 * The service's Prometheus metrics, in a registry of their own (not prom-client's global one),
 * so several apps in one process (tests) do not collide. Gauges that mirror state (jobs by state,
 * pool) are read when /metrics is scraped; counters and histograms are fed by the runner, the
 * proving handler and an HTTP hook.
 */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** Proof latency in seconds, by circuit id and proving engine. */
  observeProof(circuit: string, engine: string, seconds: number): void;
  /** One job attempt ended (JobRunnerOptions.onOutcome). */
  jobOutcome(job: Job, outcome: JobOutcome, seconds: number): void;
  /** One HTTP request answered. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /**
   * Attach the job store (jobs-by-state and queue-depth gauges) and, if there is one, the prover pool; with the
   * Redis queue, `workers` lists the live `zkai worker` processes (RedisTransport.workers) for the worker gauges.
   */
  attach(sources: { store?: JobQueueApi; pool?: PoolStats; workers?: () => Promise<WorkerStats[]> }): void;
}

const JOB_STATES: JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

/** Create the metrics (and the default Node process metrics) in a new registry. */
export function createMetrics(): ServiceMetrics {
  const registry = new Registry();
  // Unprefixed (process_cpu_seconds_total, nodejs_eventloop_lag_seconds...) so standard dashboards work.
  collectDefaultMetrics({ register: registry });
  // Either queue: the embedded JobStore answers at once, the Redis one with promises (collect may be async).
  let store: JobQueueApi | undefined;
  let pool: PoolStats | undefined;
  let workers: (() => Promise<WorkerStats[]>) | undefined;

  new Gauge({
    name: 'zkai_jobs_queued',
    help: 'Jobs waiting in the queue',
    registers: [registry],
    async collect() {
      if (store) this.set(await store.queuedCount());
    },
  });
  new Gauge({
    name: 'zkai_jobs',
    help: 'Jobs in the store, by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      if (!store) return;
      const counts = await store.counts();
      for (const state of JOB_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'zkai_pool_utilization',
    help: 'Prover worker utilisation since the pool started, 0..1 (piscina)',
    registers: [registry],
    collect() {
      if (pool) this.set(pool.utilization);
    },
  });
  new Gauge({
    name: 'zkai_pool_threads',
    help: 'Prover worker threads',
    registers: [registry],
    collect() {
      if (pool) this.set(pool.threads);
    },
  });
  new Gauge({
    name: 'zkai_pool_queue_size',
    help: 'Proofs waiting inside the prover pool for a free worker',
    registers: [registry],
    collect() {
      if (pool) this.set(pool.queueSize);
    },
  });

  new Gauge({
    name: 'zkai_queue_workers',
    help: 'zkai worker processes on the Redis queue (live: reported in the last 15 s), their job slots and busy slots',
    labelNames: ['stat'],
    registers: [registry],
    async collect() {
      if (!workers) return;
      const live = await workers();
      this.set({ stat: 'live' }, live.length);
      this.set(
        { stat: 'slots' },
        live.reduce((n, w) => n + w.concurrency, 0),
      );
      this.set(
        { stat: 'busy' },
        live.reduce((n, w) => n + w.busy, 0),
      );
    },
  });
  new Gauge({
    name: 'zkai_queue_worker_utilization',
    help: 'Prover utilisation since start reported by each live zkai worker, 0..1',
    labelNames: ['worker'],
    registers: [registry],
    async collect() {
      if (!workers) return;
      this.reset();
      for (const w of await workers()) this.set({ worker: w.name }, w.utilization);
    },
  });

  const proofSeconds = new Histogram({
    name: 'zkai_proof_duration_seconds',
    help: 'Time to prove (witness and Groth16 proof), by circuit and engine',
    labelNames: ['circuit', 'engine'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300],
    registers: [registry],
  });
  const jobOutcomes = new Counter({
    name: 'zkai_job_outcomes_total',
    help: 'Job attempts that ended, by kind and result (succeeded, failed, cancelled, retried, timeout)',
    labelNames: ['kind', 'result'],
    registers: [registry],
  });
  const jobSeconds = new Histogram({
    name: 'zkai_job_duration_seconds',
    help: 'Wall time of one job attempt in the runner, by kind and result',
    labelNames: ['kind', 'result'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const httpSeconds = new Histogram({
    name: 'zkai_http_request_duration_seconds',
    help: 'HTTP request duration, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  return {
    registry,
    observeProof: (circuit, engine, seconds) => proofSeconds.observe({ circuit, engine }, seconds),
    jobOutcome: (job, outcome, seconds) => {
      jobOutcomes.inc({ kind: job.kind, result: outcome });
      jobSeconds.observe({ kind: job.kind, result: outcome }, seconds);
    },
    observeRequest: (method, route, status, seconds) => httpSeconds.observe({ method, route, status: String(status) }, seconds),
    attach(sources) {
      store = sources.store ?? store;
      pool = sources.pool ?? pool;
      workers = sources.workers ?? workers;
    },
  };
}
