/**
 * The graph IR of a model, produced from ONNX by `importOnnx` (import.ts) and consumed by the float reference
 * executor, the quantizer, the integer executor, the cost model and the circuit generator. What each node kind
 * means, computes and costs lives in its own file under ops/ (the registry, ops/registry.ts, ties them together).
 *
 * Conventions:
 * - The IR describes ONE sample: the ONNX batch dimension (which must be 1 or symbolic) is stripped, so a
 *   dense layer sees a vector `[K]` and a conv layer a `[C, H, W]` tensor.
 * - Tensors are row-major. Weight data is Float64Array: the values come from float32 initializers, but
 *   folding (BatchNorm into conv/dense, alpha/beta of Gemm) is done in float64 so no extra rounding
 *   is introduced before quantization.
 * - The model is a DAG of nodes in topological order. A tensor is named by the index of the node that produces it
 *   (`MODEL_INPUT`, -1, is the model input); every node lists the tensors it reads in `inputs`, and a tensor may
 *   have several consumers. Every node feeds the output, so the model's output is the last node's (the input when
 *   there is no node). Names are the ONNX node names, for reports only: nothing generated reads them.
 */

/** The tensor id of the model input. */
export const MODEL_INPUT = -1;

/** A named constant tensor (weights, biases). */
export interface IrTensor {
  name: string;
  shape: number[];
  data: Float64Array;
}

interface LayerBase {
  /** The ONNX node name the layer came from (first node, when several were fused). */
  name: string;
  /** The tensors this node reads: indices of earlier nodes, or MODEL_INPUT. */
  inputs: number[];
  /** Shape of the first input (every op but a multi-input one reads one tensor of this shape). */
  inShape: number[];
  outShape: number[];
}

/** y = W x + b, with W of shape [out, in]. From Gemm or MatMul(+Add). */
export interface DenseLayer extends LayerBase {
  kind: 'dense';
  weight: IrTensor;
  bias: IrTensor;
}

/** 2-D convolution. weight [outC, inC / group, kH, kW]; pads [top, left, bottom, right]. */
export interface Conv2dLayer extends LayerBase {
  kind: 'conv2d';
  weight: IrTensor;
  bias: IrTensor;
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
  /** ONNX group (absent: 1); output channel m reads the input channels of group floor(m / (outC / group)). */
  group?: number;
  /** ONNX dilations [dH, dW] (absent: [1, 1]). */
  dilations?: [number, number];
}

export interface ReluLayer extends LayerBase {
  kind: 'relu';
}

/** |x| elementwise (ops/abs.ts). */
export interface AbsLayer extends LayerBase {
  kind: 'abs';
}

/** Max or average pooling over [C, H, W]; pads [top, left, bottom, right]. */
export interface Pool2dLayer extends LayerBase {
  kind: 'maxpool2d' | 'avgpool2d';
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
  /** Average pooling only: whether padded cells count in the divisor (ONNX count_include_pad). */
  countIncludePad: boolean;
}

/** A pure re-interpretation of the (row-major) data with a new shape: Flatten, Reshape. */
export interface ReshapeLayer extends LayerBase {
  kind: 'reshape';
}

/** y[c, ...] = x[c, ...] * scale[c] + shift[c]: a BatchNormalization that could not be (or was asked not to be) folded. */
export interface ChannelAffineLayer extends LayerBase {
  kind: 'channel-affine';
  scale: IrTensor;
  shift: IrTensor;
}

/** y = x + c with a constant c already broadcast to the full (per-sample) shape. */
export interface AddConstLayer extends LayerBase {
  kind: 'add-const';
  constant: IrTensor;
}

/** y = a + b of two activations (a residual connection): inputs [a, b]; bShape when b broadcasts (ops/broadcast.ts). */
export interface AddLayer extends LayerBase {
  kind: 'add';
  bShape?: number[];
}

/** y = min(max(x, min), max), e.g. ReLU6. */
export interface ClipLayer extends LayerBase {
  kind: 'clip';
  min: number;
  max: number;
}

/** Zero padding of H and W, [top, left, bottom, right]; folded into the Conv / AveragePool that reads it. */
export interface PadLayer extends LayerBase {
  kind: 'pad';
  pads: [number, number, number, number];
}

/** y = x with its per-sample axes permuted: out axis a is in axis perm[a] (ONNX Transpose minus the batch axis). */
export interface TransposeLayer extends LayerBase {
  kind: 'transpose';
  perm: number[];
}

/** x for x >= 0, alpha·x below (ONNX LeakyRelu). */
export interface LeakyReluLayer extends LayerBase {
  kind: 'leaky-relu';
  alpha: number;
}

/** y = a - b of two activations of the same shape: inputs [a, b]. */
export interface SubLayer extends LayerBase {
  kind: 'sub';
  bShape?: number[];
}

/** The inputs joined along per-sample axis `axis`; sizes[k] is input k's extent along it. */
export interface ConcatLayer extends LayerBase {
  kind: 'concat';
  axis: number;
  sizes: number[];
}

/** y = x · c with a constant c already broadcast to the per-sample shape (Mul; Div by c stored as 1 / c). */
export interface MulConstLayer extends LayerBase {
  kind: 'mul-const';
  constant: IrTensor;
}

/** A strided window of the input: out axis a keeps outShape[a] elements from starts[a] in steps of steps[a]. */
export interface SliceLayer extends LayerBase {
  kind: 'slice';
  starts: number[];
  steps: number[];
}

/** numpy matmul of two activations [..., n, k] × [..., k, m] → [..., n, m] (leading axes equal): inputs [a, b]. */
export interface MatMulLayer extends LayerBase {
  kind: 'matmul';
}

/** LayerNormalization over the trailing axes from `axis` (per-sample), with gamma and beta over those axes. */
export interface LayerNormLayer extends LayerBase {
  kind: 'layernorm';
  axis: number;
  epsilon: number;
  gamma: IrTensor;
  beta: IrTensor;
}

/**
 * Softmax over one axis of a per-sample tensor viewed as [outer, n, inner] (ops/softmax.ts); a final Softmax is
 * dropped instead (passthrough.ts).
 */
export interface SoftmaxLayer extends LayerBase {
  kind: 'softmax';
  outer: number;
  n: number;
  inner: number;
}

/** log(softmax(x)) over the n-element rows of the [outer, n, inner] view (ops/log-softmax.ts). */
export interface LogSoftmaxLayer extends LayerBase {
  kind: 'log-softmax';
  outer: number;
  n: number;
  inner: number;
}

/** The elementwise functions the activation op computes by table (ops/activation-fns.ts defines each). */
export type ActivationFn =
  | 'sigmoid'
  | 'tanh'
  | 'erf'
  | 'hard-sigmoid'
  | 'hard-swish'
  | 'gelu'
  | 'gelu-tanh'
  | 'silu'
  | 'exp'
  | 'softplus'
  | 'softsign'
  | 'elu'
  | 'selu'
  | 'celu'
  | 'mish'
  | 'sqrt'
  | 'reciprocal'
  | 'log';

/** y = fn(x) elementwise (ops/activation.ts), with the ONNX op's attributes (HardSigmoid alpha/beta, Elu alpha…). */
export interface ActivationLayer extends LayerBase {
  kind: 'activation';
  fn: ActivationFn;
  alpha: number;
  beta: number;
}

/** y = a · b of two activations with numpy broadcasting (ops/mul.ts): inputs [a, b], b of shape bShape. */
export interface MulLayer extends LayerBase {
  kind: 'mul';
  bShape: number[];
}

/**
 * y = a / (b + eps) elementwise of two activations (numpy broadcasting; ops/div.ts): inputs [a, b], bShape b's shape;
 * eps a constant folded from an Add of a constant to the divisor (passes/fuse-div-eps.ts; 0 without one).
 */
export interface DivLayer extends LayerBase {
  kind: 'div';
  bShape: number[];
  eps: number;
}

/** Sum or mean of the input over per-sample `axes` (ascending); outShape keeps them as 1 or drops them (keepdims). */
export interface ReduceLayer extends LayerBase {
  kind: 'reduce-sum' | 'reduce-mean';
  axes: number[];
}

export type Layer =
  | DenseLayer
  | Conv2dLayer
  | ReluLayer
  | AbsLayer
  | Pool2dLayer
  | ReshapeLayer
  | ChannelAffineLayer
  | AddConstLayer
  | AddLayer
  | DivLayer
  | ClipLayer
  | PadLayer
  | TransposeLayer
  | LeakyReluLayer
  | SubLayer
  | ConcatLayer
  | MulConstLayer
  | SliceLayer
  | MatMulLayer
  | LayerNormLayer
  | SoftmaxLayer
  | LogSoftmaxLayer
  | ActivationLayer
  | MulLayer
  | ReduceLayer;
export type LayerKind = Layer['kind'];
/** The node type of one kind, e.g. `LayerOf<'dense'>` is DenseLayer. */
export type LayerOf<K extends LayerKind> = Extract<Layer, { kind: K }>;

export interface ModelIR {
  /** ONNX graph input and output names, for error messages and provenance. */
  inputName: string;
  outputName: string;
  /** Per-sample input shape (batch stripped), e.g. [64] or [1, 8, 8]. */
  inputShape: number[];
  /** Per-sample output shape, e.g. [10] (logits). */
  outputShape: number[];
  /** The nodes, in topological order; the output is the last node's. */
  layers: Layer[];
  /** True when a final Softmax/LogSoftmax was removed: the IR outputs logits. */
  droppedSoftmax: boolean;
  /** ONNX default-domain opset the model was exported with. */
  opset: number;
  producer: string;
}

/** Number of elements in a tensor of the given shape. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The tensor id of the model's output: the last node's, or the input when there is none. */
export function outputTensor(nodes: readonly unknown[]): number {
  return nodes.length - 1;
}

/** How many nodes read each tensor (index t + 1 for tensor t, so the model input is entry 0); the output counts one more. */
export function consumerCounts(nodes: readonly { inputs: readonly number[] }[]): number[] {
  const counts = new Array<number>(nodes.length + 1).fill(0);
  for (const n of nodes) for (const t of n.inputs) counts[t + 1]!++;
  counts[nodes.length]!++;
  return counts;
}

/**
 * Inserts `node` at position `at` of a node list, renumbering every later reference (node indices are tensor ids),
 * and rewires the consumers of `node.inputs[0]` that follow it to read `node` instead when `rewire` is set.
 */
export function insertNode<N extends { inputs: number[] }>(nodes: readonly N[], at: number, node: N, rewire = false): N[] {
  const src = node.inputs[0];
  const shift = (t: number) => (t >= at ? t + 1 : t);
  const out = nodes.map((n, i) => {
    const inputs = n.inputs.map(shift);
    return {
      ...n,
      inputs: rewire && i >= at ? inputs.map((t, k) => (n.inputs[k] === src ? at : t)) : inputs,
    };
  });
  out.splice(at, 0, node);
  return out;
}

/**
 * Checks that every node reads only earlier tensors (so the list is a topological order) and returns each node's
 * inputs; the executors and the generator call it first, since quantized.json is read back from a model directory.
 */
export function checkGraph(nodes: readonly { inputs?: unknown }[], onBad: (what: string) => never): void {
  nodes.forEach((n, i) => {
    if (!Array.isArray(n.inputs) || n.inputs.length === 0) onBad(`node ${i} inputs`);
    for (const t of n.inputs as unknown[])
      if (!Number.isSafeInteger(t) || (t as number) < MODEL_INPUT || (t as number) >= i) onBad(`node ${i} input`);
  });
}
