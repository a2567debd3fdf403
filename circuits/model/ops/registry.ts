/**
 * The op registry: every node kind of ir.ts maps to its float side, every kind of qir.ts to its integer side, and
 * every supported ONNX op type to its importer. The tables are mapped types over the kind unions, so a kind without
 * an implementation does not type-check, and the drivers dispatch through `floatOp` / `quantOp`, which refuse (typed
 * error) a kind they do not know, e.g. from a hand-edited quantized.json, instead of emitting nothing for it.
 */
import { ZkaiError } from '../../../common/errors.ts';
import type { Layer } from '../ir.ts';
import type { QLayer } from '../qir.ts';
import { abs, importAbs } from './abs.ts';
import { activation } from './activation.ts';
import { ACTIVATION_ONNX_OPS, importActivation } from './activation-fns.ts';
import { add, importAdd } from './add.ts';
import { addConst } from './add-const.ts';
import { avgpool2d } from './avgpool.ts';
import { channelAffine, importBatchNorm } from './channel-affine.ts';
import { clip, importClip } from './clip.ts';
import { concat, importConcat } from './concat.ts';
import { conv2d, importConv } from './conv2d.ts';
import { dense, importGemm } from './dense.ts';
import { div, importDiv } from './div.ts';
import { importGlobalAveragePool } from './global-avgpool.ts';
import { importLayerNorm, layerNorm } from './layernorm.ts';
import { importLeakyRelu, leakyRelu } from './leaky-relu.ts';
import { importLogSoftmax, logSoftmax } from './log-softmax.ts';
import { importMatMul, matmul } from './matmul.ts';
import { maxpool2d } from './maxpool.ts';
import { importMul, mul } from './mul.ts';
import { mulConst } from './mul-const.ts';
import type { FloatOp, FloatOps, OnnxImporter, QuantOp, QuantOps } from './op.ts';
import { importPad, pad } from './pad.ts';
import { importIdentity } from './passthrough.ts';
import { importPool } from './pool.ts';
import { importPow } from './pow.ts';
import { importReduce, reduce } from './reduce.ts';
import { importRelu, relu } from './relu.ts';
import { importFlatten, importReshape, reshape } from './reshape.ts';
import { importSlice, importSplit, slice } from './slice.ts';
import { importSoftmax, softmax } from './softmax.ts';
import { importSqueeze, importUnsqueeze } from './squeeze.ts';
import { importSub, sub } from './sub.ts';
import { importTranspose, transpose } from './transpose.ts';

export const FLOAT_OPS: FloatOps = {
  dense,
  conv2d,
  relu,
  maxpool2d,
  avgpool2d,
  reshape,
  'channel-affine': channelAffine,
  'add-const': addConst,
  add,
  clip,
  pad,
  transpose,
  'leaky-relu': leakyRelu,
  sub,
  concat,
  'mul-const': mulConst,
  slice,
  matmul,
  layernorm: layerNorm,
  softmax,
  activation,
  mul,
  'reduce-sum': reduce,
  'reduce-mean': reduce,
  div,
  'log-softmax': logSoftmax,
  abs,
};

export const QUANT_OPS: QuantOps = {
  dense,
  conv2d,
  relu,
  maxpool2d,
  avgpool2d,
  reshape,
  add,
  clip,
  transpose,
  'leaky-relu': leakyRelu,
  sub,
  concat,
  'mul-const': mulConst,
  slice,
  matmul,
  layernorm: layerNorm,
  softmax,
  activation,
  mul,
  'reduce-sum': reduce,
  'reduce-mean': reduce,
  div,
  'log-softmax': logSoftmax,
  abs,
};

/** ONNX op type → importer, for nodes that read an activation. */
export const ONNX_IMPORTERS: Readonly<Record<string, OnnxImporter>> = {
  Gemm: importGemm,
  MatMul: importMatMul,
  Conv: importConv,
  BatchNormalization: importBatchNorm,
  Relu: importRelu,
  Abs: importAbs,
  MaxPool: importPool,
  AveragePool: importPool,
  Flatten: importFlatten,
  Reshape: importReshape,
  Add: importAdd,
  Clip: importClip,
  Pad: importPad,
  GlobalAveragePool: importGlobalAveragePool,
  Transpose: importTranspose,
  LeakyRelu: importLeakyRelu,
  Sub: importSub,
  Concat: importConcat,
  Mul: importMul,
  Div: importDiv,
  Pow: importPow,
  Squeeze: importSqueeze,
  Unsqueeze: importUnsqueeze,
  Identity: importIdentity,
  Dropout: importIdentity,
  Softmax: importSoftmax,
  LogSoftmax: importLogSoftmax,
  Slice: importSlice,
  Split: importSplit,
  LayerNormalization: importLayerNorm,
  ...Object.fromEntries(ACTIVATION_ONNX_OPS.map((op) => [op, importActivation])),
  ReduceSum: importReduce,
  ReduceMean: importReduce,
};

/** ONNX ops whose importer takes several activation inputs, and how many at most (every other one takes one). */
export const MULTI_INPUT_ONNX_OPS: Readonly<Record<string, number>> = { Add: 2, Sub: 2, Concat: 64, Mul: 2, MatMul: 2, Div: 2 };

/** ONNX ops evaluated at import when all their inputs are constants (passes/constants.ts), Shape included. */
export const CONSTANT_ONNX_OPS = ['Constant', 'Shape', 'Identity', 'Cast', 'Unsqueeze', 'Squeeze', 'Gather', 'Concat', 'Slice'] as const;

/** Every ONNX op type the importer accepts, for the error that names an unsupported one. */
export const SUPPORTED_ONNX_OPS: readonly string[] = [...new Set([...Object.keys(ONNX_IMPORTERS), ...CONSTANT_ONNX_OPS])].sort();

const has = (table: object, kind: unknown): boolean => typeof kind === 'string' && Object.hasOwn(table, kind);

/** The float side of a node's op (BAD_INPUT for a kind no op implements). */
export function floatOp<L extends Layer>(layer: L): FloatOp<L> {
  if (!has(FLOAT_OPS, layer.kind)) throw new ZkaiError('BAD_INPUT', `model graph: unknown node kind`);
  return FLOAT_OPS[layer.kind] as unknown as FloatOp<L>;
}

/** The integer side of a quantized node's op (BAD_INPUT for a kind no op implements). */
export function quantOp<Q extends QLayer>(layer: Q): QuantOp<Q> {
  if (!has(QUANT_OPS, layer.kind)) throw new ZkaiError('BAD_INPUT', `quantized model: unknown node kind`);
  return QUANT_OPS[layer.kind] as unknown as QuantOp<Q>;
}

/** The quantized kinds, for the source guard's check of a quantized.json read back from disk. */
export const QUANT_KINDS: ReadonlySet<string> = new Set(Object.keys(QUANT_OPS));
