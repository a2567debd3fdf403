// Commit-and-prove models on a dev chain: the generated committed verifier (committed-verifier.ts), point-committed
// registration in ModelRegistry (proof of knowledge checked on chain) and attestation through InferenceAttestor, with
// real proofs of a toy circuit whose "weights" w[3] and blind are committed public inputs (as in prover/commitment.test.ts);
// attestation uses the same toy with the model circuits' binding signal (bound-toys.ts).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { bn254 } from '@noble/curves/bn254.js';
import { Contract, Interface, id, type JsonRpcProvider, type Wallet } from 'ethers';
import * as snarkjs from 'snarkjs';
import type { BuiltCircuit } from '../../circuits/build.ts';
import { BN254_R } from '../../common/bn254.ts';
import { cacheDir } from '../../common/config.ts';
import { writeFileAtomic } from '../../common/fs.ts';
import {
  bindCommitment,
  type CommitmentKey,
  checkCommitmentKey,
  checkCommitmentKnowledge,
  commitmentId,
  commitPublicInputs,
  createCommitmentKey,
  type G1Json,
  g1Evm,
  g1Json,
  type PublicInputCommitment,
  randomScalar,
  statementSignals,
  statementVkey,
} from '../../prover/commitment.ts';
import { COMMIT_TOY_COMMITTED, commitToySetup } from '../../prover/test-fixtures.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import { g1, verifyGroth16Noble } from '../../prover/verify-noble.ts';
import type { DevChain } from '../chain.ts';
import { committedVerifierSolidity, installCommittedVerifier, MAX_COMMITTED_STATEMENT_SIGNALS } from '../committed-verifier.ts';
import { deployArtifact, deployContract } from '../deploy.ts';
import {
  attestationIdOf,
  attestInference,
  circuitIdHash,
  committedAttestSignals,
  computeModelId,
  deployInference,
  getAttestation,
  getCommitmentPoint,
  getModel,
  INFERENCE_ATTESTOR_ABI,
  inferenceAttestorAt,
  MODEL_REGISTRY_ABI,
  modelRegistryAt,
  outputsHashOf,
  registerCommittedModel,
  registerModel,
} from '../models.ts';
import { type SnarkjsProof, toSolidityCalldata } from '../vault.ts';
import { BOUND_PEDERSEN_COMMITTED, boundPedersenToy } from './bound-toys.ts';
import { assertReverts as assertRevertsWith, startTestChain } from './helpers.ts';

// The toy committed circuit of prover/test-fixtures.ts (shared with prover/commitment.test.ts through the cache).
const COMMITTED = COMMIT_TOY_COMMITTED;
const R = BN254_R;
const CIRCUIT = circuitIdHash('commit-toy');
const errorsInterface = new Interface([...MODEL_REGISTRY_ABI, ...INFERENCE_ATTESTOR_ABI.filter((f) => f.startsWith('error'))]);

interface ToyProof {
  proof: SnarkjsProof;
  publicSignals: string[];
  /** The statement signals [y, z]. */
  statement: string[];
}

let chain: DevChain;
let provider: JsonRpcProvider;
let owner: Wallet;
let alice: Wallet;
let bob: Wallet;
let registryAddress: string;
let attestorAddress: string;
let verifierAddress: string;
let verifier: Contract;
let circuit: BuiltCircuit;
let zkeyPath: string;
let vkey: Record<string, unknown>;
let stmtVkey: Record<string, unknown>;
let key: CommitmentKey;
/** The toy with a binding signal (bound-toys.ts), its commitment key, statement key and deployed verifier. */
let bound: { circuit: BuiltCircuit; zkeyPath: string; key: CommitmentKey; stmtVkey: Record<string, unknown>; verifierAddress: string };

const registryAs = (signer: Wallet) => modelRegistryAt(registryAddress, signer);
const attestorAs = (signer: Wallet) => inferenceAttestorAt(attestorAddress, signer);
const assertReverts = (promise: Promise<unknown>, name: string) => assertRevertsWith(errorsInterface, promise, name);

async function prove(x: bigint, w: bigint[], blind: bigint): Promise<ToyProof> {
  const { proof, publicSignals } = (await snarkjs.groth16.fullProve({ x, w, blind }, circuit.wasmPath, zkeyPath)) as {
    proof: SnarkjsProof;
    publicSignals: string[];
  };
  return { proof, publicSignals, statement: statementSignals(publicSignals, COMMITTED) };
}

/** A proof of the bound toy: statement [y, z, binding]. */
async function proveBound(x: bigint, w: bigint[], blind: bigint, binding: string): Promise<ToyProof> {
  const { proof, publicSignals } = (await snarkjs.groth16.fullProve(
    { x, binding: BigInt(binding), w, blind },
    bound.circuit.wasmPath,
    bound.zkeyPath,
  )) as { proof: SnarkjsProof; publicSignals: string[] };
  return { proof, publicSignals, statement: statementSignals(publicSignals, BOUND_PEDERSEN_COMMITTED) };
}

/**
 * The commitment key, cached beside the circuit so the generated verifier's source (which holds κ·G2) is the same
 * from run to run and Hardhat does not recompile it; a key that no longer matches the setup is replaced.
 */
async function loadOrCreateKey(vkeyHash: string, circuitVkey = vkey, committed = COMMITTED, name = 'commit-toy'): Promise<CommitmentKey> {
  const file = cacheDir('test-circuits', `${name}-key-${vkeyHash.slice(0, 16)}.json`);
  try {
    const cached = JSON.parse(await readFile(file, 'utf8')) as CommitmentKey;
    await checkCommitmentKey(circuitVkey, cached);
    return cached;
  } catch {
    const fresh = await createCommitmentKey(circuitVkey, committed);
    await writeFileAtomic(file, `${JSON.stringify(fresh, null, 2)}\n`);
    return fresh;
  }
}

/** The verifier's verifyProof on (proof, statement, point), called directly. */
async function onChainVerify(p: ToyProof, statement: readonly string[], point: G1Json): Promise<boolean> {
  const { a, b, c, pubSignals } = toSolidityCalldata(p.proof, statement);
  return (await verifier.verifyProof(a, b, c, pubSignals, g1Evm(point))) as boolean;
}

/** The off-chain answer for the same: bindCommitment, then snarkjs and noble (which must agree). */
async function offChainVerify(p: ToyProof, statement: string[], point: G1Json): Promise<boolean> {
  const bound = bindCommitment(stmtVkey, point);
  const noble = verifyGroth16Noble(bound, p.proof, statement);
  assert.equal(await snarkjs.groth16.verify(bound, statement, p.proof), noble, 'snarkjs and noble disagree');
  return noble;
}

before(async () => {
  let setup: Awaited<ReturnType<typeof commitToySetup>>['setup'];
  ({ circuit, setup } = await commitToySetup());
  vkey = setup.vkey;
  zkeyPath = setup.zkeyPath;
  key = await loadOrCreateKey(setup.vkeyHash);
  stmtVkey = statementVkey(vkey, key);

  ({ chain, provider, owner, alice, bob } = await startTestChain());
  const installed = await installCommittedVerifier({ contractName: 'CommitToyCommittedVerifier', statementVkey: stmtVkey });
  verifierAddress = await deployArtifact(owner, installed.artifact);
  verifier = new Contract(verifierAddress, installed.artifact.abi, provider);
  const boundToy = await boundPedersenToy();
  const boundKey = await loadOrCreateKey(boundToy.setup.vkeyHash, boundToy.setup.vkey, BOUND_PEDERSEN_COMMITTED, 'bound-pedersen-toy');
  const boundStmt = statementVkey(boundToy.setup.vkey, boundKey);
  const boundInstalled = await installCommittedVerifier({ contractName: 'BoundPedersenToyVerifier', statementVkey: boundStmt });
  bound = {
    circuit: boundToy.circuit,
    zkeyPath: boundToy.setup.zkeyPath,
    key: boundKey,
    stmtVkey: boundStmt,
    verifierAddress: await deployArtifact(owner, boundInstalled.artifact),
  };
  const deployed = await deployInference({ signer: owner });
  registryAddress = deployed.ModelRegistry;
  attestorAddress = deployed.InferenceAttestor;
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
  await releaseVerifierResources();
});

describe('committed verifier (generated Solidity)', () => {
  test('the source is refused for a key without zkai_commitment or a bad contract name', () => {
    assert.throws(() => committedVerifierSolidity(vkey, 'Toy'), /no zkai_commitment/);
    assert.throws(() => committedVerifierSolidity(stmtVkey, 'not-a-name'), /contract name/);
    const badIc = { ...stmtVkey, IC: [...(stmtVkey.IC as unknown[]).slice(0, 2), ['1', '3', '1']] };
    assert.throws(() => committedVerifierSolidity(badIc, 'Toy'), /not a point on the BN254 curve/);
    const n = MAX_COMMITTED_STATEMENT_SIGNALS + 1;
    const info = stmtVkey.zkai_commitment as { publicIndices: number[] };
    const huge = {
      ...stmtVkey,
      nPublic: n,
      IC: Array(n + 1).fill((stmtVkey.IC as unknown[])[0]),
      zkai_commitment: { ...info, circuitPublic: n + info.publicIndices.length },
    };
    assert.throws(() => committedVerifierSolidity(huge, 'Toy'), /EIP-170/);
    assert.match(committedVerifierSolidity(stmtVkey, 'Toy'), /uint256\[2\] calldata c,\s+uint256\[2\] calldata pubSignals,/);
  });

  test('verifyProof agrees with bindCommitment + snarkjs/noble, honest and tampered', async () => {
    const w = [3n, 5n, 7n];
    const blind = randomScalar();
    const p = await prove(11n, w, blind);
    assert.deepEqual(p.statement, ['38', '77']);
    const honest = await commitPublicInputs(key, [...w, blind]);
    const other = await commitPublicInputs(key, [3n, 6n, 7n, blind]);
    const shifted = g1Json(g1(honest.point, 'W').subtract(g1((stmtVkey.IC as unknown[])[1], 'IC1')));
    const cases: [string, string[], G1Json, boolean][] = [
      ['honest', p.statement, honest.point, true],
      ['changed output', ['38', '78'], honest.point, false],
      ['changed input signal', ['39', '77'], honest.point, false],
      ['other weights', p.statement, other.point, false],
      // The forgery the proof of knowledge exists for: a bare point W − IC_y does verify y + 1.
      ['shifted point (forgeable without the knowledge check)', ['39', '77'], shifted, true],
    ];
    for (const [what, statement, point, expected] of cases) {
      assert.equal(await offChainVerify(p, statement, point), expected, `off chain: ${what}`);
      assert.equal(await onChainVerify(p, statement, point), expected, `on chain: ${what}`);
    }
  });

  test('verifyCommitment agrees with checkCommitmentKnowledge', async () => {
    const honest = await commitPublicInputs(key, [1n, 2n, 3n, randomScalar()]);
    const shifted = g1Json(g1(honest.point, 'W').subtract(g1((stmtVkey.IC as unknown[])[1], 'IC1')));
    const cases: [string, PublicInputCommitment, boolean][] = [
      ['honest', honest, true],
      ['shifted point, honest K', { point: shifted, knowledge: honest.knowledge }, false],
      ['random K', { point: honest.point, knowledge: g1Json(bn254.G1.Point.BASE.multiply(randomScalar())) }, false],
      ['K = W', { point: honest.point, knowledge: honest.point }, false],
    ];
    for (const [what, c, expected] of cases) {
      assert.equal(checkCommitmentKnowledge(key.kappa_2, c), expected, `off chain: ${what}`);
      assert.equal(await verifier.verifyCommitment(g1Evm(c.point), g1Evm(c.knowledge)), expected, `on chain: ${what}`);
    }
  });

  test('bad input is a plain false, not a revert', async () => {
    const w = [2n, 4n, 6n];
    const blind = randomScalar();
    const p = await prove(5n, w, blind);
    const c = await commitPublicInputs(key, [...w, blind]);
    const { a, b, c: pc, pubSignals } = toSolidityCalldata(p.proof, p.statement);
    const W = g1Evm(c.point);
    assert.equal(await verifier.verifyProof(a, b, pc, pubSignals, W), true);
    // A signal ≥ r (the same value mod r would verify).
    assert.equal(await verifier.verifyProof(a, b, pc, [pubSignals[0]! + R, pubSignals[1]!], W), false);
    // Points off the curve, coordinates ≥ q, and B not on the twist (the pairing precompile fails).
    assert.equal(await verifier.verifyProof(a, b, pc, pubSignals, [W[0], W[1] + 1n]), false);
    assert.equal(await verifier.verifyProof([a[0], a[1] + 1n], b, pc, pubSignals, W), false);
    assert.equal(await verifier.verifyProof(a, b, [pc[0], pc[1] + 1n], pubSignals, W), false);
    assert.equal(await verifier.verifyProof(a, [[b[0]![0]!, b[0]![1]! + 1n], b[1]], pc, pubSignals, W), false);
    assert.equal(await verifier.verifyProof(a, [[2n ** 256n - 1n, b[0]![1]!], b[1]], pc, pubSignals, W), false);
    assert.equal(await verifier.verifyCommitment([W[0], W[1] + 1n], g1Evm(c.knowledge)), false);
    assert.equal(await verifier.verifyCommitment(W, [1n, 1n]), false);
  });
});

describe('ModelRegistry / InferenceAttestor with a point-committed model', () => {
  const w = [3n, 5n, 7n];
  const blind = randomScalar();
  let honest: PublicInputCommitment;
  let proof: ToyProof;
  let modelId: string;
  let weightCommitment: bigint;
  let signals: string[];

  before(async () => {
    honest = await commitPublicInputs(bound.key, [...w, blind]);
    proof = await proveBound(11n, w, blind, owner.address);
    weightCommitment = commitmentId(honest.point);
    signals = committedAttestSignals(weightCommitment.toString(), proof.statement);
  });

  test('registerCommittedModel stores the point under the id computed off chain, once', async (t) => {
    const registry = registryAs(owner);
    const countBefore = await registry.modelCount();
    const verifierAddress = bound.verifierAddress;
    const res = await registerCommittedModel(registry, {
      commitment: honest,
      circuitId: CIRCUIT,
      verifier: verifierAddress,
      numPublicSignals: 4,
      datasetRoot: 9n,
    });
    t.diagnostic(`registerCommittedModel gas: ${res.receipt.gasUsed}`);
    modelId = res.modelId;
    assert.equal(res.weightCommitment, weightCommitment);
    assert.equal(await registry.commitmentPointId(g1Evm(honest.point)), weightCommitment);
    assert.equal(modelId, computeModelId(owner.address, weightCommitment, CIRCUIT, verifierAddress));
    const block = await provider.getBlock(res.receipt.blockNumber);
    assert.deepEqual(await getModel(registry, modelId), {
      modelId,
      weightCommitment,
      circuitId: CIRCUIT,
      datasetRoot: 9n,
      verifier: verifierAddress,
      numPublicSignals: 4,
      registeredAt: block?.timestamp,
      owner: owner.address,
      active: true,
      pointCommitted: true,
      registrant: owner.address,
    });
    assert.deepEqual(await getCommitmentPoint(registry, modelId), g1Evm(honest.point));
    const ev = res.receipt.logs.map((l) => registry.interface.parseLog(l)).find((e) => e?.name === 'CommitmentPointRegistered');
    assert.ok(ev);
    assert.equal(ev.args.modelId, modelId);
    assert.deepEqual([...ev.args.commitment], g1Evm(honest.point));
    assert.equal(await registry.modelCount(), countBefore + 1n);

    await assertReverts(
      registerCommittedModel(registry, { commitment: honest, circuitId: CIRCUIT, verifier: verifierAddress, numPublicSignals: 4 }),
      'ModelExists',
    );
  });

  test('attest accepts the real proof; the attestation carries the statement signals', async (t) => {
    const res = await attestInference(attestorAs(bob), modelId, proof.proof, signals);
    t.diagnostic(`attest gas (point-committed, 3 statement signals incl. the binding): ${res.receipt.gasUsed}`);
    assert.equal(res.attestationId, attestationIdOf(modelId, signals));
    assert.equal(res.inputHash, BigInt(proof.statement[0]!));
    // The outputs are the signals between the input hash and the binding.
    assert.deepEqual(res.outputs, [BigInt(proof.statement[1]!)]);
    assert.equal(res.outputsHash, outputsHashOf(proof.statement.slice(1, -1)));
    const record = await getAttestation(attestorAs(owner), res.attestationId);
    assert.equal(record.modelId, modelId);
    assert.equal(record.prover, bob.address);
    await assertReverts(attestInference(attestorAs(alice), modelId, proof.proof, signals), 'AlreadyAttested');
  });

  test('a changed statement signal is InvalidProof; a wrong signal 0 is CommitmentMismatch; a wrong count WrongSignalCount', async () => {
    const changed = (i: number) => signals.map((s, j) => (j === i ? String(BigInt(s) + 1n) : s));
    await assertReverts(attestInference(attestorAs(bob), modelId, proof.proof, changed(2)), 'InvalidProof');
    await assertReverts(attestInference(attestorAs(bob), modelId, proof.proof, changed(1)), 'InvalidProof');
    await assertReverts(attestInference(attestorAs(bob), modelId, proof.proof, changed(0)), 'CommitmentMismatch');
    // The binding is checked against the registrant before the proof: another value is BindingMismatch.
    await assertReverts(attestInference(attestorAs(bob), modelId, proof.proof, changed(3)), 'BindingMismatch');
    // The plain (circuit) signals are not what a committed model attests.
    await assertReverts(attestInference(attestorAs(bob), modelId, proof.proof, proof.publicSignals), 'WrongSignalCount');
  });

  test('a proof for other weights fails under this model, and passes only under its own', async () => {
    const otherW = [3n, 6n, 7n];
    const otherBlind = randomScalar();
    const other = await commitPublicInputs(bound.key, [...otherW, otherBlind]);
    const otherId = commitmentId(other.point);
    const second = await registerCommittedModel(registryAs(owner), {
      commitment: other,
      circuitId: CIRCUIT,
      verifier: bound.verifierAddress,
      numPublicSignals: 4,
    });
    assert.notEqual(second.modelId, modelId);
    // The honest weights' proof, attested as the other model: the verifier binds it to the other point.
    await assertReverts(
      attestInference(attestorAs(bob), second.modelId, proof.proof, committedAttestSignals(otherId, proof.statement)),
      'InvalidProof',
    );
    // The other weights' proof, attested as the first model (with the first model's id): InvalidProof.
    const otherProof = await proveBound(11n, otherW, otherBlind, owner.address);
    assert.deepEqual(otherProof.statement.slice(0, 2), ['39', '77']);
    await assertReverts(
      attestInference(attestorAs(bob), modelId, otherProof.proof, committedAttestSignals(weightCommitment, otherProof.statement)),
      'InvalidProof',
    );
    const ok = await attestInference(
      attestorAs(bob),
      second.modelId,
      otherProof.proof,
      committedAttestSignals(otherId, otherProof.statement),
    );
    assert.equal(ok.inputHash, 39n);
  });

  test('registration refuses a commitment without a valid proof of knowledge', async () => {
    const registry = registryAs(alice);
    const ic = (bound.stmtVkey.IC as unknown[]).map((p, i) => g1(p, `IC[${i}]`));
    const W = g1(honest.point, 'W');
    const base = { circuitId: CIRCUIT, verifier: bound.verifierAddress, numPublicSignals: 4 };
    const forged: [string, PublicInputCommitment][] = [
      // Shifts the statement (y + 1 would verify), with the honest K.
      ['W − IC_y, honest K', { point: g1Json(W.subtract(ic[1]!)), knowledge: honest.knowledge }],
      ['honest W, random K', { point: honest.point, knowledge: g1Json(bn254.G1.Point.BASE.multiply(randomScalar())) }],
      // Cancels the whole statement so that A = α, B = β, C = 0 would "prove" y = 1, z = 2, binding = 3.
      [
        'W = −(IC0 + IC1 + 2·IC2 + 3·IC3)',
        { point: g1Json(ic[0]!.add(ic[1]!).add(ic[2]!.multiply(2n)).add(ic[3]!.multiply(3n)).negate()), knowledge: honest.knowledge },
      ],
    ];
    for (const [what, commitment] of forged) {
      assert.equal(checkCommitmentKnowledge(bound.key.kappa_2, commitment), false, what);
      await assertReverts(registerCommittedModel(registry, { ...base, commitment }), 'InvalidCommitmentProof');
    }
    // A verifier without verifyCommitment (a plain contract) never vouches for a commitment.
    const plain = await deployContract(owner, 'MockInferenceVerifier');
    await assertReverts(registerCommittedModel(registry, { ...base, verifier: plain, commitment: honest }), 'InvalidCommitmentProof');
    // The shared validations come first, with registerModel's errors.
    await assertReverts(registerCommittedModel(registry, { ...base, numPublicSignals: 3, commitment: honest }), 'InvalidSignalCount');
    await assertReverts(registerCommittedModel(registry, { ...base, verifier: bob.address, commitment: honest }), 'VerifierNotContract');
    await assertReverts(
      registerCommittedModel(registry, { ...base, circuitId: `0x${'00'.repeat(32)}`, commitment: honest }),
      'ZeroCircuitId',
    );
    await assertReverts(registerCommittedModel(registry, { ...base, datasetRoot: R, commitment: honest }), 'DatasetRootOutOfField');
  });

  test('plain (Poseidon) models are not point-committed and have no point', async () => {
    const plain = await deployContract(owner, 'MockInferenceVerifier');
    const { modelId: plainId } = await registerModel(registryAs(owner), {
      weightCommitment: 4242n,
      circuitId: CIRCUIT,
      verifier: plain,
      numPublicSignals: 4,
    });
    assert.equal((await getModel(registryAs(owner), plainId)).pointCommitted, false);
    await assertReverts(getCommitmentPoint(registryAs(owner), plainId), 'NotPointCommitted');
    await assertReverts(getCommitmentPoint(registryAs(owner), id('unknown')), 'NotPointCommitted');
  });

  test('verifyCommittedSelector is the selector of the committed verifier ABI', async () => {
    for (const n of [2, 3, 10, 1023]) {
      assert.equal(
        await attestorAs(owner).verifyCommittedSelector(n),
        id(`verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${n}],uint256[2])`).slice(0, 10),
      );
    }
    assert.equal(
      await attestorAs(owner).verifyCommittedSelector(2),
      verifier.interface.getFunction('verifyProof')?.selector,
      'the generated verifier has the selector the attestor calls',
    );
  });
});
