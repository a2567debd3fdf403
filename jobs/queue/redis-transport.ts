import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ZkaiError } from '../../common/errors.ts';
import type { JobKind } from '../jobs.ts';

/** BullMQ queue of the proof jobs, which `zkai worker` processes take (one per Redis key prefix). */
export const QUEUE_NAME = 'zkai-jobs';
/**
 * BullMQ queue of the jobs only API nodes run (their own consumer, jobs/queue-node.ts): model compiles. A compile makes
 * the model's circuit and its Groth16 keys, which every proof of the model is then checked against; a worker the API
 * node does not control must never be the one that makes them (docs/queue.md, "Which node runs which job").
 */
export const API_QUEUE_NAME = 'zkai-api-jobs';
/** The job kinds delivered to API_QUEUE_NAME; every other kind goes to QUEUE_NAME. */
export const API_NODE_KINDS: readonly JobKind[] = ['model-compile'];

/** The BullMQ queue that carries jobs of `kind`. */
export function queueFor(kind: JobKind): string {
  return API_NODE_KINDS.includes(kind) ? API_QUEUE_NAME : QUEUE_NAME;
}
/** Default prefix of zkai's own keys and BullMQ's. */
export const DEFAULT_PREFIX = 'zkai';

/** Connection options (ioredis's, which BullMQ takes too) from a `redis://[user:password@]host:port[/db]` or `rediss://` URL. */
export interface RedisConnection {
  host: string;
  port: number;
  db?: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
}

export function redisOptions(url: string): RedisConnection {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    ...(db ? { db: Number(db) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** What a `zkai worker` reports about itself every few seconds (RedisTransport.heartbeat). */
export interface WorkerStats {
  name: string;
  /** Jobs it proves at once. */
  concurrency: number;
  /** Jobs it is proving now. */
  busy: number;
  /** Its prover pool's utilisation since it started, 0..1. */
  utilization: number;
}

/** A worker whose last heartbeat is older than this is presumed gone. */
export const WORKER_STALE_MS = 15_000;

/** What BullMQ carries: only the id of the job record. The record, in the store of record, is the truth. */
export interface QueuedJobData {
  id: string;
}

/** What /health says about the queue. */
export interface QueueStatus {
  backend: 'embedded' | 'redis';
  /** Whether the queue answered just now. */
  reachable: boolean;
  /**
   * Whether the queue keeps its contents over a restart (Redis: AOF or RDB snapshots on); null when it could not be
   * told (unreachable, or CONFIG refused). Not needed for correctness (the store of record re-delivers), but without
   * it every restart costs a re-delivery of every unfinished job.
   */
  persistent: boolean | null;
}

/**
 * The delivery id of attempt `attempts` of job `id`. BullMQ ignores an add whose id it already holds, so delivering
 * the same attempt twice (a reconciliation racing a live delivery) queues it once; a retry is a new attempt, a new id.
 */
export function deliveryId(id: string, attempts: number): string {
  return `${id}-a${attempts}`;
}

/**
 * The Redis side of the distributed queue: a transport, holding nothing that is not also in the store of record.
 * It carries job ids to `zkai worker` processes through BullMQ (whose locks and stalled-job checks hand a job whose
 * worker died to another), and small shared facts: the circuit the API nodes serve, the workers' heartbeats, and a
 * marker whose absence says Redis lost its contents (restart without persistence, FLUSHALL) so that the API nodes
 * deliver every unfinished job again (jobs/queue-node.ts).
 */
export class RedisTransport {
  readonly prefix: string;
  private closed = false;

  private constructor(
    readonly redis: Redis,
    readonly queue: Queue<QueuedJobData>,
    /** API_QUEUE_NAME's. */
    readonly apiQueue: Queue<QueuedJobData>,
    prefix: string,
  ) {
    this.prefix = prefix;
  }

  /** Connect (fails fast with QUEUE_UNAVAILABLE if Redis does not answer); afterwards it reconnects on its own. */
  static async connect(url: string, opts: { prefix?: string } = {}): Promise<RedisTransport> {
    const redis = new Redis({ ...redisOptions(url), maxRetriesPerRequest: 2, lazyConnect: true });
    redis.on('error', () => {}); // reconnects on its own; commands report failures to their callers
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      redis.disconnect();
      throw new ZkaiError('QUEUE_UNAVAILABLE', `cannot reach the job queue at ${url}: ${(err as Error).message}`);
    }
    const prefix = opts.prefix ?? DEFAULT_PREFIX;
    const [queue, apiQueue] = [QUEUE_NAME, API_QUEUE_NAME].map((name) => {
      const q: Queue<QueuedJobData> = new Queue(name, { connection: redisOptions(url), prefix });
      q.on('error', () => {});
      return q;
    }) as [Queue<QueuedJobData>, Queue<QueuedJobData>];
    return new RedisTransport(redis, queue, apiQueue, prefix);
  }

  /** Hand attempt `attempts` of job `id`, of `kind`, to the nodes that run that kind (idempotent: see deliveryId). */
  async deliver(id: string, attempts: number, kind: JobKind): Promise<void> {
    const queue = queueFor(kind) === API_QUEUE_NAME ? this.apiQueue : this.queue;
    // BullMQ's own retries are off: attempts are counted on the record (JobStore.claim).
    await queue.add('job', { id }, { jobId: deliveryId(id, attempts), removeOnComplete: true, removeOnFail: true });
  }

  /** Whether this Redis still holds what the API nodes put in it (false after a restart without persistence or a flush). */
  async hasMarker(): Promise<boolean> {
    return (await this.redis.exists(`${this.prefix}:delivered`)) === 1;
  }

  /** Set the marker, once every unfinished job has been delivered. */
  async setMarker(): Promise<void> {
    await this.redis.set(`${this.prefix}:delivered`, randomUUID());
  }

  /** Call `listener` each time the connection is (re)established. */
  onReady(listener: () => void): void {
    this.redis.on('ready', listener);
  }

  /** Reachable, and persistent (CONFIG GET appendonly/save); answers within about `timeoutMs`. */
  async status(timeoutMs = 1000): Promise<QueueStatus> {
    const unreachable: QueueStatus = { backend: 'redis', reachable: false, persistent: null };
    if (this.redis.status !== 'ready') return unreachable;
    const probe = (async (): Promise<QueueStatus> => {
      await this.redis.ping();
      let persistent: boolean | null = null;
      try {
        const [, aof] = (await this.redis.config('GET', 'appendonly')) as string[];
        const [, save] = (await this.redis.config('GET', 'save')) as string[];
        persistent = aof === 'yes' || (save ?? '').trim() !== '';
      } catch {} // CONFIG renamed or refused (managed Redis): unknown
      return { backend: 'redis', reachable: true, persistent };
    })();
    const timeout = new Promise<QueueStatus>((r) => setTimeout(() => r(unreachable), timeoutMs).unref());
    return Promise.race([probe.catch(() => unreachable), timeout]);
  }

  /** Record which circuit (and verifying key) the API node serves, so workers can refuse to prove with another. */
  async publishCircuit(name: string, circuitId: string, vkeyHash: string): Promise<void> {
    await this.redis.hset(`${this.prefix}:circuits`, name, JSON.stringify({ circuitId, vkeyHash }));
  }

  async publishedCircuit(name: string): Promise<{ circuitId: string; vkeyHash: string } | undefined> {
    const text = await this.redis.hget(`${this.prefix}:circuits`, name);
    return text ? JSON.parse(text) : undefined;
  }

  /** Worker side: report this worker's state (see `workers`). */
  async heartbeat(stats: WorkerStats): Promise<void> {
    await this.redis.hset(`${this.prefix}:workers`, stats.name, JSON.stringify({ ...stats, at: Date.now() }));
  }

  /** Worker side: leave the worker list (graceful shutdown). */
  async removeWorker(name: string): Promise<void> {
    await this.redis.hdel(`${this.prefix}:workers`, name);
  }

  /** The workers that reported in the last WORKER_STALE_MS (entries of workers gone for longer are dropped). */
  async workers(): Promise<WorkerStats[]> {
    const all = await this.redis.hgetall(`${this.prefix}:workers`);
    const live: WorkerStats[] = [];
    const stale: string[] = [];
    for (const [name, text] of Object.entries(all)) {
      const entry = JSON.parse(text) as WorkerStats & { at: number };
      if (Date.now() - entry.at > WORKER_STALE_MS) stale.push(name);
      else live.push({ name, concurrency: entry.concurrency, busy: entry.busy, utilization: entry.utilization });
    }
    if (stale.length) await this.redis.hdel(`${this.prefix}:workers`, ...stale);
    return live;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status !== 'ready') {
      // Redis is down: a graceful close would wait for it to come back.
      await this.queue.disconnect().catch(() => {});
      await this.apiQueue.disconnect().catch(() => {});
      this.redis.disconnect();
      return;
    }
    await this.queue.close().catch(() => {});
    await this.apiQueue.close().catch(() => {});
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
