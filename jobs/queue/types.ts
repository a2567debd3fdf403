import type { JobStore } from '../jobs.ts';

/** A store's answer: a value (embedded SQLite, synchronous) or its promise (PostgreSQL, Redis). */
export type MaybePromise<T> = T | Promise<T>;
/** A method's signature with its answer allowed to be a promise. */
export type MaybeAsync<F> = F extends (...args: infer A) => infer R ? (...args: A) => MaybePromise<R> : never;

/** The JobStore methods the HTTP API node calls: enqueue, read, list, count and cancel jobs, and the retention sweep. */
export type JobQueueMethod = 'enqueue' | 'get' | 'list' | 'cancel' | 'counts' | 'queuedCount' | 'pruneFinished';

/**
 * What the HTTP API needs from the jobs, whichever queue carries them: the embedded SQLite JobStore
 * answers synchronously; the Redis queue's API (jobs/queue-node.ts: the same records, each new job
 * also delivered to Redis) with promises, so callers `await` each answer. Derived from JobStore's own
 * signatures so the two cannot drift apart: a parameter added to JobStore (a tenant, say) must be
 * added to every other implementation before the project compiles.
 */
export type JobQueueApi = { [K in JobQueueMethod]: MaybeAsync<JobStore[K]> } & {
  /** In-process progress notifications (the embedded store has them; others are only polled). */
  onProgress?: JobStore['onProgress'];
};

/** The transitions of a queue worker's attempt and the reconciliation's listing (see JobStore.claim and friends). */
export type JobRecordMethod = 'claim' | 'finishHeld' | 'setProgress' | 'unfinished' | 'close';

/**
 * The store of record, as the distributed queue uses it: the job API plus the guarded transitions of an attempt.
 * Every method may answer with a promise, so a networked store (PostgreSQL, issue 18 item 3) can stand in for the
 * embedded SQLite JobStore, which implements it synchronously; jobs/queue/store-contract.ts is the behaviour every
 * implementation must show. Derived from JobStore's signatures, like JobQueueApi.
 */
export type JobRecordsApi = { [K in JobQueueMethod | JobRecordMethod]: MaybeAsync<JobStore[K]> };

/** Which queue a node uses: the embedded SQLite store, or BullMQ on the Redis at `url`. */
export type QueueBackend = { kind: 'sqlite' } | { kind: 'redis'; url: string };

/**
 * Parse ZKAI_QUEUE: empty (or unset) for the embedded SQLite queue, `redis://host:port[/db]`
 * (or `rediss://`) for BullMQ. Returns undefined for anything else, for the caller to report.
 */
export function parseQueueSetting(text: string | undefined): QueueBackend | undefined {
  const value = text?.trim() ?? '';
  if (value === '' || value === 'sqlite') return { kind: 'sqlite' };
  try {
    const url = new URL(value);
    if ((url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname) return { kind: 'redis', url: value };
  } catch {}
  return undefined;
}

/** A Redis URL with any password replaced by `***`, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
