/**
 * The dataset pot commands (RoyaltyVault), signed with ZKAI_CHAIN_KEY; contracts from the deployment record or
 * flags (economy-cli.ts):
 *
 *   zkai dataset register <dataset.json | --root <n>> --rpc <url>
 *       The vault has no registration: any root can be funded and claimed. This checks the root (a field element)
 *       and prints, read-only, its current royalty epoch (the label contributors prove for) and that epoch's pot
 *       and schedule, so it is what a dataset owner publishes: root, total weight, epoch label. Sends nothing.
 *   zkai dataset fund <dataset.json | --root <n>> --amount <wei> [--epoch <n>] --rpc <url>
 *       With --epoch: RoyaltyVault.fundEpoch (a hand-funded epoch; its funders reclaim what stays unclaimed).
 *       Without: depositRoyalty into the root's current royalty epoch (what the market does; unclaimed rolls over).
 *   zkai dataset claim <proof.json> --rpc <url>
 *       A `membership` bundle (zkai dataset prove --record) via claim, a `membership-batch` bundle (--records) via
 *       claimBatch. The vault credits the contributors the proof names, whoever sends it; `zkai withdraw` pays out.
 *   zkai dataset roll-over <dataset.json | --root <n>> --epoch <label> --rpc <url>
 *       After a royalty epoch's claim window: what was left unclaimed moves into the root's current royalty epoch.
 *   zkai dataset reclaim <dataset.json | --root <n>> --epoch <n> --rpc <url>
 *       After a hand-funded epoch's claim window: the signer (one of its funders) is credited its pro-rata share of
 *       what stayed unclaimed (RoyaltyVault.reclaim); `zkai withdraw --from vault` pays it out.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type Contract, Wallet } from 'ethers';
import { ZkaiError } from '../common/errors.ts';
import { currentRoyaltyEpoch, depositRoyalty, rollOverRoyalty } from '../verifier-contracts/royalty-deposits.ts';
import { claimRoyalty, epochState, fundEpoch, reclaimFunding, royaltyVaultAt } from '../verifier-contracts/vault.ts';
import { claimRoyaltyBatch } from '../verifier-contracts/vault-batch.ts';
import { readBundleFile } from './bundle-file.ts';
import { bad, json, parseRpc, signingKey, withChain } from './chain-cli.ts';
import { CONTRACT_OPTIONS, economyContracts, parseField, parseWei } from './economy-cli.ts';

const OPTIONS = { ...CONTRACT_OPTIONS, root: { type: 'string' }, epoch: { type: 'string' }, amount: { type: 'string' } } as const;

export async function datasetChainCommand(sub: string, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  if (sub === 'claim') return claim(positionals[0], values);
  const { root, manifest } = await datasetRoot(positionals[0], values.root);
  if (sub === 'register') return register(root, manifest, values);
  if (sub === 'fund') return fund(root, values);
  if (sub === 'roll-over') return rollOver(root, values);
  if (sub === 'reclaim') return reclaim(root, values);
  bad(`unknown command: zkai dataset ${sub}`);
}

type Values = { [K in keyof typeof OPTIONS]?: string };

/** The root from a dataset.json (its manifest) or --root; exactly one of them. */
async function datasetRoot(file: string | undefined, rootFlag: string | undefined) {
  if ((file === undefined) === (rootFlag === undefined))
    bad('give the dataset as <dataset.json> (zkai dataset commit wrote it) or --root <n>, not both');
  if (rootFlag !== undefined) return { root: parseField(rootFlag, '--root'), manifest: undefined };
  let manifest: { format?: string; root?: string; totalWeight?: string; leafCount?: number; depth?: number };
  try {
    manifest = JSON.parse(await readFile(file!, 'utf8'));
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `cannot read ${file} as JSON: ${(err as Error).message}`);
  }
  if (manifest?.format !== 'zkai-dataset' || typeof manifest.root !== 'string')
    bad(`${file} is not a dataset manifest (zkai dataset commit)`);
  return { root: parseField(manifest.root, `${file}: root`), manifest };
}

async function vaultFor(provider: Parameters<typeof economyContracts>[0], values: Values, runner: Wallet | undefined) {
  const { RoyaltyVault } = await economyContracts(provider, values, ['RoyaltyVault']);
  return royaltyVaultAt(RoyaltyVault, runner ?? provider);
}

async function potOf(vault: Contract, root: bigint, epoch: bigint) {
  const s = await epochState(vault, root, epoch);
  return { ...s, rolling: (await vault.rolling(root, epoch)) as bigint };
}

async function register(root: bigint, manifest: { totalWeight?: string; leafCount?: number; depth?: number } | undefined, values: Values) {
  return withChain(values.rpc, async (provider) => {
    const vault = await vaultFor(provider, values, undefined);
    const { index, epoch } = await currentRoyaltyEpoch(vault, root);
    json({
      root,
      ...(manifest ? { totalWeight: manifest.totalWeight, leafCount: manifest.leafCount, depth: manifest.depth } : {}),
      registered: 'nothing to register: RoyaltyVault takes deposits and claims for any root',
      vault: String(vault.target),
      royaltyEpoch: { index, epoch, ...(await potOf(vault, root, epoch)) },
    });
    return 0;
  });
}

async function fund(root: bigint, values: Values) {
  const amount = parseWei(values.amount, 'amount');
  if (amount === 0n) bad('--amount must be more than 0 wei');
  const epoch = values.epoch === undefined ? undefined : parseField(values.epoch, '--epoch');
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const vault = await vaultFor(provider, values, new Wallet(key, provider));
    if (epoch !== undefined) {
      const receipt = await fundEpoch(vault, root, epoch, amount);
      json({ root, epoch, kind: 'hand-funded', amount, txHash: receipt.hash, pot: await potOf(vault, root, epoch) });
    } else {
      const { epoch: label, receipt } = await depositRoyalty(vault, root, amount);
      json({ root, epoch: label, kind: 'royalty', amount, txHash: receipt.hash, pot: await potOf(vault, root, label) });
    }
    return 0;
  });
}

async function claim(file: string | undefined, values: Values) {
  if (!file) bad('dataset claim needs <proof.json> (zkai dataset prove)');
  const bundle = await readBundleFile(file);
  if (bundle.kind !== 'membership' && bundle.kind !== 'membership-batch')
    throw new ZkaiError('BAD_BUNDLE', `${file} is a ${bundle.kind} proof, not a membership proof`);
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const vault = await vaultFor(provider, values, new Wallet(key, provider));
    const [root, , epoch] =
      bundle.kind === 'membership' ? [bundle.publicSignals[0], undefined, bundle.publicSignals[4]] : bundle.publicSignals;
    const { amount, receipt } = bundle.kind === 'membership' ? await claimRoyalty(vault, bundle) : await claimRoyaltyBatch(vault, bundle);
    const credited = receipt.logs
      .map((l) => vault.interface.parseLog(l))
      .filter((p) => p?.name === 'RoyaltyClaimed')
      .map((p) => ({ contributor: p!.args.contributor as string, amount: p!.args.amount as bigint }));
    json({ kind: bundle.kind, root, epoch, amount, credited, txHash: receipt.hash, gasUsed: receipt.gasUsed });
    return 0;
  });
}

async function rollOver(root: bigint, values: Values) {
  const epoch = parseField(values.epoch, '--epoch');
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const vault = await vaultFor(provider, values, new Wallet(key, provider));
    const r = await rollOverRoyalty(vault, root, epoch);
    json({ root, fromEpoch: epoch, toEpoch: r.toEpoch, amount: r.amount, txHash: r.receipt.hash });
    return 0;
  });
}

async function reclaim(root: bigint, values: Values) {
  const epoch = parseField(values.epoch, '--epoch');
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const vault = await vaultFor(provider, values, new Wallet(key, provider));
    const { amount, receipt } = await reclaimFunding(vault, root, epoch);
    json({ root, epoch, reclaimed: amount, txHash: receipt.hash, pot: await potOf(vault, root, epoch) });
    return 0;
  });
}
