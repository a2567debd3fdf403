/**
 * dense: y = W x + b, W [out, in], from ONNX Gemm (transA 0, alpha/beta folded into W and b) or MatMul by a constant
 * (a following Add of a constant folds into b: passes/fold-affine.ts). A MatMul by a constant of a [..., T, K]
 * activation is a per-token linear layer (ops/token-linear.ts). Quantization, integer reference, emission and
 * cost are the linear family's (ops/linear.ts).
 */
import type { DenseLayer } from '../ir.ts';
import type { QDense } from '../qir.ts';
import { estimateLinear, intLinear, quantizeLinear } from './linear.ts';
import { emitLinear } from './linear-emit.ts';
import { attrFloat, attrInt, broadcastTo, tensor } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';
import { importTokenLinear } from './token-linear.ts';

/** ONNX Gemm and MatMul (by a constant) → dense. */
export function importGemm(ctx: ImportCtx): void {
  const { node, shape } = ctx;
  const op = node.opType;
  if (shape.length !== 1 && op !== 'MatMul') throw ctx.fail(`expects a [batch, K] input, got per-sample shape [${shape}]`);
  const K = shape[shape.length - 1]!;
  const B = ctx.constOf(1);
  if (B.shape.length !== 2) throw ctx.fail(`weight must be 2-D, got [${B.shape}]`);
  const transB = op === 'Gemm' ? attrInt(node, 'transB', 0) : 0;
  if (op === 'Gemm' && attrInt(node, 'transA', 0) !== 0) throw ctx.fail('transA=1');
  const alpha = op === 'Gemm' ? attrFloat(node, 'alpha', 1) : 1;
  const beta = op === 'Gemm' ? attrFloat(node, 'beta', 1) : 1;
  const [bK, N] = transB ? [B.shape[1]!, B.shape[0]!] : [B.shape[0]!, B.shape[1]!];
  if (bK !== K) throw ctx.fail(`weight shape [${B.shape}] does not match input features ${K}`);
  const w = new Float64Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) w[n * K + k] = alpha * (transB ? B.data[n * K + k]! : B.data[k * N + n]!);
  const bias = new Float64Array(N);
  if (op === 'Gemm' && node.input[2]) {
    const C = ctx.constOf(2);
    const bc = broadcastTo(C, [1, N]);
    if (!bc) throw ctx.fail(`bias shape [${C.shape}] does not broadcast to [1, ${N}]`);
    for (let n = 0; n < N; n++) bias[n] = beta * bc[n]!;
  }
  // [..., T, K] × [K, N]: the same weights applied to every token (ops/token-linear.ts).
  if (shape.length > 1) {
    importTokenLinear(ctx, tensor(node.input[1]!, [N, K], w));
    return;
  }
  ctx.add({
    kind: 'dense',
    outShape: [N],
    weight: tensor(node.input[1]!, [N, K], w),
    bias: tensor(node.input[2] || `${ctx.name}.bias`, [N], bias),
  });
}

export const dense: FloatOp<DenseLayer> & QuantOp<QDense> = {
  float(layer, [x]) {
    const [N, K] = layer.weight.shape as [number, number];
    const w = layer.weight.data;
    const y = new Float64Array(N);
    for (let n = 0; n < N; n++) {
      let acc = layer.bias.data[n]!;
      for (let k = 0; k < K; k++) acc += w[n * K + k]! * x![k]!;
      y[n] = acc;
    }
    return y;
  },
  estimate: estimateLinear,
  quantize: quantizeLinear,
  int: intLinear,
  emit: emitLinear,
};
