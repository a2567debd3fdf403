/**
 * Paid-inference listing and the owners' decisions (ModelGovernance), signed with ZKAI_CHAIN_KEY; contracts from
 * the deployment record or flags (economy-cli.ts):
 *
 *   zkai model list <dir> --model <modelId> --owners 0xA=60,0xB=40 --fee <wei>
 *                   [--dataset <root>=<bps>]... [--parent <modelId>=<bps>]... [--predecessor <modelId>] [--hash-only]
 *       Lists a model `zkai model register` registered (the signer must be its registrant; its registry ownership
 *       goes to ModelGovernance first). The owners keep 10,000 − datasets − parents bps, split by their shares.
 *       The setup identity (ptau sha256, phase-2 contribution hashes, κ's history) is read from the model
 *       directory's setup. --hash-only prints the listing hash a predecessor's owners approve for a new version
 *       and sends nothing.
 *   zkai model propose <modelId> --fee <wei> | --retire | --approve-version <listingHash>
 *   zkai model approve <proposalId>
 *       A decision executes once the approvers hold more than half the shares (the proposer approves at once).
 *   zkai model listing <modelId>    (read-only: listing, split, lineage, setup identity, what it paid, and whether
 *                                    this ZKAI_HOME's own setup of the model is the declared one: localSetup)
 *   zkai model transfer-shares <modelId> --to <address> --amount <shares>
 *       Moves some of the signer's shares (ModelGovernance.transferShares: at most 16 holders; a proposal counts
 *       its approvers' shares as they stand at each approval).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { getAddress, isAddress, Wallet } from 'ethers';
import { ZkaiError } from '../common/errors.ts';
import { modelEconomy } from '../verifier-contracts/economy-read.ts';
import {
  approveProposal,
  GovernanceAction,
  getSplit,
  inferenceMarketAt,
  type ListingParams,
  listingHashOf,
  listModel,
  modelGovernanceAt,
  propose,
  setupIdentityOf,
  transferShares,
} from '../verifier-contracts/market.ts';
import { modelRegistryAt } from '../verifier-contracts/models.ts';
import { bad, json, log, parseRpc, signingKey, withChain } from './chain-cli.ts';
import {
  CONTRACT_OPTIONS,
  economyContracts,
  parseBps,
  parseBytes32,
  parseField,
  parseFromBlock,
  parsePairs,
  parseWei,
} from './economy-cli.ts';

export async function modelList(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...CONTRACT_OPTIONS,
      model: { type: 'string' },
      owners: { type: 'string', multiple: true },
      fee: { type: 'string' },
      dataset: { type: 'string', multiple: true },
      parent: { type: 'string', multiple: true },
      predecessor: { type: 'string' },
      'hash-only': { type: 'boolean' },
    },
  });
  const [dir] = positionals;
  if (!dir) bad('model list needs <dir> (the compiled model directory: its setup is recorded as the listing’s setup identity)');
  const modelId = parseBytes32(values.model, '--model <modelId>');
  const owners = parsePairs(values.owners, 'owners');
  if (owners.length === 0) bad('--owners <address>=<shares>,... is required');
  for (const [a] of owners) if (!isAddress(a)) bad(`--owners: ${JSON.stringify(a)} is not an Ethereum address`);
  const datasets = parsePairs(values.dataset, 'dataset').map(
    ([r, b]) => [parseField(r, '--dataset root'), parseBps(b, `--dataset ${r}`)] as const,
  );
  const parents = parsePairs(values.parent, 'parent').map(
    ([m, b]) => [parseBytes32(m, '--parent model id'), parseBps(b, `--parent ${m}`)] as const,
  );
  const params: ListingParams = {
    owners: owners.map(([a]) => getAddress(a)),
    shares: owners.map(([a, s]) => {
      if (!/^\d+$/.test(s) || BigInt(s) === 0n) bad(`--owners ${a}: shares must be a positive integer, got ${s}`);
      return BigInt(s);
    }),
    datasetRoots: datasets.map(([r]) => r),
    datasetBps: datasets.map(([, b]) => b),
    parents: parents.map(([m]) => m),
    parentBps: parents.map(([, b]) => b),
    fee: parseWei(values.fee, 'fee'),
    ...(values.predecessor ? { predecessor: parseBytes32(values.predecessor, '--predecessor') } : {}),
    setup: await setupIdentityOfDir(dir),
  };
  const bps = [...params.datasetBps!, ...params.parentBps!].reduce((a, b) => a + b, 0);
  if (bps >= 10_000) bad(`datasets and parents take ${bps} bps: they must leave the owners something (< 10,000)`);
  const listingHash = listingHashOf(modelId, params);
  if (values['hash-only']) {
    json({ modelId, listingHash, setup: params.setup });
    return 0;
  }
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const signer = new Wallet(key, provider);
    const c = await economyContracts(provider, values, ['ModelRegistry', 'ModelGovernance']);
    const governance = modelGovernanceAt(c.ModelGovernance, signer);
    const { receipt } = await listModel(modelRegistryAt(c.ModelRegistry, signer), governance, modelId, params);
    json({ modelId, listingHash, txHash: receipt.hash, split: await getSplit(governance, modelId), fee: params.fee, setup: params.setup });
    return 0;
  });
}

/**
 * The setup identity of a compiled model directory, from what `zkai model compile` wrote and the setup cache holds:
 * the setup's setup.json (ptau sha256, phase-2 contributions), for Pedersen weights the commitment key's κ history and,
 * with lookups, the lookup key's κ history.
 */
async function setupIdentityOfDir(dir: string) {
  const { loadCompiledModel } = await import('../prover/inference.ts');
  const { readCommitmentKeyFile } = await import('../prover/setup/commitment-key.ts');
  const compiled = await loadCompiledModel(path.resolve(dir), log);
  let meta: Parameters<typeof setupIdentityOf>[0];
  try {
    meta = JSON.parse(await readFile(path.join(compiled.setup.dir, 'setup.json'), 'utf8'));
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `${dir}: cannot read its setup's setup.json: ${(err as Error).message}`);
  }
  // loadCompiledModel made or checked the lookup key (prover/lookup/setup.ts): a lookups model without one fails there.
  const lookupKey = compiled.lookup ? await readCommitmentKeyFile(compiled.lookup.keyPath) : undefined;
  if (compiled.lookup && !lookupKey) throw new ZkaiError('NOT_FOUND', `${dir}: its setup has no lookup key (${compiled.lookup.keyPath})`);
  return setupIdentityOf(meta, compiled.pedersen?.key, lookupKey);
}

export async function modelPropose(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...CONTRACT_OPTIONS, fee: { type: 'string' }, retire: { type: 'boolean' }, 'approve-version': { type: 'string' } },
  });
  const modelId = parseBytes32(positionals[0], 'model propose <modelId>');
  const chosen = [values.fee !== undefined, values.retire === true, values['approve-version'] !== undefined].filter(Boolean).length;
  if (chosen !== 1) bad('model propose takes exactly one decision: --fee <wei>, --retire or --approve-version <listingHash>');
  const [action, value] =
    values.fee !== undefined
      ? [GovernanceAction.SetFee, parseWei(values.fee, 'fee')]
      : values.retire
        ? [GovernanceAction.Retire, 0n]
        : [GovernanceAction.ApproveVersion, BigInt(parseBytes32(values['approve-version'], '--approve-version <listingHash>'))];
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const { ModelGovernance } = await economyContracts(provider, values, ['ModelGovernance']);
    const r = await propose(modelGovernanceAt(ModelGovernance, new Wallet(key, provider)), modelId, action, value);
    json({ modelId, proposalId: r.proposalId, action: GovernanceAction[action], value, executed: r.executed, txHash: r.receipt.hash });
    return 0;
  });
}

export async function modelApprove(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: CONTRACT_OPTIONS });
  const id = positionals[0];
  if (id === undefined || !/^\d+$/.test(id)) bad('model approve needs <proposalId> (decimal, as model propose printed)');
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const { ModelGovernance } = await economyContracts(provider, values, ['ModelGovernance']);
    const r = await approveProposal(modelGovernanceAt(ModelGovernance, new Wallet(key, provider)), BigInt(id));
    json({ proposalId: id, executed: r.executed, txHash: r.receipt.hash });
    return 0;
  });
}

/** `zkai model listing <modelId>`: read-only, no key. */
export async function modelListing(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...CONTRACT_OPTIONS, 'from-block': { type: 'string' } },
  });
  const modelId = parseBytes32(positionals[0], 'model listing <modelId>');
  const fromBlock = parseFromBlock(values['from-block']);
  parseRpc(values.rpc);
  return withChain(values.rpc, async (provider) => {
    const c = await economyContracts(provider, values, ['ModelGovernance', 'InferenceMarket']);
    json(
      await modelEconomy(
        modelGovernanceAt(c.ModelGovernance, provider),
        inferenceMarketAt(c.InferenceMarket, provider),
        modelId,
        fromBlock,
        { localSetup: true },
      ),
    );
    return 0;
  });
}

export async function modelTransferShares(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...CONTRACT_OPTIONS, to: { type: 'string' }, amount: { type: 'string' } },
  });
  const modelId = parseBytes32(positionals[0], 'model transfer-shares <modelId>');
  if (values.to === undefined || !isAddress(values.to)) bad('model transfer-shares needs --to <address> (0x and 40 hex digits)');
  if (values.amount === undefined || !/^[1-9]\d*$/.test(values.amount)) bad('--amount must be a whole number of shares, at least 1');
  const to = getAddress(values.to);
  const amount = BigInt(values.amount);
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const { ModelGovernance } = await economyContracts(provider, values, ['ModelGovernance']);
    const governance = modelGovernanceAt(ModelGovernance, new Wallet(key, provider));
    const receipt = await transferShares(governance, modelId, to, amount);
    const from = new Wallet(key).address;
    const shares = async (holder: string) => (await governance.sharesOf(modelId, holder)) as bigint;
    json({ modelId, from, to, amount, txHash: receipt.hash, shares: { [from]: await shares(from), [to]: await shares(to) } });
    return 0;
  });
}
