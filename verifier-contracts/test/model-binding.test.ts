// Issue 13 item 3: an inference proof is bound to its model's registrant. W and K (or a Poseidon weightsHash) and
// the verifier are public, so anyone can register a copy of a provider's model under an id of their own; before the
// binding, the provider's proofs attested under the copy too, even after the provider retired the original. Each
// test mounts that replay with real proofs of the bound toy circuits (bound-toys.ts), against real verifiers.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { Interface, type JsonRpcProvider, type Wallet } from 'ethers';
import * as snarkjs from 'snarkjs';
import type { BuiltCircuit } from '../../circuits/build.ts';
import { BN254_R } from '../../common/bn254.ts';
import { inferenceAcceptedOnChain } from '../../console/src/chain-pin.ts';
import {
  commitmentId,
  commitPublicInputs,
  createCommitmentKey,
  type PublicInputCommitment,
  randomScalar,
  statementSignals,
  statementVkey,
} from '../../prover/commitment.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import type { DevChain } from '../chain.ts';
import { installCommittedVerifier } from '../committed-verifier.ts';
import { deployArtifact } from '../deploy.ts';
import { installGeneratedVerifier } from '../generated.ts';
import {
  attestInference,
  bindingAddress,
  bindingOf,
  circuitIdHash,
  committedAttestSignals,
  deactivateModel,
  deployInference,
  getModel,
  INFERENCE_ATTESTOR_ABI,
  inferenceAttestorAt,
  MODEL_REGISTRY_ABI,
  modelRegistryAt,
  registerCommittedModel,
  registerModel,
  transferModelOwnership,
} from '../models.ts';
import type { SnarkjsProof } from '../vault.ts';
import { BOUND_PEDERSEN_COMMITTED, boundPedersenToy, boundPoseidonToy } from './bound-toys.ts';
import { assertReverts as assertRevertsWith, startTestChain } from './helpers.ts';

const R = BN254_R;
const errorsInterface = new Interface([...MODEL_REGISTRY_ABI, ...INFERENCE_ATTESTOR_ABI.filter((f) => f.startsWith('error'))]);
const assertReverts = (promise: Promise<unknown>, name: string) => assertRevertsWith(errorsInterface, promise, name);

let chain: DevChain;
let provider: JsonRpcProvider;
/** The model provider (registrant of the original). */
let owner: Wallet;
/** The copier: registers the provider's public commitment and verifier under an id of its own. */
let alice: Wallet;
/** Submits attestations (anyone may). */
let bob: Wallet;
let registryAddress: string;
let attestorAddress: string;

const registryAs = (signer: Wallet) => modelRegistryAt(registryAddress, signer);
const attestorAs = (signer: Wallet) => inferenceAttestorAt(attestorAddress, signer);
/** Signals with the one at `i` replaced by `value`. */
const withSignal = (signals: readonly string[], i: number, value: bigint | string) =>
  signals.map((s, j) => (j === (i + signals.length) % signals.length ? String(value) : s));

before(async () => {
  ({ chain, provider, owner, alice, bob } = await startTestChain());
  const deployed = await deployInference({ signer: owner });
  registryAddress = deployed.ModelRegistry;
  attestorAddress = deployed.InferenceAttestor;
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
  await releaseVerifierResources();
});

test('bindingOf / bindingAddress: an address as a uint160 field element and back', () => {
  assert.equal(bindingOf(owner.address), BigInt(owner.address));
  assert.equal(bindingAddress(bindingOf(owner.address)), owner.address);
  assert.throws(() => bindingOf('0x1234'), /not an Ethereum address/);
  assert.throws(() => bindingAddress(1n << 160n), /not a 160-bit address/);
});

describe('Pedersen-committed model: a copy registered by another address cannot attest the provider’s proofs', () => {
  let circuit: BuiltCircuit;
  let zkeyPath: string;
  let verifier: string;
  let honest: PublicInputCommitment;
  const w = [4n, 9n, 2n];
  const blind = randomScalar();
  const circuitId = circuitIdHash('bound-pedersen-toy');

  /** The provider's proof for input x, bound to `binding`; its attestation signals under W. */
  async function proveFor(x: bigint, binding: string): Promise<{ proof: SnarkjsProof; signals: string[] }> {
    const { proof, publicSignals } = (await snarkjs.groth16.fullProve(
      { x, binding: BigInt(binding), w, blind },
      circuit.wasmPath,
      zkeyPath,
    )) as {
      proof: SnarkjsProof;
      publicSignals: string[];
    };
    return {
      proof,
      signals: committedAttestSignals(commitmentId(honest.point), statementSignals(publicSignals, BOUND_PEDERSEN_COMMITTED)),
    };
  }

  before(async () => {
    const toy = await boundPedersenToy();
    circuit = toy.circuit;
    zkeyPath = toy.setup.zkeyPath;
    // A fresh κ is fine here: the verifier is generated from this run's statement key.
    const key = await createCommitmentKey(toy.setup.vkey, BOUND_PEDERSEN_COMMITTED);
    const installed = await installCommittedVerifier({
      contractName: 'BindingTestPedersenVerifier',
      statementVkey: statementVkey(toy.setup.vkey, key),
    });
    verifier = await deployArtifact(owner, installed.artifact);
    honest = await commitPublicInputs(key, [...w, blind]);
  });

  test('replay under the copy is BindingMismatch, re-binding is InvalidProof, retirement stops both', async (t) => {
    const base = { commitment: honest, circuitId, verifier, numPublicSignals: 4 };
    const { modelId } = await registerCommittedModel(registryAs(owner), base);
    // The copy: the same public W and K, the same verifier; only the registrant differs.
    const { modelId: copyId } = await registerCommittedModel(registryAs(alice), base);
    assert.notEqual(copyId, modelId);
    assert.equal((await getModel(registryAs(owner), copyId)).registrant, alice.address);

    const first = await proveFor(5n, owner.address);
    assert.equal(bindingAddress(first.signals.at(-1)!), owner.address);
    // The web console's chain pin (console/src/chain-pin.ts) asks the same question with a simulated attest from the
    // browser: its hand-made calldata must give exactly the contract's verdicts.
    const onChain = (id: string, signals: readonly string[], proof = first.proof) =>
      inferenceAcceptedOnChain(chain.url, attestorAddress, id, proof, signals);
    const copyVerdict = await onChain(copyId, first.signals);
    assert.equal(copyVerdict.accepted, false);
    assert.match(copyVerdict.source, /BindingMismatch/);
    assert.match((await onChain(copyId, withSignal(first.signals, -1, bindingOf(alice.address)))).source, /InvalidProof/);
    assert.deepEqual(await onChain(modelId, first.signals), {
      accepted: true,
      source: `the chain: InferenceAttestor ${attestorAddress}, model ${modelId} accepts this proof`,
    });
    await assertReverts(attestInference(attestorAs(alice), copyId, first.proof, first.signals), 'BindingMismatch');
    // The copier cannot re-bind the provider's proof to itself: the binding is a proven signal.
    const rebound = withSignal(first.signals, -1, bindingOf(alice.address));
    await assertReverts(attestInference(attestorAs(alice), copyId, first.proof, rebound), 'InvalidProof');
    // A proof bound to nobody (binding 0, the default of an unbound `zkai model prove`) attests under no model.
    const unbound = await proveFor(5n, '0');
    await assertReverts(attestInference(attestorAs(bob), modelId, unbound.proof, unbound.signals), 'BindingMismatch');

    const res = await attestInference(attestorAs(bob), modelId, first.proof, first.signals);
    t.diagnostic(`attest gas (point-committed, 3 statement signals incl. the binding): ${res.receipt.gasUsed}`);
    assert.match((await onChain(modelId, first.signals)).source, /attested these signals already/);
    assert.deepEqual(res.outputs.map(String), first.signals.slice(2, -1));

    // A transfer of ownership does not unbind the registrant's proofs (the registrant is part of the model id).
    await transferModelOwnership(registryAs(owner), modelId, bob.address);
    const afterTransfer = await proveFor(6n, owner.address);
    await attestInference(attestorAs(bob), modelId, afterTransfer.proof, afterTransfer.signals);

    // Retired: the model accepts nothing more, and its proofs do not move to the copy.
    await deactivateModel(registryAs(bob), modelId);
    const late = await proveFor(7n, owner.address);
    await assertReverts(attestInference(attestorAs(owner), modelId, late.proof, late.signals), 'ModelInactive');
    assert.match((await onChain(modelId, late.signals, late.proof)).source, /refuses this proof \(ModelInactive\)/);
    await assertReverts(attestInference(attestorAs(alice), copyId, late.proof, late.signals), 'BindingMismatch');
    await assertReverts(
      attestInference(attestorAs(alice), copyId, late.proof, withSignal(late.signals, -1, bindingOf(alice.address))),
      'InvalidProof',
    );
  });
});

describe('Poseidon-committed model (real snarkjs verifier): the same replay fails', () => {
  let circuit: BuiltCircuit;
  let zkeyPath: string;
  let verifier: string;
  const w = [8n, 1n, 6n];
  const circuitId = circuitIdHash('bound-poseidon-toy');

  /** Signals [weightsHash, y, z, binding]. */
  async function proveFor(x: bigint, binding: string): Promise<{ proof: SnarkjsProof; signals: string[] }> {
    const { proof, publicSignals } = (await snarkjs.groth16.fullProve({ x, binding: BigInt(binding), w }, circuit.wasmPath, zkeyPath)) as {
      proof: SnarkjsProof;
      publicSignals: string[];
    };
    return { proof, signals: publicSignals };
  }

  before(async () => {
    const toy = await boundPoseidonToy();
    circuit = toy.circuit;
    zkeyPath = toy.setup.zkeyPath;
    const installed = await installGeneratedVerifier({
      contractName: 'BindingTestPoseidonVerifier',
      solidity: await readFile(toy.setup.solidityVerifierPath, 'utf8'),
    });
    verifier = await deployArtifact(owner, installed.artifact);
  });

  test('a real proof attests only under its registrant’s model; every changed signal is refused', async (t) => {
    const first = await proveFor(3n, owner.address);
    assert.equal(first.signals.length, 4);
    const base = { weightCommitment: BigInt(first.signals[0]!), circuitId, verifier, numPublicSignals: 4 };
    const { modelId } = await registerModel(registryAs(owner), base);
    const { modelId: copyId } = await registerModel(registryAs(alice), base);

    await assertReverts(attestInference(attestorAs(alice), copyId, first.proof, first.signals), 'BindingMismatch');
    await assertReverts(
      attestInference(attestorAs(alice), copyId, first.proof, withSignal(first.signals, -1, bindingOf(alice.address))),
      'InvalidProof',
    );
    // Under the provider's own model: the input hash and output slots are checked by the proof.
    const onChain = (id: string, signals: readonly string[], proof = first.proof) =>
      inferenceAcceptedOnChain(chain.url, attestorAddress, id, proof, signals);
    for (const i of [1, 2]) {
      const changed = withSignal(first.signals, i, (BigInt(first.signals[i]!) + 1n) % R);
      await assertReverts(attestInference(attestorAs(bob), modelId, first.proof, changed), 'InvalidProof');
      assert.match((await onChain(modelId, changed)).source, /refuses this proof \(InvalidProof\)/);
    }
    assert.equal((await onChain(modelId, first.signals)).accepted, true);
    const res = await attestInference(attestorAs(bob), modelId, first.proof, first.signals);
    t.diagnostic(`attest gas (N = 4 incl. the binding, real snarkjs verifier): ${res.receipt.gasUsed}`);
    assert.deepEqual(res.outputs.map(String), [first.signals[2]]);

    await deactivateModel(registryAs(owner), modelId);
    const late = await proveFor(4n, owner.address);
    await assertReverts(attestInference(attestorAs(owner), modelId, late.proof, late.signals), 'ModelInactive');
    assert.match((await onChain(modelId, late.signals, late.proof)).source, /refuses this proof \(ModelInactive\)/);
    await assertReverts(attestInference(attestorAs(alice), copyId, late.proof, late.signals), 'BindingMismatch');
  });
});
