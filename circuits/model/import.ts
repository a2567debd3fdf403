/**
 * ONNX graph → ModelIR (ir.ts).
 *
 * The importer walks the ONNX nodes in their (topological) file order, keeping:
 * - a table of constant tensors (initializers, Constant nodes, and the results of small constant
 *   sub-graphs such as PyTorch's Shape → Gather → Unsqueeze → Concat chains that compute a Reshape target);
 * - the single "running activation" of the linear chain, with its per-sample shape.
 * Every node that touches the activation becomes (or is folded into) a layer. Anything outside the
 * supported set, or a graph that is not a linear chain, fails with ZkaiError('UNSUPPORTED_OP') naming
 * the op type and the node, so a user learns exactly what to change in their export.
 */
import { readFileSync } from 'node:fs';
import { ZkaiError } from '../../common/errors.ts';
import type { IrTensor, Layer, ModelIR } from './ir.ts';
import { shapeSize } from './ir.ts';
import { decodeOnnx, type OnnxAttribute, OnnxDataType, type OnnxModel, type OnnxNode, tensorValues } from './onnx.ts';

export interface ImportOptions {
  /** Fold BatchNormalization into the preceding Conv/Gemm (default true). When false, or when there is no
   * such layer, it is kept as a 'channel-affine' layer. */
  foldBatchNorm?: boolean;
}

interface Const {
  shape: number[];
  data: number[];
}

interface Activation {
  /** The tensor name and any Identity/Dropout aliases of it. */
  names: Set<string>;
  /** Per-sample shape (ONNX batch dimension stripped). */
  shape: number[];
}

const INT_TYPES = new Set<number>([OnnxDataType.INT64, OnnxDataType.INT32, OnnxDataType.INT8, OnnxDataType.UINT8, OnnxDataType.BOOL]);

function nodeLabel(node: OnnxNode, index: number): string {
  return node.name || `${node.opType}_${index}`;
}

/** The largest model input accepted: each input costs a range check, so more would exceed any practical circuit. */
export const MAX_INPUT_ELEMENTS = 1 << 16;
/** The largest layer output accepted (a million activations is far beyond any circuit zkai can set up). */
export const MAX_ACTIVATION_ELEMENTS = 1 << 20;

function unsupported(node: OnnxNode, index: number, why?: string): ZkaiError {
  const name = nodeLabel(node, index);
  return new ZkaiError('UNSUPPORTED_OP', `unsupported ONNX op '${node.opType}' (node '${name}')${why ? `: ${why}` : ''}`, {
    opType: node.opType,
    node: name,
  });
}

function attr(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attribute.find((a) => a.name === name);
}
function attrInt(node: OnnxNode, name: string, def: number): number {
  return attr(node, name)?.i ?? def;
}
function attrFloat(node: OnnxNode, name: string, def: number): number {
  return attr(node, name)?.f ?? def;
}
function attrInts(node: OnnxNode, name: string): number[] | undefined {
  const a = attr(node, name);
  return a ? a.ints : undefined;
}
function attrString(node: OnnxNode, name: string, def: string): string {
  const s = attr(node, name)?.s;
  return s ? new TextDecoder().decode(s) : def;
}

function tensor(name: string, shape: number[], data: ArrayLike<number>): IrTensor {
  return { name, shape, data: Float64Array.from(data) };
}

/** Row-major strides of a shape. */
function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Numpy-style broadcast of `c` to `target`, or undefined when the shapes are not broadcast-compatible. */
function broadcastTo(c: Const, target: number[]): number[] | undefined {
  if (c.shape.length > target.length) return undefined;
  const shape = [...new Array<number>(target.length - c.shape.length).fill(1), ...c.shape];
  if (shape.some((d, i) => d !== 1 && d !== target[i])) return undefined;
  const src = strides(shape);
  const dst = strides(target);
  const out = new Array<number>(shapeSize(target));
  for (let k = 0; k < out.length; k++) {
    let off = 0;
    for (let a = 0; a < target.length; a++) {
      const idx = Math.floor(k / dst[a]) % target[a];
      if (shape[a] !== 1) off += idx * src[a];
    }
    out[k] = c.data[off];
  }
  return out;
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/**
 * Reads an .onnx file (path) or its bytes and returns the linear-layer IR, with Constant/Identity folded,
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
  const g = model.graph;
  const opset = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;

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
  const input = realInputs[0];
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
  const output = g.output[0];

  const inputShape = input.shape.slice(1);
  let act: Activation = { names: new Set([input.name]), shape: inputShape };
  const layers: Layer[] = [];
  let droppedSoftmax = false;
  /** Name of the tensor the last layer produced, while no other node has run since (folding target). */
  let lastLayerOut: string | undefined;

  const constOf = (node: OnnxNode, index: number, k: number): Const => {
    const name = node.input[k];
    const c = name ? consts.get(name) : undefined;
    if (!c) throw unsupported(node, index, `input ${k} ('${name ?? ''}') must be a constant`);
    return c;
  };

  const push = (layer: Layer, outName: string) => {
    // Padding attributes can blow a small input up: each activation element costs constraints, so a layer output
    // this large could never be proved.
    const size = layer.outShape.reduce((a, d) => a * d, 1);
    if (size > MAX_ACTIVATION_ELEMENTS)
      throw new ZkaiError('BAD_INPUT', `layer '${layer.name}' outputs ${size} elements; zkai supports at most ${MAX_ACTIVATION_ELEMENTS}`);
    layers.push(layer);
    act = { names: new Set([outName]), shape: layer.outShape };
    lastLayerOut = outName;
  };

  for (let index = 0; index < g.node.length; index++) {
    const node = g.node[index];
    const name = nodeLabel(node, index);
    const op = node.opType;
    if (node.domain !== '' && node.domain !== 'ai.onnx') throw unsupported(node, index, `custom domain '${node.domain}'`);

    // Shape of the activation is a constant: its shape is static.
    if (op === 'Shape') {
      if (!act.names.has(node.input[0])) throw unsupported(node, index, 'Shape of a tensor other than the running activation');
      const full = [1, ...act.shape];
      const start = normAxis(attrInt(node, 'start', 0), full.length);
      const endAttr = attr(node, 'end');
      const end = endAttr ? normAxis(endAttr.i ?? full.length, full.length) : full.length;
      const s = full.slice(start, end);
      consts.set(node.output[0], { shape: [s.length], data: s });
      continue;
    }

    const actInputs = node.input.filter((n) => n !== '' && !consts.has(n));
    if (actInputs.length === 0) {
      foldConstantNode(node, index, consts, opset);
      continue;
    }
    if (actInputs.length > 1)
      throw unsupported(node, index, `consumes ${actInputs.length} non-constant tensors; only linear chains are supported`);
    if (!act.names.has(actInputs[0])) {
      throw unsupported(node, index, `consumes '${actInputs[0]}', which is not the running activation; only linear chains are supported`);
    }
    if (node.input[0] !== actInputs[0] && op !== 'Add') throw unsupported(node, index, 'the activation must be the first input');
    const out = node.output[0];
    const shape = act.shape;
    const last = layers[layers.length - 1];
    const canFold = last !== undefined && lastLayerOut !== undefined && act.names.has(lastLayerOut);

    switch (op) {
      case 'Identity':
      case 'Dropout': // inference-mode Dropout is the identity; its optional mask output is not supported
        if (node.output.length > 1 && node.output[1] !== '') throw unsupported(node, index, 'Dropout mask output');
        act.names.add(out);
        break;

      case 'Gemm':
      case 'MatMul': {
        if (shape.length !== 1) throw unsupported(node, index, `expects a [batch, K] input, got per-sample shape [${shape}]`);
        const K = shape[0];
        const B = constOf(node, index, 1);
        if (B.shape.length !== 2) throw unsupported(node, index, `weight must be 2-D, got [${B.shape}]`);
        const transB = op === 'Gemm' ? attrInt(node, 'transB', 0) : 0;
        if (op === 'Gemm' && attrInt(node, 'transA', 0) !== 0) throw unsupported(node, index, 'transA=1');
        const alpha = op === 'Gemm' ? attrFloat(node, 'alpha', 1) : 1;
        const beta = op === 'Gemm' ? attrFloat(node, 'beta', 1) : 1;
        const [bK, N] = transB ? [B.shape[1], B.shape[0]] : [B.shape[0], B.shape[1]];
        if (bK !== K) throw unsupported(node, index, `weight shape [${B.shape}] does not match input features ${K}`);
        const w = new Float64Array(N * K);
        for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) w[n * K + k] = alpha * (transB ? B.data[n * K + k] : B.data[k * N + n]);
        const bias = new Float64Array(N);
        if (op === 'Gemm' && node.input[2]) {
          const C = constOf(node, index, 2);
          const bc = broadcastTo(C, [1, N]);
          if (!bc) throw unsupported(node, index, `bias shape [${C.shape}] does not broadcast to [1, ${N}]`);
          for (let n = 0; n < N; n++) bias[n] = beta * bc[n];
        }
        push(
          {
            kind: 'dense',
            name,
            inShape: shape,
            outShape: [N],
            weight: tensor(node.input[1], [N, K], w),
            bias: tensor(node.input[2] || `${name}.bias`, [N], bias),
          },
          out,
        );
        break;
      }

      case 'Add': {
        const cName = node.input.find((n) => n !== actInputs[0]);
        const c = cName !== undefined ? consts.get(cName) : undefined;
        if (!c) throw unsupported(node, index, 'Add needs one constant operand');
        const full = broadcastTo(c, [1, ...shape]);
        if (!full || shapeSize([1, ...shape]) !== full.length)
          throw unsupported(node, index, `constant shape [${c.shape}] does not broadcast to [1, ${shape}]`);
        // Fold into the bias of the producing dense/conv layer when the constant is per output channel.
        if (canFold && last.kind === 'dense') {
          for (let n = 0; n < full.length; n++) last.bias.data[n] += full[n];
          act.names.add(out);
          lastLayerOut = out;
          break;
        }
        if (canFold && last.kind === 'conv2d') {
          const [C, H, W] = shape;
          const per = H * W;
          const perChannel = Array.from({ length: C }, (_, ch) => full.slice(ch * per, (ch + 1) * per).every((v) => v === full[ch * per]));
          if (perChannel.every(Boolean)) {
            for (let ch = 0; ch < C; ch++) last.bias.data[ch] += full[ch * per];
            act.names.add(out);
            lastLayerOut = out;
            break;
          }
        }
        push({ kind: 'add-const', name, inShape: shape, outShape: shape, constant: tensor(cName ?? '', shape, full) }, out);
        break;
      }

      case 'Conv': {
        if (shape.length !== 3)
          throw unsupported(node, index, `only 2-D convolution on [batch, C, H, W] is supported, got per-sample shape [${shape}]`);
        const [C, H, W] = shape;
        const Wt = constOf(node, index, 1);
        if (Wt.shape.length !== 4) throw unsupported(node, index, `weight must be 4-D, got [${Wt.shape}]`);
        if (attrInt(node, 'group', 1) !== 1) throw unsupported(node, index, `group=${attrInt(node, 'group', 1)} (only group=1)`);
        if ((attrInts(node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) throw unsupported(node, index, 'dilations other than 1');
        const [M, wc, kH, kW] = Wt.shape;
        if (wc !== C) throw unsupported(node, index, `weight expects ${wc} input channels, activation has ${C}`);
        const ks = attrInts(node, 'kernel_shape');
        if (ks && (ks[0] !== kH || ks[1] !== kW))
          throw unsupported(node, index, `kernel_shape [${ks}] disagrees with weight [${Wt.shape}]`);
        const st = (attrInts(node, 'strides') ?? [1, 1]) as [number, number];
        const pads = resolvePads(node, index, [H, W], [kH, kW], st);
        const oH = Math.floor((H + pads[0] + pads[2] - kH) / st[0]) + 1;
        const oW = Math.floor((W + pads[1] + pads[3] - kW) / st[1]) + 1;
        if (oH < 1 || oW < 1) throw unsupported(node, index, `output would be empty (${oH}x${oW})`);
        const bias = node.input[2] ? constOf(node, index, 2).data : new Array<number>(M).fill(0);
        push(
          {
            kind: 'conv2d',
            name,
            inShape: shape,
            outShape: [M, oH, oW],
            weight: tensor(node.input[1], [M, C, kH, kW], Wt.data),
            bias: tensor(node.input[2] || `${name}.bias`, [M], bias),
            kernel: [kH, kW],
            strides: [st[0], st[1]],
            pads,
          },
          out,
        );
        break;
      }

      case 'BatchNormalization': {
        if (node.output.slice(1).some((o) => o !== '') || attrInt(node, 'training_mode', 0) !== 0) {
          throw unsupported(node, index, 'training-mode BatchNormalization (export the model in eval mode)');
        }
        const eps = attrFloat(node, 'epsilon', 1e-5);
        const [scale, b, mean, varc] = [1, 2, 3, 4].map((k) => constOf(node, index, k).data);
        const C = shape[0];
        if ([scale, b, mean, varc].some((v) => v.length !== C))
          throw unsupported(node, index, `parameters must have ${C} entries (channel axis 1)`);
        // y = (x - mean) / sqrt(var + eps) * scale + b  ==  x * s + t
        const s = scale.map((v, c) => v / Math.sqrt(varc[c] + eps));
        const t = b.map((v, c) => v - mean[c] * s[c]);
        if (foldBn && canFold && (last.kind === 'conv2d' || last.kind === 'dense')) {
          const per = last.weight.data.length / C;
          for (let c = 0; c < C; c++) {
            for (let k = 0; k < per; k++) last.weight.data[c * per + k] *= s[c];
            last.bias.data[c] = last.bias.data[c] * s[c] + t[c];
          }
          act.names.add(out);
          lastLayerOut = out;
          break;
        }
        push(
          {
            kind: 'channel-affine',
            name,
            inShape: shape,
            outShape: shape,
            scale: tensor(node.input[1], [C], s),
            shift: tensor(node.input[2], [C], t),
          },
          out,
        );
        break;
      }

      case 'Relu':
        push({ kind: 'relu', name, inShape: shape, outShape: shape }, out);
        break;

      case 'MaxPool':
      case 'AveragePool': {
        if (shape.length !== 3)
          throw unsupported(node, index, `only 2-D pooling on [batch, C, H, W] is supported, got per-sample shape [${shape}]`);
        if (node.output.length > 1 && node.output[1] !== '') throw unsupported(node, index, 'MaxPool Indices output');
        const [C, H, W] = shape;
        const k = attrInts(node, 'kernel_shape');
        if (k?.length !== 2) throw unsupported(node, index, 'kernel_shape must have 2 entries');
        if (attrInt(node, 'ceil_mode', 0) !== 0) throw unsupported(node, index, 'ceil_mode=1');
        if ((attrInts(node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) throw unsupported(node, index, 'dilations other than 1');
        const st = (attrInts(node, 'strides') ?? [1, 1]) as [number, number];
        const pads = resolvePads(node, index, [H, W], [k[0], k[1]], st);
        const oH = Math.floor((H + pads[0] + pads[2] - k[0]) / st[0]) + 1;
        const oW = Math.floor((W + pads[1] + pads[3] - k[1]) / st[1]) + 1;
        if (oH < 1 || oW < 1) throw unsupported(node, index, `output would be empty (${oH}x${oW})`);
        push(
          {
            kind: op === 'MaxPool' ? 'maxpool2d' : 'avgpool2d',
            name,
            inShape: shape,
            outShape: [C, oH, oW],
            kernel: [k[0], k[1]],
            strides: [st[0], st[1]],
            pads,
            countIncludePad: attrInt(node, 'count_include_pad', 0) === 1,
          },
          out,
        );
        break;
      }

      case 'Flatten': {
        const full = [1, ...shape];
        const axis = normAxis(attrInt(node, 'axis', 1), full.length);
        const outFull = [shapeSize(full.slice(0, axis)), shapeSize(full.slice(axis))];
        if (outFull[0] !== 1) throw unsupported(node, index, `axis=${axis} would mix the batch dimension with features`);
        pushReshape(name, [outFull[1]], out);
        break;
      }

      case 'Reshape': {
        const target = constOf(node, index, 1).data;
        const full = [1, ...shape];
        if (attrInt(node, 'allowzero', 0) === 1 && target.includes(0))
          throw unsupported(node, index, 'allowzero=1 with a 0 in the target shape');
        const resolved = target.map((d, i) => (d === 0 ? full[i] : d));
        const known = resolved.filter((d) => d !== -1);
        if (resolved.length - known.length > 1) throw unsupported(node, index, `target shape [${target}] has more than one -1`);
        const total = shapeSize(full);
        const rest = shapeSize(known);
        const outFull = resolved.map((d) => (d === -1 ? total / rest : d));
        if (shapeSize(outFull) !== total || !outFull.every(Number.isInteger)) {
          throw unsupported(node, index, `cannot reshape [${full}] to [${target}]`);
        }
        if (outFull[0] !== 1 || outFull.length < 2) throw unsupported(node, index, `target shape [${target}] changes the batch dimension`);
        pushReshape(name, outFull.slice(1), out);
        break;
      }

      case 'Softmax':
      case 'LogSoftmax':
        if (out !== output.name || index !== g.node.length - 1)
          throw unsupported(node, index, `${op} is only supported as the final node (it is dropped: circuits output logits)`);
        droppedSoftmax = true;
        act.names.add(out);
        break;

      default:
        throw unsupported(node, index);
    }
  }

  function pushReshape(name: string, outShape: number[], out: string): void {
    const last = layers[layers.length - 1];
    if (outShape.length === act.shape.length && outShape.every((d, i) => d === act.shape[i])) {
      act.names.add(out); // no-op reshape
      return;
    }
    if (last?.kind === 'reshape' && lastLayerOut !== undefined && act.names.has(lastLayerOut)) {
      last.outShape = outShape; // merge consecutive reshapes
      act = { names: new Set([out]), shape: outShape };
      lastLayerOut = out;
      return;
    }
    push({ kind: 'reshape', name, inShape: act.shape, outShape }, out);
  }

  if (!act.names.has(output.name)) {
    throw new ZkaiError('UNSUPPORTED_OP', `graph output '${output.name}' is not the end of the linear chain of supported ops`, {
      output: output.name,
    });
  }
  if (output.shape && output.shape.length > 0 && output.shape.slice(1).every((d) => d > 0)) {
    const declared = output.shape.slice(1);
    if (declared.length !== act.shape.length || declared.some((d, i) => d !== act.shape[i])) {
      throw new ZkaiError(
        'BAD_INPUT',
        `inferred output shape [${act.shape}] disagrees with the declared [${declared}] of '${output.name}'`,
      );
    }
  }
  return {
    inputName: input.name,
    outputName: output.name,
    inputShape,
    outputShape: act.shape,
    layers,
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

/** Explicit pads [top, left, bottom, right] from `pads` or `auto_pad`. */
function resolvePads(
  node: OnnxNode,
  index: number,
  hw: [number, number],
  k: [number, number],
  st: [number, number],
): [number, number, number, number] {
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const p = attrInts(node, 'pads') ?? [0, 0, 0, 0];
    if (p.length !== 4) throw unsupported(node, index, `pads must have 4 entries, got [${p}]`);
    return [p[0], p[1], p[2], p[3]];
  }
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = [0, 1].map((a) => Math.max(0, (Math.ceil(hw[a] / st[a]) - 1) * st[a] + k[a] - hw[a]));
    const small = total.map((t) => Math.floor(t / 2));
    const big = total.map((t, a) => t - small[a]);
    return autoPad === 'SAME_UPPER' ? [small[0], small[1], big[0], big[1]] : [big[0], big[1], small[0], small[1]];
  }
  throw unsupported(node, index, `auto_pad=${autoPad}`);
}

/** Evaluates a node whose inputs are all constants (shape arithmetic) and records its output as a constant. */
function foldConstantNode(node: OnnxNode, index: number, consts: Map<string, Const>, opset: number): void {
  const inp = (k: number): Const => {
    const c = consts.get(node.input[k]);
    if (!c) throw unsupported(node, index, `missing input ${k}`);
    return c;
  };
  const set = (c: Const) => consts.set(node.output[0], c);
  switch (node.opType) {
    case 'Constant': {
      const a = node.attribute[0];
      if (!a) throw unsupported(node, index, 'Constant without a value');
      if (a.name === 'value' && a.t) set({ shape: a.t.dims, data: tensorValues(a.t) });
      else if (a.name === 'value_float' && a.f !== undefined) set({ shape: [], data: [a.f] });
      else if (a.name === 'value_int' && a.i !== undefined) set({ shape: [], data: [a.i] });
      else if (a.name === 'value_floats') set({ shape: [a.floats.length], data: a.floats });
      else if (a.name === 'value_ints') set({ shape: [a.ints.length], data: a.ints });
      else throw unsupported(node, index, `Constant attribute '${a.name}'`);
      return;
    }
    case 'Identity':
      set(inp(0));
      return;
    case 'Cast': {
      const to = attrInt(node, 'to', OnnxDataType.FLOAT);
      const c = inp(0);
      set({ shape: c.shape, data: INT_TYPES.has(to) ? c.data.map(Math.trunc) : c.data });
      return;
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      const c = inp(0);
      const axesList = opset >= 13 ? (node.input[1] ? inp(1).data : undefined) : attrInts(node, 'axes');
      let shape: number[];
      if (node.opType === 'Unsqueeze') {
        if (!axesList) throw unsupported(node, index, 'Unsqueeze without axes');
        const rank = c.shape.length + axesList.length;
        const axes = new Set(axesList.map((a) => normAxis(a, rank)));
        shape = [];
        let src = 0;
        for (let i = 0; i < rank; i++) shape.push(axes.has(i) ? 1 : c.shape[src++]);
      } else {
        const axes = axesList ? new Set(axesList.map((a) => normAxis(a, c.shape.length))) : undefined;
        shape = c.shape.filter((d, i) => !(axes ? axes.has(i) : d === 1));
      }
      set({ shape, data: c.data });
      return;
    }
    case 'Gather': {
      const data = inp(0);
      const idx = inp(1);
      const axis = normAxis(attrInt(node, 'axis', 0), data.shape.length);
      const outer = shapeSize(data.shape.slice(0, axis));
      const inner = shapeSize(data.shape.slice(axis + 1));
      const dimA = data.shape[axis];
      const out: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const raw of idx.data) {
          const i = raw < 0 ? raw + dimA : raw;
          for (let k = 0; k < inner; k++) out.push(data.data[(o * dimA + i) * inner + k]);
        }
      }
      set({ shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)], data: out });
      return;
    }
    case 'Concat': {
      const parts = node.input.map((_, k) => inp(k));
      const rank = parts[0].shape.length;
      const axis = normAxis(attrInt(node, 'axis', 0), rank);
      const outer = shapeSize(parts[0].shape.slice(0, axis));
      const inner = shapeSize(parts[0].shape.slice(axis + 1));
      const out: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const p of parts) {
          const len = p.shape[axis] * inner;
          out.push(...p.data.slice(o * len, (o + 1) * len));
        }
      }
      const shape = [...parts[0].shape];
      shape[axis] = parts.reduce((s, p) => s + p.shape[axis], 0);
      set({ shape, data: out });
      return;
    }
    default:
      throw unsupported(node, index, 'cannot fold this op over constant inputs');
  }
}
