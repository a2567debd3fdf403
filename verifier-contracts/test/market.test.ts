// InferenceMarket with real proofs (issue 15 items 1–2): a request is fulfilled only by a proof of exactly its model
// and input, once, before its deadline; refunds come after the deadline, once; a fee change racing a request never
// changes what the consumer pays; the fee splits to datasets, a parent and two owners (60/40) to the wei.
// The model is the bound Poseidon toy (bound-toys.ts: signals [weightsHash, y = w0·x + w1, z = w2·x, binding]) with
// its real snarkjs verifier; the parent model, which only receives money, uses a mock verifier.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { JsonRpcProvider, Wallet } from 'ethers';
import { Wallet as EthersWallet } from 'ethers';
import * as snarkjs from 'snarkjs';
import type { BuiltCircuit } from '../../circuits/build.ts';
import type { CommitmentKey } from '../../prover/commitment.ts';
import type { SetupMeta } from '../../prover/setup/index.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import type { DevChain } from '../chain.ts';
import { deployArtifact } from '../deploy.ts';
import { installGeneratedVerifier } from '../generated.ts';
import {
  fulfilInference,
  GovernanceAction,
  getListing,
  getRequest,
  getSetupIdentity,
  listModel,
  marketBalance,
  propose,
  RequestStatus,
  refundRequest,
  requestInference,
  setupIdentityOf,
  withdrawFromMarket,
} from '../market.ts';
import { attestationIdOf, attestInference, circuitIdHash, getAttestation, inferenceAttestorAt, registerModel } from '../models.ts';
import { findEvent } from '../tx.ts';
import type { SnarkjsProof } from '../vault.ts';
import { boundPoseidonToy } from './bound-toys.ts';
import {
  advance,
  assertMarketReverts as assertReverts,
  fakeSetup,
  type MarketStack,
  now,
  registerAndList,
  stackAs,
  startMarketChain,
} from './market-fixture.ts';

const FEE = 1_000_003n;
const ROOT_D = 4242n; // the derived model's training dataset
const ROOT_P = 4343n; // the parent model's training dataset
const W_A = [8n, 1n, 6n];
const W_B = [8n, 1n, 7n]; // same input hash as A for the same x (w0, w1 equal), other weights and outputs

let chain: DevChain;
let provider: JsonRpcProvider;
let owner: Wallet; // registrant (the provider) of models A and B
let alice: Wallet; // 60 % of A; also registers a copy of A
let bob: Wallet; // 40 % of A
let carol: Wallet; // sole owner of the parent P
let dave: Wallet; // the consumer
let stack: MarketStack;
let circuit: BuiltCircuit;
let zkeyPath: string;
let modelA: string;
let modelB: string;
let copyOfA: string;
let parent: string;
const as = (w: Wallet) => stackAs(stack, w);

/** A real proof of the toy with weights `w` on input x, bound to `binding`. */
async function prove(w: bigint[], x: bigint, binding: string): Promise<{ proof: SnarkjsProof; signals: string[] }> {
  const { proof, publicSignals } = (await snarkjs.groth16.fullProve({ x, binding: BigInt(binding), w }, circuit.wasmPath, zkeyPath)) as {
    proof: SnarkjsProof;
    publicSignals: string[];
  };
  return { proof, signals: publicSignals };
}
const inputHash = (w: bigint[], x: bigint) => w[0]! * x + w[1]!;

async function deadlineIn(seconds: number): Promise<number> {
  return (await now(provider)) + seconds;
}

before(async () => {
  ({ chain, provider, owner, alice, bob, stack } = await startMarketChain());
  [carol, dave] = chain.accounts.slice(3, 5).map((k) => new EthersWallet(k, provider)) as [Wallet, Wallet];
  const toy = await boundPoseidonToy();
  circuit = toy.circuit;
  zkeyPath = toy.setup.zkeyPath;
  const installed = await installGeneratedVerifier({
    contractName: 'MarketTestPoseidonVerifier',
    solidity: await readFile(toy.setup.solidityVerifierPath, 'utf8'),
  });
  const verifier = await deployArtifact(owner, installed.artifact);

  parent = (
    await registerAndList(stack, carol, { owners: [carol.address], shares: [1n], datasetRoots: [ROOT_P], datasetBps: [2500], fee: 0n })
  ).modelId;
  const register = async (signer: Wallet, w: bigint[]) => {
    const weightCommitment = BigInt((await prove(w, 1n, signer.address)).signals[0]!);
    const c = as(signer);
    const { modelId } = await registerModel(c.registry, {
      weightCommitment,
      circuitId: circuitIdHash('bound-poseidon-toy'),
      verifier,
      numPublicSignals: 4,
    });
    return modelId;
  };
  modelA = await register(owner, W_A);
  await listModel(as(owner).registry, as(owner).governance, modelA, {
    owners: [alice.address, bob.address],
    shares: [60n, 40n],
    datasetRoots: [ROOT_D],
    datasetBps: [1000],
    parents: [parent],
    parentBps: [2000],
    fee: FEE,
    // The toy's real setup: its ptau and phase-2 contribution hashes (a Poseidon model: no κ).
    setup: setupIdentityOf(JSON.parse(await readFile(path.join(toy.setup.dir, 'setup.json'), 'utf8')) as SetupMeta),
  });
  modelB = await register(owner, W_B);
  await listModel(as(owner).registry, as(owner).governance, modelB, {
    owners: [owner.address],
    shares: [1n],
    fee: FEE,
    setup: fakeSetup(200),
  });
  // A copy of A (same commitment and verifier) registered and listed by alice: owner's proofs are not bound to it.
  copyOfA = await register(alice, W_A);
  await listModel(as(alice).registry, as(alice).governance, copyOfA, {
    owners: [alice.address],
    shares: [1n],
    fee: FEE,
    setup: fakeSetup(300),
  });
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
  await releaseVerifierResources();
});

/** The market holds exactly the escrow of pending requests plus what it owes. */
async function assertSolvent(): Promise<void> {
  const m = as(dave).market;
  assert.equal(await provider.getBalance(stack.market), (await m.escrowed()) + (await m.owed()));
}

describe('fulfilment', () => {
  test('only a proof of exactly the requested model and input fulfils; the fee splits to the wei; once', async (t) => {
    const x = 3n;
    const req = await requestInference(as(dave).market, modelA, inputHash(W_A, x), await deadlineIn(3600), FEE);
    t.diagnostic(`request gas: ${req.receipt.gasUsed}`);
    assert.equal(await provider.getBalance(stack.market), FEE);

    const otherInput = await prove(W_A, x + 1n, owner.address);
    await assertReverts(fulfilInference(as(owner).market, req.requestId, otherInput.proof, otherInput.signals), 'InputMismatch');
    const relabelled = [otherInput.signals[0]!, String(inputHash(W_A, x)), ...otherInput.signals.slice(2)];
    await assertReverts(fulfilInference(as(owner).market, req.requestId, otherInput.proof, relabelled), 'InvalidProof');
    const otherModel = await prove(W_B, x, owner.address);
    assert.equal(otherModel.signals[1], String(inputHash(W_A, x)));
    await assertReverts(fulfilInference(as(owner).market, req.requestId, otherModel.proof, otherModel.signals), 'CommitmentMismatch');
    // A request on the copy cannot be fulfilled with the provider's proof: the proof is bound to its registrant.
    const onCopy = await requestInference(as(dave).market, copyOfA, inputHash(W_A, x), await deadlineIn(3600), FEE);
    const good = await prove(W_A, x, owner.address);
    await assertReverts(fulfilInference(as(alice).market, onCopy.requestId, good.proof, good.signals), 'BindingMismatch');

    const done = await fulfilInference(as(bob).market, req.requestId, good.proof, good.signals);
    t.diagnostic(`fulfil gas (real verifier, 1 dataset, 1 parent with its dataset, 3 holders): ${done.receipt.gasUsed}`);
    assert.equal(done.attestationId, attestationIdOf(modelA, good.signals));
    const attestation = await getAttestation(inferenceAttestorAt(stack.attestor, dave), done.attestationId);
    assert.equal(attestation.modelId, modelA);
    assert.equal(attestation.inputHash, inputHash(W_A, x));
    const r = await getRequest(as(dave).market, req.requestId);
    assert.equal(r.status, RequestStatus.Fulfilled);
    assert.equal(r.attestationId, done.attestationId);

    // F = 1,000,003: dataset D floor(F·0.1) = 100,000; parent floor(F·0.3) − 100,000 = 200,000, of which P's dataset
    // 50,000 and carol 150,000; owners F − 300,000 = 700,003: alice floor(700,003·0.6) = 420,001, bob 280,002.
    assert.equal(await marketBalance(as(dave).market, alice.address), 420_001n);
    assert.equal(await marketBalance(as(dave).market, bob.address), 280_002n);
    assert.equal(await marketBalance(as(dave).market, carol.address), 150_000n);
    const deposited = async (root: bigint) => {
      const index = await as(dave).vault.royaltyEpochIndex(root);
      return as(dave).vault.rolling(root, await as(dave).vault.royaltyEpochLabel(root, index));
    };
    assert.equal(await deposited(ROOT_D), 100_000n);
    assert.equal(await deposited(ROOT_P), 50_000n);
    assert.equal(420_001n + 280_002n + 150_000n + 100_000n + 50_000n, FEE);
    assert.equal(await provider.getBalance(stack.vault), 150_000n);
    // The events let an auditor walk inference → model → parent and datasets → every party paid.
    const m = as(dave).market;
    assert.equal(findEvent(m, done.receipt, 'ParentPaid').args.parent, parent);
    assert.equal(findEvent(m, done.receipt, 'DatasetPaid').args.root, ROOT_D);
    const paid = done.receipt.logs
      .map((l) => (l.address === stack.market ? m.interface.parseLog(l) : null))
      .filter((e) => e?.name === 'OwnerPaid' || e?.name === 'DatasetPaid')
      .reduce((s, e) => s + (e!.args.amount as bigint), 0n);
    assert.equal(paid, FEE);

    await assertReverts(fulfilInference(as(bob).market, req.requestId, good.proof, good.signals), 'NotPending');
    await assertReverts(refundRequest(as(dave).market, req.requestId), 'NotPending');
    await assertSolvent();
  });

  test('an earlier free attestation of the same statement fulfils a request (it is the same checked statement)', async () => {
    const x = 11n;
    const p = await prove(W_A, x, owner.address);
    const free = await attestInference(inferenceAttestorAt(stack.attestor, bob), modelA, p.proof, p.signals);
    const req = await requestInference(as(dave).market, modelA, inputHash(W_A, x), await deadlineIn(3600), FEE);
    const before = await marketBalance(as(dave).market, alice.address);
    const done = await fulfilInference(as(carol).market, req.requestId, p.proof, p.signals);
    assert.equal(done.attestationId, free.attestationId);
    assert.ok((await marketBalance(as(dave).market, alice.address)) > before);
  });
});

test('the listing records the setup identity of the model’s real setup', async () => {
  const meta = JSON.parse(await readFile(path.join((await boundPoseidonToy()).setup.dir, 'setup.json'), 'utf8')) as SetupMeta;
  const recorded = await getSetupIdentity(as(dave).governance, modelA);
  assert.equal(recorded.ceremony, `0x${meta.ptau.sha256}`);
  assert.deepEqual(
    recorded.zkeyContributions,
    meta.contributions.map((c) => `0x${c.hash}`),
  );
  assert.ok(recorded.zkeyContributions.length >= 1);
  assert.throws(() => setupIdentityOf({ ...meta, contributions: [{ name: 'x', hash: 'abcd' }] }), /64 bytes/);
  // A Pedersen-committed model adds κ's history entry hashes (prover/commitment-history.ts), in order.
  const kappa = setupIdentityOf(meta, { history: [{ hash: 'ab'.repeat(32) }, { hash: 'cd'.repeat(32) }] as CommitmentKey['history'] });
  assert.deepEqual(kappa.kappaContributions, [`0x${'ab'.repeat(32)}`, `0x${'cd'.repeat(32)}`]);
  assert.deepEqual(kappa.lookupKappaContributions, []);
  // With lookups, the lookup key's κ history is its own list, apart from the weights' κ.
  const both = setupIdentityOf(
    meta,
    { history: [{ hash: 'ab'.repeat(32) }] as CommitmentKey['history'] },
    {
      history: [{ hash: 'ef'.repeat(32) }] as CommitmentKey['history'],
    },
  );
  assert.deepEqual(both.kappaContributions, [`0x${'ab'.repeat(32)}`]);
  assert.deepEqual(both.lookupKappaContributions, [`0x${'ef'.repeat(32)}`]);
  assert.throws(
    () => setupIdentityOf(meta, undefined, { history: [{ hash: 'ef' }] as CommitmentKey['history'] }),
    /lookup κ contribution 1/,
  );
});

describe('deadlines and refunds', () => {
  test('fulfil after the deadline fails; refund before it fails; refund works once', async (t) => {
    const x = 5n;
    // An hour, not seconds: chain time follows the wall clock, which a loaded machine moves fast between two calls.
    const deadline = await deadlineIn(3600);
    const req = await requestInference(as(dave).market, modelA, inputHash(W_A, x), deadline, FEE);
    await assertReverts(refundRequest(as(dave).market, req.requestId), 'RefundNotOpen');
    await advance(provider, 3700);
    const late = await prove(W_A, x, owner.address);
    await assertReverts(fulfilInference(as(owner).market, req.requestId, late.proof, late.signals), 'RequestExpired');
    const before = await marketBalance(as(dave).market, dave.address);
    // Anyone may trigger the refund; it is credited to the consumer.
    const receipt = await refundRequest(as(bob).market, req.requestId);
    t.diagnostic(`refund gas: ${receipt.gasUsed}`);
    assert.equal((await marketBalance(as(dave).market, dave.address)) - before, FEE);
    await assertReverts(refundRequest(as(dave).market, req.requestId), 'NotPending');
    assert.equal((await getRequest(as(dave).market, req.requestId)).status, RequestStatus.Refunded);
    await assertReverts(requestInference(as(dave).market, modelA, 1n, await now(provider), FEE), 'BadDeadline');
    await assertSolvent();
  });
});

describe('fees', () => {
  test('a fee change racing a request: the consumer pays the fee it sent or nothing; a pending request keeps its fee', async () => {
    const x = 7n;
    const pending = await requestInference(as(dave).market, modelA, inputHash(W_A, x), await deadlineIn(3600), FEE);
    // The owners' majority (alice, 60 %) raises the fee; the change is mined before dave's second request.
    const raised = FEE * 2n + 1n;
    assert.equal((await propose(as(alice).governance, modelA, GovernanceAction.SetFee, raised)).executed, true);
    await assertReverts(requestInference(as(dave).market, modelA, inputHash(W_A, x + 1n), await deadlineIn(3600), FEE), 'WrongFee');
    await assertReverts(requestInference(as(dave).market, modelA, 1n, await deadlineIn(3600), raised + 1n), 'WrongFee');

    const aliceBefore = await marketBalance(as(dave).market, alice.address);
    const bobBefore = await marketBalance(as(dave).market, bob.address);
    const p = await prove(W_A, x, owner.address);
    await fulfilInference(as(owner).market, pending.requestId, p.proof, p.signals);
    assert.equal((await getRequest(as(dave).market, pending.requestId)).fee, FEE);
    assert.equal((await marketBalance(as(dave).market, alice.address)) - aliceBefore, 420_001n);
    assert.equal((await marketBalance(as(dave).market, bob.address)) - bobBefore, 280_002n);

    const next = await requestInference(as(dave).market, modelA, inputHash(W_A, x + 1n), await deadlineIn(3600), raised);
    assert.equal((await getRequest(as(dave).market, next.requestId)).fee, raised);
    await assertSolvent();
  });
});

describe('fees in one block', () => {
  /**
   * Sends a fee change (alice, the majority) and dave's request paying the current fee into one block, in the order
   * given by their priority fees, mines it and returns both receipts (status 0 = reverted).
   */
  async function race(changeFirst: boolean) {
    const fee = (await getListing(as(dave).governance, modelA)).fee;
    const deadline = await deadlineIn(3600);
    const tip = (first: boolean) => ({ maxPriorityFeePerGas: first ? 3_000_000_000n : 1_000_000_000n, maxFeePerGas: 50_000_000_000n });
    await provider.send('evm_setAutomine', [false]);
    try {
      const change = await as(alice).governance.getFunction('propose')(modelA, GovernanceAction.SetFee, fee + 1n, {
        gasLimit: 1_000_000n,
        ...tip(changeFirst),
      });
      const request = await as(dave).market.getFunction('request')(modelA, 4242n, deadline, {
        value: fee,
        gasLimit: 1_000_000n,
        ...tip(!changeFirst),
      });
      await provider.send('evm_mine', []);
      const [c, r] = await Promise.all([provider.getTransactionReceipt(change.hash), provider.getTransactionReceipt(request.hash)]);
      assert.equal(c!.blockNumber, r!.blockNumber);
      assert.equal(c!.index < r!.index, changeFirst);
      return { fee, change: c!, request: r! };
    } finally {
      await provider.send('evm_setAutomine', [true]);
    }
  }

  test('a fee change ordered before a request in the same block: the request reverts and pays nothing', async () => {
    const before = await provider.getBalance(stack.market);
    const { change, request } = await race(true);
    assert.equal(change.status, 1);
    assert.equal(request.status, 0);
    assert.equal(await provider.getBalance(stack.market), before);
  });

  test('a request ordered before a fee change in the same block: it keeps the fee it paid', async () => {
    const { fee, change, request } = await race(false);
    assert.equal(change.status, 1);
    assert.equal(request.status, 1);
    const requestId = as(dave).market.interface.parseLog(request.logs.find((l) => l.address === stack.market)!)!.args.requestId as bigint;
    assert.equal((await getRequest(as(dave).market, requestId)).fee, fee);
    assert.equal((await getListing(as(dave).governance, modelA)).fee, fee + 1n);
  });
});

describe('withdrawals', () => {
  test('each owner withdraws what it was credited, once', async (t) => {
    for (const w of [alice, bob, carol]) {
      const credit = await marketBalance(as(w).market, w.address);
      assert.ok(credit > 0n);
      const before = await provider.getBalance(w.address);
      const receipt = await withdrawFromMarket(as(w).market);
      t.diagnostic(`withdraw gas: ${receipt.gasUsed}`);
      const gas = receipt.gasUsed * receipt.gasPrice;
      assert.equal((await provider.getBalance(w.address)) - before + gas, credit);
      await assertReverts(withdrawFromMarket(as(w).market), 'NothingToWithdraw');
    }
    await assertSolvent();
  });
});
