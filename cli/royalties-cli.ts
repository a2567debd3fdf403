/**
 * What an account is owed and paid out (InferenceMarket and RoyaltyVault); contracts from the deployment record or
 * flags (economy-cli.ts):
 *
 *   zkai royalties <address> [--from-block <n>]
 *       Read-only, no key: claimable now (market + vault), every credit by source (owner shares, parent shares,
 *       dataset claims, refunds, reclaims, from the contracts' events) and what was withdrawn.
 *   zkai withdraw [--from market|vault|both]
 *       Sends the signer (ZKAI_CHAIN_KEY) its whole credited balance from each contract that holds some.
 */
import { parseArgs } from 'node:util';
import { isAddress, Wallet } from 'ethers';
import { royaltiesOf } from '../verifier-contracts/economy-read.ts';
import { inferenceMarketAt, marketBalance, withdrawFromMarket } from '../verifier-contracts/market.ts';
import { balanceOf, royaltyVaultAt, withdraw } from '../verifier-contracts/vault.ts';
import { bad, json, parseRpc, signingKey, withChain } from './chain-cli.ts';
import { CONTRACT_OPTIONS, economyContracts, parseFromBlock } from './economy-cli.ts';

export async function royaltiesCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...CONTRACT_OPTIONS, 'from-block': { type: 'string' } },
  });
  const [address] = positionals;
  if (!address || !isAddress(address)) bad(`zkai royalties needs an <address>, got ${JSON.stringify(address ?? '')}`);
  const fromBlock = parseFromBlock(values['from-block']);
  parseRpc(values.rpc);
  return withChain(values.rpc, async (provider) => {
    const c = await economyContracts(provider, values, ['InferenceMarket', 'RoyaltyVault']);
    json(await royaltiesOf(inferenceMarketAt(c.InferenceMarket, provider), royaltyVaultAt(c.RoyaltyVault, provider), address, fromBlock));
    return 0;
  });
}

export async function withdrawCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...CONTRACT_OPTIONS, from: { type: 'string' } } });
  if (positionals.length) bad(`zkai withdraw takes no arguments (it pays the ZKAI_CHAIN_KEY account), got ${positionals.join(' ')}`);
  const from = values.from ?? 'both';
  if (!['market', 'vault', 'both'].includes(from)) bad(`--from is market, vault or both, got ${from}`);
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const signer = new Wallet(key, provider);
    const names = [...(from !== 'vault' ? (['InferenceMarket'] as const) : []), ...(from !== 'market' ? (['RoyaltyVault'] as const) : [])];
    const c = await economyContracts(provider, values, names);
    const out: Record<string, { amount: bigint; txHash?: string }> = {};
    // Only contracts that hold something are called: withdrawing nothing reverts (NothingToWithdraw).
    if (c.InferenceMarket) {
      const market = inferenceMarketAt(c.InferenceMarket, signer);
      const owed = await marketBalance(market, signer.address);
      out.market = owed === 0n ? { amount: 0n } : { amount: owed, txHash: (await withdrawFromMarket(market)).hash };
    }
    if (c.RoyaltyVault) {
      const vault = royaltyVaultAt(c.RoyaltyVault, signer);
      const owed = await balanceOf(vault, signer.address);
      if (owed === 0n) out.vault = { amount: 0n };
      else {
        const { amount, receipt } = await withdraw(vault);
        out.vault = { amount, txHash: receipt.hash };
      }
    }
    const total = Object.values(out).reduce((a, x) => a + x.amount, 0n);
    json({ account: signer.address, ...out, total });
    return 0;
  });
}
