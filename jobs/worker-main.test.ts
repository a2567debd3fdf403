/**
 * docs/queue.md, "Same keys everywhere": a `zkai worker` whose membership circuit or verifying key differs from the
 * one the API nodes published refuses to start (its proofs would not verify against the API's key); one with the
 * same circuit and key starts.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { isZkaiError } from '../common/errors.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { configFromEnv } from '../server/config.ts';
import { sharedArtifactsHome } from '../test/procs.ts';
import { requireOrSkip } from '../test/require-dep.ts';
import { RedisTransport } from './queue/redis-transport.ts';
import { hasRedisServer, startTestRedis, type TestRedis } from './queue/test-redis.ts';
import { MEMBERSHIP_CIRCUIT_NAME } from './queue-node.ts';
import { startWorker } from './worker-main.ts';

describe('zkai worker: same circuit and key as the API nodes, or no start', {
  skip: requireOrSkip(hasRedisServer(), 'redis-server'),
}, () => {
  let redis: TestRedis;
  let transport: RedisTransport;
  let home: string;
  let membership: MembershipCircuit;

  before(async () => {
    membership = await prepareMembershipCircuit(4);
    home = await sharedArtifactsHome('zkai-worker-keys-');
    redis = await startTestRedis();
    transport = await RedisTransport.connect(redis.url);
  });

  after(async () => {
    await transport?.close();
    await redis?.stop();
    await rm(home, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  const config = () => configFromEnv({ ZKAI_HOME: home, ZKAI_QUEUE: redis.url, ZKAI_TREE_DEPTH: '4', ZKAI_POOL_SIZE: '1' });
  const refused = (what: RegExp) => (err: unknown) => isZkaiError(err) && err.code === 'BAD_INPUT' && what.test(err.message);

  it('refuses another circuit', async () => {
    await transport.publishCircuit(MEMBERSHIP_CIRCUIT_NAME, 'membership-d4-someoneelses', membership.setup.vkeyHash);
    await assert.rejects(startWorker(config(), { log: () => {} }), refused(/serve circuit membership-d4-someoneelses/));
  });

  it('refuses the same circuit with another verifying key (another setup)', async () => {
    await transport.publishCircuit(MEMBERSHIP_CIRCUIT_NAME, membership.circuit.id, 'f'.repeat(64));
    await assert.rejects(startWorker(config(), { log: () => {} }), refused(/vkey ffffffffffff…/));
  });

  it('starts with the published circuit and key, and reports itself', async () => {
    await transport.publishCircuit(MEMBERSHIP_CIRCUIT_NAME, membership.circuit.id, membership.setup.vkeyHash);
    const node = await startWorker(config(), { name: 'same-keys', log: () => {} });
    try {
      assert.deepEqual(
        (await transport.workers()).map((w) => w.name),
        ['same-keys'],
      );
    } finally {
      await node.close(1000);
    }
  });
});
