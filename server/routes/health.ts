import type { FastifyPluginAsync } from 'fastify';
import type { QueueStatus } from '../../jobs/queue/redis-transport.ts';
import type { JobQueueApi } from '../../jobs/queue/types.ts';
import { describeEngine } from '../../prover/engine.ts';
import type { MembershipCircuit } from '../../prover/membership.ts';
import { errorResponses } from '../schemas.ts';

export interface HealthRoutesOptions {
  store: JobQueueApi;
  membership: MembershipCircuit;
  hasChain: boolean;
  /** The distributed queue's state (absent: the embedded queue). */
  queueStatus?: () => Promise<QueueStatus>;
}

const EMBEDDED: QueueStatus = { backend: 'embedded', reachable: true, persistent: true };

const count = { type: 'integer', minimum: 0 } as const;

/**
 * Liveness and a glance at the state: which circuits are loaded, how many jobs in each state (from the store of
 * record, so they survive a queue restart), and whether the queue is reachable and persistent. `status` is `degraded`
 * while the queue is unreachable: jobs are still accepted (recorded, delivered once it is back) but none is proved.
 */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { store, membership, hasChain, queueStatus }) => {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['service'],
        summary: 'Health',
        description:
          'Public (no API key). Job counts are over all tenants, from the store of record. `queue` says whether the job queue is reachable and keeps its contents over a restart; `status` is `degraded` while it is unreachable (jobs are accepted and recorded, but not proved until it is back).',
        security: [],
        response: {
          200: {
            description: 'The service is up',
            type: 'object',
            required: ['status', 'engine', 'circuits', 'jobs', 'queue', 'chain'],
            additionalProperties: false,
            properties: {
              status: { type: 'string', enum: ['ok', 'degraded'] },
              engine: {
                type: 'string',
                description: 'Proving engine: native, snarkjs, wasm or webgpu (ZKAI_ENGINE; see prover/engine.ts)',
              },
              circuits: {
                type: 'object',
                required: ['membership'],
                additionalProperties: false,
                properties: {
                  membership: {
                    type: 'object',
                    required: ['id', 'depth', 'insecureSetup'],
                    additionalProperties: false,
                    properties: {
                      id: { type: 'string', description: 'Content-addressed circuit id' },
                      depth: { type: 'integer', description: 'Merkle tree depth it proves' },
                      constraints: { type: 'integer' },
                      insecureSetup: {
                        type: 'boolean',
                        description: 'true when the setup used a locally generated (development) powers of tau',
                      },
                    },
                  },
                },
              },
              jobs: {
                type: 'object',
                required: ['queued', 'running', 'succeeded', 'failed'],
                additionalProperties: false,
                properties: { queued: count, running: count, succeeded: count, failed: count, cancelled: count },
              },
              queue: {
                type: 'object',
                required: ['backend', 'reachable', 'persistent'],
                additionalProperties: false,
                properties: {
                  backend: { type: 'string', enum: ['embedded', 'redis'], description: 'ZKAI_QUEUE: embedded, or Redis (BullMQ)' },
                  reachable: { type: 'boolean', description: 'Whether the queue answered just now' },
                  persistent: {
                    type: ['boolean', 'null'],
                    description:
                      'Whether the queue keeps its contents over a restart (Redis: AOF or RDB on); null when unknown. Without it a Redis restart costs a re-delivery of every unfinished job from the store of record, no job.',
                  },
                },
              },
              chain: { type: 'boolean', description: 'Whether a chain deployment is configured (GET /v1/chain)' },
            },
          },
          ...errorResponses(500),
        },
      },
    },
    async () => {
      const queue = queueStatus ? await queueStatus() : EMBEDDED;
      return {
        status: queue.reachable ? 'ok' : 'degraded',
        engine: (await describeEngine()).name,
        circuits: {
          membership: {
            id: membership.circuit.id,
            depth: membership.depth,
            constraints: membership.circuit.nConstraints,
            insecureSetup: Boolean(membership.setup.insecure),
          },
        },
        jobs: await store.counts(),
        queue,
        chain: hasChain,
      };
    },
  );
};
