/**
 * Model inference proofs: compile an ONNX model into a quantized circuit with committed weights
 * (once, into a model directory), then prove inferences on the warm pool as self-describing bundles.
 *
 * Model directory layout (what `zkai model compile --out <dir>` writes):
 *   model.json      ModelManifest: circuit id, weight commitment, public-signal names, constraints per layer,
 *                   float-vs-quantized agreement, setup identity
 *   quantized.json  the QuantizedModel (integer weights: private to the provider, keep it so)
 *   opening.json    with Pedersen weights: the commitment's blind (private too: with the weights it opens W), and
 *                   W and K cached, bound to hashes of what they were computed from (model-commitment.ts)
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuiltCircuit } from '../circuits/build.ts';
import {
  buildModelCircuit,
  type CodegenOptions,
  compileGeneratedModel,
  generateCircom,
  type LayerCost,
  type ModelCircuit,
  modelCircuitInput,
} from '../circuits/model/codegen.ts';
import { inputHash, weightCommitment, weightElements } from '../circuits/model/commit.ts';
import { estimateConstraints, statementSignalCount } from '../circuits/model/cost.ts';
import { importOnnx, untrustedStrings } from '../circuits/model/import.ts';
import { quantizeInput, runInt } from '../circuits/model/int-exec.ts';
import { shapeSize } from '../circuits/model/ir.ts';
import type { LookupsMode } from '../circuits/model/logup-emit.ts';
import { type AgreementReport, evaluateAgreementYielding, type QuantizedModel, quantizeModel } from '../circuits/model/quantize.ts';
import { ZkaiError } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { canonicalJson, sha256File, sha256Hex } from '../common/hash.ts';
import { MAX_STATEMENT_SIGNALS, makeBundle, type ProofBundle, proofMetadata } from './bundle.ts';
import {
  type CommitmentKey,
  commitmentId,
  type PublicInputCommitment,
  randomScalar,
  statementSignals,
  statementVkey,
} from './commitment.ts';
import { commitmentMsmEngine } from './commitment-msm.ts';
import type { LookupLayout } from './lookup/circuit.ts';
import { ensureLookupSetup, LOOKUP_KEY_FILE, type LookupSetup, loadLookupSetup, lookupStatementKey } from './lookup/setup.ts';
import { cachedCommitment, OPENING_FILE, readOpening, writeOpening } from './model-commitment.ts';
import { deserialise, readCalibrationCsv, serialise } from './model-io.ts';
import type { ProverPool } from './pool.ts';
import { type CompilePhase, type CompileProgress, compilePercent, type OnPhase, type SetupStep } from './progress.ts';
import { defaultPtau } from './setup/groth16-setup.ts';
import { type CircuitSetup, ensureCircuitSetup, ensureCommitmentKey } from './setup/index.ts';
import { powerFor } from './setup/ptau.ts';

export { deserialise, parseModelInput, readCalibrationCsv } from './model-io.ts';

/** The quantization parameters a model manifest records (the scalar fields of QuantizedModel). */
const QUANTIZATION_KEYS = ['weightBits', 'activationBits', 'inputBits', 'inputFracBits', 'outputBits', 'outputFracBits'] as const;
type QuantizationParams = Pick<QuantizedModel, (typeof QUANTIZATION_KEYS)[number]>;

export interface ModelManifest {
  format: 'zkai-model';
  version: 1;
  name: string;
  source: { file: string; sha256: string };
  circuitId: string;
  weights: CodegenOptions['weights'];
  input: CodegenOptions['input'];
  /**
   * 'logup': dense/conv range checks by LogUp lookups (docs/lookups.md): proofs take two rounds and bundles carry
   * the lookup commitment D. Absent: bit decompositions (every manifest written before lookups).
   */
  lookups?: 'logup';
  /**
   * The weights' commitment as a field element (decimal): the Poseidon hash of the packed weights and biases
   * ('private-committed'), or the id of the Pedersen commitment, keccak256(W) mod r ('private-pedersen': what
   * ModelRegistry and an attestation's signal 0 call it).
   */
  weightCommitment?: string;
  /** 'private-pedersen': the commitment W and its proof of knowledge (public; register these on chain). */
  commitment?: PublicInputCommitment;
  /** Names of the statement's public signals, as bundles carry them (with Pedersen weights: no committed ones). */
  publicSignals: string[];
  inputShape: number[];
  outputShape: number[];
  quantization: QuantizationParams;
  /**
   * total: circom's count. predicted (the code generator's) and measured (read from the .r1cs) must be equal, or the
   * compile fails (circuits/model/circuit-checks.ts); manifests written before that check have neither.
   */
  constraints: { total: number; predicted?: number; measured?: number; perLayer: LayerCost[] };
  agreement: AgreementReport;
  /** The hash of the key bundles carry: the setup's vkey, or with Pedersen weights its statement vkey. */
  vkeyHash: string;
  insecureSetup: boolean;
  setup: string;
  createdAt: string;
}

export interface CompiledModel {
  dir: string;
  manifest: ModelManifest;
  qm: QuantizedModel;
  model: ModelCircuit;
  setup: CircuitSetup;
  /** The verification key bundles carry: setup.vkey, or with Pedersen weights its statement key (commitment.ts). */
  vkey: Record<string, unknown>;
  /** With Pedersen weights: the opening (blind), the setup's commitment key and the commitment. */
  pedersen?: PedersenOpening;
  /** With lookups: the lookup key's file and the committed positions (the pool's CircuitKeys.lookup). */
  lookup?: { keyPath: string; committedIndices: number[]; alphaIndex: number };
}

export interface PedersenOpening {
  blind: bigint;
  key: CommitmentKey;
  commitment: PublicInputCommitment;
  /** Positions of the committed signals among the circuit's public signals. */
  publicIndices: number[];
}

/**
 * Commits to the model's packed weights and `blind` under the setup's commitment key (created on first use).
 * Deterministic for a given key and blind, so a model directory re-derives the same W after a restart; after a
 * `zkai setup contribute` the proof of knowledge changes with κ but W does not. W and K come from the model
 * directory's opening.json when it holds them for these weights, blind and bases (model-commitment.ts), and are
 * written back there when they had to be computed.
 */
async function pedersenOpening(
  dir: string,
  model: ModelCircuit,
  setup: CircuitSetup,
  qm: QuantizedModel,
  opening: Awaited<ReturnType<typeof readOpening>>,
  /**
   * compile: the blind must reach the disk; load (with the commitment id model.json names, checked before anything is
   * written back): a failed write only costs a recompute next time.
   */
  persist: 'required' | { expectId: string | undefined },
  log?: (msg: string) => void,
): Promise<PedersenOpening> {
  const names = model.generated.publicSignals;
  const publicIndices = model.generated.committedSignals.map((n) => names.indexOf(n));
  const key = await ensureCommitmentKey(setup, publicIndices, log);
  const values = [...weightElements(qm), opening.blind];
  const t = performance.now();
  const { commitment, recomputed } = await cachedCommitment(key, values, opening.cache);
  if (persist !== 'required' && commitmentId(commitment.point).toString() !== persist.expectId) {
    throw new ZkaiError('BAD_INPUT', `${dir}: the weights and blind do not open the commitment model.json names`);
  }
  if (recomputed.length > 0) {
    log?.(
      `Pedersen commitment: computed ${recomputed.join(' and ')} over ${values.length} elements (${commitmentMsmEngine()}, ${Math.round(performance.now() - t)} ms)`,
    );
    const written = writeOpening(dir, opening.blind, values, key, commitment);
    if (persist === 'required') await written;
    else await written.catch((err: Error) => log?.(`could not cache the commitment in ${dir}/${OPENING_FILE}: ${err.message}`));
  }
  return { blind: opening.blind, key, commitment, publicIndices };
}

export interface CompileModelOptions {
  outDir: string;
  name?: string;
  weights?: CodegenOptions['weights'];
  input?: CodegenOptions['input'];
  /** LogUp range checks (codegen.ts `lookups`); default 'off'. */
  lookups?: LookupsMode;
  log?: (msg: string) => void;
  /**
   * Told as the compile enters each phase and setup step, and as the setup's contribution moves (each whole percent
   * at most once): the job's progress, the CLI's progress line.
   */
  onProgress?: (progress: CompileProgress) => void;
  /**
   * Refuse (MODEL_TOO_LARGE) a circuit with more constraints than this: estimated from the graph before quantizing
   * (circuits/model/cost.ts), and counted again after circom, before the trusted setup.
   */
  maxConstraints?: number;
}

/**
 * Import an ONNX model, quantize it on the calibration rows, report float-vs-quantized agreement, generate and
 * compile its circuit, run the Groth16 setup, and write the model directory. Everything heavy is cached by content.
 */
export async function compileModel(onnxPath: string, calibrationCsv: string, opts: CompileModelOptions): Promise<CompiledModel> {
  const log = opts.log ?? (() => {});
  const weights = opts.weights ?? 'private-pedersen';
  const input = opts.input ?? 'private-hashed';
  const lookups = opts.lookups ?? 'off';
  const name =
    opts.name ??
    path
      .basename(onnxPath)
      .replace(/\.onnx$/i, '')
      .replace(/[^A-Za-z0-9_-]/g, '_');
  const phase = compileReporter(opts.onProgress);
  phase('import');
  const ir = importOnnx(onnxPath);
  // The graph alone says how large the circuit will be: refuse an oversized model before quantizing runs it on every
  // calibration row and circom compiles it (a 1 KB file can describe tens of millions of constraints).
  const estimate = estimateConstraints(ir, { weights, input });
  if (opts.maxConstraints !== undefined && estimate.total > opts.maxConstraints) {
    throw new ZkaiError(
      'MODEL_TOO_LARGE',
      `the circuit of ${name} would have about ${estimate.total} constraints (estimated from the graph), over the limit of ${opts.maxConstraints}`,
      { estimated: estimate.total, limit: opts.maxConstraints },
    );
  }
  // Every bundle the service makes must be one its /v1/verify accepts (committed inputs never reach a bundle).
  const statementLength = statementSignalCount(ir, { weights, input }) + (lookups === 'logup' ? 1 : 0);
  if (statementLength > MAX_STATEMENT_SIGNALS) {
    throw new ZkaiError(
      'MODEL_TOO_LARGE',
      `the proofs of ${name} would have ${statementLength} public signals, over the ${MAX_STATEMENT_SIGNALS} a verifier accepts (too many outputs, or a public input too large: use a hashed input)`,
      { publicSignals: statementLength, limit: MAX_STATEMENT_SIGNALS },
    );
  }
  phase('quantize');
  const rows = await readCalibrationCsv(calibrationCsv, shapeSize(ir.inputShape));
  const qm = quantizeModel(
    ir,
    rows.map((r) => r.input),
  );
  // circom runs in a process of its own, on one core: meanwhile this process fetches the ptau (a dev ptau is made on
  // the native engine's threads when none is cached; the domain is known from the generator's exact counts, which
  // the compiled R1CS must match) and measures the agreement, instead of doing the three one after the other.
  const generated = generateCircom(qm, { name, weights, input, lookups, untrusted: untrustedStrings(ir) });
  if (opts.maxConstraints !== undefined && generated.totalConstraints > opts.maxConstraints) {
    // The generator's count is exact (the compile checks circom's against it): refuse before any ptau or circom work.
    throw new ZkaiError(
      'MODEL_TOO_LARGE',
      `the circuit of ${name} has ${generated.totalConstraints} constraints, over the limit of ${opts.maxConstraints}`,
    );
  }
  const ptau = defaultPtau(powerFor(generated.totalConstraints, generated.publicSignals.length), log);
  ptau.catch(() => {}); // awaited below; a failure of the build first must not leave it unhandled
  const building = compileGeneratedModel(generated, name, log);
  building.catch(() => {});
  // Agreement needs no labels; the accuracies are reported (not null) only when every row has one.
  const agreement = await evaluateAgreementYielding(ir, qm, rows);
  log(`quantized ${name}: argmax agreement with the float model ${(agreement.agreement * 100).toFixed(1)}% on ${agreement.rows} rows`);
  phase('circuit');
  const model = await building;
  if (opts.maxConstraints !== undefined && model.circuit.nConstraints > opts.maxConstraints) {
    throw new ZkaiError(
      'MODEL_TOO_LARGE',
      `the circuit of ${name} has ${model.circuit.nConstraints} constraints, over the limit of ${opts.maxConstraints}`,
    );
  }
  phase('setup', 'ptau');
  const setupOpts = {
    log,
    ptau: await ptau,
    onStep: (step: SetupStep, done?: number, total?: number) => phase('setup', step, done, total),
  };
  const ls = lookups === 'logup' ? await ensureLookupSetup(model.circuit, setupOpts) : undefined;
  if (ls && JSON.stringify(ls.layout) !== JSON.stringify(modelLookupLayout(model))) {
    // Loaders take the layout from the generated names (a worker has no .sym): they must be circom's.
    throw new ZkaiError('INTERNAL', `the LogUp signals of circuit ${model.circuit.id} are not where the code generator put them`);
  }
  const setup = ls ? ls.setup : await ensureCircuitSetup(model.circuit, setupOpts);
  // The weights' commitment: a Pedersen opening (its key made on first use), or the Poseidon hash of the weights.
  if (weights !== 'public-constants') phase('commitment');
  const pedersen =
    weights === 'private-pedersen'
      ? await pedersenOpening(opts.outDir, model, setup, qm, { blind: randomScalar() }, 'required', log)
      : undefined;
  const poseidon = weights === 'private-committed' ? (await weightCommitment(qm)).toString() : undefined;
  const vkey = modelVkey(setup, pedersen, ls);
  phase('store');
  const manifest: ModelManifest = {
    format: 'zkai-model',
    version: 1,
    name,
    source: { file: path.basename(onnxPath), sha256: await sha256File(onnxPath) },
    circuitId: model.circuit.id,
    weights,
    input,
    ...(ls ? { lookups: 'logup' as const } : {}),
    ...(poseidon ? { weightCommitment: poseidon } : {}),
    ...(pedersen ? { weightCommitment: commitmentId(pedersen.commitment.point).toString(), commitment: pedersen.commitment } : {}),
    publicSignals: statementNames(model, pedersen, lookupKeys(ls).lookup),
    inputShape: qm.inputShape,
    outputShape: qm.outputShape,
    quantization: Object.fromEntries(QUANTIZATION_KEYS.map((k) => [k, qm[k]])) as QuantizationParams,
    constraints: { total: model.circuit.nConstraints, ...model.constraints, perLayer: model.generated.layerCosts },
    agreement,
    vkeyHash: vkey === setup.vkey ? setup.vkeyHash : sha256Hex(canonicalJson(vkey)),
    insecureSetup: setup.insecure,
    setup: setup.ptauLabel,
    createdAt: new Date().toISOString(),
  };
  await writeFileAtomic(path.join(opts.outDir, 'quantized.json'), serialise(qm));
  await writeFileAtomic(path.join(opts.outDir, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir: opts.outDir, manifest, qm, model, setup, vkey, ...(pedersen ? { pedersen } : {}), ...lookupKeys(ls) };
}

/**
 * compileModel's progress to `report` (or nowhere): each phase and step as it starts, and a percent within a countable
 * step only when it is a new whole number (a setup's contribution reports each chunk of points).
 */
function compileReporter(report: ((p: CompileProgress) => void) | undefined) {
  let last = '';
  return (phase: CompilePhase, step?: SetupStep, done?: number, total?: number): void => {
    if (!report) return;
    const percent = compilePercent(phase, step, done, total);
    const key = `${phase}/${step ?? ''}/${percent}`;
    if (key === last) return;
    last = key;
    report({ phase, ...(step ? { step } : {}), percent });
  };
}

/**
 * The key bundles carry: the setup's vkey; with Pedersen weights their statement key (commitment.ts); with lookups
 * the LogUp statement key, without the committed IC points of either (prover/lookup/setup.ts).
 */
function modelVkey(setup: CircuitSetup, pedersen: PedersenOpening | undefined, ls: LookupSetup | undefined): Record<string, unknown> {
  if (ls) return lookupStatementKey(setup.vkey, ls.key, ls.layout, pedersen?.key);
  return pedersen ? statementVkey(setup.vkey, pedersen.key) : setup.vkey;
}

/** A LogUp model circuit's layout from its generated public-signal names (what circom's symbols say; checked at compile). */
export function modelLookupLayout(model: ModelCircuit): LookupLayout {
  const names = model.generated.publicSignals;
  const committed = names.flatMap((n, i) => (n.startsWith('logupCommitted[') ? [i] : []));
  return { committedIndices: [...committed, names.indexOf('logupBlind')], alphaIndex: names.indexOf('logupAlpha') };
}

function lookupKeys(ls: LookupSetup | undefined): Pick<CompiledModel, 'lookup'> {
  return ls
    ? {
        lookup: {
          keyPath: path.join(ls.setup.dir, LOOKUP_KEY_FILE),
          committedIndices: ls.layout.committedIndices,
          alphaIndex: ls.layout.alphaIndex,
        },
      }
    : {};
}

/** Positions of the public signals no bundle carries: the committed weights and the committed lookup values. */
function hiddenSignals(pedersen: PedersenOpening | undefined, lookup: CompiledModel['lookup']): number[] {
  return [...(pedersen?.publicIndices ?? []), ...(lookup?.committedIndices ?? [])];
}

/** The names of the public signals bundles carry: the circuit's, without committed ones. */
function statementNames(model: ModelCircuit, pedersen: PedersenOpening | undefined, lookup: CompiledModel['lookup']): string[] {
  return statementSignals(model.generated.publicSignals, hiddenSignals(pedersen, lookup));
}

/** How a worker that fetched a model loads it (jobs/fetch-model.ts): as the API node that compiled it sees it. */
export interface FetchedModelOptions {
  /** Where the circuit's keys come from instead of ensureCircuitSetup (which makes new ones when none are cached). */
  setupFor: (circuit: BuiltCircuit) => Promise<CircuitSetup>;
  /** The API node's name for the generated source in the circuit's hash (codegen.ts generatedModelSpec). */
  sourceName: string;
}

/**
 * A model directory's manifest, quantized model and circuit (built, or from the cache), checked against the circuit id
 * model.json names; no keys. `sourceName`: FetchedModelOptions.sourceName.
 */
export async function loadModelCircuit(
  dir: string,
  log?: (msg: string) => void,
  sourceName?: string,
): Promise<{ manifest: ModelManifest; qm: QuantizedModel; model: ModelCircuit }> {
  let manifest: ModelManifest;
  let qm: QuantizedModel;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    qm = deserialise(await readFile(path.join(dir, 'quantized.json'), 'utf8'));
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `${dir} is not a compiled model directory (model.json + quantized.json): ${(err as Error).message}`);
  }
  if (manifest?.format !== 'zkai-model' || manifest.version !== 1)
    throw new ZkaiError('BAD_INPUT', `${dir}/model.json is not a zkai model manifest`);
  const model = await buildModelCircuit(
    qm,
    { name: manifest.name, weights: manifest.weights, input: manifest.input, ...(manifest.lookups ? { lookups: manifest.lookups } : {}) },
    log,
    sourceName,
  );
  if (model.circuit.id !== manifest.circuitId) {
    throw new ZkaiError('BAD_INPUT', `${dir}: quantized.json gives circuit ${model.circuit.id}, model.json says ${manifest.circuitId}`);
  }
  return { manifest, qm, model };
}

/**
 * Load a model directory written by compileModel (the circuit and setup come from the cache, rebuilt if missing).
 * `fetched`: a worker that fetched the API node's circuit and keys must prove with exactly those.
 */
export async function loadCompiledModel(dir: string, log?: (msg: string) => void, fetched?: FetchedModelOptions): Promise<CompiledModel> {
  const { manifest, qm, model } = await loadModelCircuit(dir, log, fetched?.sourceName);
  // A fetched setup folder holds the lookup key the API node made (jobs/fetch-model.ts checked it): never a new one.
  let ls: LookupSetup | undefined;
  let setup: CircuitSetup;
  if (fetched) {
    setup = await fetched.setupFor(model.circuit);
    if (manifest.lookups) ls = await loadLookupSetup(model.circuit, setup, modelLookupLayout(model));
  } else if (manifest.lookups) {
    ls = await ensureLookupSetup(model.circuit, { log }, modelLookupLayout(model));
    setup = ls.setup;
  } else setup = await ensureCircuitSetup(model.circuit, { log });
  if (manifest.weights !== 'private-pedersen')
    return { dir, manifest, qm, model, setup, vkey: modelVkey(setup, undefined, ls), ...lookupKeys(ls) };
  const opening = await readOpening(dir);
  const pedersen = await pedersenOpening(dir, model, setup, qm, opening, { expectId: manifest.weightCommitment }, log);
  return { dir, manifest, qm, model, setup, vkey: modelVkey(setup, pedersen, ls), pedersen, ...lookupKeys(ls) };
}

function lookupCommitmentOf(out: { lookupCommitment?: PublicInputCommitment }): PublicInputCommitment {
  if (!out.lookupCommitment) throw new ZkaiError('PROOF_FAILED', 'the prover returned no lookup commitment for a LogUp circuit');
  return out.lookupCommitment;
}

/**
 * Prove one inference: quantize the input, run the exact integer model (its output is what the proof will show),
 * prove on the pool, and bundle the proof with the model's names for the public signals.
 */
export async function proveInference(
  pool: ProverPool,
  compiled: CompiledModel,
  rawInput: number[],
  /**
   * onPhase: told the proof's phases (job progress). binding: the public signal `binding`, the address of whoever
   * registers (or registered) the model on chain as a uint160 (verifier-contracts/models.ts bindingOf);
   * InferenceAttestor attests the proof only under a model that address registered. Default 0: no registrant, so
   * the proof verifies off chain but can be attested under no model.
   */
  opts: { onPhase?: OnPhase; binding?: bigint } = {},
): Promise<ProofBundle> {
  const { manifest, qm, model, setup, pedersen, lookup } = compiled;
  const ints = quantizeInput(qm, rawInput);
  const expected = runInt(qm, ints);
  const started = performance.now();
  const out = await pool.prove(
    {
      circuitId: model.circuit.id,
      wasmPath: model.circuit.wasmPath,
      zkeyPath: setup.zkeyPath,
      ...(lookup ? { lookup } : {}),
      // The statement key names every key this proof uses (the lookup key is rewritten in place at a contribution).
      keyRevision: sha256Hex(canonicalJson(compiled.vkey)),
    },
    modelCircuitInput(qm, ints, {
      weights: manifest.weights,
      binding: opts.binding ?? 0n,
      ...(pedersen ? { blind: pedersen.blind } : {}),
    }) as unknown as Record<string, unknown>,
    opts,
  );
  const names = model.generated.publicSignals;
  const label = out.publicSignals[names.indexOf('label')];
  if (label !== String(expected.label)) {
    throw new ZkaiError('PROOF_FAILED', `circuit label ${label} differs from the integer reference ${expected.label}: a codegen bug`);
  }
  if (manifest.input === 'private-hashed' && out.publicSignals[names.indexOf('inputHash')] !== (await inputHash(qm, ints)).toString()) {
    throw new ZkaiError('PROOF_FAILED', 'circuit input hash differs from the reference: a codegen bug');
  }
  if (out.publicSignals[names.indexOf('binding')] !== String(opts.binding ?? 0n)) {
    throw new ZkaiError('PROOF_FAILED', 'circuit binding differs from the one requested: a codegen bug');
  }
  // With Pedersen weights the committed signals (the packed weights) leave with nothing: the bundle carries W.
  return makeBundle({
    kind: 'inference',
    circuitId: model.circuit.id,
    vkey: compiled.vkey,
    proof: out.proof,
    publicSignals: statementSignals(out.publicSignals, hiddenSignals(pedersen, lookup)),
    signalNames: statementNames(model, pedersen, lookup),
    ...(pedersen ? { commitment: pedersen.commitment } : {}),
    ...(lookup ? { lookupCommitment: lookupCommitmentOf(out) } : {}),
    metadata: {
      ...proofMetadata(out, setup, started),
      model: manifest.name,
      label: expected.label,
      logits: expected.logits.map(String),
    },
  });
}
