import {
  AbiCoder,
  Contract,
  type ContractRunner,
  getAddress,
  isAddress,
  keccak256,
  type Signer,
  sha256,
  solidityPackedKeccak256,
  type TransactionReceipt,
  toUtf8Bytes,
} from 'ethers';
import { BN254_R } from '../common/bn254.ts';
import { ZkaiError } from '../common/errors.ts';
import { g1Evm, type PublicInputCommitment } from '../prover/commitment.ts';
import { compileContracts } from './compile.ts';
import { deployContract } from './deploy.ts';
import { call, findEvent, send } from './tx.ts';
import { type SnarkjsProof, toSolidityCalldata } from './vault.ts';

/** ModelRegistry's ABI, written out so the bindings work without local artifacts; a test checks it against the compiled one. */
export const MODEL_REGISTRY_ABI = [
  'function SNARK_SCALAR_FIELD() view returns (uint256)',
  'function MIN_PUBLIC_SIGNALS() view returns (uint256)',
  'function MAX_PUBLIC_SIGNALS() view returns (uint256)',
  'function modelCount() view returns (uint256)',
  'function computeModelId(address registrant, uint256 weightCommitment, bytes32 circuitId, address verifier) pure returns (bytes32)',
  'function registerModel(uint256 weightCommitment, bytes32 circuitId, address verifier, uint256 numPublicSignals, uint256 datasetRoot) returns (bytes32 modelId)',
  'function registerCommittedModel(uint256[2] commitment, uint256[2] knowledge, bytes32 circuitId, address verifier, uint256 numPublicSignals, uint256 datasetRoot) returns (bytes32 modelId)',
  'function commitmentPointId(uint256[2] commitment) pure returns (uint256)',
  'function getCommitmentPoint(bytes32 modelId) view returns (uint256[2])',
  'function deactivateModel(bytes32 modelId)',
  'function transferModelOwnership(bytes32 modelId, address newOwner)',
  'function getModel(bytes32 modelId) view returns (tuple(uint256 weightCommitment, bytes32 circuitId, uint256 datasetRoot, address verifier, uint32 numPublicSignals, uint64 registeredAt, address owner, bool active, bool pointCommitted, address registrant))',
  'function isRegistered(bytes32 modelId) view returns (bool)',
  'event ModelRegistered(bytes32 indexed modelId, address indexed owner, uint256 weightCommitment, bytes32 indexed circuitId, address verifier, uint256 numPublicSignals, uint256 datasetRoot)',
  'event CommitmentPointRegistered(bytes32 indexed modelId, uint256[2] commitment)',
  'event ModelDeactivated(bytes32 indexed modelId, address indexed owner)',
  'event ModelOwnershipTransferred(bytes32 indexed modelId, address indexed previousOwner, address indexed newOwner)',
  'error UnknownModel(bytes32 modelId)',
  'error ModelExists(bytes32 modelId)',
  'error NotOwner(bytes32 modelId, address caller)',
  'error ZeroVerifier()',
  'error VerifierNotContract(address verifier)',
  'error ZeroCircuitId()',
  'error ZeroOwner()',
  'error CommitmentOutOfField(uint256 weightCommitment)',
  'error DatasetRootOutOfField(uint256 datasetRoot)',
  'error InvalidSignalCount(uint256 numPublicSignals)',
  'error ModelInactive(bytes32 modelId)',
  'error InvalidCommitmentProof()',
  'error NotPointCommitted(bytes32 modelId)',
] as const;

/** InferenceAttestor's ABI (see MODEL_REGISTRY_ABI). */
export const INFERENCE_ATTESTOR_ABI = [
  'constructor(address registry_)',
  'function SNARK_SCALAR_FIELD() view returns (uint256)',
  'function registry() view returns (address)',
  'function attestationCount() view returns (uint256)',
  'function attest(bytes32 modelId, uint256[2] a, uint256[2][2] b, uint256[2] c, uint256[] publicSignals) returns (bytes32 attestationId)',
  'function attestWithLookup(bytes32 modelId, uint256[2] a, uint256[2][2] b, uint256[2] c, uint256[] publicSignals, uint256[2] lookupCommitment, uint256[2] lookupKnowledge) returns (bytes32 attestationId)',
  'function getAttestation(bytes32 attestationId) view returns (tuple(bytes32 modelId, uint256 inputHash, bytes32 outputsHash, address prover, uint48 timestamp, uint48 blockNumber))',
  'function isAttested(bytes32 attestationId) view returns (bool)',
  'function verifySelector(uint256 n) pure returns (bytes4)',
  'function verifyCommittedSelector(uint256 n) pure returns (bytes4)',
  'function verifyLookupSelector(uint256 n) pure returns (bytes4)',
  'function verifyCommittedLookupSelector(uint256 n) pure returns (bytes4)',
  'event InferenceAttested(bytes32 indexed attestationId, bytes32 indexed modelId, uint256 inputHash, bytes32 outputsHash, address indexed prover, uint256[] outputs)',
  'error ZeroRegistry()',
  'error UnknownModel(bytes32 modelId)',
  'error ModelInactive(bytes32 modelId)',
  'error WrongSignalCount(bytes32 modelId, uint256 expected, uint256 actual)',
  'error CommitmentMismatch(bytes32 modelId, uint256 expected, uint256 actual)',
  'error BindingMismatch(bytes32 modelId, address registrant, uint256 binding)',
  'error SignalOutOfField(uint256 index, uint256 value)',
  'error AlreadyAttested(bytes32 attestationId)',
  'error InvalidProof()',
] as const;

/** BN254 scalar field order. */
const SNARK_R = BN254_R;
const abi = AbiCoder.defaultAbiCoder();

/** A model as ModelRegistry stores it. */
export interface ModelRecord {
  modelId: string;
  /** The Poseidon commitment, or for a point-committed model its point's id (commitmentId in prover/commitment.ts). */
  weightCommitment: bigint;
  /** bytes32, 0x-prefixed hex. */
  circuitId: string;
  /** 0n = no training dataset declared. */
  datasetRoot: bigint;
  verifier: string;
  numPublicSignals: number;
  /** Unix seconds. */
  registeredAt: number;
  owner: string;
  active: boolean;
  /** True for a model registered with registerCommittedModel (commit-and-prove; its point: getCommitmentPoint). */
  pointCommitted: boolean;
  /** Who registered it (part of the id, never changes): the binding every attested proof of this model carries. */
  registrant: string;
}

/** An inference attestation as InferenceAttestor stores it. */
export interface AttestationRecord {
  attestationId: string;
  modelId: string;
  inputHash: bigint;
  /** keccak256 of the output signals (the public signals between the input hash and the binding), packed as 32-byte words. */
  outputsHash: string;
  prover: string;
  /** Unix seconds. */
  timestamp: number;
  blockNumber: number;
}

export interface RegisterModelParams {
  /** Poseidon commitment of the quantized weights (public signal 0 of the model's proofs). */
  weightCommitment: bigint;
  /** bytes32 hex, e.g. circuitIdHash('mnist-q8-…'). */
  circuitId: string;
  /** Address of the circuit's deployed Groth16 verifier. */
  verifier: string;
  /** N, the number of public signals the verifier takes. */
  numPublicSignals: number;
  /** Training dataset Merkle root; default 0 (none). */
  datasetRoot?: bigint;
}

export interface RegisterCommittedModelParams {
  /** The weights' (and blind's) Pedersen commitment with its proof of knowledge (prover/commitment.ts commitPublicInputs). */
  commitment: PublicInputCommitment;
  /** bytes32 hex, e.g. circuitIdHash('mnist-q8-…'). */
  circuitId: string;
  /** Address of the circuit's deployed committed verifier (committed-verifier.ts). */
  verifier: string;
  /** Signals an attestation carries: the statement's signals + 1 (signal 0 is the commitment id). */
  numPublicSignals: number;
  /** Training dataset Merkle root; default 0 (none). */
  datasetRoot?: bigint;
}

export interface InferenceContracts {
  chainId: number;
  ModelRegistry: string;
  InferenceAttestor: string;
}

/** Handle on a deployed ModelRegistry; send transactions by passing a Signer as runner. */
export function modelRegistryAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, MODEL_REGISTRY_ABI, runner);
}

/** Handle on a deployed InferenceAttestor; send transactions by passing a Signer as runner. */
export function inferenceAttestorAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, INFERENCE_ATTESTOR_ABI, runner);
}

/** The registry's circuit id for a circuit id string: its sha256, as bytes32 hex. */
export function circuitIdHash(circuitId: string): string {
  return sha256(toUtf8Bytes(circuitId));
}

/** The id ModelRegistry.registerModel gives these parameters when `registrant` registers them (computed off chain). */
export function computeModelId(registrant: string, weightCommitment: bigint, circuitId: string, verifier: string): string {
  return keccak256(abi.encode(['address', 'uint256', 'bytes32', 'address'], [registrant, weightCommitment, circuitId, verifier]));
}

/** The id InferenceAttestor gives the statement (model, public signals): keccak256(abi.encode(modelId, publicSignals)). */
export function attestationIdOf(modelId: string, publicSignals: readonly (bigint | string)[]): string {
  return keccak256(abi.encode(['bytes32', 'uint256[]'], [modelId, publicSignals.map((s) => BigInt(s))]));
}

/**
 * keccak256 of output signals packed as 32-byte words, as the attestor computes `outputsHash`: pass the signals
 * between the input hash and the binding, publicSignals.slice(2, -1).
 */
export function outputsHashOf(outputs: readonly (bigint | string)[]): string {
  return solidityPackedKeccak256(
    outputs.map(() => 'uint256'),
    outputs.map((s) => BigInt(s)),
  );
}

/**
 * The binding signal for a registrant: its address as a uint160 field element. A model circuit's last public signal;
 * InferenceAttestor attests a proof only under a model whose registrant it names (BindingMismatch otherwise).
 */
export function bindingOf(registrant: string): bigint {
  if (!isAddress(registrant)) throw new ZkaiError('BAD_INPUT', `binding: ${JSON.stringify(registrant)} is not an Ethereum address`);
  return BigInt(getAddress(registrant));
}

/** The address a binding signal names, checksummed; BAD_INPUT for a value that is no 160-bit address. */
export function bindingAddress(signal: bigint | string): string {
  const v = BigInt(signal);
  if (v < 0n || v >= 1n << 160n) throw new ZkaiError('BAD_INPUT', `binding ${v} is not a 160-bit address`);
  return getAddress(`0x${v.toString(16).padStart(40, '0')}`);
}

/** A signed integer (e.g. a logit) as a field element: v mod r, so −1 is r − 1. */
export function toFieldSignal(v: bigint): bigint {
  return ((v % SNARK_R) + SNARK_R) % SNARK_R;
}

/** Inverse of toFieldSignal: field elements above (r − 1) / 2 are read as negative. */
export function fromFieldSignal(s: bigint | string): bigint {
  const x = BigInt(s);
  if (x < 0n || x >= SNARK_R) throw new ZkaiError('BAD_INPUT', `signal ${x} is outside the field`);
  return x > (SNARK_R - 1n) / 2n ? x - SNARK_R : x;
}

/**
 * Registers a model with the signer of `registry` as owner. Returns its id (from the ModelRegistered event) and the
 * receipt. Reverts map to CONTRACT_REVERTED with details.contractError (ModelExists, VerifierNotContract, …).
 */
export async function registerModel(
  registry: Contract,
  params: RegisterModelParams,
): Promise<{ modelId: string; receipt: TransactionReceipt }> {
  const receipt = await send(registry, 'ModelRegistry', 'registerModel', [
    params.weightCommitment,
    params.circuitId,
    params.verifier,
    params.numPublicSignals,
    params.datasetRoot ?? 0n,
  ]);
  const ev = findEvent(registry, receipt, 'ModelRegistered');
  return { modelId: ev.args.modelId as string, receipt };
}

/**
 * Registers a point-committed (commit-and-prove) model with the signer of `registry` as owner: the verifier must
 * accept the commitment's proof of knowledge, else CONTRACT_REVERTED with contractError InvalidCommitmentProof.
 * The model's weightCommitment is commitmentId(commitment.point) (prover/commitment.ts). Returns its id and the receipt.
 */
export async function registerCommittedModel(
  registry: Contract,
  params: RegisterCommittedModelParams,
): Promise<{ modelId: string; weightCommitment: bigint; receipt: TransactionReceipt }> {
  let point: [bigint, bigint];
  let knowledge: [bigint, bigint];
  try {
    point = g1Evm(params.commitment.point);
    knowledge = g1Evm(params.commitment.knowledge);
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `commitment: expected snarkjs G1 points { point, knowledge }: ${(err as Error).message}`);
  }
  const receipt = await send(registry, 'ModelRegistry', 'registerCommittedModel', [
    point,
    knowledge,
    params.circuitId,
    params.verifier,
    params.numPublicSignals,
    params.datasetRoot ?? 0n,
  ]);
  const ev = findEvent(registry, receipt, 'ModelRegistered');
  return { modelId: ev.args.modelId as string, weightCommitment: ev.args.weightCommitment as bigint, receipt };
}

/** A point-committed model's commitment point [x, y]; CONTRACT_REVERTED (NotPointCommitted) for any other id. */
export async function getCommitmentPoint(registry: Contract, modelId: string): Promise<[bigint, bigint]> {
  const p = (await call(registry, 'ModelRegistry', 'getCommitmentPoint', [modelId])) as bigint[];
  return [p[0]!, p[1]!];
}

/**
 * The public signals to attest for a point-committed model: [commitment id, ...statement signals], where the
 * statement signals are the proof's (prover/commitment.ts statementSignals) and the id is commitmentId(point) in
 * decimal. Pass them, with the proof, to attestInference.
 */
export function committedAttestSignals(commitmentIdDecimal: string | bigint, statementSignals: readonly string[]): string[] {
  return [BigInt(commitmentIdDecimal).toString(), ...statementSignals];
}

/** Retires a model for good (owner only): it accepts no new attestations. */
export async function deactivateModel(registry: Contract, modelId: string): Promise<TransactionReceipt> {
  return send(registry, 'ModelRegistry', 'deactivateModel', [modelId]);
}

/** Hands a model to `newOwner` (owner only); its id does not change. */
export async function transferModelOwnership(registry: Contract, modelId: string, newOwner: string): Promise<TransactionReceipt> {
  return send(registry, 'ModelRegistry', 'transferModelOwnership', [modelId, newOwner]);
}

/** A registered model's record; NOT_FOUND when no model has this id. */
export async function getModel(registry: Contract, modelId: string): Promise<ModelRecord> {
  const m = (await call(registry, 'ModelRegistry', 'getModel', [modelId])) as {
    weightCommitment: bigint;
    circuitId: string;
    datasetRoot: bigint;
    verifier: string;
    numPublicSignals: bigint;
    registeredAt: bigint;
    owner: string;
    active: boolean;
    pointCommitted: boolean;
    registrant: string;
  };
  if (BigInt(m.owner) === 0n) throw new ZkaiError('NOT_FOUND', `no model ${modelId} in the registry`, { modelId });
  return {
    modelId,
    weightCommitment: m.weightCommitment,
    circuitId: m.circuitId,
    datasetRoot: m.datasetRoot,
    verifier: getAddress(m.verifier),
    numPublicSignals: Number(m.numPublicSignals),
    registeredAt: Number(m.registeredAt),
    owner: getAddress(m.owner),
    active: m.active,
    pointCommitted: m.pointCommitted,
    registrant: getAddress(m.registrant),
  };
}

/** A lookup proof's D and its proof of knowledge K as the contracts take them: [D.x, D.y], [K.x, K.y]. */
export function lookupWords(lookup: PublicInputCommitment): [[bigint, bigint], [bigint, bigint]] {
  return [g1Evm(lookup.point), g1Evm(lookup.knowledge)];
}

/**
 * Submits an inference proof (snarkjs JSON and its public signals) to the attestor for `modelId`. Returns the
 * attestation id, the output signals the event carried, and the receipt. For a point-committed model the signals
 * are committedAttestSignals(id, statement signals): the attestor hands the statement and the registered point to
 * the model's committed verifier. Reverts map to CONTRACT_REVERTED with
 * details.contractError (InvalidProof, CommitmentMismatch, BindingMismatch, AlreadyAttested, …); a malformed proof is BAD_BUNDLE.
 * A proof of a model compiled with lookups passes its bundle's `lookupCommitment` (D and K): attestWithLookup.
 */
export async function attestInference(
  attestor: Contract,
  modelId: string,
  proof: SnarkjsProof | object,
  publicSignals: readonly string[],
  lookup?: PublicInputCommitment,
): Promise<{ attestationId: string; inputHash: bigint; outputsHash: string; outputs: bigint[]; receipt: TransactionReceipt }> {
  if (!Array.isArray(publicSignals) || publicSignals.length < 2) {
    throw new ZkaiError(
      'BAD_BUNDLE',
      `an inference proof has at least 2 public signals [weightCommitment, inputHash, …], got ${publicSignals?.length}`,
    );
  }
  const { a, b, c, pubSignals } = toSolidityCalldata(proof, publicSignals);
  const receipt = lookup
    ? await send(attestor, 'InferenceAttestor', 'attestWithLookup', [modelId, a, b, c, pubSignals, ...lookupWords(lookup)])
    : await send(attestor, 'InferenceAttestor', 'attest', [modelId, a, b, c, pubSignals]);
  const ev = findEvent(attestor, receipt, 'InferenceAttested');
  return {
    attestationId: ev.args.attestationId as string,
    inputHash: ev.args.inputHash as bigint,
    outputsHash: ev.args.outputsHash as string,
    outputs: [...(ev.args.outputs as bigint[])],
    receipt,
  };
}

/** An attestation's record; NOT_FOUND when nothing was attested under this id. */
export async function getAttestation(attestor: Contract, attestationId: string): Promise<AttestationRecord> {
  const r = (await call(attestor, 'InferenceAttestor', 'getAttestation', [attestationId])) as {
    modelId: string;
    inputHash: bigint;
    outputsHash: string;
    prover: string;
    timestamp: bigint;
    blockNumber: bigint;
  };
  if (BigInt(r.prover) === 0n) throw new ZkaiError('NOT_FOUND', `no attestation ${attestationId}`, { attestationId });
  return {
    attestationId,
    modelId: r.modelId,
    inputHash: r.inputHash,
    outputsHash: r.outputsHash,
    prover: getAddress(r.prover),
    timestamp: Number(r.timestamp),
    blockNumber: Number(r.blockNumber),
  };
}

/** Compiles the contracts (a no-op when unchanged) and deploys a ModelRegistry and an InferenceAttestor bound to it. */
export async function deployInference(opts: { signer: Signer; log?: (msg: string) => void }): Promise<InferenceContracts> {
  const network = await opts.signer.provider?.getNetwork();
  if (!network) throw new ZkaiError('BAD_INPUT', 'the signer must be connected to a provider');
  await compileContracts({ log: opts.log });
  const registry = await deployContract(opts.signer, 'ModelRegistry');
  opts.log?.(`contracts: ModelRegistry at ${registry}`);
  const attestor = await deployContract(opts.signer, 'InferenceAttestor', [registry]);
  opts.log?.(`contracts: InferenceAttestor at ${attestor}`);
  return { chainId: Number(network.chainId), ModelRegistry: registry, InferenceAttestor: attestor };
}
