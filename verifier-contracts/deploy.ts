import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ContractFactory, getAddress, type Signer, ZeroAddress } from 'ethers';
import { MEMBERSHIP_PUBLIC_SIGNALS as MEMBERSHIP_SIGNAL_NAMES, membershipBatchSignalNames } from '../circuits/membership.ts';
import { ZkaiError } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { type ContractArtifact, loadArtifact } from './compile.ts';
import { installGeneratedVerifier, verifierPublicSignalCount } from './generated.ts';
import { DEFAULT_VAULT_PERIODS, type VaultPeriods } from './vault.ts';

/** Public signals of the membership circuit: [root, total, contributor, weight, epoch, nullifier]. */
const MEMBERSHIP_PUBLIC_SIGNALS = MEMBERSHIP_SIGNAL_NAMES.length;

export interface MembershipContracts {
  chainId: number;
  MembershipVerifier: string;
  RoyaltyVault: string;
  /** The batch circuit's verifier, when one was deployed (RoyaltyVault.claimBatch). */
  MembershipBatchVerifier?: string;
}

/** What writeDeployment saves, so the server and CLI can find the contracts again. */
export interface DeploymentInfo {
  chainId: number;
  url: string;
  /** MembershipVerifier and RoyaltyVault always; MembershipBatchVerifier, ModelRegistry, InferenceAttestor… when deployed. */
  contracts: { MembershipVerifier: string; RoyaltyVault: string } & Record<string, string>;
  /** The membership circuit whose key MembershipVerifier holds: a service refuses a deployment for another key. */
  membership?: { circuitId: string; vkeyHash: string };
  deployedAt: string;
}

/**
 * Deploys a compiled contract by name (see loadArtifact) with constructor `args`, waits for it to be mined and
 * returns its address.
 */
export async function deployContract(signer: Signer, contractName: string, args: unknown[] = []): Promise<string> {
  return deployArtifact(signer, await loadArtifact(contractName), args);
}

/** Deploys a contract from its artifact (ABI + creation bytecode) and returns its address once mined. */
export async function deployArtifact(signer: Signer, artifact: ContractArtifact, args: unknown[] = []): Promise<string> {
  if (artifact.bytecode === '0x')
    throw new ZkaiError('BAD_INPUT', `${artifact.contractName} is abstract or an interface; it has no bytecode`);
  try {
    const contract = await new ContractFactory(artifact.abi, artifact.bytecode, signer).deploy(...args);
    await contract.waitForDeployment();
    return getAddress(await contract.getAddress());
  } catch (err) {
    if (err instanceof ZkaiError) throw err;
    throw new ZkaiError('CHAIN_ERROR', `deploying ${artifact.contractName} failed: ${(err as Error).message}`);
  }
}

/**
 * Installs the membership circuit's snarkjs-exported verifier (`verifierSolidity`, contract Groth16Verifier) as
 * contracts/generated/MembershipVerifier.sol, compiles, and deploys it and a RoyaltyVault bound to it, whose epochs
 * follow `periods` (default DEFAULT_VAULT_PERIODS). With `batch` (the batch circuit's snarkjs verifier and its slot
 * count) it also installs and deploys MembershipBatchVerifier<slots> and binds the vault to it for claimBatch;
 * without, the vault has no batch claims.
 */
export async function deployMembership(opts: {
  signer: Signer;
  verifierSolidity: string;
  batch?: { verifierSolidity: string; slots: number };
  periods?: VaultPeriods;
  log?: (msg: string) => void;
}): Promise<MembershipContracts> {
  const nPublic = verifierPublicSignalCount(opts.verifierSolidity);
  if (nPublic !== MEMBERSHIP_PUBLIC_SIGNALS) {
    throw new ZkaiError(
      'BAD_INPUT',
      `the membership verifier must take ${MEMBERSHIP_PUBLIC_SIGNALS} public signals, this one takes ${nPublic}`,
    );
  }
  const network = await opts.signer.provider?.getNetwork();
  if (!network) throw new ZkaiError('BAD_INPUT', 'the signer must be connected to a provider');
  const installed = await installGeneratedVerifier({ contractName: 'MembershipVerifier', solidity: opts.verifierSolidity, log: opts.log });
  const verifier = await deployArtifact(opts.signer, installed.artifact);
  opts.log?.(`contracts: MembershipVerifier at ${verifier}`);
  const batchVerifier = opts.batch ? await deployBatchVerifier(opts.signer, opts.batch, opts.log) : undefined;
  const periods = opts.periods ?? DEFAULT_VAULT_PERIODS;
  const vault = await deployContract(opts.signer, 'RoyaltyVault', [
    verifier,
    periods.fundingSeconds,
    periods.claimSeconds,
    batchVerifier ?? ZeroAddress,
    batchVerifier ? opts.batch!.slots : 0,
  ]);
  opts.log?.(`contracts: RoyaltyVault at ${vault}`);
  return {
    chainId: Number(network.chainId),
    MembershipVerifier: verifier,
    RoyaltyVault: vault,
    ...(batchVerifier ? { MembershipBatchVerifier: batchVerifier } : {}),
  };
}

/** Installs (as MembershipBatchVerifier<slots>) and deploys the batch circuit's verifier, checking its signal count. */
async function deployBatchVerifier(
  signer: Signer,
  batch: { verifierSolidity: string; slots: number },
  log?: (msg: string) => void,
): Promise<string> {
  const expected = membershipBatchSignalNames(batch.slots).length;
  const nPublic = verifierPublicSignalCount(batch.verifierSolidity);
  if (nPublic !== expected) {
    throw new ZkaiError(
      'BAD_INPUT',
      `a ${batch.slots}-slot batch verifier must take ${expected} public signals, this one takes ${nPublic}`,
    );
  }
  const contractName = `MembershipBatchVerifier${batch.slots}`;
  const installed = await installGeneratedVerifier({ contractName, solidity: batch.verifierSolidity, log });
  const address = await deployArtifact(signer, installed.artifact);
  log?.(`contracts: ${contractName} at ${address}`);
  return address;
}

/** Saves a deployment record as JSON (atomically). */
export async function writeDeployment(file: string, info: DeploymentInfo): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(info, null, 2)}\n`);
}

/** Where `zkai chain deploy` records a chain's contracts by default (ZKAI_CHAIN=<rpc> reads it): one file per chain id. */
export function deploymentPath(home: string, chainId: number | bigint): string {
  return path.join(home, 'deployments', `${chainId}.json`);
}

/** Reads and checks a deployment record written by writeDeployment. */
export async function readDeployment(file: string): Promise<DeploymentInfo> {
  let json: DeploymentInfo;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as DeploymentInfo;
  } catch (err) {
    throw new ZkaiError('NOT_FOUND', `cannot read deployment record ${file}: ${(err as Error).message}`);
  }
  try {
    const contracts = Object.fromEntries(Object.entries(json.contracts).map(([name, address]) => [name, getAddress(address)]));
    return {
      chainId: Number(json.chainId),
      url: String(json.url),
      contracts: {
        ...contracts,
        MembershipVerifier: getAddress(json.contracts.MembershipVerifier),
        RoyaltyVault: getAddress(json.contracts.RoyaltyVault),
      },
      ...(json.membership
        ? { membership: { circuitId: String(json.membership.circuitId), vkeyHash: String(json.membership.vkeyHash) } }
        : {}),
      deployedAt: String(json.deployedAt),
    };
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `deployment record ${file} is malformed: ${(err as Error).message}`);
  }
}
