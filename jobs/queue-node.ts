import type { MembershipCircuit } from '../prover/membership.ts';
import type { ServiceConfig } from '../server/config.ts';
import type { JobHandler, JobKind } from './jobs.ts';
import { type Delivery, startDelivery } from './queue/delivery.ts';
import { API_QUEUE_NAME, type QueueStatus, RedisTransport } from './queue/redis-transport.ts';
import { RedisJobWorker } from './queue/redis-worker.ts';
import type { JobRecordsApi } from './queue/types.ts';

/** The name under which nodes publish the membership circuit they serve (RedisTransport.publishCircuit). */
export const MEMBERSHIP_CIRCUIT_NAME = 'membership';

export interface ApiQueue extends Pick<Delivery, 'store' | 'reconcile'> {
  transport: RedisTransport;
  /**
   * Run the jobs only API nodes run (API_NODE_KINDS: model compiles) with `handlers`, taken from API_QUEUE_NAME with the
   * same claims, retries and timeouts as a `zkai worker`; stopped by close().
   */
  runApiJobs(handlers: Partial<Record<JobKind, JobHandler>>, opts: { name: string; concurrency: number }): Promise<void>;
  /** For /health. */
  status(): Promise<QueueStatus>;
  close(): Promise<void>;
}

/**
 * An API node's side of the Redis queue: connect, deliver new jobs and re-deliver unfinished ones whenever Redis lost
 * them (jobs/queue/delivery.ts; the records stay in `records`, the store of record), and publish which membership
 * circuit and verifying key this node answers for, so that a `zkai worker` set up with other keys refuses to start
 * instead of producing proofs this node's /v1/verify would reject (published again after a flush).
 */
export async function connectApiQueue(
  config: ServiceConfig,
  membership: MembershipCircuit,
  records: JobRecordsApi,
  log: (msg: string) => void,
): Promise<ApiQueue> {
  if (config.queue.kind !== 'redis') throw new Error('connectApiQueue needs ZKAI_QUEUE=redis://…');
  const url = config.queue.url;
  const transport = await RedisTransport.connect(url);
  try {
    const delivery = await startDelivery(records, transport, {
      reconcileMs: config.queueReconcileMs,
      log,
      afterReconcile: () => transport.publishCircuit(MEMBERSHIP_CIRCUIT_NAME, membership.circuit.id, membership.setup.vkeyHash),
    });
    let consumer: RedisJobWorker | undefined;
    return {
      store: delivery.store,
      reconcile: delivery.reconcile,
      transport,
      async runApiJobs(handlers, { name, concurrency }) {
        consumer = new RedisJobWorker(url, records, transport, handlers, {
          queueName: API_QUEUE_NAME,
          concurrency,
          timeoutMs: config.jobTimeoutMs || undefined,
          timeoutMsByKind: { 'model-compile': config.compileTimeoutMs },
          lockMs: config.queueLockMs,
          stalledMs: config.queueStalledMs,
          name,
          log: (msg, fields) => log(fields ? `${msg} ${JSON.stringify(fields)}` : msg),
        });
        consumer.start();
        await consumer.ready();
      },
      status: () => transport.status(),
      async close() {
        await consumer?.close();
        await delivery.close();
        await transport.close();
      },
    };
  } catch (err) {
    await transport.close();
    throw err;
  }
}
