/**
 * Read-only views of the economy for the CLI (`zkai royalties`, `zkai model listing`, `zkai inference show`) and
 * the service's /v1/economy routes: a listed model with its lineage and setup identity, an account's claimable and
 * paid amounts by source, and a request with every party its fee paid. State comes from the contracts' views,
 * history from their events (ethers log queries from `fromBlock`, default 0: a long-lived public chain wants the
 * deployment's block).
 */
import { type Contract, getAddress } from 'ethers';
import { ZkaiError } from '../common/errors.ts';
import { localSetupFiles } from '../prover/setup/local-setup.ts';
import {
  getListing,
  getRequest,
  getSetupIdentity,
  getSplit,
  type InferenceRequest,
  type Listing,
  RequestStatus,
  type SetupIdentity,
  type Split,
  setupIdentityDifferences,
  setupIdentityOf,
} from './market.ts';
import { getModel, modelRegistryAt } from './models.ts';

export interface ModelEconomy {
  modelId: string;
  listing: Listing;
  split: Split;
  setup: SetupIdentity;
  /** Every ancestor up the lineage (parents first, breadth first), each with the parents and datasets it names. */
  lineage: { modelId: string; parents: string[]; parentBps: number[]; datasetRoots: bigint[]; datasetBps: number[] }[];
  /** From the market's events: fulfilled requests of this model and what its split paid out (as the requested model or as a parent). */
  fulfilled: { count: number; fees: bigint };
  paid: { datasets: bigint; parents: bigint; owners: bigint };
  /** With `localSetup`: the declared setup identity against this ZKAI_HOME's own setup of the model's circuit. */
  localSetup?: LocalSetupMatch;
}

/**
 * Whether this node's own setup of a listed model (this ZKAI_HOME's setup folder of the model's circuit, for the
 * ceremony the listing declares) is the one the listing declares, from its setup.json, commitment and lookup keys, read and
 * not verified (`zkai model audit --dir` verifies the chain and the registered verifier's key):
 * 'matches'; 'differs', with each difference named (setupIdentityDifferences), or that the node set the circuit up
 * from another ceremony only; 'unknown' when no circuit here has the model's circuit id (the node never compiled or
 * fetched that model).
 */
export interface LocalSetupMatch {
  status: 'matches' | 'differs' | 'unknown';
  differences: string[];
}

export async function localSetupMatch(governance: Contract, modelId: string, declared: SetupIdentity): Promise<LocalSetupMatch> {
  const registry = modelRegistryAt(getAddress((await governance.getFunction('registry')()) as string), governance.runner!);
  const { circuitId } = await getModel(registry, modelId);
  const files = await localSetupFiles(circuitId, declared.ceremony);
  if ('missing' in files) {
    if (files.missing === 'no-circuit') return { status: 'unknown', differences: [] };
    const ptau = files.ptau.length ? files.ptau.map((p) => `0x${p}`).join(', ') : 'none';
    return {
      status: 'differs',
      differences: [`ceremony (ptau sha256): the listing declares ${declared.ceremony}; this node set the circuit up from ${ptau}`],
    };
  }
  const differences = setupIdentityDifferences(declared, setupIdentityOf(files.meta, files.commitmentKey, files.lookupKey));
  return { status: differences.length ? 'differs' : 'matches', differences };
}

/**
 * A listed model: listing, split, setup identity, lineage and what it paid (NOT_FOUND when it is not listed); with
 * `localSetup`, whether this ZKAI_HOME's own setup of it is the declared one (localSetupMatch).
 */
export async function modelEconomy(
  governance: Contract,
  market: Contract,
  modelId: string,
  fromBlock = 0,
  opts: { localSetup?: boolean } = {},
): Promise<ModelEconomy> {
  const listing = await getListing(governance, modelId);
  if (!listing.listed) throw new ZkaiError('NOT_FOUND', `model ${modelId} is not listed for paid inference`);
  const split = await getSplit(governance, modelId);
  const setup = await getSetupIdentity(governance, modelId);
  const lineage: ModelEconomy['lineage'] = [];
  const seen = new Set<string>([modelId.toLowerCase()]);
  // Parents are listed before their children, so this walk ends (depth ≤ 4, ≤ 16 models by the contract's limits).
  const queue = [...split.parents];
  while (queue.length) {
    const id = queue.shift()!;
    if (seen.has(id.toLowerCase())) continue;
    seen.add(id.toLowerCase());
    const s = await getSplit(governance, id);
    lineage.push({ modelId: id, parents: s.parents, parentBps: s.parentBps, datasetRoots: s.datasetRoots, datasetBps: s.datasetBps });
    queue.push(...s.parents);
  }
  const sum = (events: { args: { amount?: bigint; fee?: bigint } }[], key: 'amount' | 'fee') =>
    events.reduce((a, e) => a + (e.args[key] as bigint), 0n);
  const fulfilled = await logs(market, market.filters.InferenceFulfilled!(null, modelId), fromBlock);
  return {
    modelId,
    listing,
    split,
    setup,
    lineage,
    fulfilled: { count: fulfilled.length, fees: sum(fulfilled, 'fee') },
    paid: {
      datasets: sum(await logs(market, market.filters.DatasetPaid!(null, modelId), fromBlock), 'amount'),
      parents: sum(await logs(market, market.filters.ParentPaid!(null, modelId), fromBlock), 'amount'),
      owners: sum(await logs(market, market.filters.OwnerPaid!(null, modelId), fromBlock), 'amount'),
    },
    ...(opts.localSetup ? { localSetup: await localSetupMatch(governance, modelId, setup) } : {}),
  };
}

export interface Royalties {
  address: string;
  /** Credited and not yet withdrawn: what `zkai withdraw` would send. */
  claimable: { market: bigint; vault: bigint; total: bigint };
  /** Every credit, by source, from the contracts' events. */
  credited: {
    /** Shares of fees of models the account holds, paid as the requested model's owner. */
    ownerShares: { requestId: bigint; modelId: string; amount: bigint }[];
    /** Shares of fees that reached a model the account holds as the parent of the requested model. */
    parentShares: { requestId: bigint; modelId: string; requestedModel: string; amount: bigint }[];
    /** Royalty claims (membership proofs) from dataset pots. */
    claims: { root: bigint; epoch: bigint; nullifier: bigint; amount: bigint }[];
    /** Refunds of the account's unfulfilled requests. */
    refunds: { requestId: bigint; amount: bigint }[];
    /** A funder's share of what an epoch it funded by hand left unclaimed. */
    reclaims: { root: bigint; epoch: bigint; amount: bigint }[];
  };
  totals: { ownerShares: bigint; parentShares: bigint; claims: bigint; refunds: bigint; reclaims: bigint };
  withdrawn: { market: bigint; vault: bigint };
}

/**
 * What `address` can withdraw now and what it was credited, by source. The market credits owner and parent shares
 * and refunds, the vault claims and reclaims, so for each contract credited − withdrawn = claimable (the caller can
 * check it; the test does).
 */
export async function royaltiesOf(market: Contract, vault: Contract, address: string, fromBlock = 0): Promise<Royalties> {
  const account = getAddress(address);
  const ownerPaid = await logs(market, market.filters.OwnerPaid!(null, null, account), fromBlock);
  // A holder is paid as the requested model's owner or, through a ParentPaid, as an ancestor's: the request tells which.
  const requested = new Map<bigint, string>();
  const ownerShares: Royalties['credited']['ownerShares'] = [];
  const parentShares: Royalties['credited']['parentShares'] = [];
  for (const e of ownerPaid) {
    const requestId = e.args.requestId as bigint;
    if (!requested.has(requestId)) requested.set(requestId, (await getRequest(market, requestId)).modelId);
    const modelId = e.args.modelId as string;
    const amount = e.args.amount as bigint;
    const requestedModel = requested.get(requestId)!;
    if (requestedModel.toLowerCase() === modelId.toLowerCase()) ownerShares.push({ requestId, modelId, amount });
    else parentShares.push({ requestId, modelId, requestedModel, amount });
  }
  const claims = (await logs(vault, vault.filters.RoyaltyClaimed!(null, null, null, account), fromBlock)).map((e) => ({
    root: e.args.root as bigint,
    epoch: e.args.epoch as bigint,
    nullifier: e.args.nullifier as bigint,
    amount: e.args.amount as bigint,
  }));
  const refunds = (await logs(market, market.filters.RequestRefunded!(null, account), fromBlock)).map((e) => ({
    requestId: e.args.requestId as bigint,
    amount: e.args.fee as bigint,
  }));
  const reclaims = (await logs(vault, vault.filters.FundingReclaimed!(null, null, account), fromBlock)).map((e) => ({
    root: e.args.root as bigint,
    epoch: e.args.epoch as bigint,
    amount: e.args.amount as bigint,
  }));
  const total = (xs: { amount: bigint }[]) => xs.reduce((a, x) => a + x.amount, 0n);
  const withdrawnFrom = async (c: Contract) =>
    total((await logs(c, c.filters.Withdrawn!(account), fromBlock)).map((e) => ({ amount: e.args.amount as bigint })));
  const claimableMarket = (await market.balanceOf(account)) as bigint;
  const claimableVault = (await vault.balanceOf(account)) as bigint;
  return {
    address: account,
    claimable: { market: claimableMarket, vault: claimableVault, total: claimableMarket + claimableVault },
    credited: { ownerShares, parentShares, claims, refunds, reclaims },
    totals: {
      ownerShares: total(ownerShares),
      parentShares: total(parentShares),
      claims: total(claims),
      refunds: total(refunds),
      reclaims: total(reclaims),
    },
    withdrawn: { market: await withdrawnFrom(market), vault: await withdrawnFrom(vault) },
  };
}

export interface RequestView extends InferenceRequest {
  statusName: string;
  fulfiller?: string;
  refunded?: bigint;
  /** Every party the fee paid (empty until fulfilled), from the market's events of this request. */
  payouts: {
    datasets: { modelId: string; root: bigint; epoch: bigint; amount: bigint }[];
    parents: { child: string; parent: string; amount: bigint }[];
    owners: { modelId: string; account: string; amount: bigint }[];
  };
}

/** A request with its status and, once fulfilled, everyone its fee paid (NOT_FOUND for an unknown id). */
export async function requestView(market: Contract, requestId: bigint, fromBlock = 0): Promise<RequestView> {
  const r = await getRequest(market, requestId);
  const view: RequestView = { ...r, statusName: RequestStatus[r.status] ?? 'Unknown', payouts: { datasets: [], parents: [], owners: [] } };
  if (r.status === RequestStatus.Fulfilled) {
    const [f] = await logs(market, market.filters.InferenceFulfilled!(requestId), fromBlock);
    if (f) view.fulfiller = getAddress(f.args.fulfiller as string);
    view.payouts.datasets = (await logs(market, market.filters.DatasetPaid!(requestId), fromBlock)).map((e) => ({
      modelId: e.args.modelId as string,
      root: e.args.root as bigint,
      epoch: e.args.epoch as bigint,
      amount: e.args.amount as bigint,
    }));
    view.payouts.parents = (await logs(market, market.filters.ParentPaid!(requestId), fromBlock)).map((e) => ({
      child: e.args.child as string,
      parent: e.args.parent as string,
      amount: e.args.amount as bigint,
    }));
    view.payouts.owners = (await logs(market, market.filters.OwnerPaid!(requestId), fromBlock)).map((e) => ({
      modelId: e.args.modelId as string,
      account: getAddress(e.args.account as string),
      amount: e.args.amount as bigint,
    }));
  }
  if (r.status === RequestStatus.Refunded) view.refunded = r.fee;
  return view;
}

type Filter = Parameters<Contract['queryFilter']>[0];
type Log = { args: Record<string, unknown> };

async function logs(contract: Contract, filter: Filter, fromBlock: number): Promise<Log[]> {
  try {
    return (await contract.queryFilter(filter, fromBlock)) as unknown as Log[];
  } catch (err) {
    throw new ZkaiError('CHAIN_ERROR', `reading events from ${String(contract.target)}: ${(err as Error).message}`);
  }
}
