/**
 * ONNX graph → ModelIR (ir.ts), a DAG of zkai nodes.
 *
 * The importer walks the ONNX nodes in their (topological) file order, keeping a table of constant tensors
 * (initializers, Constant nodes, folded shape arithmetic: passes/constants.ts) and a table from ONNX tensor names to
 * graph tensors (node outputs, or the model input). Each node that reads an activation goes to its op's importer
 * (ops/registry.ts ONNX_IMPORTERS), which adds the node it becomes or aliases its output. Then the passes run: dead
 * nodes are dropped, reshapes simplified (passes/reshape.ts), BatchNorm and constant Adds folded into the dense/conv
 * before them (passes/fold-affine.ts). An op outside the registry fails with UNSUPPORTED_OP naming the op type, the
 * node's index and the supported ops, so a user learns exactly what to change in their export.
 */
import { readFileSync } from 'node:fs';
import { ZkaiError } from '../../common/errors.ts';
import type { Layer, ModelIR } from './ir.ts';
import { MODEL_INPUT, shapeSize } from './ir.ts';
import { decodeOnnx, OnnxDataType, type OnnxModel, tensorValues } from './onnx.ts';
import { type Const, nodeLabel, unsupported } from './ops/onnx-util.ts';
import type { ImportCtx } from './ops/op.ts';
import { MULTI_INPUT_ONNX_OPS, ONNX_IMPORTERS, SUPPORTED_ONNX_OPS } from './ops/registry.ts';
import { foldConstantNode, shapeConstant } from './passes/constants.ts';
import { type AffineKind, foldAffine } from './passes/fold-affine.ts';
import { foldPads } from './passes/fold-pad.ts';
import { fuseActivations } from './passes/fuse-activations.ts';
import { fuseDivEps } from './passes/fuse-div-eps.ts';
import { fuseLayerNorm } from './passes/fuse-layernorm.ts';
import { prune } from './passes/graph.ts';
import { hoistAddConst } from './passes/hoist-add-const.ts';
import { simplifyReshapes } from './passes/reshape.ts';

export interface ImportOptions {
  /** Fold BatchNormalization into the preceding Conv/Gemm (default true). When false, or when there is no
   * such layer, it is kept as a 'channel-affine' layer. */
  foldBatchNorm?: boolean;
}

/** The largest model input accepted: each input costs a range check, so more would exceed any practical circuit. */
export const MAX_INPUT_ELEMENTS = 1 << 16;
/** The largest layer output accepted (a million activations is far beyond any circuit zkai can set up). */
export const MAX_ACTIVATION_ELEMENTS = 1 << 20;

/**
 * Reads an .onnx file (path) or its bytes and returns the graph IR, with Constant/Identity folded,
 * Reshape targets resolved, BatchNormalization folded into the preceding Conv/Gemm, and a final Softmax
 * dropped (circuits output logits). Throws UNSUPPORTED_OP for anything it cannot represent.
 */
export function importOnnx(src: Uint8Array | string, opts: ImportOptions = {}): ModelIR {
  const bytes = typeof src === 'string' ? readFileSync(src) : src;
  return importOnnxModel(decodeOnnx(bytes), opts);
}

/** Same as {@link importOnnx} for an already decoded model. */
export function importOnnxModel(model: OnnxModel, opts: ImportOptions = {}): ModelIR {
  const foldBn = opts.foldBatchNorm ?? true;
  const opset = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
  const g = fuseLayerNorm(model.graph, opset);

  const consts = new Map<string, Const>();
  for (const t of g.initializer) consts.set(t.name, { shape: t.dims, data: tensorValues(t) });

  // Older exporters list initializers among the graph inputs; the real input is the one without a value.
  const realInputs = g.input.filter((i) => !consts.has(i.name));
  if (realInputs.length !== 1) {
    throw new ZkaiError(
      'BAD_INPUT',
      `expected exactly one graph input, found ${realInputs.length} (${realInputs.map((i) => i.name).join(', ')})`,
    );
  }
  const input = realInputs[0]!;
  if (input.elemType !== OnnxDataType.FLOAT)
    throw new ZkaiError('BAD_INPUT', `graph input '${input.name}' must be float32 (elem_type ${input.elemType})`);
  if (
    !input.shape ||
    input.shape.length < 2 ||
    input.shape.slice(1).some((d) => d <= 0) ||
    (input.shape[0] !== 1 && input.shape[0] !== -1)
  ) {
    throw new ZkaiError(
      'BAD_INPUT',
      `graph input '${input.name}' must have a static shape [batch, ...] with batch 1 or symbolic, got [${input.shape ?? '?'}]`,
    );
  }
  // A declared shape costs nothing in the file but everything downstream (constant broadcasts, executors,
  // circuits): refuse sizes no circuit could hold before allocating for them.
  const inputSize = input.shape.slice(1).reduce((a, d) => a * d, 1);
  if (inputSize > MAX_INPUT_ELEMENTS)
    throw new ZkaiError(
      'BAD_INPUT',
      `graph input '${input.name}' has ${inputSize} elements; zkai compiles models with at most ${MAX_INPUT_ELEMENTS} inputs`,
    );
  if (g.output.length !== 1) throw new ZkaiError('BAD_INPUT', `expected exactly one graph output, found ${g.output.length}`);
  const output = g.output[0]!;

  const inputShape = input.shape.slice(1);
  /** ONNX tensor name → graph tensor (node index, or MODEL_INPUT). */
  const tensors = new Map<string, number>([[input.name, MODEL_INPUT]]);
  const shapeOf = (t: number): number[] => (t === MODEL_INPUT ? inputShape : nodes[t]!.outShape);
  let nodes: Layer[] = [];
  let droppedSoftmax = false;

  for (let index = 0; index < g.node.length; index++) {
    const node = g.node[index]!;
    const name = nodeLabel(node, index);
    const op = node.opType;
    if (node.domain !== '' && node.domain !== 'ai.onnx') throw unsupported(node, index, `custom domain '${node.domain}'`);

    // The shape of an activation is a constant: every per-sample shape is static.
    if (op === 'Shape' && tensors.has(node.input[0]!)) {
      consts.set(node.output[0]!, shapeConstant(node, shapeOf(tensors.get(node.input[0]!)!)));
      continue;
    }
    const actNames = node.input.filter((n) => n !== '' && !consts.has(n));
    if (actNames.length === 0) {
      foldConstantNode(node, index, consts, opset);
      continue;
    }
    const importer = Object.hasOwn(ONNX_IMPORTERS, op) ? ONNX_IMPORTERS[op] : undefined;
    if (!importer) throw unsupported(node, index, undefined, SUPPORTED_ONNX_OPS);
    const unknown = actNames.find((n) => !tensors.has(n));
    if (unknown !== undefined) throw unsupported(node, index, `consumes '${unknown}', which no supported node produces`);
    const maxActs = Object.hasOwn(MULTI_INPUT_ONNX_OPS, op) ? MULTI_INPUT_ONNX_OPS[op]! : 1;
    if (actNames.length > maxActs)
      throw unsupported(node, index, `consumes ${actNames.length} non-constant tensors; this op takes at most ${maxActs}`);
    if (node.input[0] !== actNames[0] && op !== 'Add' && op !== 'Mul')
      throw unsupported(node, index, 'the activation must be the first input');
    const acts = actNames.map((n) => tensors.get(n)!);
    const out = node.output[0]!;
    const ctx: ImportCtx = {
      node,
      index,
      name,
      opset,
      acts,
      actNames,
      shapes: acts.map(shapeOf),
      shape: shapeOf(acts[0]!),
      constOf(k) {
        const n = node.input[k];
        const c = n ? consts.get(n) : undefined;
        if (!c) throw unsupported(node, index, `input ${k} ('${n ?? ''}') must be a constant`);
        return c;
      },
      maybeConst: (k) => (node.input[k] ? consts.get(node.input[k]!) : undefined),
      fail: (why) => unsupported(node, index, why),
      add({ output: k = 0, ...layer }) {
        // Padding attributes can blow a small input up: each activation element costs constraints, so a layer output
        // this large could never be proved.
        const size = shapeSize(layer.outShape);
        if (size > MAX_ACTIVATION_ELEMENTS)
          throw new ZkaiError('BAD_INPUT', `layer '${name}' outputs ${size} elements; zkai supports at most ${MAX_ACTIVATION_ELEMENTS}`);
        const inputs = layer.inputs ?? acts;
        nodes.push({ ...layer, name, inputs, inShape: shapeOf(inputs[0]!) } as Layer);
        tensors.set(k === 0 ? out : node.output[k]!, nodes.length - 1);
        return nodes.length - 1;
      },
      alias: () => tensors.set(out, acts[0]!),
      droppedSoftmax() {
        droppedSoftmax = true;
        tensors.set(out, acts[0]!);
      },
      isFinal: out === output.name && index === g.node.length - 1,
    };
    importer(ctx);
  }

  const outTensor = tensors.get(output.name);
  if (outTensor === undefined) {
    throw new ZkaiError('UNSUPPORTED_OP', `graph output '${output.name}' is not produced by a supported op from the input`, {
      output: output.name,
    });
  }
  const outputShape = shapeOf(outTensor);
  if (output.shape && output.shape.length > 0 && output.shape.slice(1).every((d) => d > 0)) {
    const declared = output.shape.slice(1);
    if (declared.length !== outputShape.length || declared.some((d, i) => d !== outputShape[i])) {
      throw new ZkaiError(
        'BAD_INPUT',
        `inferred output shape [${outputShape}] disagrees with the declared [${declared}] of '${output.name}'`,
      );
    }
  }
  nodes = prune(nodes, outTensor);
  nodes = foldPads(nodes);
  nodes = simplifyReshapes(nodes, inputShape);
  nodes = fuseActivations(nodes);
  nodes = fuseDivEps(nodes);
  nodes = hoistAddConst(nodes);
  const kinds = new Set<AffineKind>(foldBn ? ['add-const', 'channel-affine'] : ['add-const']);
  nodes = foldAffine(nodes, { kinds, strict: false });
  return {
    inputName: input.name,
    outputName: output.name,
    inputShape,
    outputShape,
    layers: nodes,
    droppedSoftmax,
    opset,
    producer: `${model.producerName} ${model.producerVersion}`.trim(),
  };
}

/**
 * Every string of an imported model that came from the ONNX file (graph input/output names, producer, layer and
 * tensor names): what the circuit generator's source guard must never find in generated source.
 */
export function untrustedStrings(ir: ModelIR): string[] {
  const out = new Set([ir.inputName, ir.outputName, ir.producer]);
  for (const layer of ir.layers) {
    out.add(layer.name);
    for (const v of Object.values(layer)) if (v && typeof v === 'object' && 'name' in v && typeof v.name === 'string') out.add(v.name);
  }
  return [...out];
}
