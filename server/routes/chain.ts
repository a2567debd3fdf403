import type { FastifyPluginAsync } from 'fastify';
import { ZkaiError } from '../../common/errors.ts';
import { errorResponses } from '../schemas.ts';

/** Where the service's contracts live. */
export interface ChainInfo {
  url: string;
  chainId: number;
  contracts: Record<string, string>;
  /** 'dev': the local chain this service started; 'rpc': an existing chain (ZKAI_CHAIN=<url>). */
  kind: 'dev' | 'rpc';
  /** True for the dev chain: its state (registrations, attestations, pots) is gone when the service stops. */
  ephemeral: boolean;
}

export interface ChainRoutesOptions {
  chain?: ChainInfo;
}

/** The chain deployment this service uses (404 when it runs without one). */
export const chainRoutes: FastifyPluginAsync<ChainRoutesOptions> = async (app, { chain }) => {
  app.get(
    '/v1/chain',
    {
      // Public: contract addresses are public on chain anyway, and auditors need them to check attestations.
      config: { public: true },
      schema: {
        security: [],
        tags: ['chain'],
        summary: 'Chain and contract addresses',
        response: {
          200: {
            description: 'The deployment',
            type: 'object',
            required: ['url', 'chainId', 'contracts', 'kind', 'ephemeral'],
            additionalProperties: false,
            properties: {
              url: { type: 'string', description: 'JSON-RPC endpoint' },
              chainId: { type: 'integer' },
              kind: {
                type: 'string',
                enum: ['dev', 'rpc'],
                description: 'dev: the local chain this service started; rpc: an existing chain',
              },
              ephemeral: {
                type: 'boolean',
                description:
                  'True for the dev chain: everything on it is gone when the service stops (ZKAI_CHAIN=<rpc> for a lasting chain)',
              },
              contracts: {
                type: 'object',
                description:
                  'Contract name → address: MembershipVerifier and RoyaltyVault always; MembershipBatchVerifier when the vault takes batch claims (ZKAI_BATCH_SLOTS on the dev chain); the economy contracts when deployed',
                additionalProperties: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' },
              },
            },
          },
          ...errorResponses(404, 500),
        },
      },
    },
    async () => {
      if (!chain) throw new ZkaiError('NOT_FOUND', 'this service runs without a chain (ZKAI_CHAIN=off)');
      return chain;
    },
  );
};
