/**
 * Issue 15's end-to-end path on a dev chain: a dataset of four contributors (a Merkle-sum root, real membership
 * proofs); a parent model P (owned by Carol) and a derived model M (owned 60/40 by Alice and Bob), both trained on
 * that dataset, both with real Groth16 verifiers (the bound Poseidon toy of verifier-contracts/test/bound-toys.ts);
 * ten paid inferences of M requested by a consumer and fulfilled with real proofs; the fee split datasets → parent
 * → owners; every contributor claims the dataset's royalty epoch with a membership proof; what the rounding left
 * rolls over; every owner and contributor withdraws; and fees paid = everything withdrawn + what is still held, to
 * the wei.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type JsonRpcProvider, Wallet } from 'ethers';
import * as snarkjs from 'snarkjs';
import { commitDataset, type Dataset } from '../circuits/dataset/index.ts';
import { type MembershipCircuit, prepareMembershipCircuit, proveMembership } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import type { SetupMeta } from '../prover/setup/index.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { type DevChain, freePort, localProvider, startDevChain } from '../verifier-contracts/chain.ts';
import { deployArtifact, deployMembership } from '../verifier-contracts/deploy.ts';
import { installGeneratedVerifier } from '../verifier-contracts/generated.ts';
import {
  deployMarket,
  fulfilInference,
  inferenceMarketAt,
  listModel,
  marketBalance,
  modelGovernanceAt,
  requestInference,
  setupIdentityOf,
  withdrawFromMarket,
} from '../verifier-contracts/market.ts';
import { circuitIdHash, deployInference, modelRegistryAt, registerModel } from '../verifier-contracts/models.ts';
import { currentRoyaltyEpoch, rollOverRoyalty } from '../verifier-contracts/royalty-deposits.ts';
import { boundPoseidonToy } from '../verifier-contracts/test/bound-toys.ts';
import { balanceOf, claimRoyalty, royaltyVaultAt, type SnarkjsProof, withdraw } from '../verifier-contracts/vault.ts';

const FEE = 1_000_003n;
const FUNDING = 600;
const CLAIMS = 1200;
const W_P = [3n, 2n, 5n];
const W_M = [8n, 1n, 6n];
const H = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

describe('end to end: paid inferences pay the owners, the parent and the dataset’s contributors, to the wei', () => {
  let chain: DevChain;
  let provider: JsonRpcProvider;
  let pool: ProverPool;
  let tmp: string;
  let maker: Wallet; // the provider: registers both models and proves (the binding names it)
  let alice: Wallet;
  let bob: Wallet;
  let carol: Wallet;
  let consumer: Wallet;
  let contributors: Wallet[];
  let dataset: Dataset;
  let mc: MembershipCircuit;
  let wasmPath: string;
  let zkeyPath: string;
  let c: { registry: string; attestor: string; vault: string; governance: string; market: string };
  let modelM: string;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-e2e-market-'));
    pool = new ProverPool({ threads: 1 });
    chain = await startDevChain({ port: await freePort() });
    provider = localProvider(chain.url, chain.chainId);
    const w = chain.accounts.map((k) => new Wallet(k, provider));
    [maker, alice, bob, carol, consumer] = w as [Wallet, Wallet, Wallet, Wallet, Wallet];
    contributors = w.slice(5, 9);
    const weights = [5n, 3n, 2n, 7n];
    dataset = await commitDataset(
      contributors.map((k, i) => ({ id: `rec-${i}`, contributor: k.address.toLowerCase(), contentHash: H(i + 1), weight: weights[i]! })),
      path.join(tmp, 'dataset.json'),
      { depth: 4 },
    );
    mc = await prepareMembershipCircuit(4);
    const membership = await deployMembership({
      signer: maker,
      verifierSolidity: await readFile(mc.setup.solidityVerifierPath, 'utf8'),
      periods: { fundingSeconds: FUNDING, claimSeconds: CLAIMS },
    });
    const inference = await deployInference({ signer: maker });
    const market = await deployMarket({
      signer: maker,
      registry: inference.ModelRegistry,
      attestor: inference.InferenceAttestor,
      vault: membership.RoyaltyVault,
    });
    c = {
      registry: inference.ModelRegistry,
      attestor: inference.InferenceAttestor,
      vault: membership.RoyaltyVault,
      governance: market.ModelGovernance,
      market: market.InferenceMarket,
    };
    const toy = await boundPoseidonToy();
    wasmPath = toy.circuit.wasmPath;
    zkeyPath = toy.setup.zkeyPath;
    const installed = await installGeneratedVerifier({
      contractName: 'E2eMarketVerifier',
      solidity: await readFile(toy.setup.solidityVerifierPath, 'utf8'),
    });
    const verifier = await deployArtifact(maker, installed.artifact);

    const registry = modelRegistryAt(c.registry, maker);
    const governance = modelGovernanceAt(c.governance, maker);
    const root = BigInt(dataset.manifest.root);
    const setup = setupIdentityOf(JSON.parse(await readFile(path.join(toy.setup.dir, 'setup.json'), 'utf8')) as SetupMeta);
    const register = async (wts: bigint[]) => {
      const weightCommitment = BigInt((await prove(wts, 1n)).signals[0]!);
      return (
        await registerModel(registry, {
          weightCommitment,
          circuitId: circuitIdHash('bound-poseidon-toy'),
          verifier,
          numPublicSignals: 4,
          datasetRoot: root,
        })
      ).modelId;
    };
    const modelP = await register(W_P);
    await listModel(registry, governance, modelP, {
      owners: [carol.address],
      shares: [1n],
      datasetRoots: [root],
      datasetBps: [2500],
      fee: 0n,
      setup,
    });
    modelM = await register(W_M);
    await listModel(registry, governance, modelM, {
      owners: [alice.address, bob.address],
      shares: [60n, 40n],
      datasetRoots: [root],
      datasetBps: [1000],
      parents: [modelP],
      parentBps: [2000],
      fee: FEE,
      setup,
    });
  });

  after(async () => {
    await pool?.close();
    provider?.destroy();
    await chain?.stop();
    await releaseVerifierResources();
    await rm(tmp, { recursive: true, force: true });
  });

  async function prove(wts: bigint[], x: bigint): Promise<{ proof: SnarkjsProof; signals: string[] }> {
    const { proof, publicSignals } = (await snarkjs.groth16.fullProve(
      { x, binding: BigInt(maker.address), w: wts },
      wasmPath,
      zkeyPath,
    )) as {
      proof: SnarkjsProof;
      publicSignals: string[];
    };
    return { proof, signals: publicSignals };
  }

  it('ten paid inferences, fulfilled with real proofs, split to the wei', async () => {
    const market = inferenceMarketAt(c.market, consumer);
    const deadline = (await provider.getBlock('latest'))!.timestamp + 3600;
    for (let x = 1n; x <= 10n; x++) {
      const { requestId } = await requestInference(market, modelM, W_M[0]! * x + W_M[1]!, deadline, FEE);
      const p = await prove(W_M, x);
      await fulfilInference(inferenceMarketAt(c.market, maker), requestId, p.proof, p.signals);
    }
    // Per inference: D 100,000 + 50,000 (via P), Carol 150,000, Alice 420,001, Bob 280,002 (docs/economy.md).
    assert.equal(await marketBalance(market, alice.address), 4_200_010n);
    assert.equal(await marketBalance(market, bob.address), 2_800_020n);
    assert.equal(await marketBalance(market, carol.address), 1_500_000n);
    const vault = royaltyVaultAt(c.vault, consumer);
    const { epoch } = await currentRoyaltyEpoch(vault, BigInt(dataset.manifest.root));
    assert.equal(await vault.rolling(dataset.manifest.root, epoch), 1_500_000n);
    assert.equal(await market.escrowed(), 0n);
  });

  it('every contributor claims its share of the royalty epoch, the rest rolls over, everyone withdraws: paid = withdrawn + held', async () => {
    const root = BigInt(dataset.manifest.root);
    const vault = royaltyVaultAt(c.vault, consumer);
    const { epoch } = await currentRoyaltyEpoch(vault, root);
    await provider.send('evm_increaseTime', [FUNDING]);
    await provider.send('evm_mine', []);
    const claimed = new Map<string, bigint>();
    for (const [i, k] of contributors.entries()) {
      const bundle = await proveMembership(pool, mc, dataset, `rec-${i}`, epoch);
      const { amount } = await claimRoyalty(royaltyVaultAt(c.vault, k), bundle);
      assert.equal(amount, (1_500_000n * BigInt(dataset.records[i]!.weight)) / 17n);
      claimed.set(k.address, amount);
    }
    await provider.send('evm_increaseTime', [CLAIMS]);
    await provider.send('evm_mine', []);
    const rolled = await rollOverRoyalty(vault, root, epoch);
    const totalClaimed = [...claimed.values()].reduce((a, b) => a + b, 0n);
    assert.equal(totalClaimed + rolled.amount, 1_500_000n);

    // Every owner withdraws from the market, every contributor from the vault; ETH moves by exactly the credit.
    let withdrawn = 0n;
    for (const owner of [alice, bob, carol]) {
      const credit = await marketBalance(inferenceMarketAt(c.market, owner), owner.address);
      const before = await provider.getBalance(owner.address);
      const receipt = await withdrawFromMarket(inferenceMarketAt(c.market, owner));
      assert.equal((await provider.getBalance(owner.address)) - before + receipt.gasUsed * receipt.gasPrice, credit);
      withdrawn += credit;
    }
    for (const k of contributors) {
      const credit = await balanceOf(royaltyVaultAt(c.vault, k), k.address);
      assert.equal(credit, claimed.get(k.address));
      const before = await provider.getBalance(k.address);
      const { amount, receipt } = await withdraw(royaltyVaultAt(c.vault, k));
      assert.equal((await provider.getBalance(k.address)) - before + receipt.gasUsed * receipt.gasPrice, amount);
      withdrawn += amount;
    }
    // Fees paid = withdrawn + still held (the rolled-over dust in the vault; nothing in the market), to the wei.
    const held = (await provider.getBalance(c.market)) + (await provider.getBalance(c.vault));
    assert.equal(await provider.getBalance(c.market), 0n);
    assert.equal(await provider.getBalance(c.vault), rolled.amount);
    assert.equal(withdrawn + held, 10n * FEE);
  });
});
