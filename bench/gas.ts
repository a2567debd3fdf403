/**
 * `npm run bench -- gas`: gas of the on-chain calls with real proofs, on a local Hardhat chain.
 *  - RoyaltyVault.claim: three contributors of a committed dataset claim an epoch's pot with depth-20 membership
 *    proofs (the Merkle-sum circuit: root and proven total among the public signals); claimBatch with one 16-slot
 *    batch proof, per claimed record, in four scenarios; withdraw (bench/gas-claims.ts).
 *  - ModelRegistry.registerCommittedModel and InferenceAttestor.attest: the 64-32-16-10 digits MLP with
 *    Pedersen-committed weights (proof bound to its registrant).
 *  - InferenceMarket request, fulfil (that MLP, real proof), refund and withdraw (bench/market-gas.ts).
 *
 * The "before" column is what the same calls cost at commit 4382ff3, before issue 13 (declared dataset totals, no
 * proof binding): measured then with the same circuits, fixtures and chain, and kept here as constants because that
 * code no longer exists in this tree (the same script, adapted to the old API: a declared dataset total, no binding).
 * Gas is deterministic for a given call, so a single run is the figure.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { REPO_ROOT } from '../common/config.ts';
import { compileModel, proveInference } from '../prover/inference.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { freePort, localProvider, startDevChain } from '../verifier-contracts/chain.ts';
import { installCommittedVerifier } from '../verifier-contracts/committed-verifier.ts';
import { deployArtifact } from '../verifier-contracts/deploy.ts';
import {
  attestInference,
  bindingOf,
  circuitIdHash,
  committedAttestSignals,
  deployInference,
  inferenceAttestorAt,
  modelRegistryAt,
  registerCommittedModel,
} from '../verifier-contracts/models.ts';
import { benchClaimGas } from './gas-claims.ts';
import { benchMarketGas } from './market-gas.ts';

/** Measured at 4382ff3 (before issue 13) on the Hardhat dev chain: see the file comment. */
export const GAS_BEFORE = {
  claimFirst: 343_674,
  claimLater: 306_686,
  registerCommittedModel: 308_398,
  attestCommitted: 453_212,
} as const;

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');

/** Test row 151 of the digits fixture (row 150 is attested for free above): the market's paid inference. */
function row151(): number[] {
  return readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8').trim().split('\n')[151]!.split(',').map(Number).slice(0, 64);
}

export async function benchGas(log: (m: string) => void): Promise<Record<string, unknown>> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-bench-gas-'));
  const chain = await startDevChain({ port: await freePort() });
  const pool = new ProverPool({ threads: 1 });
  try {
    const provider = localProvider(chain.url, chain.chainId);
    const signer = new Wallet(chain.accounts[0]!, provider);

    // Claims: single (the baseline) and batched, and withdraw (bench/gas-claims.ts).
    const claims = await benchClaimGas({ provider, accounts: chain.accounts, pool, tmp, log });
    log(`  (single claim before issue 13: first ${GAS_BEFORE.claimFirst}, later ${GAS_BEFORE.claimLater})`);

    // The committed MLP: register and attest one inference.
    const compiled = await compileModel(path.join(FIXTURES, 'mlp3_digits.onnx'), path.join(FIXTURES, 'digits_test.csv'), {
      outDir: path.join(tmp, 'mlp3'),
      name: 'mlp3-digits',
    });
    const row = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8').trim().split('\n')[150]!.split(',').map(Number);
    const bundle = await proveInference(pool, compiled, row.slice(0, 64), { binding: bindingOf(signer.address) });
    const installed = await installCommittedVerifier({ contractName: 'BenchMlp3Verifier', statementVkey: bundle.vkey });
    const verifier = await deployArtifact(signer, installed.artifact);
    const { ModelRegistry, InferenceAttestor } = await deployInference({ signer });
    const signals = committedAttestSignals(compiled.manifest.weightCommitment!, bundle.publicSignals);
    const registered = await registerCommittedModel(modelRegistryAt(ModelRegistry, signer), {
      commitment: compiled.manifest.commitment!,
      circuitId: circuitIdHash(compiled.manifest.circuitId),
      verifier,
      numPublicSignals: signals.length,
    });
    const attested = await attestInference(inferenceAttestorAt(InferenceAttestor, signer), registered.modelId, bundle.proof, signals);
    const register = Number(registered.receipt.gasUsed);
    const attest = Number(attested.receipt.gasUsed);
    log(`  registerCommittedModel gas: ${register} (before ${GAS_BEFORE.registerCommittedModel})`);
    log(`  attest gas: ${attest} (before ${GAS_BEFORE.attestCommitted})`);

    // Paid inference on the same model, chain and dataset (bench/market-gas.ts).
    const market = await benchMarketGas({
      provider,
      signer,
      other: new Wallet(chain.accounts[1]!, provider),
      pool,
      compiled,
      row: row151(),
      modelId: registered.modelId,
      verifier,
      numPublicSignals: signals.length,
      registry: ModelRegistry,
      attestor: InferenceAttestor,
      vault: claims.vault,
      datasetRoot: claims.datasetRoot,
      log,
    });

    const ratio = (after: number, before: number) => +(after / before).toFixed(3);
    return {
      claim: {
        gas: claims.claim,
        before: { first: GAS_BEFORE.claimFirst, later: GAS_BEFORE.claimLater },
        ratioFirst: ratio(claims.claim[0]!, GAS_BEFORE.claimFirst),
      },
      claimBatch: claims.claimBatch,
      batchCircuit: claims.batchCircuit,
      withdraw: claims.withdraw,
      registerCommittedModel: {
        gas: register,
        before: GAS_BEFORE.registerCommittedModel,
        ratio: ratio(register, GAS_BEFORE.registerCommittedModel),
      },
      attestCommitted: { gas: attest, before: GAS_BEFORE.attestCommitted, ratio: ratio(attest, GAS_BEFORE.attestCommitted) },
      beforeCommit: '4382ff3',
      market,
    };
  } finally {
    await pool.close();
    await chain.stop();
    await releaseVerifierResources();
    await rm(tmp, { recursive: true, force: true });
  }
}
