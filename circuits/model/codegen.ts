/**
 * QuantizedModel → a circom template built from the gadgets in circuits/lib/quant.circom.
 *
 * Untrusted input (issue 13): no string from the ONNX file is ever written into the source. The generator reads a
 * copy of the model with index names and checked numbers, comments and identifiers come from indices and zkai's own
 * layer kinds, the finished text passes a character allow-list guard, and every compile checks circom's counts
 * against the generator's prediction (circuit-checks.ts). Layer names live in the manifest's cost table only.
 *
 * Layout of the generated source (the circuit and int-exec.ts share one geometry, `forEachConvTap` /
 * `forEachPoolWindow`): each dense/conv layer is a template of its own with loops over outputs and taps and its
 * constants in var arrays (ops/linear-emit.ts: circom makes one witness-calculator function per template instance,
 * and an unrolled model made one over V8's size limit), written before the main template `ZkaiModel`, which holds:
 * - `signal input in[n]`: the integer input, each SignedRange(inputBits)-checked (int-exec rejects the same; with
 *   lookups by LogUp limbs: LogUpSignedRange / LogUpSignedPack).
 * - then every node of the graph, in order, emitted by its op (ops/<op>.ts `emit`, through ops/registry.ts): each
 *   reads its input tensors' signals by the names their producers gave them and names its own (`x<i>[n]` for node i,
 *   or its input's when it only renames, like a reshape or a ReLU fused into the Requantize before it: ops/linear.ts).
 *   An unknown kind is refused (quantOp), never skipped.
 * - `signal output logits[m]` (the last node's outputs) and `signal output label` (ArgMax, lowest index on ties).
 * Public signals (circom's order: outputs as declared, then public inputs): see the end of this comment.
 *
 *
 * Modes:
 * - weights 'public-constants': weights and biases are constants in the source; the linear layers cost 0
 *   constraints and the circuit (its id, its verification key) itself binds the weights.
 * - weights 'private-committed': each dense/conv layer i takes private inputs `p<i>` (its weights packed k output
 *   channels per field element in accBits-wide slots, commit.ts `packLinear`) and `bp<i>` (packed biases). For
 *   every output position and channel group, `dot<i>[q] = PackedDot(taps, k, accBits)` computes k accumulators
 *   with one multiplication constraint per tap; the Requantize after each accumulator range-checks it to signed
 *   accBits, which makes the packed decomposition unique (layers.circom), so the weights need no range check.
 *   All p<i> and bp<i> are hashed by PoseidonSponge into the public output `weightsHash` (commit.ts computes
 *   the same value). Shifts/widths stay compile-time constants.
 * - weights 'private-pedersen' (commit-and-prove): the same p<i>, bp<i> and PackedDot, but p<i>, bp<i> and a blind
 *   `wBlind` are *public inputs that are never revealed*: the verifier gets their Pedersen commitment over the
 *   verification key's own IC bases with a proof of knowledge (prover/commitment.ts), so binding the weights costs
 *   no constraint at all instead of a Poseidon sponge. They are the last public signals (`committedSignals`).
 * - input 'public': `in` is a public input. 'private-hashed': `in` is private and the public output `inputHash`
 *   is the PoseidonChain of its packed values.
 * - `signal input binding` (public, every mode): the proof's binding, a field element the prover sets to the address
 *   of the model's on-chain registrant; InferenceAttestor attests the proof only under a model that address
 *   registered, so a copy of the model registered by someone else cannot attest it. It is declared right after `in`,
 *   so it is the last public signal before the committed ones, and squared into an unused signal (one constraint, as
 *   Tornado Cash and Semaphore do) so that it sits in a constraint and no optimiser can drop it.
 * Public signals: weightsHash / inputHash when present, then logits, label, then in[] when the input is public, then
 * binding (with committed weights and a hashed input: [weightsHash, inputHash, logits..., label, binding],
 * InferenceAttestor's layout), then with Pedersen weights the committed signals.
 */
import path from 'node:path';
import { cacheDir } from '../../common/config.ts';
import { isZkaiError, ZkaiError } from '../../common/errors.ts';
import { writeFileAtomic } from '../../common/fs.ts';
import { sha256Hex } from '../../common/hash.ts';
import { assertSafeGeneratedSource } from '../../common/source-guard.ts';
import { type BuiltCircuit, buildCircuit, type CircuitSpec, sourceName } from '../build.ts';
import { readR1csHeader } from '../r1cs.ts';
import { CIRCOM_GUARD, type ConstraintCounts, checkCompiledCounts, sourceSafeModel } from './circuit-checks.ts';
import { packLinear, packPerElement } from './commit.ts';
import { argMaxCost, poseidonChainCost, poseidonSpongeCost } from './gadget-cost.ts';
import { toField } from './int-reference.ts';
import { consumerCounts, shapeSize } from './ir.ts';
import {
  emitLogUpMain,
  type LimbSource,
  LOGUP_LIMB_BITS,
  LOGUP_LIMB_WIDTHS,
  LOOKUPS_MODES,
  type LookupsMode,
  signedRangeCounts,
} from './logup-emit.ts';
import type { Signals } from './ops/op.ts';
import { quantOp } from './ops/registry.ts';
import type { QuantizedModel } from './qir.ts';

export interface CodegenOptions {
  /** Used in the circuit id only (never in the source); letters, digits, '_' and '-'. */
  name: string;
  weights: WeightsMode;
  input: 'public' | 'private-hashed';
  /**
   * Other strings from the uploaded file (ONNX input/output names, tensor names: import.ts `untrustedStrings`) that
   * the source guard must not find in the generated source; the layer names are checked anyway.
   */
  untrusted?: readonly string[];
  /**
   * 'logup': the input range and the dense/conv requantizations range-check by LogUp lookups (logup-emit.ts,
   * docs/lookups.md) instead of bit decompositions; the circuit then follows prover/lookup's convention (committed
   * `logupCommitted`, public inputs `logupAlpha` and `logupBlind`). Default 'off'. With Pedersen weights a proof
   * carries two commitments: the weights' W and the lookups' D (prover/lookup/model.ts).
   */
  lookups?: LookupsMode;
  /**
   * With lookups: the limb width B, one of LOGUP_LIMB_WIDTHS. Default: the generator emits the model with each and
   * keeps the fewest constraints (tests set it to compile a given width).
   */
  limbBits?: number;
}

/** How a model's weights enter its circuit (see the module comment). */
export type WeightsMode = 'public-constants' | 'private-committed' | 'private-pedersen';
export const WEIGHTS_MODES: readonly WeightsMode[] = ['public-constants', 'private-committed', 'private-pedersen'];

export interface LayerCost {
  /** The layer's name from the ONNX file (manifest only: it never reaches the source), or 'input', 'output'…. */
  layer: string;
  kind: string;
  /** Constraints this layer adds, from the gadget cost formulas documented in quant.circom. */
  constraints: number;
}

export interface GeneratedCircuit {
  source: string;
  templateName: string;
  /** Names of the public signals in order, e.g. 'logits[0]', ..., 'label', 'in[0]', ... */
  publicSignals: string[];
  /**
   * With Pedersen weights: the committed public signals (packed weights and biases layer by layer, then wBlind), in
   * the order commit.ts `weightElements` + blind gives their values; a subset of publicSignals. Otherwise empty.
   */
  committedSignals: string[];
  /** Public input signal names for the main component (buildCircuit's publicInputs). */
  publicInputs: string[];
  /** Expected constraints per layer (input range checks and argmax included) and their total. */
  layerCosts: LayerCost[];
  totalConstraints: number;
  /** Private input signals (field elements) of the main component: `in` when hashed, p<i>/bp<i> with Poseidon weights. */
  privateInputCount: number;
}

/**
 * Generates the circom template for a quantized model (see the module comment for its layout and public
 * signals). Pure: the same model and options give the same source, so the circuit id is content-addressed.
 */
export function generateCircom(model: QuantizedModel, opts: CodegenOptions): GeneratedCircuit {
  if ((opts.lookups ?? 'off') === 'off') return generateWithLimbs(model, opts, LOGUP_LIMB_BITS);
  if (opts.limbBits !== undefined) {
    if (!LOGUP_LIMB_WIDTHS.includes(opts.limbBits))
      throw new ZkaiError('BAD_INPUT', `limb width ${opts.limbBits} is not one of ${LOGUP_LIMB_WIDTHS}`);
    return generateWithLimbs(model, opts, opts.limbBits);
  }
  // With lookups: every limb width the circuit may use, keeping the fewest constraints (the first on a tie).
  let best: GeneratedCircuit | undefined;
  for (const B of LOGUP_LIMB_WIDTHS) {
    const g = generateWithLimbs(model, opts, B);
    if (!best || g.totalConstraints < best.totalConstraints) best = g;
  }
  return best!;
}

/** generateCircom with LogUp limbs of (at most) limbBits bits; limbBits is unused without lookups. */
function generateWithLimbs(model: QuantizedModel, opts: CodegenOptions, limbBits: number): GeneratedCircuit {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(opts.name))
    throw new ZkaiError('BAD_INPUT', `model circuit name ${JSON.stringify(opts.name)} must match [A-Za-z0-9_-]{1,64}`);
  if (!WEIGHTS_MODES.includes(opts.weights)) throw new ZkaiError('BAD_INPUT', `unknown weights mode ${opts.weights}`);
  if (opts.input !== 'public' && opts.input !== 'private-hashed') throw new ZkaiError('BAD_INPUT', `unknown input mode ${opts.input}`);
  const lookupsMode = opts.lookups ?? 'off';
  if (!LOOKUPS_MODES.includes(lookupsMode)) throw new ZkaiError('BAD_INPUT', `unknown lookups mode ${lookupsMode}`);
  const privateWeights = opts.weights !== 'public-constants';
  // Pedersen: the packed weights and the blind are public inputs the verifier never sees (prover/commitment.ts).
  const pedersen = opts.weights === 'private-pedersen';
  const lookups: LimbSource[] | undefined = lookupsMode === 'logup' ? [] : undefined;
  const publicLinear = new Set<string>();
  // Nothing the uploader chose reaches the source (docs/security.md): the template has a fixed name, and the generator
  // reads a copy of the model whose layer names are their indices and whose every number is checked to be one.
  const templateName = 'ZkaiModel';
  const qm = sourceSafeModel(model);
  const layerName = (li: number) => model.layers[li]!.name;
  const nIn = shapeSize(qm.inputShape);
  const nOut = shapeSize(qm.outputShape);
  if (nOut < 2) throw new ZkaiError('BAD_INPUT', `model output needs at least 2 values for ArgMax, has ${nOut}`);
  const body: string[] = [];
  const templates: string[] = [];
  const costs: LayerCost[] = [];
  // Output declaration order is public-signal order: the commitments first, so an inference proof's signals
  // read [weightsHash, inputHash, logits..., label] as InferenceAttestor expects.
  body.push(`    signal input in[${nIn}];`);
  // Declared before any p<i> / wBlind: public inputs are ordered by declaration, and the binding must come before
  // the committed signals (the last public signals) to be the statement's last signal.
  // With lookups the challenge α is a statement signal too, declared before the binding so the binding stays last.
  if (lookups) body.push('    signal input logupAlpha;');
  body.push('    signal input binding;');
  if (privateWeights && !pedersen) body.push('    signal output weightsHash;');
  if (opts.input === 'private-hashed') body.push('    signal output inputHash;');
  body.push(`    signal output logits[${nOut}];`, '    signal output label;');
  body.push('');
  if (lookups) {
    // The same range (signed inputBits) by LogUp limbs (logup-quant.circom LogUpSignedRange / LogUpSignedPack).
    lookups.push({ component: 'inrange', counts: signedRangeCounts(nIn, qm.inputBits, limbBits) });
    // Public, or private and substituted by its committed limbs: either way linear in public signals.
    for (let i = 0; i < nIn; i++) publicLinear.add(`in[${i}]`);
    if (opts.input === 'public') {
      body.push(`    // Input range: signed ${qm.inputBits} bits, by LogUp limbs.`);
      body.push(`    component inrange = LogUpSignedRange(${nIn}, ${qm.inputBits}, ${limbBits});`, '    inrange.in <== in;');
      // Each recomposition equates two public signals (in[i] and its committed limbs): a row of its own.
      costs.push({ layer: 'input', kind: 'range (LogUp)', constraints: nIn });
    } else {
      const elems = Math.ceil(nIn / packPerElement(qm.inputBits));
      body.push(
        `    // Input: private, range-checked by LogUp limbs and packed (${packPerElement(qm.inputBits)} per element), Poseidon-hashed.`,
      );
      body.push(`    component inrange = LogUpSignedPack(${nIn}, ${qm.inputBits}, ${limbBits});`, '    inrange.in <== in;');
      body.push(`    component inChain = PoseidonChain(${elems});`, '    inChain.in <== inrange.out;', '    inputHash <== inChain.out;');
      costs.push({ layer: 'input', kind: 'range (LogUp)+hash', constraints: poseidonChainCost(elems) });
    }
  } else if (opts.input === 'public') {
    body.push(`    // Input range: signed ${qm.inputBits} bits.`);
    body.push(`    component inRange[${nIn}];`);
    body.push(
      `    for (var i = 0; i < ${nIn}; i++) {`,
      `        inRange[i] = SignedRange(${qm.inputBits});`,
      '        inRange[i].in <== in[i];',
      '    }',
    );
    costs.push({ layer: 'input', kind: 'range', constraints: nIn * qm.inputBits });
  } else {
    // SignedPack range-checks every input to signed inputBits, then the packed elements are hashed.
    const elems = Math.ceil(nIn / packPerElement(qm.inputBits));
    body.push(`    // Input: private, range-checked and packed (${packPerElement(qm.inputBits)} per element), Poseidon-hashed.`);
    body.push(`    component inPack = SignedPack(${nIn}, ${qm.inputBits});`, '    inPack.in <== in;');
    body.push(`    component inChain = PoseidonChain(${elems});`, '    inChain.in <== inPack.out;', '    inputHash <== inChain.out;');
    costs.push({ layer: 'input', kind: 'range+hash', constraints: nIn * qm.inputBits + poseidonChainCost(elems) });
  }
  const commitParts: { signal: string; count: number }[] = [];
  // The signals of every tensor (index t + 1; the model input first), as each node's emitter names them.
  const signals: Signals[] = [(i: number) => `in[${i}]`];
  // ReLU layers absorbed into the preceding Requantize, with the clamp constraints their row reports.
  const fusedRelu = new Map<number, number>();
  const consumers = consumerCounts(qm.layers);
  qm.layers.forEach((layer, li) => {
    body.push('', `    // layer ${li}: ${layer.kind} [${layer.inShape}] -> [${layer.outShape}]`);
    signals.push(
      quantOp(layer).emit(layer, {
        nodes: qm.layers,
        index: li,
        input: (k) => signals[layer.inputs[k]! + 1]!,
        body,
        templates,
        cost: (kind, constraints) => costs.push({ layer: layerName(li), kind, constraints }),
        privateWeights,
        commit: (signal, count) => commitParts.push({ signal, count }),
        fusedRelu,
        consumers,
        ...(lookups ? { lookups, publicLinear, limbBits } : {}),
      }),
    );
  });
  const cur = signals[signals.length - 1]!;

  body.push('', `    // Outputs: logits (signed ${qm.outputBits} bits, 2^-${qm.outputFracBits} scale) and their argmax.`);
  body.push(`    component argmax = ArgMax(${nOut}, ${qm.outputBits});`);
  for (let i = 0; i < nOut; i++) body.push(`    logits[${i}] <== ${cur(i)};`, `    argmax.in[${i}] <== logits[${i}];`);
  body.push('    label <== argmax.index;');
  costs.push({ layer: 'output', kind: 'argmax', constraints: argMaxCost(nOut, qm.outputBits) });
  body.push('', '    // The binding (public) in one constraint, so that no optimisation removes it from the circuit.');
  body.push('    signal bindingSquare;', '    bindingSquare <== binding * binding;');
  costs.push({ layer: 'binding', kind: 'binding', constraints: 1 });
  if (pedersen) {
    // Declared last so it is the last committed public input. No constraint reads it: it only randomises W.
    body.push('', '    // Blinding value of the Pedersen commitment of the weights (a committed public input, read by no constraint).');
    body.push('    signal input wBlind;');
    costs.push({ layer: 'weights', kind: 'commitment (Pedersen, outside the circuit)', constraints: 0 });
  } else if (privateWeights) {
    const total = commitParts.reduce((a, p) => a + p.count, 0);
    body.push('', `    // Weight commitment: PoseidonSponge over ${total} elements (packed weights, then packed biases, layer by layer).`);
    body.push(`    component wChain = PoseidonSponge(${total});`);
    let at = 0;
    for (const { signal, count } of commitParts) {
      body.push(`    for (var i = 0; i < ${count}; i++) wChain.in[${at} + i] <== ${signal}[i];`);
      at += count;
    }
    body.push('    weightsHash <== wChain.out;');
    costs.push({ layer: 'weights', kind: 'commitment', constraints: poseidonSpongeCost(total) });
  }
  const logup = lookups && lookups.length > 0 ? emitLogUpMain(lookups, limbBits) : undefined;
  if (logup) {
    body.push(...logup.lines);
    costs.push({
      layer: 'lookups',
      kind: 'LogUp tables (α rows)',
      // With the logits that stay a row of their own (EmitCtx.publicLinear: their producers said so).
      constraints: logup.constraints + Array.from({ length: nOut }, (_, i) => cur(i)).filter((s) => publicLinear.has(s)).length,
    });
  }

  const source = [
    'pragma circom 2.1.6;',
    '',
    '// GENERATED by circuits/model/codegen.ts from a QuantizedModel. Do not edit.',
    `// weights: ${opts.weights}; input: ${opts.input}; weightBits ${qm.weightBits}, activationBits ${qm.activationBits}.`,
    'include "quant.circom";',
    ...(qm.layers.some((l) => l.kind === 'layernorm') ? ['include "norm.circom";'] : []),
    ...(qm.layers.some((l) => l.kind === 'log-softmax') ? ['include "log-softmax.circom";'] : []),
    ...(privateWeights || opts.input === 'private-hashed' ? ['include "layers.circom";'] : []),
    ...(logup ? ['include "logup.circom";', 'include "logup-quant.circom";'] : []),
    '',
    ...templates,
    `template ${templateName}() {`,
    ...body,
    '}',
    '',
  ].join('\n');
  assertSafeGeneratedSource(source, CIRCOM_GUARD, [...model.layers.map((l) => l.name), ...(opts.untrusted ?? [])]);
  // circom orders public inputs by declaration: `in` first, then binding, then each layer's p<i> and bp<i>, then wBlind.
  const committedSignals = pedersen
    ? [...commitParts.flatMap(({ signal, count }) => Array.from({ length: count }, (_, i) => `${signal}[${i}]`)), 'wBlind']
    : [];
  const publicSignals = [
    ...(privateWeights && !pedersen ? ['weightsHash'] : []),
    ...(opts.input === 'private-hashed' ? ['inputHash'] : []),
    ...Array.from({ length: nOut }, (_, i) => `logits[${i}]`),
    'label',
    ...(logup ? Array.from({ length: logup.committed }, (_, i) => `logupCommitted[${i}]`) : []),
    ...(opts.input === 'public' ? Array.from({ length: nIn }, (_, i) => `in[${i}]`) : []),
    ...(logup ? ['logupAlpha'] : []),
    'binding',
    ...committedSignals,
    ...(logup ? ['logupBlind'] : []),
  ];
  return {
    source,
    templateName,
    publicSignals,
    committedSignals,
    publicInputs: [
      ...(opts.input === 'public' ? ['in'] : []),
      ...(logup ? ['logupAlpha'] : []),
      'binding',
      ...(pedersen ? [...commitParts.map((p) => p.signal), 'wBlind'] : []),
      ...(logup ? ['logupBlind'] : []),
    ],
    layerCosts: costs,
    totalConstraints: costs.reduce((a, c) => a + c.constraints, 0),
    privateInputCount:
      (opts.input === 'private-hashed' ? nIn : 0) + (privateWeights && !pedersen ? commitParts.reduce((a, p) => a + p.count, 0) : 0),
  };
}

/**
 * The witness-generator input for a model circuit: the integer input (`in`), the binding (default 0: a proof that
 * no registrant can attest) and, for private-committed weights, every dense/conv layer's packed weights `p<i>` and
 * packed biases `bp<i>` (commit.ts `packLinear`), all as field elements.
 */
export function modelCircuitInput(
  qm: QuantizedModel,
  input: readonly bigint[],
  opts: Pick<CodegenOptions, 'weights'> & { blind?: bigint; binding?: bigint },
): Record<string, bigint[] | bigint> {
  const binding = opts.binding ?? 0n;
  if (binding < 0n || binding >= 1n << 160n) throw new ZkaiError('BAD_INPUT', `binding ${binding} is not a 160-bit address`);
  const out: Record<string, bigint[] | bigint> = { in: input.map(toField), binding };
  if (opts.weights === 'private-pedersen') {
    if (opts.blind === undefined) throw new ZkaiError('INTERNAL', 'Pedersen weights need the commitment blind');
    out.wBlind = opts.blind;
  }
  if (opts.weights !== 'public-constants') {
    qm.layers.forEach((layer, li) => {
      if (layer.kind !== 'dense' && layer.kind !== 'conv2d') return;
      const packed = packLinear(layer);
      out[`p${li}`] = packed.weights;
      out[`bp${li}`] = packed.bias;
    });
  }
  return out;
}

export interface ModelCircuit {
  circuit: BuiltCircuit;
  generated: GeneratedCircuit;
  /** The generated .circom file (content-addressed under the cache's models/ folder). */
  sourcePath: string;
  /**
   * The source's name in the circuit's hash: its path here, or the name the node that compiled the model gave it (a
   * node or worker that made the model's files from another's must name it as that node did, or the id differs).
   */
  hashName: string;
  /** The generator's constraint count and circom's (read from the .r1cs): equal, or the build failed. */
  constraints: ConstraintCounts;
}

/**
 * Generates the model's circom template and compiles it (compileGeneratedModel).
 */
export async function buildModelCircuit(
  qm: QuantizedModel,
  opts: CodegenOptions,
  log?: (msg: string) => void,
  /** What the node that compiled the model named its generated source (generatedModelSpec). */
  sourceName?: string,
): Promise<ModelCircuit> {
  return compileGeneratedModel(generateCircom(qm, opts), opts.name, log, sourceName);
}

/**
 * The circuit spec of a generated model, its source written to `<cache>/models/` (content-addressed): what
 * compileGeneratedModel compiles, and what a worker that fetches the compiled circuit computes its id from
 * (circuits/build.ts circuitIdentity) without running circom.
 */
export async function generatedModelSpec(
  generated: GeneratedCircuit,
  name: string,
  /**
   * The source's name in the circuit's hash (circuits/build.ts hashNames): default its path here. Its path is under the
   * data directory, so a worker naming it as the API node did (GET /v1/worker/models/{id}) gets the API node's id.
   */
  hashName?: string,
): Promise<{ spec: CircuitSpec; sourcePath: string }> {
  const sourcePath = path.join(cacheDir('models'), `${generated.templateName}-${sha256Hex(generated.source).slice(0, 16)}.circom`);
  await writeFileAtomic(sourcePath, generated.source);
  const spec: CircuitSpec = {
    name: `model-${name}`,
    include: path.basename(sourcePath),
    instance: `${generated.templateName}()`,
    publicInputs: generated.publicInputs,
    extraSources: [sourcePath],
    ...(hashName !== undefined ? { hashNames: { [sourcePath]: hashName } } : {}),
  };
  return { spec, sourcePath };
}

/**
 * Writes generated source to `<cache>/models/<template>-<sha256 prefix>.circom` (content-addressed, so concurrent
 * builders agree), compiles it with buildCircuit, and checks the compiled R1CS against the generator's prediction
 * (circuit-checks.ts `checkCompiledCounts`; cached builds too, so a tampered cache fails as well).
 */
export async function compileGeneratedModel(
  generated: GeneratedCircuit,
  name: string,
  log?: (msg: string) => void,
  hashName?: string,
): Promise<ModelCircuit> {
  const { spec, sourcePath } = await generatedModelSpec(generated, name, hashName);
  const circuit = await buildCircuit(spec, { log }).catch((err: unknown) => {
    // circom2 crashing inside its own WASM runtime names no template: name the largest layer, the likely cause.
    if (!isZkaiError(err) || err.code !== 'CIRCUIT_COMPILE_FAILED' || !/RuntimeError|out of bounds|out of memory/i.test(err.message))
      throw err;
    throw new ZkaiError('CIRCUIT_COMPILE_FAILED', `${err.message}\n${largestLayer(generated.source)}`);
  });
  const constraints = checkCompiledCounts(generated, await readR1csHeader(circuit.r1csPath), `circuit ${circuit.id}`);
  return { circuit, generated, sourcePath, hashName: hashName ?? sourceName(sourcePath), constraints };
}

/** Which generated layer template is the largest (source lines), for a compiler crash that names none. */
export function largestLayer(source: string): string {
  let best = { layer: -1, lines: 0 };
  for (const m of source.matchAll(/^template Layer(\d+)(?:Part\d+)?\(\) \{\n([\s\S]*?)^\}$/gm)) {
    const lines = m[2]!.split('\n').length;
    if (lines > best.lines) best = { layer: Number(m[1]), lines };
  }
  return best.layer < 0
    ? 'circom crashed compiling the model (no layer template to blame)'
    : `circom crashed compiling the model; its largest layer is layer ${best.layer} (${best.lines} lines of generated circom)`;
}
