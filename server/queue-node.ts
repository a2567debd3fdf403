import type { MembershipCircuit } from '../prover/membership.ts';
import { RedisJobStore } from '../prover/queue/redis-store.ts';
import type { ServiceConfig } from './config.ts';

/** The name under which nodes publish the membership circuit they serve (RedisJobStore.publishCircuit). */
export const MEMBERSHIP_CIRCUIT_NAME = 'membership';

/**
 * An API node's side of the Redis queue: connect, and publish which membership circuit and
 * verifying key this node answers for, so that a `zkai worker` set up with other keys refuses to
 * start instead of producing proofs this node's /v1/verify would reject.
 */
export async function connectApiQueue(config: ServiceConfig, membership: MembershipCircuit): Promise<RedisJobStore> {
  if (config.queue.kind !== 'redis') throw new Error('connectApiQueue needs ZKAI_QUEUE=redis://…');
  const store = await RedisJobStore.connect(config.queue.url);
  try {
    await store.publishCircuit(MEMBERSHIP_CIRCUIT_NAME, membership.circuit.id, membership.setup.vkeyHash);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
