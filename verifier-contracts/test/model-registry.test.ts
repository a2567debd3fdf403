// ModelRegistry and InferenceAttestor on a dev chain: bookkeeping against a mock verifier that accepts only the exact
// expected arguments (so the attestor's generic calldata encoding is checked word by word), and one real snarkjs
// verifier (the depth-2 membership circuit standing in for a model with 5 public signals).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Contract, Interface, id, type JsonRpcProvider, Wallet } from 'ethers';
import * as snarkjs from 'snarkjs';
import { buildCircuit } from '../../circuits/build.ts';
import { commitDataset, membershipInput } from '../../circuits/dataset/index.ts';
import { membershipCircuitSpec } from '../../circuits/membership.ts';
import { ensureCircuitSetup } from '../../prover/setup/index.ts';
import type { DevChain } from '../chain.ts';
import { loadArtifact } from '../compile.ts';
import { deployArtifact, deployContract } from '../deploy.ts';
import { installGeneratedVerifier } from '../generated.ts';
import {
  attestationIdOf,
  attestInference,
  circuitIdHash,
  computeModelId,
  deactivateModel,
  deployInference,
  fromFieldSignal,
  getAttestation,
  getModel,
  INFERENCE_ATTESTOR_ABI,
  inferenceAttestorAt,
  MODEL_REGISTRY_ABI,
  modelRegistryAt,
  outputsHashOf,
  registerModel,
  toFieldSignal,
  transferModelOwnership,
} from '../models.ts';
import { type SnarkjsProof, toSolidityCalldata } from '../vault.ts';
import { assertReverts as assertRevertsWith, startTestChain } from './helpers.ts';

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const errorsInterface = new Interface([...MODEL_REGISTRY_ABI, ...INFERENCE_ATTESTOR_ABI.filter((f) => f.startsWith('error'))]);
const CIRCUIT = circuitIdHash('test-model-q8');

let chain: DevChain;
let provider: JsonRpcProvider;
let owner: Wallet;
let alice: Wallet;
let bob: Wallet;
let mock: Contract;
let mockAddress: string;
let registryAddress: string;
let attestorAddress: string;
let nextCommitment = 1000n;

const registryAs = (signer: Wallet) => modelRegistryAt(registryAddress, signer);
const attestorAs = (signer: Wallet) => inferenceAttestorAt(attestorAddress, signer);

/** Proof points with distinct words everywhere, so any misplaced word is visible to the mock. */
function fakeProof(seed = 1n): SnarkjsProof {
  const w = (i: bigint) => String(seed * 100n + i);
  return {
    pi_a: [w(1n), w(2n), '1'],
    pi_b: [
      [w(3n), w(4n)],
      [w(5n), w(6n)],
      ['1', '0'],
    ],
    pi_c: [w(7n), w(8n), '1'],
    protocol: 'groth16',
    curve: 'bn128',
  };
}

/** Registers a fresh model on the mock verifier (N = 4) and returns its id and commitment. */
async function freshModel(signer = owner, verifier = mockAddress): Promise<{ modelId: string; commitment: bigint }> {
  const commitment = nextCommitment++;
  const { modelId } = await registerModel(registryAs(signer), {
    weightCommitment: commitment,
    circuitId: CIRCUIT,
    verifier,
    numPublicSignals: 4,
  });
  return { modelId, commitment };
}

/** Makes the mock accept exactly (proof, signals), and returns them as strings for attestInference. */
async function expectProof(proof: SnarkjsProof, signals: bigint[]): Promise<string[]> {
  const strings = signals.map(String);
  const { a, b, c, pubSignals } = toSolidityCalldata(proof, strings);
  await (await mock.expect(a, b, c, pubSignals)).wait();
  return strings;
}

const assertReverts = (promise: Promise<unknown>, name: string) => assertRevertsWith(errorsInterface, promise, name);

before(async () => {
  ({ chain, provider, owner, alice, bob } = await startTestChain());
  mockAddress = await deployContract(owner, 'MockInferenceVerifier');
  mock = new Contract(mockAddress, (await loadArtifact('MockInferenceVerifier')).abi, owner);
  const deployed = await deployInference({ signer: owner });
  assert.equal(deployed.chainId, 31337);
  registryAddress = deployed.ModelRegistry;
  attestorAddress = deployed.InferenceAttestor;
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
  // snarkjs keeps the curve's worker threads alive; without this the test process never exits.
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
});

describe('ModelRegistry', () => {
  test('the written-out ABIs match the compiled contracts', async () => {
    for (const [name, written] of [
      ['ModelRegistry', MODEL_REGISTRY_ABI],
      ['InferenceAttestor', INFERENCE_ATTESTOR_ABI],
    ] as const) {
      const compiled = new Interface((await loadArtifact(name)).abi);
      const ours = new Interface(written);
      const full = (i: Interface) => i.fragments.map((f) => f.format('full')).sort();
      assert.deepEqual(full(ours), full(compiled), name);
    }
  });

  test('registerModel stores the model under the id computed off chain, once', async () => {
    const registry = registryAs(owner);
    const countBefore = await registry.modelCount();
    const params = { weightCommitment: 42n, circuitId: CIRCUIT, verifier: mockAddress, numPublicSignals: 4, datasetRoot: 77n };
    const { modelId, receipt } = await registerModel(registry, params);
    assert.equal(modelId, computeModelId(owner.address, 42n, CIRCUIT, mockAddress));
    assert.equal(await registry.computeModelId(owner.address, 42n, CIRCUIT, mockAddress), modelId);
    const block = await provider.getBlock(receipt.blockNumber);
    assert.deepEqual(await getModel(registry, modelId), {
      modelId,
      weightCommitment: 42n,
      circuitId: CIRCUIT,
      datasetRoot: 77n,
      verifier: mockAddress,
      numPublicSignals: 4,
      registeredAt: block?.timestamp,
      owner: owner.address,
      active: true,
      pointCommitted: false,
    });
    assert.equal(await registry.modelCount(), countBefore + 1n);
    assert.equal(await registry.isRegistered(modelId), true);

    await assertReverts(registerModel(registry, params), 'ModelExists');
    // Ids are namespaced by registrant: the same model registered by someone else is a different id (no squatting).
    const other = await registerModel(registryAs(alice), params);
    assert.notEqual(other.modelId, modelId);
    assert.equal((await getModel(registry, other.modelId)).owner, alice.address);
  });

  test('registerModel validates its parameters', async () => {
    const registry = registryAs(owner);
    const ok = { weightCommitment: 5n, circuitId: CIRCUIT, verifier: mockAddress, numPublicSignals: 4 };
    await assertReverts(registerModel(registry, { ...ok, weightCommitment: R }), 'CommitmentOutOfField');
    await assertReverts(registerModel(registry, { ...ok, datasetRoot: R }), 'DatasetRootOutOfField');
    await assertReverts(registerModel(registry, { ...ok, circuitId: `0x${'00'.repeat(32)}` }), 'ZeroCircuitId');
    await assertReverts(registerModel(registry, { ...ok, verifier: '0x0000000000000000000000000000000000000000' }), 'ZeroVerifier');
    await assertReverts(registerModel(registry, { ...ok, verifier: bob.address }), 'VerifierNotContract');
    await assertReverts(registerModel(registry, { ...ok, numPublicSignals: 2 }), 'InvalidSignalCount');
    await assertReverts(registerModel(registry, { ...ok, numPublicSignals: 1025 }), 'InvalidSignalCount');
    await assert.rejects(getModel(registry, id('no such model')), (err: { code?: string }) => err.code === 'NOT_FOUND');
  });

  test('only the owner deactivates or transfers; deactivation is one-way', async () => {
    const { modelId } = await freshModel();
    await assertReverts(deactivateModel(registryAs(alice), modelId), 'NotOwner');
    await assertReverts(transferModelOwnership(registryAs(alice), modelId, alice.address), 'NotOwner');
    await assertReverts(deactivateModel(registryAs(owner), id('unknown')), 'UnknownModel');
    await assertReverts(transferModelOwnership(registryAs(owner), modelId, '0x0000000000000000000000000000000000000000'), 'ZeroOwner');

    await transferModelOwnership(registryAs(owner), modelId, alice.address);
    assert.equal((await getModel(registryAs(owner), modelId)).owner, alice.address);
    await assertReverts(deactivateModel(registryAs(owner), modelId), 'NotOwner');
    await deactivateModel(registryAs(alice), modelId);
    const m = await getModel(registryAs(owner), modelId);
    assert.equal(m.active, false);
    assert.equal(m.verifier, mockAddress); // the rest of the record never changes
    await assertReverts(deactivateModel(registryAs(alice), modelId), 'ModelInactive');
  });
});

describe('InferenceAttestor (mock verifier)', () => {
  test('verifySelector is the selector of the snarkjs verifier ABI for N signals', async () => {
    const attestor = attestorAs(owner);
    for (const n of [3, 4, 5, 10, 123, 1024]) {
      assert.equal(await attestor.verifySelector(n), id(`verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${n}])`).slice(0, 10));
    }
  });

  test('attest records the statement and emits the outputs; the verifier saw exactly the proof and signals', async (t) => {
    const { modelId, commitment } = await freshModel();
    const outputs = [toFieldSignal(-5n), 7n];
    const proof = fakeProof(3n);
    const signals = await expectProof(proof, [commitment, 123456789n, ...outputs]);
    const countBefore = await attestorAs(bob).attestationCount();

    const res = await attestInference(attestorAs(bob), modelId, proof, signals);
    t.diagnostic(`attest gas (N = 4, mock verifier): ${res.receipt.gasUsed}`);
    assert.equal(res.attestationId, attestationIdOf(modelId, signals));
    assert.equal(res.inputHash, 123456789n);
    assert.deepEqual(res.outputs, outputs);
    assert.deepEqual(res.outputs.map(fromFieldSignal), [-5n, 7n]);
    assert.equal(res.outputsHash, outputsHashOf(outputs));

    const ev = res.receipt.logs.map((l) => attestorAs(bob).interface.parseLog(l)).find((p) => p?.name === 'InferenceAttested');
    assert.ok(ev);
    assert.deepEqual([...ev.args].slice(0, 5), [res.attestationId, modelId, 123456789n, res.outputsHash, bob.address]);

    const block = await provider.getBlock(res.receipt.blockNumber);
    assert.deepEqual(await getAttestation(attestorAs(owner), res.attestationId), {
      attestationId: res.attestationId,
      modelId,
      inputHash: 123456789n,
      outputsHash: res.outputsHash,
      prover: bob.address,
      timestamp: block?.timestamp,
      blockNumber: res.receipt.blockNumber,
    });
    assert.equal(await attestorAs(bob).isAttested(res.attestationId), true);
    assert.equal(await attestorAs(bob).attestationCount(), countBefore + 1n);
    await assert.rejects(getAttestation(attestorAs(owner), id('nothing')), (err: { code?: string }) => err.code === 'NOT_FOUND');
  });

  test('any word out of place makes the (exact-match) mock answer false: InvalidProof', async () => {
    const { modelId, commitment } = await freshModel();
    const proof = fakeProof(4n);
    const signals = await expectProof(proof, [commitment, 11n, 12n, 13n]);
    // Each proof word and each non-commitment signal changed in turn.
    const tampered: [SnarkjsProof, string[]][] = [
      [{ ...proof, pi_a: ['999', proof.pi_a[1], '1'] }, signals],
      [{ ...proof, pi_b: [[proof.pi_b[0][0], '999'], proof.pi_b[1], ['1', '0']] }, signals],
      [{ ...proof, pi_b: [proof.pi_b[0], ['999', proof.pi_b[1][1]], ['1', '0']] }, signals],
      [{ ...proof, pi_c: [proof.pi_c[0], '999', '1'] }, signals],
      [proof, [signals[0], '999', signals[2], signals[3]]],
      [proof, [signals[0], signals[1], signals[2], '999']],
    ];
    for (const [p, s] of tampered) await assertReverts(attestInference(attestorAs(bob), modelId, p, s), 'InvalidProof');
    await attestInference(attestorAs(bob), modelId, proof, signals);
  });

  test('a proof the verifier rejects is InvalidProof and records nothing', async () => {
    const { modelId, commitment } = await freshModel();
    const proof = fakeProof(5n);
    const signals = await expectProof(proof, [commitment, 1n, 2n, 3n]);
    await (await mock.setResult(false)).wait();
    try {
      await assertReverts(attestInference(attestorAs(bob), modelId, proof, signals), 'InvalidProof');
    } finally {
      await (await mock.setResult(true)).wait();
    }
    assert.equal(await attestorAs(bob).isAttested(attestationIdOf(modelId, signals)), false);
  });

  test('a verifier that reverts (here: a contract without verifyProof) counts as an invalid proof', async () => {
    const { modelId, commitment } = await freshModel(owner, registryAddress);
    await assertReverts(attestInference(attestorAs(bob), modelId, fakeProof(), [commitment, 1n, 2n, 3n].map(String)), 'InvalidProof');
  });

  test('a proof for another weight commitment is CommitmentMismatch', async () => {
    const { modelId, commitment } = await freshModel();
    const proof = fakeProof(6n);
    const signals = await expectProof(proof, [commitment + 1n, 1n, 2n, 3n]);
    await assertReverts(attestInference(attestorAs(bob), modelId, proof, signals), 'CommitmentMismatch');
  });

  test('the wrong number of public signals is WrongSignalCount', async () => {
    const { modelId, commitment } = await freshModel();
    await assertReverts(attestInference(attestorAs(bob), modelId, fakeProof(), [commitment, 1n, 2n].map(String)), 'WrongSignalCount');
    await assertReverts(
      attestInference(attestorAs(bob), modelId, fakeProof(), [commitment, 1n, 2n, 3n, 4n].map(String)),
      'WrongSignalCount',
    );
  });

  test('an unknown or deactivated model is refused', async () => {
    await assertReverts(attestInference(attestorAs(bob), id('unknown'), fakeProof(), ['1', '2', '3', '4']), 'UnknownModel');
    const { modelId, commitment } = await freshModel();
    const proof = fakeProof(7n);
    const signals = await expectProof(proof, [commitment, 1n, 2n, 3n]);
    await deactivateModel(registryAs(owner), modelId);
    await assertReverts(attestInference(attestorAs(bob), modelId, proof, signals), 'ModelInactive');
  });

  test('a signal outside the scalar field is SignalOutOfField', async () => {
    const { modelId, commitment } = await freshModel();
    // The bindings refuse such a signal off chain (BAD_BUNDLE), so call the contract directly.
    const { a, b, c } = toSolidityCalldata(fakeProof(), ['0']);
    await assertReverts(attestorAs(bob).attest(modelId, a, b, c, [commitment, 1n, R, 3n]), 'SignalOutOfField');
    await assertReverts(attestorAs(bob).attest(modelId, a, b, c, [commitment, 1n, 2n, R + 3n]), 'SignalOutOfField');
    await assert.rejects(attestInference(attestorAs(bob), modelId, fakeProof(), [String(commitment), '1', String(R), '3']), {
      code: 'BAD_BUNDLE',
    });
  });

  test('the same statement twice is AlreadyAttested, even with another (re-randomized) proof', async () => {
    const { modelId, commitment } = await freshModel();
    const proof = fakeProof(8n);
    const signals = await expectProof(proof, [commitment, 5n, 6n, 7n]);
    const first = await attestInference(attestorAs(bob), modelId, proof, signals);
    await assertReverts(attestInference(attestorAs(alice), modelId, proof, signals), 'AlreadyAttested');
    await assertReverts(attestInference(attestorAs(alice), modelId, fakeProof(9n), signals), 'AlreadyAttested');
    assert.equal((await getAttestation(attestorAs(owner), first.attestationId)).prover, bob.address);
  });
});

describe('InferenceAttestor (real snarkjs verifier)', () => {
  test('accepts a real proof through the generic call and rejects it with any signal changed', async (t) => {
    // No inference circuit exists yet: the depth-2 membership circuit (5 public signals, signal 0 = root) stands in
    // for a model whose "weight commitment" is the root.
    const depth = 2;
    const circuit = await buildCircuit(membershipCircuitSpec(depth));
    const setup = await ensureCircuitSetup(circuit);
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-attestor-'));
    let full: { proof: SnarkjsProof; publicSignals: string[] };
    try {
      const records = [1, 2, 3].map((i) => ({
        id: `rec-${i}`,
        contributor: Wallet.createRandom().address.toLowerCase(),
        contentHash: `0x${String(i).padStart(64, '0')}`,
        weight: BigInt(i),
      }));
      const dataset = await commitDataset(records, path.join(tmp, 'dataset.json'), { depth });
      const input = await membershipInput(dataset, 'rec-2', 9n);
      full = (await snarkjs.groth16.fullProve(input, circuit.wasmPath, setup.zkeyPath)) as typeof full;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    assert.equal(full.publicSignals.length, 5);

    const installed = await installGeneratedVerifier({
      contractName: 'AttestorTestMembershipVerifier',
      solidity: await readFile(setup.solidityVerifierPath, 'utf8'),
    });
    const verifier = await deployArtifact(owner, installed.artifact);
    const { modelId } = await registerModel(registryAs(owner), {
      weightCommitment: BigInt(full.publicSignals[0]),
      circuitId: circuitIdHash(circuit.id),
      verifier,
      numPublicSignals: 5,
    });

    for (let i = 1; i < 5; i++) {
      const changed = [...full.publicSignals];
      changed[i] = String((BigInt(changed[i]) + 1n) % R);
      await assertReverts(attestInference(attestorAs(bob), modelId, full.proof, changed), 'InvalidProof');
    }
    const res = await attestInference(attestorAs(bob), modelId, full.proof, full.publicSignals);
    t.diagnostic(`attest gas (N = 5, real snarkjs verifier): ${res.receipt.gasUsed}`);
    assert.equal(res.attestationId, attestationIdOf(modelId, full.publicSignals));
    assert.deepEqual(res.outputs.map(String), full.publicSignals.slice(2));
  });
});
