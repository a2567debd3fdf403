/**
 * The paid-inference stack on a dev chain for the market tests: ModelRegistry + InferenceAttestor, a RoyaltyVault
 * (over a mock membership verifier unless a real one is given), ModelGovernance and InferenceMarket; plus helpers
 * to register and list models and to move the clock.
 */
import { Contract, Interface, type JsonRpcProvider, type Wallet, ZeroAddress } from 'ethers';
import { loadArtifact } from '../compile.ts';
import { deployContract } from '../deploy.ts';
import {
  deployEconomy,
  INFERENCE_MARKET_ABI,
  inferenceMarketAt,
  type ListingParams,
  listModel,
  MODEL_GOVERNANCE_ABI,
  modelGovernanceAt,
  type SetupIdentity,
} from '../market.ts';
import { INFERENCE_ATTESTOR_ABI, MODEL_REGISTRY_ABI, modelRegistryAt, registerModel } from '../models.ts';
import { ROYALTY_VAULT_ABI, royaltyVaultAt } from '../vault.ts';
import { assertReverts, FAKE_PROOF, startTestChain, type TestChain } from './helpers.ts';

/** Every custom error of the five contracts, to decode reverts of raw calls. */
export const marketErrors = new Interface([
  ...new Set(
    [...MODEL_REGISTRY_ABI, ...INFERENCE_ATTESTOR_ABI, ...ROYALTY_VAULT_ABI, ...MODEL_GOVERNANCE_ABI, ...INFERENCE_MARKET_ABI].filter((f) =>
      f.startsWith('error'),
    ),
  ),
]);

/** assertReverts (helpers.ts) with the stack's custom errors: a raw call's revert decoded with marketErrors. */
export const assertMarketReverts = (promise: Promise<unknown>, name: string): Promise<void> => assertReverts(marketErrors, promise, name);

export interface MarketStack {
  registry: string;
  attestor: string;
  vault: string;
  membershipVerifier: string;
  governance: string;
  market: string;
}

/** Deploys the whole stack; the vault's epochs have `fundingSeconds` of funding then `claimSeconds` of claims. */
export async function deployMarketStack(
  signer: Wallet,
  opts: { fundingSeconds?: number; claimSeconds?: number; membershipVerifier?: string } = {},
): Promise<MarketStack> {
  const membershipVerifier = opts.membershipVerifier ?? (await deployContract(signer, 'MockMembershipVerifier'));
  const vault = await deployContract(signer, 'RoyaltyVault', [
    membershipVerifier,
    opts.fundingSeconds ?? 1000,
    opts.claimSeconds ?? 2000,
    ZeroAddress,
    0,
  ]);
  const { ModelRegistry, InferenceAttestor, ModelGovernance, InferenceMarket } = await deployEconomy({ signer, vault });
  return {
    registry: ModelRegistry,
    attestor: InferenceAttestor,
    vault,
    membershipVerifier,
    governance: ModelGovernance,
    market: InferenceMarket,
  };
}

/** The market tests' set-up: a fresh dev chain (helpers.ts startTestChain) with the whole stack deployed by its owner. */
export async function startMarketChain(): Promise<TestChain & { stack: MarketStack }> {
  const t = await startTestChain();
  return { ...t, stack: await deployMarketStack(t.owner) };
}

/** Handles on the stack's contracts acting as `signer`. */
export function stackAs(stack: MarketStack, signer: Wallet) {
  return {
    registry: modelRegistryAt(stack.registry, signer),
    governance: modelGovernanceAt(stack.governance, signer),
    market: inferenceMarketAt(stack.market, signer),
    vault: royaltyVaultAt(stack.vault, signer),
  };
}

/** A setup identity with recognisable fake hashes (the tests whose point is not the setup). */
export function fakeSetup(tag: number): SetupIdentity {
  const word = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
  return {
    ceremony: word(tag),
    zkeyContributions: [`0x${'ab'.repeat(64)}`, `0x${word(tag + 1).slice(2)}${word(tag + 2).slice(2)}`],
    kappaContributions: [word(tag + 3)],
    lookupKappaContributions: [word(tag + 4)],
  };
}

let nextCommitment = 1n;

/**
 * Registers a model under `signer` with a MockInferenceVerifier (4 public signals: [commitment, input, output,
 * binding]) and lists it with `params`. Returns its id, commitment and the mock (set its expectations to let a
 * "proof" pass).
 */
export async function registerAndList(
  stack: MarketStack,
  signer: Wallet,
  params: Omit<ListingParams, 'setup'> & { setup?: SetupIdentity },
): Promise<{ modelId: string; weightCommitment: bigint; mock: Contract }> {
  const mockAddress = await deployContract(signer, 'MockInferenceVerifier');
  const mock = new Contract(mockAddress, (await loadArtifact('MockInferenceVerifier')).abi, signer);
  const weightCommitment = nextCommitment++;
  const c = stackAs(stack, signer);
  const { modelId } = await registerModel(c.registry, {
    weightCommitment,
    circuitId: `0x${'11'.repeat(32)}`,
    verifier: mockAddress,
    numPublicSignals: 4,
  });
  await listModel(c.registry, c.governance, modelId, { ...params, setup: params.setup ?? fakeSetup(Number(weightCommitment) * 16) });
  return { modelId, weightCommitment, mock };
}

/** Moves the chain's clock forward and mines a block at the new time. */
export async function advance(provider: JsonRpcProvider, seconds: number): Promise<void> {
  await provider.send('evm_increaseTime', [seconds]);
  await provider.send('evm_mine', []);
}

/** The latest block's timestamp. */
export async function now(provider: JsonRpcProvider): Promise<number> {
  return (await provider.getBlock('latest'))!.timestamp;
}

/** The fixed fake proof (helpers.ts): MockInferenceVerifier compares it with what `expect` stored. */
export { FAKE_PROOF };

/** Makes `mock` accept FAKE_PROOF for exactly these 4 signals. */
export async function expectProof(mock: Contract, signals: readonly bigint[]): Promise<void> {
  const tx = await mock.getFunction('expect')(
    [1n, 2n],
    [
      [4n, 3n],
      [6n, 5n],
    ],
    [7n, 8n],
    signals,
  );
  await tx.wait();
}
