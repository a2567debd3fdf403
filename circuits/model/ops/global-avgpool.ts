/**
 * ONNX GlobalAveragePool: the mean of each channel over its whole H×W plane, [C, H, W] → [C, 1, 1]. It is exactly an
 * average pool whose one window is the plane (kernel [H, W], stride 1, no padding), so it becomes an avgpool2d node
 * (ops/avgpool.ts): DivByConst(bits, H·W) per channel, floor(sum / (H·W)) in the integer reference, no new gadget.
 */
import type { ImportCtx } from './op.ts';

export function importGlobalAveragePool(ctx: ImportCtx): void {
  const { shape } = ctx;
  if (shape.length !== 3) throw ctx.fail(`only 2-D pooling on [batch, C, H, W] is supported, got per-sample shape [${shape}]`);
  const [C, H, W] = shape as [number, number, number];
  ctx.add({
    kind: 'avgpool2d',
    outShape: [C, 1, 1],
    kernel: [H, W],
    strides: [1, 1],
    pads: [0, 0, 0, 0],
    countIncludePad: false,
  });
}
