/**
 * Gas of paid inference (part of `npm run bench -- gas`, called by bench/gas.ts with its chain, its committed MLP and
 * its dataset): InferenceMarket.request, fulfil with a real proof of the 64-32-16-10 MLP (the attestation included;
 * one training dataset, one parent with the same dataset, two owners 60/40), refund after the deadline, and an
 * owner's withdraw. Gas is deterministic for a given call, so one run is the figure.
 */
import type { JsonRpcProvider, Wallet } from 'ethers';
import type { CompiledModel } from '../prover/inference.ts';
import { proveInference } from '../prover/inference.ts';
import type { ProverPool } from '../prover/pool.ts';
import {
  deployMarket,
  fulfilInference,
  inferenceMarketAt,
  listModel,
  modelGovernanceAt,
  refundRequest,
  requestInference,
  type SetupIdentity,
  withdrawFromMarket,
} from '../verifier-contracts/market.ts';
import { bindingOf, circuitIdHash, committedAttestSignals, modelRegistryAt, registerCommittedModel } from '../verifier-contracts/models.ts';

export interface MarketGas {
  request: number;
  fulfil: number;
  refund: number;
  withdraw: number;
}

/** No ceremony for a bench: the setup identity is a placeholder of the right shape. */
const BENCH_SETUP: SetupIdentity = {
  ceremony: `0x${'00'.repeat(32)}`,
  zkeyContributions: [`0x${'00'.repeat(64)}`],
  kappaContributions: [],
  lookupKappaContributions: [],
};

export async function benchMarketGas(opts: {
  provider: JsonRpcProvider;
  signer: Wallet;
  /** A second funded account: the parent model's registrant and owner, and the 40 % owner. */
  other: Wallet;
  pool: ProverPool;
  compiled: CompiledModel;
  /** An input row not attested yet. */
  row: number[];
  /** The model `signer` registered (point-committed MLP), its verifier and its attestations' signal count. */
  modelId: string;
  verifier: string;
  numPublicSignals: number;
  registry: string;
  attestor: string;
  vault: string;
  datasetRoot: bigint;
  log: (m: string) => void;
}): Promise<MarketGas> {
  const { provider, signer, other, compiled } = opts;
  const { ModelGovernance, InferenceMarket } = await deployMarket({
    signer,
    registry: opts.registry,
    attestor: opts.attestor,
    vault: opts.vault,
  });
  // The parent: the same committed weights registered by another account (its own model id), trained on the dataset.
  const parent = await registerCommittedModel(modelRegistryAt(opts.registry, other), {
    commitment: compiled.manifest.commitment!,
    circuitId: circuitIdHash(compiled.manifest.circuitId),
    verifier: opts.verifier,
    numPublicSignals: opts.numPublicSignals,
  });
  await listModel(modelRegistryAt(opts.registry, other), modelGovernanceAt(ModelGovernance, other), parent.modelId, {
    owners: [other.address],
    shares: [1n],
    datasetRoots: [opts.datasetRoot],
    datasetBps: [2500],
    fee: 0n,
    setup: BENCH_SETUP,
  });
  const fee = 10n ** 15n + 3n;
  await listModel(modelRegistryAt(opts.registry, signer), modelGovernanceAt(ModelGovernance, signer), opts.modelId, {
    owners: [signer.address, other.address],
    shares: [60n, 40n],
    datasetRoots: [opts.datasetRoot],
    datasetBps: [1000],
    parents: [parent.modelId],
    parentBps: [2000],
    fee,
    setup: BENCH_SETUP,
  });

  const market = inferenceMarketAt(InferenceMarket, signer);
  const bundle = await proveInference(opts.pool, compiled, opts.row, { binding: bindingOf(signer.address) });
  const signals = committedAttestSignals(compiled.manifest.weightCommitment!, bundle.publicSignals);
  const now = async () => (await provider.getBlock('latest'))!.timestamp;
  const requested = await requestInference(market, opts.modelId, BigInt(signals[1]!), (await now()) + 3600, fee);
  const fulfilled = await fulfilInference(market, requested.requestId, bundle.proof, signals);

  const late = await requestInference(market, opts.modelId, 12345n, (await now()) + 60, fee);
  await provider.send('evm_increaseTime', [61]);
  await provider.send('evm_mine', []);
  const refunded = await refundRequest(market, late.requestId);
  const withdrawn = await withdrawFromMarket(market);

  const gas: MarketGas = {
    request: Number(requested.receipt.gasUsed),
    fulfil: Number(fulfilled.receipt.gasUsed),
    refund: Number(refunded.gasUsed),
    withdraw: Number(withdrawn.gasUsed),
  };
  opts.log(
    `  market gas: request ${gas.request}, fulfil ${gas.fulfil} (attest included; 1 dataset, 1 parent, 2 owners), refund ${gas.refund}, withdraw ${gas.withdraw}`,
  );
  return gas;
}
