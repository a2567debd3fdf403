/**
 * A small, typed intermediate representation of a feed-forward model, produced from ONNX by
 * `importOnnx` (import.ts) and consumed by the float reference executor and, later, the quantizer and
 * circuit generator.
 *
 * Conventions:
 * - The IR describes ONE sample: the ONNX batch dimension (which must be 1 or symbolic) is stripped, so a
 *   dense layer sees a vector `[K]` and a conv layer a `[C, H, W]` tensor.
 * - Tensors are row-major. Weight data is Float64Array: the values come from float32 initializers, but
 *   folding (BatchNorm into conv/dense, alpha/beta of Gemm) is done in float64 so no extra rounding
 *   is introduced before quantization.
 * - The model is a linear chain: `layers[i]` consumes the output of `layers[i - 1]`; `layers[0]` consumes
 *   the model input. Every layer records its input and output shapes.
 */

/** A named constant tensor (weights, biases). */
export interface IrTensor {
  name: string;
  shape: number[];
  data: Float64Array;
}

interface LayerBase {
  /** The ONNX node name the layer came from (first node, when several were fused). */
  name: string;
  inShape: number[];
  outShape: number[];
}

/** y = W x + b, with W of shape [out, in]. From Gemm or MatMul(+Add). */
export interface DenseLayer extends LayerBase {
  kind: 'dense';
  weight: IrTensor;
  bias: IrTensor;
}

/** 2-D convolution, group 1, dilation 1. weight [outC, inC, kH, kW]; pads [top, left, bottom, right]. */
export interface Conv2dLayer extends LayerBase {
  kind: 'conv2d';
  weight: IrTensor;
  bias: IrTensor;
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
}

export interface ReluLayer extends LayerBase {
  kind: 'relu';
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

export type Layer = DenseLayer | Conv2dLayer | ReluLayer | Pool2dLayer | ReshapeLayer | ChannelAffineLayer | AddConstLayer;
export type LayerKind = Layer['kind'];

export interface ModelIR {
  /** ONNX graph input and output names, for error messages and provenance. */
  inputName: string;
  outputName: string;
  /** Per-sample input shape (batch stripped), e.g. [64] or [1, 8, 8]. */
  inputShape: number[];
  /** Per-sample output shape, e.g. [10] (logits). */
  outputShape: number[];
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
