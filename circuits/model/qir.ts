/**
 * The quantized graph (integers only): what the integer executor runs and the circuit generator compiles, and what a
 * model directory's quantized.json holds. Same graph conventions as ir.ts: nodes in topological order, each naming
 * the tensors it reads (earlier node indices, or MODEL_INPUT), the output being the last node's.
 */

interface QNodeBase {
  name: string;
  /** The tensors this node reads: indices of earlier nodes, or MODEL_INPUT (-1). */
  inputs: number[];
  inShape: number[];
  outShape: number[];
}

interface QLinearBase extends QNodeBase {
  /** Integer weights, row-major ([N, K] dense, [M, C, kH, kW] conv), each a signed weightBits value. */
  weight: number[];
  /** Integer biases at the accumulator scale of each output channel (rounding offset included). */
  bias: bigint[];
  /** Per output channel: Requantize shift (>= 1). */
  shift: number[];
  /** Signed width of the accumulator (proven bound over all in-range inputs). */
  accBits: number;
  /** Signed width of the layer's input values. */
  inBits: number;
  /** Signed width of the output: activationBits, or accBits - min(shift) for the final (unsaturated) layer. */
  outBits: number;
  /** Fractional bits of each output channel's weights and of the output (for dequantizing / reports). */
  weightFracBits: number[];
  outFracBits: number;
}

export interface QDense extends QLinearBase {
  kind: 'dense';
}

export interface QConv2d extends QLinearBase {
  kind: 'conv2d';
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
  /** As Conv2dLayer's (absent: 1 and [1, 1], so a quantized.json written before them loads unchanged). */
  group?: number;
  dilations?: [number, number];
}

export interface QRelu extends QNodeBase {
  kind: 'relu';
  bits: number;
}

/** |x| = 2·ReLU(x) - x for a signed `bits`-wide x; the output is bits + 1 wide (ops/abs.ts). */
export interface QAbs extends QNodeBase {
  kind: 'abs';
  bits: number;
}

export interface QPool2d extends QNodeBase {
  kind: 'maxpool2d' | 'avgpool2d';
  bits: number;
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
  countIncludePad: boolean;
  /**
   * Average pooling only (ops/avgpool.ts): when set, every window divides by 2^sumShift and the output is the exact
   * window sum at a scale 2^sumShift finer (no division gadget): the next dense/conv's shift absorbs the division.
   */
  sumShift?: number;
}

export interface QReshape extends QNodeBase {
  kind: 'reshape';
}

/** a·2^shifts[0] + b·2^shifts[1]: both operands brought exactly to the finer scale (ops/add.ts). */
export interface QAdd extends QNodeBase {
  kind: 'add';
  /** b's shape when it broadcasts to outShape (absent: the same shape as a). */
  bShape?: number[];
  shifts: [number, number];
  /** Signed widths of the operands, and of the sum. */
  inBits: [number, number];
  bits: number;
}

/** clamp(x, lo, hi) for a signed bits-wide x (ops/clip.ts). */
export interface QClip extends QNodeBase {
  kind: 'clip';
  bits: number;
  lo: number;
  hi: number;
}

/** The input's elements permuted (ops/transpose.ts). */
export interface QTranspose extends QNodeBase {
  kind: 'transpose';
  perm: number[];
}

/** relu(x) + floor(min(x, 0)·a / 2^k) for a signed bits-wide x (ops/leaky-relu.ts). */
export interface QLeakyRelu extends QNodeBase {
  kind: 'leaky-relu';
  bits: number;
  a: number;
  k: number;
}

/** a·2^shifts[0] - b·2^shifts[1] (ops/sub.ts). */
export interface QSub extends QNodeBase {
  kind: 'sub';
  bShape?: number[];
  shifts: [number, number];
  inBits: [number, number];
  bits: number;
}

/** The inputs, each times 2^shifts[k], joined along `axis` (ops/concat.ts). */
export interface QConcat extends QNodeBase {
  kind: 'concat';
  axis: number;
  sizes: number[];
  shifts: number[];
  inBits: number[];
  bits: number;
}

/** x·c[i], requantized by `shift` (0: the exact product) to signed `bits` (ops/mul-const.ts). */
export interface QMulConst extends QNodeBase {
  kind: 'mul-const';
  /** Signed widths of the input and of the product x·c. */
  inBits: number;
  bIn: number;
  c: number[];
  shift: number;
  bits: number;
}

/** A strided window of the input (ops/slice.ts). */
export interface QSlice extends QNodeBase {
  kind: 'slice';
  starts: number[];
  steps: number[];
}

/** Requantize(accBits, shift, bits) of Σ_k a·b + 2^(shift-1), batched numpy matmul (ops/matmul.ts). */
export interface QMatMul extends QNodeBase {
  kind: 'matmul';
  /** Signed widths of the operands. */
  inBits: [number, number];
  accBits: number;
  shift: number;
  bits: number;
}

/** Integer LayerNorm over groups of n trailing elements, then gamma/beta and Requantize (ops/layernorm.ts). */
export interface QLayerNorm extends QNodeBase {
  kind: 'layernorm';
  /** Elements per normalized group, signed width of the input. */
  n: number;
  inBits: number;
  /** s = floor(sqrt(scaleV · V + eps)), y = floor(k · d / s) of signed yBits; the bound widths of U and s. */
  scaleV: number;
  eps: number;
  k: number;
  uBits: number;
  sBits: number;
  yBits: number;
  /** Per element of the group: integer gamma, and beta (+ rounding) at the scale of gamma·y. */
  gamma: number[];
  bias: bigint[];
  zBits: number;
  shift: number;
  bits: number;
}

/** Softmax rows of an [outer, n, inner] view: SoftmaxRow on the inputs floor-shifted by `shift` (ops/softmax.ts). */
export interface QSoftmax extends QNodeBase {
  kind: 'softmax';
  outer: number;
  n: number;
  inner: number;
  /** Signed width of the input, its floor shift to the table width `bits`, the digit split, the exp table. */
  inBits: number;
  shift: number;
  bits: number;
  l: number;
  table: number[];
  /** Output fractional bits and the divisor width of FloorDiv; the output is signed F + 2 bits. */
  F: number;
  bD: number;
}

/**
 * log softmax per row (ops/log-softmax.ts): y_i = x_i - m - R, R = round((C[k] + LT[v - 2^(M-1)]) / 2^G) from the row
 * sum S = Σ T[m - x_j] normalised to an exponent k and an M-bit mantissa v, at the input's scale 2^-(f - shift) and
 * `outBits` wide. LogSoftmaxRow in circuits/lib/log-softmax.circom; its integer side circuits/model/log-softmax-row.ts.
 */
export interface QLogSoftmax extends QNodeBase {
  kind: 'log-softmax';
  outer: number;
  n: number;
  inner: number;
  /** As QSoftmax: the input's width, its floor shift to the table width `bits`, the exp table and its digit split. */
  inBits: number;
  shift: number;
  bits: number;
  l: number;
  table: number[];
  /** The exp table's scale 2^Fe (T[0] = 2^Fe) and the mantissa's width M (2^(M-1) <= v < 2^M). */
  Fe: number;
  M: number;
  /** The log table (2^(M-1) entries, digit split lM) and the per-exponent constants k·ln2, both at 2^(f+G). */
  lM: number;
  logTable: number[];
  logConst: number[];
  /** The rounding's extra bits G, and R's width: R < 2^RB. */
  G: number;
  RB: number;
  outBits: number;
}

/** y = table[x' + 2^(bits-1)], x' = x floor-shifted by `shift` to `bits` (ops/activation.ts). */
export interface QActivation extends QNodeBase {
  kind: 'activation';
  inBits: number;
  shift: number;
  bits: number;
  l: number;
  /** The function at every input value, at the output scale, saturated to activationBits (computed at quantize time). */
  table: number[];
}

/** a·b (broadcast), requantized by `shift` with round half up to signed `bits` (0: the exact product) (ops/mul.ts). */
export interface QMul extends QNodeBase {
  kind: 'mul';
  bShape: number[];
  /** Signed widths of the operands and of their product. */
  inBits: [number, number];
  bIn: number;
  shift: number;
  bits: number;
}

/**
 * y = saturate(floor(a·2^kA / ((b + epsInt)·2^kB)), bits) (broadcast), the divisor positive or no witness (ops/div.ts):
 * FloorDiv(bQ, bD) on the offset numerator, then Saturate(bQ, bits) when bQ > bits.
 */
export interface QDiv extends QNodeBase {
  kind: 'div';
  bShape: number[];
  /** Signed widths of the operands. */
  inBits: [number, number];
  /** The numerator's and the divisor's left shifts (one of them 0), and eps at the divisor's scale. */
  kA: number;
  kB: number;
  epsInt: number;
  /** Quotient width (signed, before saturation), divisor width (den <= 2^bD), output width. */
  bQ: number;
  bD: number;
  bits: number;
}

/** The sum over `axes` (exact, `bits` wide) or its floor mean (DivByConst, `bits` = inBits) (ops/reduce.ts). */
export interface QReduce extends QNodeBase {
  kind: 'reduce-sum' | 'reduce-mean';
  axes: number[];
  inBits: number;
  bits: number;
}

export type QLayer =
  | QDense
  | QConv2d
  | QRelu
  | QAbs
  | QPool2d
  | QReshape
  | QAdd
  | QClip
  | QTranspose
  | QLeakyRelu
  | QSub
  | QConcat
  | QMulConst
  | QSlice
  | QMatMul
  | QLayerNorm
  | QSoftmax
  | QActivation
  | QMul
  | QReduce
  | QDiv
  | QLogSoftmax;
export type QLayerKind = QLayer['kind'];
export type QLayerOf<K extends QLayerKind> = Extract<QLayer, { kind: K }>;

export interface QuantizedModel {
  inputShape: number[];
  outputShape: number[];
  weightBits: number;
  activationBits: number;
  /** Inputs are signed inputBits integers: round(x · 2^inputFracBits). */
  inputBits: number;
  inputFracBits: number;
  /** Signed width and fractional bits of the output logits. */
  outputBits: number;
  outputFracBits: number;
  layers: QLayer[];
}

/** Index of the last dense/conv layer, or -1. */
export function lastLinearIndex(layers: readonly { kind: string }[]): number {
  for (let i = layers.length - 1; i >= 0; i--) if (layers[i]!.kind === 'dense' || layers[i]!.kind === 'conv2d') return i;
  return -1;
}

/**
 * A quantized.json written before the graph IR has no `inputs`: its layers were a chain, so each read the one
 * before. Fills them in (a copy), so such a model directory still loads; anything else is left for checkGraph.
 */
export function withChainInputs(qm: QuantizedModel): QuantizedModel {
  return { ...qm, layers: qm.layers.map((l, i) => (l && l.inputs === undefined ? { ...l, inputs: [i - 1] } : l)) };
}
