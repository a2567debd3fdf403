import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ZkaiError } from '../../common/errors.ts';
import {
  type CancelOutcome,
  DEFAULT_TENANT,
  type Job,
  type JobKind,
  type JobProgress,
  type JobState,
  PRUNABLE_JOB_KINDS,
} from '../jobs.ts';
import type { JobQueueApi } from './types.ts';

/** BullMQ queue every node uses (one per Redis key prefix). */
export const QUEUE_NAME = 'zkai-jobs';
/** Default prefix of zkai's own keys (job records) and BullMQ's. */
export const DEFAULT_PREFIX = 'zkai';

const STATES: JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

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

// Job records are hashes `<prefix>:job:<id>`; each id is also in the set `<prefix>:jobs:<state>` of
// its state (for counts) and the sorted set `<prefix>:jobs:created` (for listing, newest first).
// Every change of state is one Lua script, so it is atomic across nodes: it checks the state it
// expects (and, for a worker, that it still holds the job) before it moves anything.
// ARGV[1] prefix, ARGV[2] id, ARGV[3] now (ISO time); KEYS[1] the record.
const LUA_MOVE = `
local function move(from, to)
  redis.call('SREM', ARGV[1] .. ':jobs:' .. from, ARGV[2])
  redis.call('SADD', ARGV[1] .. ':jobs:' .. to, ARGV[2])
  redis.call('HSET', KEYS[1], 'state', to, 'updatedAt', ARGV[3])
  if to ~= 'queued' and to ~= 'running' then redis.call('HSET', KEYS[1], 'finishedAt', ARGV[3]) end
end
`;

/**
 * A worker takes a job: queued (or running, when its previous worker was lost) becomes running
 * under the worker's token, attempts + 1. ARGV[4] token, ARGV[5] max attempts, ARGV[6] the error
 * to fail with once a job has lost its worker on every attempt. Answers the state the job is in
 * afterwards: only 'running' means "prove it".
 */
const LUA_CLAIM = `${LUA_MOVE}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'missing' end
if state ~= 'queued' and state ~= 'running' then return state end
if redis.call('HGET', KEYS[1], 'cancelRequested') == '1' then move(state, 'cancelled') return 'cancelled' end
if state == 'running' and tonumber(redis.call('HGET', KEYS[1], 'attempts')) >= tonumber(ARGV[5]) then
  move(state, 'failed')
  redis.call('HSET', KEYS[1], 'error', ARGV[6])
  return 'failed'
end
move(state, 'running')
redis.call('HDEL', KEYS[1], 'progress')
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'token', ARGV[4], 'startedAt', ARGV[3])
return 'running'
`;

/**
 * A worker ends its attempt: running → ARGV[5] (succeeded, failed or queued for a retry), storing
 * ARGV[7] in field ARGV[6]. Only the holder of the current token may: a worker that lost the job
 * (its lock expired and another took it over) has its outcome ignored, so a job succeeds at most
 * once. A cancel asked for meanwhile wins: the job ends cancelled and the result is dropped.
 */
const LUA_FINISH = `${LUA_MOVE}
if redis.call('HGET', KEYS[1], 'state') ~= 'running' or redis.call('HGET', KEYS[1], 'token') ~= ARGV[4] then return false end
local to = ARGV[5]
if redis.call('HGET', KEYS[1], 'cancelRequested') == '1' then to = 'cancelled' end
move('running', to)
if to == ARGV[5] and ARGV[6] ~= '' then redis.call('HSET', KEYS[1], ARGV[6], ARGV[7]) end
return to
`;

/**
 * Progress of a running job: field 'progress' ← ARGV[4] (JSON), only while it runs and, when ARGV[5] is not
 * empty, only for the worker holding that token (a worker that lost the job must not overwrite the new one's).
 */
const LUA_PROGRESS = `
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
if ARGV[5] ~= '' and redis.call('HGET', KEYS[1], 'token') ~= ARGV[5] then return 0 end
redis.call('HSET', KEYS[1], 'progress', ARGV[4], 'updatedAt', ARGV[3])
return 1
`;

/** Cancel: queued → cancelled at once; running → flagged (the worker's outcome becomes cancelled); finished → left alone. */
const LUA_CANCEL = `${LUA_MOVE}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return false end
if state == 'queued' then move('queued', 'cancelled') return 'cancelled' end
if state == 'running' then
  redis.call('HSET', KEYS[1], 'cancelRequested', '1', 'updatedAt', ARGV[3])
  return 'cancel-requested'
end
return 'finished'
`;

/**
 * Retention: deletes a finished job (record, state-set and listing entries) that finished before ARGV[4] (ISO
 * time); anything else is left alone. Answers 1 when it deleted.
 */
const LUA_PRUNE = `
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'succeeded' and state ~= 'failed' and state ~= 'cancelled' then return 0 end
local kind = redis.call('HGET', KEYS[1], 'kind')
if not string.find(ARGV[5], ',' .. tostring(kind) .. ',', 1, true) then return 0 end
local finished = redis.call('HGET', KEYS[1], 'finishedAt') or redis.call('HGET', KEYS[1], 'updatedAt') or ''
if finished >= ARGV[4] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[1] .. ':jobs:' .. state, ARGV[2])
redis.call('ZREM', ARGV[1] .. ':jobs:created', ARGV[2])
return 1
`;

export interface RedisJobStoreOptions {
  /** Key prefix for zkai's records and BullMQ's keys (default 'zkai'); nodes of one service share it. */
  prefix?: string;
  /** Attempts (including ones whose worker was lost) before a job fails for good. Default 3. */
  maxAttempts?: number;
}

/** What a `zkai worker` reports about itself every few seconds (RedisJobStore.heartbeat). */
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

/** What BullMQ carries: the id of the job record (the record, not the BullMQ job, is the truth). */
export interface QueuedJobData {
  id: string;
}

/**
 * The job queue on Redis, shared by every node: job records (state, attempts, request, result,
 * error) in Redis hashes that any API node reads, and delivery to `zkai worker` processes through
 * BullMQ, whose locks and stalled-job checks hand a job whose worker died to another worker.
 * Its methods are JobStore's, answering with promises (JobQueueApi).
 */
export class RedisJobStore implements JobQueueApi {
  readonly prefix: string;
  readonly maxAttempts: number;
  private closed = false;

  private constructor(
    readonly redis: Redis,
    readonly queue: Queue<QueuedJobData>,
    opts: RedisJobStoreOptions,
  ) {
    this.prefix = opts.prefix ?? DEFAULT_PREFIX;
    this.maxAttempts = opts.maxAttempts ?? 3;
  }

  /** Connect (fails fast with QUEUE_UNAVAILABLE if Redis does not answer). */
  static async connect(url: string, opts: RedisJobStoreOptions = {}): Promise<RedisJobStore> {
    const redis = new Redis({ ...redisOptions(url), maxRetriesPerRequest: 2, lazyConnect: true });
    redis.on('error', () => {}); // reconnects on its own; commands report failures to their callers
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      redis.disconnect();
      throw new ZkaiError('QUEUE_UNAVAILABLE', `cannot reach the job queue at ${url}: ${(err as Error).message}`);
    }
    const queue: Queue<QueuedJobData> = new Queue(QUEUE_NAME, { connection: redisOptions(url), prefix: opts.prefix ?? DEFAULT_PREFIX });
    queue.on('error', () => {});
    return new RedisJobStore(redis, queue, opts);
  }

  private key(id: string): string {
    return `${this.prefix}:job:${id}`;
  }

  private async script(lua: string, id: string, ...args: string[]): Promise<string | null> {
    return (await this.redis.eval(lua, 1, this.key(id), this.prefix, id, new Date().toISOString(), ...args)) as string | null;
  }

  async enqueue(kind: JobKind, request: Record<string, unknown>, tenant: string = DEFAULT_TENANT): Promise<Job> {
    const id = randomUUID();
    const now = new Date().toISOString();
    await this.redis
      .multi()
      .hset(this.key(id), {
        kind,
        tenant,
        state: 'queued',
        request: JSON.stringify(request),
        attempts: '0',
        cancelRequested: '0',
        createdAt: now,
        updatedAt: now,
      })
      .sadd(`${this.prefix}:jobs:queued`, id)
      .zadd(`${this.prefix}:jobs:created`, Date.now(), id)
      .exec();
    try {
      // BullMQ's own retries are off: attempts are counted on the record (see RedisJobWorker).
      await this.queue.add(kind, { id }, { jobId: id, removeOnComplete: true, removeOnFail: true });
    } catch (err) {
      // Not delivered: the job must not look accepted.
      await this.forget(id);
      throw new ZkaiError('QUEUE_UNAVAILABLE', `could not queue the job: ${(err as Error).message}`);
    }
    return (await this.get(id))!;
  }

  async get(id: string): Promise<Job | undefined> {
    const h = await this.redis.hgetall(this.key(id));
    return h.state ? recordToJob(id, h) : undefined;
  }

  /** Newest first; only `tenant`'s jobs when given. */
  async list(opts: { state?: JobState; limit?: number; tenant?: string } = {}): Promise<Job[]> {
    const limit = Math.min(opts.limit ?? 100, 1000);
    const out: Job[] = [];
    const page = 200;
    for (let start = 0; out.length < limit; start += page) {
      const ids = await this.redis.zrevrange(`${this.prefix}:jobs:created`, start, start + page - 1);
      if (ids.length === 0) break;
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hgetall(this.key(id));
      const rows = (await pipeline.exec()) ?? [];
      rows.forEach(([, h], i) => {
        const record = h as Record<string, string>;
        if (!record?.state || out.length >= limit) return;
        const tenant = record.tenant ?? DEFAULT_TENANT;
        if ((!opts.state || record.state === opts.state) && (opts.tenant === undefined || tenant === opts.tenant))
          out.push(recordToJob(ids[i]!, record));
      });
    }
    return out;
  }

  async counts(): Promise<Record<JobState, number>> {
    const pipeline = this.redis.pipeline();
    for (const s of STATES) pipeline.scard(`${this.prefix}:jobs:${s}`);
    const rows = (await pipeline.exec()) ?? [];
    const out = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    STATES.forEach((s, i) => {
      out[s] = Number(rows[i]?.[1] ?? 0);
    });
    return out;
  }

  async queuedCount(): Promise<number> {
    return this.redis.scard(`${this.prefix}:jobs:queued`);
  }

  /**
   * As JobStore.pruneFinished: deletes proof jobs (PRUNABLE_JOB_KINDS) that finished before `before`. Only jobs created before then can
   * qualify, so it walks the listing from its oldest end; each delete is one script, safe beside other nodes.
   */
  async pruneFinished(before: Date): Promise<number> {
    const cutoff = before.toISOString();
    const kinds = `,${PRUNABLE_JOB_KINDS.join(',')},`;
    let pruned = 0;
    for (let start = 0; ; ) {
      const ids = await this.redis.zrangebyscore(`${this.prefix}:jobs:created`, '-inf', `(${before.getTime()}`, 'LIMIT', start, 500);
      if (ids.length === 0) return pruned;
      let kept = 0;
      for (const id of ids) {
        if (Number(await this.script(LUA_PRUNE, id, cutoff, kinds)) === 1) pruned++;
        else kept++;
      }
      start += kept; // deleted entries left the set; the kept ones are skipped next time
    }
  }

  /** As JobStore.cancel; a cancelled queued job is also taken off the BullMQ queue (if a worker took it meanwhile, it skips it). */
  async cancel(id: string): Promise<{ outcome: CancelOutcome; job: Job } | undefined> {
    const outcome = (await this.script(LUA_CANCEL, id)) as CancelOutcome | null;
    if (!outcome) return undefined;
    if (outcome === 'cancelled') await this.queue.remove(id).catch(() => 0);
    return { outcome, job: (await this.get(id))! };
  }

  /** Worker side: take the job under `token` (see LUA_CLAIM). */
  async claim(id: string, token: string): Promise<JobState | 'missing'> {
    const error = JSON.stringify({ code: 'INTERNAL', message: `the job's worker was lost on each of its ${this.maxAttempts} attempts` });
    return (await this.script(LUA_CLAIM, id, token, String(this.maxAttempts), error)) as JobState | 'missing';
  }

  /** Worker side: end the attempt held under `token`; undefined if the job was no longer ours. */
  async finish(
    id: string,
    token: string,
    to: 'succeeded' | 'failed' | 'queued',
    value?: { result: Record<string, unknown> } | { error: { code: string; message: string } },
  ): Promise<JobState | undefined> {
    const [field, text] = !value
      ? ['', '']
      : 'result' in value
        ? ['result', JSON.stringify(value.result)]
        : ['error', JSON.stringify(value.error)];
    return ((await this.script(LUA_FINISH, id, token, to, field, text)) as JobState | null) ?? undefined;
  }

  /** As JobStore.setProgress (false unless the job is running, and held under `token` when one is given). */
  async setProgress(id: string, progress: JobProgress, token = ''): Promise<boolean> {
    return Number(await this.script(LUA_PROGRESS, id, JSON.stringify(progress), token)) === 1;
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

  private async forget(id: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.key(id))
      .srem(`${this.prefix}:jobs:queued`, id)
      .zrem(`${this.prefix}:jobs:created`, id)
      .exec()
      .catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.close().catch(() => {});
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** A job record hash as a Job (the same shape JobStore answers). */
function recordToJob(id: string, h: Record<string, string>): Job {
  return {
    id,
    kind: h.kind as JobKind,
    tenant: h.tenant ?? DEFAULT_TENANT,
    state: h.state as JobState,
    request: JSON.parse(h.request ?? '{}'),
    ...(h.result ? { result: JSON.parse(h.result) } : {}),
    ...(h.error && h.state !== 'succeeded' ? { error: JSON.parse(h.error) } : {}),
    attempts: Number(h.attempts ?? 0),
    cancelRequested: h.cancelRequested === '1',
    ...(h.progress ? { progress: JSON.parse(h.progress) } : {}),
    createdAt: h.createdAt!,
    updatedAt: h.updatedAt!,
    ...(h.startedAt ? { startedAt: h.startedAt } : {}),
    ...(h.finishedAt ? { finishedAt: h.finishedAt } : {}),
  };
}
