/**
 * add-const: y = x + c for a constant c (broadcast to the per-sample shape), from an ONNX Add with one constant
 * operand (MatMul + Add is how PyTorch exports a Linear). It has no gadget: it folds into the bias of the dense/conv
 * that produces its input (passes/fold-affine.ts) when c is constant over each output channel.
 */
import type { AddConstLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import { broadcastTo, tensor } from './onnx-util.ts';
import type { FloatOp, ImportCtx } from './op.ts';

/** ONNX Add of an activation and a constant. */
export function importAddConst(ctx: ImportCtx): void {
  const { node, shape } = ctx;
  // The operand that is not the activation must be a constant.
  const k = node.input.findIndex((n) => n !== ctx.actNames[0]);
  const c = k >= 0 ? ctx.maybeConst(k) : undefined;
  const cName = node.input[k];
  if (!c) throw ctx.fail('Add needs one constant operand');
  const full = broadcastTo(c, [1, ...shape]);
  if (!full || shapeSize([1, ...shape]) !== full.length) throw ctx.fail(`constant shape [${c.shape}] does not broadcast to [1, ${shape}]`);
  ctx.add({ kind: 'add-const', outShape: shape, constant: tensor(cName ?? '', shape, full) });
}

export const addConst: FloatOp<AddConstLayer> = {
  float: (layer, [x]) => x!.map((v, i) => v + layer.constant.data[i]!),
  estimate: (_layer, ctx) => ({ constraints: 0, bits: ctx.inBits[0]! }),
  quantize: 'fold',
};
