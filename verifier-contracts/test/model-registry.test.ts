// ModelRegistry and InferenceAttestor on a dev chain: bookkeeping against a mock verifier that accepts only the exact
// expected arguments (so the attestor's generic calldata encoding is checked word by word). Real verifiers, and the
// binding of proofs to their registrant against copied models: model-binding.test.ts and committed-model.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Contract, Interface, id, type JsonRpcProvider, type Wallet } from 'ethers';
import { BN254_R } from '../../common/bn254.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import type { DevChain } from '../chain.ts';
import { loadArtifact } from '../compile.ts';
import { deployContract } from '../deploy.ts';
import {
  attestationIdOf,
  attestInference,
  bindingOf,
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

const R = BN254_R;
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
/** The binding of the proofs of freshModel()'s models: their registrant, `owner`. */
const BINDING = () => bindingOf(owner.address);
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
  // snarkjs keeps its curve's worker threads alive after proving in this process: the file would never exit.
  await releaseVerifierResources();
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
      registrant: owner.address,
    });
    assert.equal(await registry.modelCount(), countBefore + 1n);
    assert.equal(await registry.isRegistered(modelId), true);

    await assertReverts(registerModel(registry, params), 'ModelExists');
    // Ids are namespaced by registrant: the same model registered by someone else is a different id (no squatting).
    const other = await registerModel(registryAs(alice), params);
    assert.notEqual(other.modelId, modelId);
    assert.equal((await getModel(registry, other.modelId)).owner, alice.address);
    assert.equal((await getModel(registry, other.modelId)).registrant, alice.address);
  });

  test('registerModel validates its parameters', async () => {
    const registry = registryAs(owner);
    const ok = { weightCommitment: 5n, circuitId: CIRCUIT, verifier: mockAddress, numPublicSignals: 4 };
    await assertReverts(registerModel(registry, { ...ok, weightCommitment: R }), 'CommitmentOutOfField');
    await assertReverts(registerModel(registry, { ...ok, datasetRoot: R }), 'DatasetRootOutOfField');
    await assertReverts(registerModel(registry, { ...ok, circuitId: `0x${'00'.repeat(32)}` }), 'ZeroCircuitId');
    await assertReverts(registerModel(registry, { ...ok, verifier: '0x0000000000000000000000000000000000000000' }), 'ZeroVerifier');
    await assertReverts(registerModel(registry, { ...ok, verifier: bob.address }), 'VerifierNotContract');
    // At least [weightCommitment, inputHash, output, binding].
    await assertReverts(registerModel(registry, { ...ok, numPublicSignals: 3 }), 'InvalidSignalCount');
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
    assert.equal((await getModel(registryAs(owner), modelId)).registrant, owner.address, 'the registrant never changes');
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
    const outputs = [toFieldSignal(-5n)];
    const proof = fakeProof(3n);
    const signals = await expectProof(proof, [commitment, 123456789n, ...outputs, BINDING()]);
    const countBefore = await attestorAs(bob).attestationCount();

    const res = await attestInference(attestorAs(bob), modelId, proof, signals);
    t.diagnostic(`attest gas (N = 4, mock verifier): ${res.receipt.gasUsed}`);
    assert.equal(res.attestationId, attestationIdOf(modelId, signals));
    assert.equal(res.inputHash, 123456789n);
    assert.deepEqual(res.outputs, outputs);
    assert.deepEqual(res.outputs.map(fromFieldSignal), [-5n]);
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
    const signals = await expectProof(proof, [commitment, 11n, 12n, BINDING()]);
    // Each proof word and the input hash and output signals changed in turn.
    const tampered: [SnarkjsProof, string[]][] = [
      [{ ...proof, pi_a: ['999', proof.pi_a[1], '1'] }, signals],
      [{ ...proof, pi_b: [[proof.pi_b[0][0], '999'], proof.pi_b[1], ['1', '0']] }, signals],
      [{ ...proof, pi_b: [proof.pi_b[0], ['999', proof.pi_b[1][1]], ['1', '0']] }, signals],
      [{ ...proof, pi_c: [proof.pi_c[0], '999', '1'] }, signals],
      [proof, [signals[0], '999', signals[2], signals[3]]],
      [proof, [signals[0], signals[1], '999', signals[3]]],
    ];
    for (const [p, s] of tampered) await assertReverts(attestInference(attestorAs(bob), modelId, p, s), 'InvalidProof');
    await attestInference(attestorAs(bob), modelId, proof, signals);
  });

  test('a proof the verifier rejects is InvalidProof and records nothing', async () => {
    const { modelId, commitment } = await freshModel();
    const proof = fakeProof(5n);
    const signals = await expectProof(proof, [commitment, 1n, 2n, BINDING()]);
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
    await assertReverts(
      attestInference(attestorAs(bob), modelId, fakeProof(), [commitment, 1n, 2n, BINDING()].map(String)),
      'InvalidProof',
    );
  });

  test('a proof for another weight commitment is CommitmentMismatch', async () => {
    const { modelId, commitment } = await freshModel();
    const proof = fakeProof(6n);
    const signals = await expectProof(proof, [commitment + 1n, 1n, 2n, BINDING()]);
    await assertReverts(attestInference(attestorAs(bob), modelId, proof, signals), 'CommitmentMismatch');
  });

  test('a binding other than the registrant is BindingMismatch, even when the verifier would accept the proof', async () => {
    const { modelId, commitment } = await freshModel();
    for (const binding of [bindingOf(alice.address), 0n, BINDING() + (1n << 160n)]) {
      const proof = fakeProof(10n);
      const signals = await expectProof(proof, [commitment, 1n, 2n, binding]);
      await assertReverts(attestInference(attestorAs(bob), modelId, proof, signals), 'BindingMismatch');
    }
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
    const signals = await expectProof(proof, [commitment, 1n, 2n, BINDING()]);
    await deactivateModel(registryAs(owner), modelId);
    await assertReverts(attestInference(attestorAs(bob), modelId, proof, signals), 'ModelInactive');
  });

  test('a signal outside the scalar field is SignalOutOfField', async () => {
    const { modelId, commitment } = await freshModel();
    // The bindings refuse such a signal off chain (BAD_BUNDLE), so call the contract directly.
    const { a, b, c } = toSolidityCalldata(fakeProof(), ['0']);
    await assertReverts(attestorAs(bob).attest(modelId, a, b, c, [commitment, 1n, R, BINDING()]), 'SignalOutOfField');
    await assertReverts(attestorAs(bob).attest(modelId, a, b, c, [commitment, R + 3n, 2n, BINDING()]), 'SignalOutOfField');
    await assert.rejects(attestInference(attestorAs(bob), modelId, fakeProof(), [String(commitment), '1', String(R), String(BINDING())]), {
      code: 'BAD_BUNDLE',
    });
  });

  test('the same statement twice is AlreadyAttested, even with another (re-randomized) proof', async () => {
    const { modelId, commitment } = await freshModel();
    const proof = fakeProof(8n);
    const signals = await expectProof(proof, [commitment, 5n, 6n, BINDING()]);
    const first = await attestInference(attestorAs(bob), modelId, proof, signals);
    await assertReverts(attestInference(attestorAs(alice), modelId, proof, signals), 'AlreadyAttested');
    await assertReverts(attestInference(attestorAs(alice), modelId, fakeProof(9n), signals), 'AlreadyAttested');
    assert.equal((await getAttestation(attestorAs(owner), first.attestationId)).prover, bob.address);
  });
});
