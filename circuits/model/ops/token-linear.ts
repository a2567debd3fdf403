/**
 * A per-token linear layer: ONNX MatMul of a [..., T, K] activation by a constant [K, N] (a transformer's Q/K/V and
 * output projections), y[r, :] = W x[r, :] for each of the R = T·… rows. No node kind of its own: it is lowered at
 * import to data movement and a 1×1 conv2d, which is exactly a dense layer applied at every position:
 *   reshape [R, K] → transpose [K, R] → reshape [K, R, 1] → conv2d 1×1 (weight [N, K, 1, 1]) → [N, R, 1]
 *   → reshape [N, R] → transpose [R, N] → reshape [..., T, N].
 * Reshapes and transposes cost nothing (the generator renames signals), so the layer costs what conv2d costs: a
 * Requantize per output, with private weights PackedDot's product per tap and channel group, and its weights are
 * committed like any dense/conv layer's (per output channel scales, proven accumulator bound: ops/linear.ts). The
 * bias Add PyTorch emits after the MatMul lands behind the transposes; passes/hoist-add-const.ts moves it in front of
 * them so that it folds into the conv's bias (passes/fold-affine.ts). Error bound: dense's.
 */
import type { IrTensor } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import { tensor } from './onnx-util.ts';
import type { ImportCtx } from './op.ts';

/** Adds the lowering of x · Wᵀ for `weight` [N, K] (row n is output n's weights) to the graph. */
export function importTokenLinear(ctx: ImportCtx, weight: IrTensor): void {
  const [N, K] = weight.shape as [number, number];
  const lead = ctx.shape.slice(0, -1);
  const R = shapeSize(lead);
  let t = ctx.acts[0]!;
  if (ctx.shape.length !== 2) t = ctx.add({ kind: 'reshape', outShape: [R, K], inputs: [t] });
  t = ctx.add({ kind: 'transpose', outShape: [K, R], perm: [1, 0], inputs: [t] });
  t = ctx.add({ kind: 'reshape', outShape: [K, R, 1], inputs: [t] });
  t = ctx.add({
    kind: 'conv2d',
    outShape: [N, R, 1],
    weight: { ...weight, shape: [N, K, 1, 1] },
    bias: tensor(`${ctx.name}.bias`, [N], new Float64Array(N)),
    kernel: [1, 1],
    strides: [1, 1],
    pads: [0, 0, 0, 0],
    inputs: [t],
  });
  t = ctx.add({ kind: 'reshape', outShape: [N, R], inputs: [t] });
  t = ctx.add({ kind: 'transpose', outShape: [R, N], perm: [1, 0], inputs: [t] });
  if (ctx.shape.length !== 2) ctx.add({ kind: 'reshape', outShape: [...lead, N], inputs: [t] });
}
