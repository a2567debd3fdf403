import { readFile } from 'node:fs/promises';
import { Wallet } from 'ethers';
import type { MembershipCircuit } from '../prover/membership.ts';
import { localProvider, startDevChain } from '../verifier-contracts/chain.ts';
import { deployMembership, writeDeployment } from '../verifier-contracts/deploy.ts';
import type { ChainInfo } from './routes/chain.ts';

export interface StartedChain {
  info: ChainInfo;
  /** Hardhat's account 0: funded, deployed the contracts. Its key is public knowledge (the Hardhat mnemonic). */
  fundedAccount: { address: string; privateKey: string };
  stop(): Promise<void>;
}

/**
 * Start a local dev chain, deploy the membership verifier (exported from this circuit's keys)
 * and a RoyaltyVault bound to it, and record the addresses in `deploymentFile`. The chain lives
 * in memory: every start deploys afresh.
 */
export async function startChain(opts: {
  port: number;
  membership: MembershipCircuit;
  deploymentFile: string;
  log?: (msg: string) => void;
}): Promise<StartedChain> {
  // Hardhat logs every RPC call; that is noise at start-up, so its output is not forwarded.
  const chain = await startDevChain({ port: opts.port });
  const provider = localProvider(chain.url, chain.chainId);
  try {
    const signer = new Wallet(chain.accounts[0]!, provider);
    const verifierSolidity = await readFile(opts.membership.setup.solidityVerifierPath, 'utf8');
    const deployed = await deployMembership({ signer, verifierSolidity, log: opts.log });
    const info: ChainInfo = {
      url: chain.url,
      chainId: deployed.chainId,
      contracts: { MembershipVerifier: deployed.MembershipVerifier, RoyaltyVault: deployed.RoyaltyVault },
    };
    await writeDeployment(opts.deploymentFile, {
      url: info.url,
      chainId: info.chainId,
      contracts: { MembershipVerifier: deployed.MembershipVerifier, RoyaltyVault: deployed.RoyaltyVault },
      deployedAt: new Date().toISOString(),
    });
    opts.log?.(`deployment recorded in ${opts.deploymentFile}`);
    return {
      info,
      fundedAccount: { address: signer.address, privateKey: chain.accounts[0]! },
      stop: async () => {
        provider.destroy();
        await chain.stop();
      },
    };
  } catch (err) {
    provider.destroy();
    await chain.stop();
    throw err;
  }
}
