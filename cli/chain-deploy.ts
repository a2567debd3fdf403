/**
 * `zkai chain deploy --rpc <url> [--depth 20] [--out <file>]`: deploys every contract the service uses on a chain
 * (the membership verifier for this data directory's membership key, RoyaltyVault, ModelRegistry,
 * InferenceAttestor) and records them where `ZKAI_CHAIN=<url>` finds them (<ZKAI_HOME>/deployments/<chain id>.json).
 * Signed with ZKAI_CHAIN_KEY (the public dev key only on a local RPC).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Wallet } from 'ethers';
import { DEFAULT_TREE_DEPTH, MAX_TREE_DEPTH } from '../circuits/membership.ts';
import { zkaiHome } from '../common/config.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { deployMembership, deploymentPath, writeDeployment } from '../verifier-contracts/deploy.ts';
import { deployInference } from '../verifier-contracts/models.ts';
import { bad, json, log, parseRpc, signingKey, withChain } from './chain-cli.ts';

export async function chainCommand(sub: string | undefined, args: string[]): Promise<number> {
  if (sub !== 'deploy') bad(`unknown command: zkai chain ${sub ?? ''} (zkai chain deploy --rpc <url>)`);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { rpc: { type: 'string' }, depth: { type: 'string' }, out: { type: 'string' } },
  });
  if (positionals.length) bad(`zkai chain deploy takes no arguments, got ${positionals.join(' ')}`);
  const rpc = parseRpc(values.rpc);
  const depthText = values.depth ?? process.env.ZKAI_TREE_DEPTH ?? String(DEFAULT_TREE_DEPTH);
  if (!/^\d+$/.test(depthText) || Number(depthText) < 1 || Number(depthText) > MAX_TREE_DEPTH)
    bad(`--depth must be 1..${MAX_TREE_DEPTH}, got ${depthText}`);
  const key = signingKey(rpc);
  const membership = await prepareMembershipCircuit(Number(depthText), log);
  return withChain(rpc.toString(), async (provider) => {
    const signer = new Wallet(key, provider);
    const verifierSolidity = await readFile(membership.setup.solidityVerifierPath, 'utf8');
    const vault = await deployMembership({ signer, verifierSolidity, log });
    const inference = await deployInference({ signer, log });
    const out = path.resolve(values.out ?? deploymentPath(zkaiHome(), vault.chainId));
    await writeDeployment(out, {
      url: rpc.origin,
      chainId: vault.chainId,
      contracts: {
        MembershipVerifier: vault.MembershipVerifier,
        RoyaltyVault: vault.RoyaltyVault,
        ModelRegistry: inference.ModelRegistry,
        InferenceAttestor: inference.InferenceAttestor,
      },
      membership: { circuitId: membership.circuit.id, vkeyHash: membership.setup.vkeyHash },
      deployedAt: new Date().toISOString(),
    });
    log(`deployment recorded in ${out}; start the service on this chain with ZKAI_CHAIN=${rpc.origin}`);
    json({
      chainId: vault.chainId,
      deployer: await signer.getAddress(),
      out,
      contracts: {
        MembershipVerifier: vault.MembershipVerifier,
        RoyaltyVault: vault.RoyaltyVault,
        ModelRegistry: inference.ModelRegistry,
        InferenceAttestor: inference.InferenceAttestor,
      },
    });
    return 0;
  });
}
