import { JsonRpcProvider, Network } from 'ethers';
import type { FastifyPluginAsync } from 'fastify';
import { ZkaiError } from '../../common/errors.ts';
import { modelEconomy, requestView, royaltiesOf } from '../../verifier-contracts/economy-read.ts';
import { inferenceMarketAt, modelGovernanceAt } from '../../verifier-contracts/market.ts';
import { royaltyVaultAt } from '../../verifier-contracts/vault.ts';
import { errorResponses } from '../schemas.ts';
import type { ChainInfo } from './chain.ts';

export interface EconomyRoutesOptions {
  chain?: ChainInfo;
}

// Amounts are wei and ids field elements: decimal strings (JSON numbers would lose precision).
const uint = { type: 'string', pattern: '^[0-9]+$' } as const;
const bytes32 = { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$' } as const;
const address = { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' } as const;
const bytesHex = { type: 'string', pattern: '^0x[0-9a-fA-F]*$' } as const;
const list = (items: object) => ({ type: 'array', items }) as const;
const obj = (properties: Record<string, object>, description?: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties),
    properties,
    ...(description ? { description } : {}),
  }) as const;
const bps = { type: 'integer', minimum: 0, maximum: 10_000 } as const;

const fromBlockQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { fromBlock: { type: 'integer', minimum: 0, description: 'First block of the event history read (default 0)' } },
} as const;

const modelSchema = obj({
  modelId: bytes32,
  listing: obj({
    fee: uint,
    totalShares: uint,
    ownersBps: bps,
    depth: { type: 'integer' },
    lineageSize: { type: 'integer' },
    listed: { type: 'boolean' },
    retired: { type: 'boolean' },
    superseded: { type: 'boolean' },
    predecessor: bytes32,
    approvedVersion: bytes32,
  }),
  split: obj(
    {
      datasetRoots: list(uint),
      datasetBps: list(bps),
      parents: list(bytes32),
      parentBps: list(bps),
      ownersBps: bps,
      holders: list(address),
      shares: list(uint),
      totalShares: uint,
    },
    'How a fee divides now: datasets, then parents, then the current holders by shares (cumulative rounding)',
  ),
  setup: obj(
    { ceremony: bytes32, zkeyContributions: list(bytesHex), kappaContributions: list(bytes32), lookupKappaContributions: list(bytes32) },
    'Who ran the trusted setup: the ptau sha256, the phase-2 contribution hashes, the history hashes of the weights’ ' +
      'commitment key κ (empty without Pedersen weights) and of the lookup key κ (empty without lookups)',
  ),
  lineage: list(obj({ modelId: bytes32, parents: list(bytes32), parentBps: list(bps), datasetRoots: list(uint), datasetBps: list(bps) })),
  fulfilled: obj({ count: { type: 'integer' }, fees: uint }),
  paid: obj({ datasets: uint, parents: uint, owners: uint }, 'What this model’s split paid out, from the market’s events'),
  localSetup: obj(
    {
      status: { type: 'string', enum: ['matches', 'differs', 'unknown'] },
      differences: list({ type: 'string' }),
    },
    'Whether this node’s own setup of the model (its setup.json, commitment and lookup keys, for the declared ceremony; read, ' +
      'not verified: `zkai model audit --dir` verifies) is the declared one; unknown when the node does not have the model’s circuit',
  ),
});

const royaltiesSchema = obj({
  address,
  claimable: obj({ market: uint, vault: uint, total: uint }, 'Credited and not withdrawn'),
  credited: obj({
    ownerShares: list(obj({ requestId: uint, modelId: bytes32, amount: uint })),
    parentShares: list(obj({ requestId: uint, modelId: bytes32, requestedModel: bytes32, amount: uint })),
    claims: list(obj({ root: uint, epoch: uint, nullifier: uint, amount: uint })),
    refunds: list(obj({ requestId: uint, amount: uint })),
    reclaims: list(obj({ root: uint, epoch: uint, amount: uint })),
  }),
  totals: obj({ ownerShares: uint, parentShares: uint, claims: uint, refunds: uint, reclaims: uint }),
  withdrawn: obj({ market: uint, vault: uint }),
});

const requestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['requestId', 'modelId', 'inputHash', 'consumer', 'deadline', 'status', 'statusName', 'fee', 'attestationId', 'payouts'],
  properties: {
    requestId: uint,
    modelId: bytes32,
    inputHash: uint,
    consumer: address,
    deadline: { type: 'integer', description: 'Unix seconds' },
    status: { type: 'integer', description: '1 Pending, 2 Fulfilled, 3 Refunded' },
    statusName: { type: 'string', enum: ['Pending', 'Fulfilled', 'Refunded'] },
    fee: uint,
    attestationId: bytes32,
    fulfiller: address,
    refunded: uint,
    payouts: obj({
      datasets: list(obj({ modelId: bytes32, root: uint, epoch: uint, amount: uint })),
      parents: list(obj({ child: bytes32, parent: bytes32, amount: uint })),
      owners: list(obj({ modelId: bytes32, account: address, amount: uint })),
    }),
  },
} as const;

/** bigints as decimal strings, for the response schemas above. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));

/**
 * Read-only economy state (docs/economy.md, "Tooling"): a listed model, an account's royalties, a request. Public,
 * like GET /v1/chain: everything here is public chain state that anyone can read from the RPC, and consumers and
 * auditors need it without an account; the rate limit still applies. 404 when the service's chain has no
 * ModelGovernance / InferenceMarket (the dev chain the service starts deploys only the vault; `zkai chain deploy`
 * and ZKAI_CHAIN=<rpc> give all of them).
 */
export const economyRoutes: FastifyPluginAsync<EconomyRoutesOptions> = async (app, { chain }) => {
  const c = chain?.contracts ?? {};
  const has = chain && c.ModelGovernance && c.InferenceMarket && c.RoyaltyVault;
  const provider = has ? new JsonRpcProvider(chain.url, Network.from(chain.chainId), { staticNetwork: true, cacheTimeout: -1 }) : undefined;
  app.addHook('onClose', async () => provider?.destroy());
  const contracts = () => {
    if (!provider)
      throw new ZkaiError(
        'NOT_FOUND',
        'this service’s chain has no economy contracts (ModelGovernance, InferenceMarket): deploy them with zkai chain deploy',
      );
    return {
      governance: modelGovernanceAt(c.ModelGovernance!, provider),
      market: inferenceMarketAt(c.InferenceMarket!, provider),
      vault: royaltyVaultAt(c.RoyaltyVault!, provider),
    };
  };
  const common = { config: { public: true }, security: [], tags: ['economy'] };

  app.get<{ Params: { modelId: string }; Querystring: { fromBlock?: number } }>(
    '/v1/economy/models/:modelId',
    {
      config: common.config,
      schema: {
        security: common.security,
        tags: common.tags,
        summary:
          'A model listed for paid inference: listing, split, lineage, setup identity (and whether this node’s own setup matches it), what it paid',
        params: { type: 'object', required: ['modelId'], properties: { modelId: bytes32 } },
        querystring: fromBlockQuery,
        response: { 200: { description: 'The listed model', ...modelSchema }, ...errorResponses(400, 404, 429, 500) },
      },
    },
    async (request) => {
      const { governance, market } = contracts();
      const id = request.params.modelId.toLowerCase();
      return plain(await modelEconomy(governance, market, id, request.query.fromBlock ?? 0, { localSetup: true }));
    },
  );

  app.get<{ Params: { address: string }; Querystring: { fromBlock?: number } }>(
    '/v1/economy/royalties/:address',
    {
      config: common.config,
      schema: {
        security: common.security,
        tags: common.tags,
        summary: 'What an account can withdraw and was credited, by source (owner and parent shares, claims, refunds, reclaims)',
        params: { type: 'object', required: ['address'], properties: { address } },
        querystring: fromBlockQuery,
        response: { 200: { description: 'The account’s royalties', ...royaltiesSchema }, ...errorResponses(400, 404, 429, 500) },
      },
    },
    async (request) => {
      const { market, vault } = contracts();
      return plain(await royaltiesOf(market, vault, request.params.address, request.query.fromBlock ?? 0));
    },
  );

  app.get<{ Params: { requestId: string }; Querystring: { fromBlock?: number } }>(
    '/v1/economy/requests/:requestId',
    {
      config: common.config,
      schema: {
        security: common.security,
        tags: common.tags,
        summary: 'A paid inference request: status, fee and every party it paid',
        params: { type: 'object', required: ['requestId'], properties: { requestId: { type: 'string', pattern: '^[0-9]{1,78}$' } } },
        querystring: fromBlockQuery,
        response: { 200: { description: 'The request', ...requestSchema }, ...errorResponses(400, 404, 429, 500) },
      },
    },
    async (request) => {
      const { market } = contracts();
      return plain(await requestView(market, BigInt(request.params.requestId), request.query.fromBlock ?? 0));
    },
  );
};
