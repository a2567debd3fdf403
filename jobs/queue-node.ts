import type { MembershipCircuit } from '../prover/membership.ts';
import type { ServiceConfig } from '../server/config.ts';
import { type Delivery, startDelivery } from './queue/delivery.ts';
import { type QueueStatus, RedisTransport } from './queue/redis-transport.ts';
import type { JobRecordsApi } from './queue/types.ts';

/** The name under which nodes publish the membership circuit they serve (RedisTransport.publishCircuit). */
export const MEMBERSHIP_CIRCUIT_NAME = 'membership';

export interface ApiQueue extends Pick<Delivery, 'store' | 'reconcile'> {
  transport: RedisTransport;
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
  const transport = await RedisTransport.connect(config.queue.url);
  try {
    const delivery = await startDelivery(records, transport, {
      reconcileMs: config.queueReconcileMs,
      log,
      afterReconcile: () => transport.publishCircuit(MEMBERSHIP_CIRCUIT_NAME, membership.circuit.id, membership.setup.vkeyHash),
    });
    return {
      store: delivery.store,
      reconcile: delivery.reconcile,
      transport,
      status: () => transport.status(),
      async close() {
        await delivery.close();
        await transport.close();
      },
    };
  } catch (err) {
    await transport.close();
    throw err;
  }
}
