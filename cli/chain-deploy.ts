/**
 * `zkai chain deploy --rpc <url> [--depth 20] [--batch-slots <n>] [--funding-seconds <s>] [--claim-seconds <s>]
 * [--out <file>]`: deploys every contract the service and the economy commands use on a chain (the membership
 * verifier for this data directory's membership key, RoyaltyVault, ModelRegistry, InferenceAttestor,
 * ModelGovernance, InferenceMarket; with --batch-slots also the batch membership verifier, so the vault takes
 * claimBatch) and records them where `ZKAI_CHAIN=<url>` and the economy commands find them
 * (<ZKAI_HOME>/deployments/<chain id>.json). Signed with ZKAI_CHAIN_KEY (the public dev key only on a local RPC).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Wallet } from 'ethers';
import { DEFAULT_TREE_DEPTH, MAX_TREE_DEPTH } from '../circuits/membership.ts';
import { zkaiHome } from '../common/config.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { deployMembership, deploymentPath, writeDeployment } from '../verifier-contracts/deploy.ts';
import { deployEconomy } from '../verifier-contracts/market.ts';
import { DEFAULT_VAULT_PERIODS } from '../verifier-contracts/vault.ts';
import { bad, json, log, parseRpc, signingKey, withChain } from './chain-cli.ts';

/** A positive integer flag (seconds, slots), or the fallback when absent. */
function positiveInt(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value)))
    bad(`--${option} must be a positive integer, got ${value}`);
  return Number(value);
}

export async function chainCommand(sub: string | undefined, args: string[]): Promise<number> {
  if (sub !== 'deploy') bad(`unknown command: zkai chain ${sub ?? ''} (zkai chain deploy --rpc <url>)`);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      rpc: { type: 'string' },
      depth: { type: 'string' },
      out: { type: 'string' },
      'batch-slots': { type: 'string' },
      'funding-seconds': { type: 'string' },
      'claim-seconds': { type: 'string' },
    },
  });
  if (positionals.length) bad(`zkai chain deploy takes no arguments, got ${positionals.join(' ')}`);
  const rpc = parseRpc(values.rpc);
  const depthText = values.depth ?? process.env.ZKAI_TREE_DEPTH ?? String(DEFAULT_TREE_DEPTH);
  if (!/^\d+$/.test(depthText) || Number(depthText) < 1 || Number(depthText) > MAX_TREE_DEPTH)
    bad(`--depth must be 1..${MAX_TREE_DEPTH}, got ${depthText}`);
  const depth = Number(depthText);
  const slots = values['batch-slots'] === undefined ? undefined : positiveInt(values['batch-slots'], 'batch-slots', 0);
  // The royalty epochs' schedule is fixed in the vault at deployment (a week of funding, four of claims by default).
  const periods = {
    fundingSeconds: positiveInt(values['funding-seconds'], 'funding-seconds', DEFAULT_VAULT_PERIODS.fundingSeconds),
    claimSeconds: positiveInt(values['claim-seconds'], 'claim-seconds', DEFAULT_VAULT_PERIODS.claimSeconds),
  };
  const key = signingKey(rpc);
  const membership = await prepareMembershipCircuit(depth, log);
  const batch =
    slots === undefined
      ? undefined
      : await (await import('../prover/membership-batch.ts')).prepareMembershipBatchCircuit(slots, depth, log);
  return withChain(rpc.toString(), async (provider) => {
    const signer = new Wallet(key, provider);
    const verifierSolidity = await readFile(membership.setup.solidityVerifierPath, 'utf8');
    const vault = await deployMembership({
      signer,
      verifierSolidity,
      periods,
      log,
      ...(batch ? { batch: { verifierSolidity: await readFile(batch.setup.solidityVerifierPath, 'utf8'), slots: batch.slots } } : {}),
    });
    const economy = await deployEconomy({ signer, vault: vault.RoyaltyVault, log });
    const contracts = {
      MembershipVerifier: vault.MembershipVerifier,
      RoyaltyVault: vault.RoyaltyVault,
      ...(vault.MembershipBatchVerifier ? { MembershipBatchVerifier: vault.MembershipBatchVerifier } : {}),
      ModelRegistry: economy.ModelRegistry,
      InferenceAttestor: economy.InferenceAttestor,
      ModelGovernance: economy.ModelGovernance,
      InferenceMarket: economy.InferenceMarket,
    };
    const out = path.resolve(values.out ?? deploymentPath(zkaiHome(), vault.chainId));
    await writeDeployment(out, {
      url: rpc.origin,
      chainId: vault.chainId,
      contracts,
      membership: { circuitId: membership.circuit.id, vkeyHash: membership.setup.vkeyHash },
      deployedAt: new Date().toISOString(),
    });
    log(`deployment recorded in ${out}; start the service on this chain with ZKAI_CHAIN=${rpc.origin}`);
    json({ chainId: vault.chainId, deployer: await signer.getAddress(), out, periods, contracts });
    return 0;
  });
}
