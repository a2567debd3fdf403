import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Wallet } from 'ethers';
import { ZkaiError } from '../common/errors.ts';
import type { MembershipCircuit } from '../prover/membership.ts';
import type { MembershipBatchCircuit } from '../prover/membership-batch.ts';
import { localProvider, rpcChainId, startDevChain } from '../verifier-contracts/chain.ts';
import { startPersistentChain } from '../verifier-contracts/chain-journal.ts';
import { deployMembership, deploymentPath, readDeployment, writeDeployment } from '../verifier-contracts/deploy.ts';
import type { ChainInfo } from './routes/chain.ts';

export interface StartedChain {
  info: ChainInfo;
  /** Hardhat's account 0: funded, deployed the contracts. Its key is public knowledge (the Hardhat mnemonic). */
  fundedAccount: { address: string; privateKey: string };
  stop(): Promise<void>;
}

/**
 * Start a local dev chain, deploy the membership verifier (exported from this circuit's keys)
 * and a RoyaltyVault bound to it, and record the addresses in `deploymentFile`. With `batch` (ZKAI_BATCH_SLOTS) the
 * batch membership verifier too, and the vault takes claimBatch of that many slots. The chain lives in memory: every
 * start deploys afresh.
 */
export async function startChain(opts: {
  port: number;
  membership: MembershipCircuit;
  /** The batch circuit (set up) whose verifier the vault takes batch claims with; none: no batch claims. */
  batch?: MembershipBatchCircuit;
  deploymentFile: string;
  /** ZKAI_CHAIN=dev-persistent: the journal's folder; the chain's state survives restarts (chain-journal.ts). */
  persistentDir?: string;
  log?: (msg: string) => void;
}): Promise<StartedChain> {
  // Hardhat logs every RPC call; that is noise at start-up, so its output is not forwarded.
  const chain = opts.persistentDir
    ? await startPersistentChain({ port: opts.port, dir: opts.persistentDir, log: opts.log })
    : await startDevChain({ port: opts.port });
  const provider = localProvider(chain.url, chain.chainId);
  const persistent = opts.persistentDir !== undefined;
  try {
    const signer = new Wallet(chain.accounts[0]!, provider);
    const fundedAccount = { address: signer.address, privateKey: chain.accounts[0]! };
    const stop = async () => {
      provider.destroy();
      await chain.stop();
    };
    // A resumed persistent chain already holds the contracts this data directory deployed on it.
    if (persistent && 'replayed' in chain && (chain as { replayed: number }).replayed > 0 && existsSync(opts.deploymentFile)) {
      const info = await connectChain({
        rpc: chain.url,
        home: path.dirname(opts.deploymentFile),
        deploymentFile: opts.deploymentFile,
        membership: { circuitId: opts.membership.circuit.id, vkeyHash: opts.membership.setup.vkeyHash },
      });
      opts.log?.(`contracts of ${opts.deploymentFile} found on the resumed chain`);
      return { info: { ...info, kind: 'dev', ephemeral: false }, fundedAccount, stop };
    }
    const verifierSolidity = await readFile(opts.membership.setup.solidityVerifierPath, 'utf8');
    const batch = opts.batch
      ? { verifierSolidity: await readFile(opts.batch.setup.solidityVerifierPath, 'utf8'), slots: opts.batch.slots }
      : undefined;
    const deployed = await deployMembership({ signer, verifierSolidity, log: opts.log, ...(batch ? { batch } : {}) });
    const contracts = {
      MembershipVerifier: deployed.MembershipVerifier,
      RoyaltyVault: deployed.RoyaltyVault,
      ...(deployed.MembershipBatchVerifier ? { MembershipBatchVerifier: deployed.MembershipBatchVerifier } : {}),
    };
    const info: ChainInfo = { url: chain.url, chainId: deployed.chainId, contracts: { ...contracts }, kind: 'dev', ephemeral: !persistent };
    await writeDeployment(opts.deploymentFile, {
      url: info.url,
      chainId: info.chainId,
      contracts,
      membership: { circuitId: opts.membership.circuit.id, vkeyHash: opts.membership.setup.vkeyHash },
      deployedAt: new Date().toISOString(),
    });
    opts.log?.(`deployment recorded in ${opts.deploymentFile}`);
    return { info, fundedAccount, stop };
  } catch (err) {
    provider.destroy();
    await chain.stop();
    throw err;
  }
}

/**
 * ZKAI_CHAIN=<rpc>: an existing chain with the contracts already deployed (`deploymentFile`, else
 * `<home>/deployments/<chain id>.json` as `zkai chain deploy` writes it). Checked before the service starts: the
 * chain answers, its chain id is the deployment's, every contract named there has code, and its MembershipVerifier
 * holds this service's membership key (else every proof the service makes would fail on chain). Nothing is deployed
 * and nothing is signed.
 */
export async function connectChain(opts: {
  rpc: string;
  home: string;
  deploymentFile?: string;
  membership: { circuitId: string; vkeyHash: string };
  timeoutMs?: number;
}): Promise<ChainInfo> {
  let chainId: bigint;
  try {
    chainId = await rpcChainId(opts.rpc, opts.timeoutMs ?? 10_000);
  } catch (err) {
    throw new ZkaiError('CHAIN_ERROR', `ZKAI_CHAIN=${new URL(opts.rpc).origin}: no chain answers (${(err as Error).message})`);
  }
  const file = opts.deploymentFile ?? deploymentPath(opts.home, chainId);
  if (!opts.deploymentFile && !existsSync(file))
    throw new ZkaiError(
      'CHAIN_ERROR',
      `no deployment for chain ${chainId} in ${file}: run zkai chain deploy --rpc ${new URL(opts.rpc).origin}, or set ZKAI_CHAIN_DEPLOYMENT`,
    );
  const deployment = await readDeployment(file);
  opts.deploymentFile = file;
  if (deployment.membership && deployment.membership.vkeyHash !== opts.membership.vkeyHash)
    throw new ZkaiError(
      'CHAIN_ERROR',
      `${file}: its MembershipVerifier holds the key of ${deployment.membership.circuitId} (vkey ${deployment.membership.vkeyHash.slice(0, 12)}…), ` +
        `this service proves with ${opts.membership.circuitId} (vkey ${opts.membership.vkeyHash.slice(0, 12)}…): deploy for this key (zkai chain deploy)`,
    );
  if (Number(chainId) !== deployment.chainId)
    throw new ZkaiError(
      'CHAIN_ERROR',
      `the chain at ${new URL(opts.rpc).origin} has chain id ${chainId}, but ${opts.deploymentFile} records contracts on chain ${deployment.chainId}`,
    );
  for (const [name, address] of Object.entries(deployment.contracts)) {
    const code = await rpcCall(opts.rpc, 'eth_getCode', [address, 'latest'], opts.timeoutMs ?? 10_000);
    if (typeof code !== 'string' || code === '0x' || code === '0x0')
      throw new ZkaiError('CHAIN_ERROR', `${name} at ${address} (from ${opts.deploymentFile}) has no code on chain ${chainId}`);
  }
  return { url: opts.rpc, chainId: deployment.chainId, contracts: { ...deployment.contracts }, kind: 'rpc', ephemeral: false };
}

async function rpcCall(url: string, method: string, params: unknown[], timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message?: string } };
  if (body.error) throw new ZkaiError('CHAIN_ERROR', `${method}: ${body.error.message ?? 'error'}`);
  return body.result;
}
