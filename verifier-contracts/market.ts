// Typed bindings for paid inference: ModelGovernance (listings, shares, majority decisions, lineage, setup identity)
// and InferenceMarket (requests, fulfilment, refunds, withdrawals). Reverts become ZkaiErrors (tx.ts).
import { AbiCoder, Contract, type ContractRunner, getAddress, keccak256, type Signer, type TransactionReceipt } from 'ethers';
import { ZkaiError } from '../common/errors.ts';
import type { PublicInputCommitment } from '../prover/commitment.ts';
import { compileContracts } from './compile.ts';
import { deployContract } from './deploy.ts';
import { INFERENCE_MARKET_ABI, MODEL_GOVERNANCE_ABI } from './market-abi.ts';
import { deployInference, getModel, INFERENCE_ATTESTOR_ABI, lookupWords, transferModelOwnership } from './models.ts';
import type { SetupIdentity } from './setup-identity.ts';
import { call, findEvent, send } from './tx.ts';
import { ROYALTY_VAULT_ABI, type SnarkjsProof, toSolidityCalldata } from './vault.ts';

export { type SetupIdentity, setupIdentityDifferences, setupIdentityOf } from './setup-identity.ts';
export { INFERENCE_MARKET_ABI, MODEL_GOVERNANCE_ABI };

/** IModelGovernance.Action. */
export enum GovernanceAction {
  SetFee = 0,
  Retire = 1,
  ApproveVersion = 2,
}

/** IInferenceMarket.Status. */
export enum RequestStatus {
  None = 0,
  Pending = 1,
  Fulfilled = 2,
  Refunded = 3,
}

/** What a model version declares when listed (IModelGovernance.ListingParams); only `fee` can change later. */
export interface ListingParams {
  owners: string[];
  shares: bigint[];
  datasetRoots?: bigint[];
  datasetBps?: number[];
  parents?: string[];
  parentBps?: number[];
  /** Wei per request. */
  fee: bigint;
  /** The model this version succeeds (its owners must have approved listingHashOf(modelId, params)); default none. */
  predecessor?: string;
  setup: SetupIdentity;
}

export interface Listing {
  fee: bigint;
  totalShares: bigint;
  ownersBps: number;
  depth: number;
  lineageSize: number;
  listed: boolean;
  retired: boolean;
  superseded: boolean;
  predecessor: string;
  approvedVersion: string;
}

export interface Split {
  datasetRoots: bigint[];
  datasetBps: number[];
  parents: string[];
  parentBps: number[];
  ownersBps: number;
  holders: string[];
  shares: bigint[];
  totalShares: bigint;
}

export interface InferenceRequest {
  requestId: bigint;
  modelId: string;
  inputHash: bigint;
  consumer: string;
  deadline: number;
  status: RequestStatus;
  fee: bigint;
  attestationId: string;
}

export interface MarketContracts {
  chainId: number;
  ModelGovernance: string;
  InferenceMarket: string;
}

const ZERO32 = `0x${'0'.repeat(64)}`;
const LISTING_TUPLE =
  'tuple(address[] owners, uint96[] shares, uint256[] datasetRoots, uint16[] datasetBps, bytes32[] parents, uint16[] parentBps, uint256 fee, bytes32 predecessor, tuple(bytes32 ceremony, bytes[] zkeyContributions, bytes32[] kappaContributions, bytes32[] lookupKappaContributions) setup)';

/** Handle on a deployed ModelGovernance; send transactions by passing a Signer as runner. */
export function modelGovernanceAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, MODEL_GOVERNANCE_ABI, runner);
}

/**
 * The market's ABI plus the errors of the contracts it calls (the attestor's InvalidProof, CommitmentMismatch, …;
 * the vault's), which a fulfil bubbles up unchanged, so they decode to CONTRACT_REVERTED with their names.
 */
const MARKET_HANDLE_ABI = [
  ...new Set([...INFERENCE_MARKET_ABI, ...[...INFERENCE_ATTESTOR_ABI, ...ROYALTY_VAULT_ABI].filter((f) => f.startsWith('error'))]),
];

/** Handle on a deployed InferenceMarket; send transactions by passing a Signer as runner. */
export function inferenceMarketAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, MARKET_HANDLE_ABI, runner);
}

/** The listing params as the ABI tuple, with the optional lists defaulted to empty. */
export function listingTuple(p: ListingParams) {
  return {
    owners: p.owners.map((o) => getAddress(o)),
    shares: p.shares,
    datasetRoots: p.datasetRoots ?? [],
    datasetBps: p.datasetBps ?? [],
    parents: p.parents ?? [],
    parentBps: p.parentBps ?? [],
    fee: p.fee,
    predecessor: p.predecessor ?? ZERO32,
    setup: p.setup,
  };
}

/** What an ApproveVersion proposal approves, computed off chain: keccak256(abi.encode(modelId, params)). */
export function listingHashOf(modelId: string, params: ListingParams): string {
  const t = listingTuple(params);
  const s = t.setup;
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ['bytes32', LISTING_TUPLE],
      [
        modelId,
        [
          t.owners,
          t.shares,
          t.datasetRoots,
          t.datasetBps,
          t.parents,
          t.parentBps,
          t.fee,
          t.predecessor,
          [s.ceremony, s.zkeyContributions, s.kappaContributions, s.lookupKappaContributions],
        ],
      ],
    ),
  );
}

/**
 * Lists a registered model for paid inference. The signer must be its registrant; if it still owns the model in the
 * registry, its registry ownership is first handed to the governance contract (which list requires), so from then
 * on only a majority of the listed owners can retire it.
 */
export async function listModel(
  registry: Contract,
  governance: Contract,
  modelId: string,
  params: ListingParams,
): Promise<{ receipt: TransactionReceipt }> {
  const govAddress = getAddress(String(governance.target));
  const model = await getModel(registry, modelId);
  if (model.owner !== govAddress) await transferModelOwnership(registry, modelId, govAddress);
  const receipt = await send(governance, 'ModelGovernance', 'list', [modelId, listingTuple(params)]);
  return { receipt };
}

/** Moves `amount` of the signer's shares of `modelId` to `to`. */
export async function transferShares(governance: Contract, modelId: string, to: string, amount: bigint): Promise<TransactionReceipt> {
  return send(governance, 'ModelGovernance', 'transferShares', [modelId, to, amount]);
}

/** Opens a proposal (the signer approves it at once). `executed` is true when the signer alone holds a majority. */
export async function propose(
  governance: Contract,
  modelId: string,
  action: GovernanceAction,
  value: bigint | string,
): Promise<{ proposalId: bigint; executed: boolean; receipt: TransactionReceipt }> {
  const receipt = await send(governance, 'ModelGovernance', 'propose', [modelId, action, BigInt(value)]);
  const proposalId = findEvent(governance, receipt, 'ProposalCreated').args.proposalId as bigint;
  return { proposalId, executed: hasEvent(governance, receipt, 'ProposalExecuted'), receipt };
}

/** Approves a proposal; `executed` is true when this approval gave it a majority. */
export async function approveProposal(
  governance: Contract,
  proposalId: bigint,
): Promise<{ executed: boolean; receipt: TransactionReceipt }> {
  const receipt = await send(governance, 'ModelGovernance', 'approve', [proposalId]);
  return { executed: hasEvent(governance, receipt, 'ProposalExecuted'), receipt };
}

function hasEvent(contract: Contract, receipt: TransactionReceipt, name: string): boolean {
  try {
    findEvent(contract, receipt, name);
    return true;
  } catch {
    return false;
  }
}

export async function getListing(governance: Contract, modelId: string): Promise<Listing> {
  const l = (await call(governance, 'ModelGovernance', 'getListing', [modelId])) as Record<string, unknown>;
  return {
    fee: l.fee as bigint,
    totalShares: l.totalShares as bigint,
    ownersBps: Number(l.ownersBps),
    depth: Number(l.depth),
    lineageSize: Number(l.lineageSize),
    listed: l.listed as boolean,
    retired: l.retired as boolean,
    superseded: l.superseded as boolean,
    predecessor: l.predecessor as string,
    approvedVersion: l.approvedVersion as string,
  };
}

/** How a listed model's fees divide now (its current holders included); CONTRACT_REVERTED NotListed otherwise. */
export async function getSplit(governance: Contract, modelId: string): Promise<Split> {
  const s = (await call(governance, 'ModelGovernance', 'splitOf', [modelId])) as Record<string, unknown[]>;
  return {
    datasetRoots: [...(s.datasetRoots as bigint[])],
    datasetBps: (s.datasetBps as bigint[]).map(Number),
    parents: [...(s.parents as string[])],
    parentBps: (s.parentBps as bigint[]).map(Number),
    ownersBps: Number(s.ownersBps),
    holders: (s.holders as string[]).map((h) => getAddress(h)),
    shares: [...(s.shares as bigint[])],
    totalShares: s.totalShares as unknown as bigint,
  };
}

/** The setup identity recorded for a listed model. */
export async function getSetupIdentity(governance: Contract, modelId: string): Promise<SetupIdentity> {
  const s = (await call(governance, 'ModelGovernance', 'setupIdentity', [modelId])) as Record<string, unknown>;
  return {
    ceremony: s.ceremony as string,
    zkeyContributions: [...(s.zkeyContributions as string[])],
    kappaContributions: [...(s.kappaContributions as string[])],
    lookupKappaContributions: [...(s.lookupKappaContributions as string[])],
  };
}

/** Requests an inference, paying `fee` (which must equal the model's current fee, else WrongFee). */
export async function requestInference(
  market: Contract,
  modelId: string,
  inputHash: bigint,
  deadline: number,
  fee: bigint,
): Promise<{ requestId: bigint; receipt: TransactionReceipt }> {
  const receipt = await send(market, 'InferenceMarket', 'request', [modelId, inputHash, deadline], fee);
  return { requestId: findEvent(market, receipt, 'InferenceRequested').args.requestId as bigint, receipt };
}

/**
 * Fulfils a request with an inference proof of its model on its input (publicSignals as attestInference takes them).
 * `gasLimit` skips the node's estimate: for a large fee tree a node may estimate more than the per-transaction cap
 * (2^24 gas) although the call needs far less (the largest tree a listing allows used 8.5 M gas with a mock verifier,
 * verifier-contracts/test/market-split.test.ts). `lookup`: the bundle's lookupCommitment, for a model compiled with
 * lookups (fulfilWithLookup).
 */
export async function fulfilInference(
  market: Contract,
  requestId: bigint,
  proof: SnarkjsProof | object,
  publicSignals: readonly string[],
  opts: { gasLimit?: bigint; lookup?: PublicInputCommitment } = {},
): Promise<{ attestationId: string; receipt: TransactionReceipt }> {
  const { a, b, c, pubSignals } = toSolidityCalldata(proof, publicSignals);
  // A trailing object is read by ethers as the transaction's overrides.
  const overrides = opts.gasLimit === undefined ? [] : [{ gasLimit: opts.gasLimit }];
  const receipt = opts.lookup
    ? await send(market, 'InferenceMarket', 'fulfilWithLookup', [requestId, a, b, c, pubSignals, ...lookupWords(opts.lookup), ...overrides])
    : await send(market, 'InferenceMarket', 'fulfil', [requestId, a, b, c, pubSignals, ...overrides]);
  return { attestationId: findEvent(market, receipt, 'InferenceFulfilled').args.attestationId as string, receipt };
}

/** After the deadline, credits an unfulfilled request's fee back to its consumer. */
export async function refundRequest(market: Contract, requestId: bigint): Promise<TransactionReceipt> {
  return send(market, 'InferenceMarket', 'refund', [requestId]);
}

/** Sends the signer everything the market credited to it. */
export async function withdrawFromMarket(market: Contract): Promise<TransactionReceipt> {
  return send(market, 'InferenceMarket', 'withdraw', []);
}

export async function marketBalance(market: Contract, account: string): Promise<bigint> {
  return (await call(market, 'InferenceMarket', 'balanceOf', [account])) as bigint;
}

export async function getRequest(market: Contract, requestId: bigint): Promise<InferenceRequest> {
  const r = (await call(market, 'InferenceMarket', 'getRequest', [requestId])) as Record<string, unknown>;
  if (Number(r.status) === RequestStatus.None) throw new ZkaiError('NOT_FOUND', `no inference request ${requestId}`);
  return {
    requestId,
    modelId: r.modelId as string,
    inputHash: r.inputHash as bigint,
    consumer: getAddress(r.consumer as string),
    deadline: Number(r.deadline),
    status: Number(r.status) as RequestStatus,
    fee: r.fee as bigint,
    attestationId: r.attestationId as string,
  };
}

/**
 * Compiles the contracts (a no-op when unchanged) and deploys a ModelGovernance over `registry` and an
 * InferenceMarket over it, the attestor (which must check proofs against the same registry) and the vault.
 */
export async function deployMarket(opts: {
  signer: Signer;
  registry: string;
  attestor: string;
  vault: string;
  log?: (msg: string) => void;
}): Promise<MarketContracts> {
  const network = await opts.signer.provider?.getNetwork();
  if (!network) throw new ZkaiError('BAD_INPUT', 'the signer must be connected to a provider');
  await compileContracts({ log: opts.log });
  const governance = await deployContract(opts.signer, 'ModelGovernance', [opts.registry]);
  opts.log?.(`contracts: ModelGovernance at ${governance}`);
  const market = await deployContract(opts.signer, 'InferenceMarket', [opts.attestor, governance, opts.vault]);
  opts.log?.(`contracts: InferenceMarket at ${market}`);
  return { chainId: Number(network.chainId), ModelGovernance: governance, InferenceMarket: market };
}

/**
 * Everything paid inference needs over an existing RoyaltyVault (deployMembership's): a ModelRegistry, an
 * InferenceAttestor over it, a ModelGovernance over it and an InferenceMarket over all three. What a `zkai chain
 * deploy` would call.
 */
export async function deployEconomy(opts: {
  signer: Signer;
  vault: string;
  log?: (msg: string) => void;
}): Promise<MarketContracts & { ModelRegistry: string; InferenceAttestor: string }> {
  const inference = await deployInference({ signer: opts.signer, log: opts.log });
  const market = await deployMarket({
    signer: opts.signer,
    registry: inference.ModelRegistry,
    attestor: inference.InferenceAttestor,
    vault: opts.vault,
    log: opts.log,
  });
  return { ...market, ModelRegistry: inference.ModelRegistry, InferenceAttestor: inference.InferenceAttestor };
}
