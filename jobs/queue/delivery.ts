import type { RedisTransport } from './redis-transport.ts';
import type { JobQueueApi, JobRecordsApi } from './types.ts';

/** How long an enqueue waits for Redis before leaving the delivery to the reconciliation (the job is already recorded). */
const DELIVER_TIMEOUT_MS = 2_000;

/**
 * Every this many checks, deliver every unfinished job again even though Redis kept its marker. A delivery can also
 * vanish while Redis keeps its contents: a worker whose claim in the store of record failed (a database error under
 * load) has BullMQ fail the delivery, which removes it, and nothing else would ever deliver that job again. The pass is
 * idempotent (a job whose delivery is waiting or active keeps it), so it only repairs; at the default
 * ZKAI_QUEUE_RECONCILE_MS of 5 s a lost delivery waits at most a minute.
 */
export const SWEEP_EVERY_CHECKS = 12;

export interface DeliveryOptions {
  /** How often to check that Redis still holds the deliveries (ZKAI_QUEUE_RECONCILE_MS). */
  reconcileMs: number;
  log?: (msg: string) => void;
  /** Run after each reconciliation, e.g. to publish again what a flush erased (the served circuit). */
  afterReconcile?: () => Promise<void>;
}

export interface Delivery {
  /** The job API: records in the store of record, each new job also delivered to the workers. */
  store: JobQueueApi;
  /** Deliver every unfinished job again, then set the marker; resolves with how many. */
  reconcile(): Promise<number>;
  /** Resolves after the next check (and the reconciliation it may start) has run: for tests and shutdown. */
  check(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The API side of the Redis queue. Job records stay in the store of record (`records`, the same JobStore the
 * embedded queue uses, or any JobRecordsApi), so changing ZKAI_QUEUE keeps every job and bundle, and Redis holds nothing that cannot be
 * rebuilt: an enqueue writes the record first (the job is accepted once recorded), then hands the id to BullMQ. If
 * Redis loses its contents (a restart without persistence, FLUSHALL, a new Redis), the marker it held is gone; the
 * reconciliation (at start, on every reconnect, and every `reconcileMs`) then delivers every queued or running job
 * again. Deliveries are idempotent (one BullMQ id per attempt) and a worker's claim is a transition guarded in the
 * store of record, so a job delivered twice still succeeds once.
 */
export async function startDelivery(records: JobRecordsApi, transport: RedisTransport, opts: DeliveryOptions): Promise<Delivery> {
  const log = opts.log ?? (() => {});
  let reconciling: Promise<number> | undefined;
  let closed = false;
  /** Set when an enqueue could not deliver: the next check delivers everything even if Redis kept its marker. */
  let undelivered = false;

  /** Hands every unfinished job to BullMQ again (idempotent); resolves with how many. */
  const deliverUnfinished = async () => {
    const unfinished = await records.unfinished();
    // A running job is delivered under its current attempt's id: a no-op while its worker's delivery is alive, a
    // new delivery (and a takeover by claim) when Redis lost it.
    for (const job of unfinished)
      await transport.deliver(job.id, job.state === 'queued' ? job.attempts : Math.max(0, job.attempts - 1), job.kind);
    return unfinished.length;
  };

  /** One pass at a time; one asked for during another runs after it (the running one may have missed new jobs). */
  const reconcile = (): Promise<number> => {
    const run = async () => {
      undelivered = false;
      const count = await deliverUnfinished();
      await transport.setMarker();
      await opts.afterReconcile?.();
      if (count) log(`job queue: delivered ${count} unfinished job(s) from the store of record`);
      return count;
    };
    const next = (reconciling ?? Promise.resolve(0)).catch(() => 0).then(run);
    reconciling = next;
    return next;
  };
  let checks = 0;
  const check = async () => {
    if (closed) return;
    try {
      if (undelivered || !(await transport.hasMarker())) await reconcile();
      else if (++checks % SWEEP_EVERY_CHECKS === 0) await deliverUnfinished();
    } catch (err) {
      undelivered = true;
      log(`job queue reconciliation failed (retried): ${(err as Error).message}`);
    }
  };
  await reconcile();
  transport.onReady(() => void check());
  const timer = setInterval(() => void check(), opts.reconcileMs);
  timer.unref();

  const store: JobQueueApi = {
    async enqueue(kind, request, tenant) {
      const job = await records.enqueue(kind, request, tenant);
      // Recorded, so accepted: a delivery that fails (Redis down) is left to the reconciliation.
      const delivered = transport.deliver(job.id, 0, job.kind).then(
        () => true,
        () => false,
      );
      const ok = await Promise.race([delivered, new Promise<boolean>((r) => setTimeout(() => r(false), DELIVER_TIMEOUT_MS).unref())]);
      if (!ok) {
        log(`job ${job.id} recorded but not yet delivered (queue unreachable); the reconciliation will deliver it`);
        undelivered = true;
      }
      return job;
    },
    get: (id) => records.get(id),
    list: (o) => records.list(o),
    cancel: (id) => records.cancel(id),
    counts: () => records.counts(),
    queuedCount: () => records.queuedCount(),
    pruneFinished: (before) => records.pruneFinished(before),
  };
  return {
    store,
    reconcile,
    check,
    async close() {
      closed = true;
      clearInterval(timer);
      await reconciling?.catch(() => {});
    },
  };
}
