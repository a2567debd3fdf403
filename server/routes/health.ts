import type { FastifyPluginAsync } from 'fastify';
import { describeEngine } from '../../prover/engine.ts';
import type { MembershipCircuit } from '../../prover/membership.ts';
import type { JobQueueApi } from '../../prover/queue/types.ts';
import { errorResponses } from '../schemas.ts';

export interface HealthRoutesOptions {
  store: JobQueueApi;
  membership: MembershipCircuit;
  hasChain: boolean;
}

const count = { type: 'integer', minimum: 0 } as const;

/** Liveness and a glance at the state: which circuits are loaded, how many jobs in each state. */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { store, membership, hasChain }) => {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['service'],
        summary: 'Health',
        description: 'Public (no API key). Job counts are over all tenants.',
        security: [],
        response: {
          200: {
            description: 'The service is up',
            type: 'object',
            required: ['status', 'engine', 'circuits', 'jobs', 'chain'],
            additionalProperties: false,
            properties: {
              status: { type: 'string', const: 'ok' },
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
              chain: { type: 'boolean', description: 'Whether a chain deployment is configured (GET /v1/chain)' },
            },
          },
          ...errorResponses(500),
        },
      },
    },
    async () => ({
      status: 'ok',
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
      chain: hasChain,
    }),
  );
};
