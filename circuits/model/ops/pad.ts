/**
 * pad: zero padding of the H and W axes of [C, H, W], from ONNX Pad (mode constant, value 0). It has no gadget:
 * passes/fold-pad.ts folds it into the padding of the Conv or AveragePool that reads it (padded cells of a conv read
 * zeros; of an average pool they count in the divisor, count_include_pad), or drops it when it pads nothing, as
 * PyTorch's AvgPool2d export emits. Any other Pad fails at import.
 */
import type { PadLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import { attrFloat, attrInts, attrString } from './onnx-util.ts';
import type { FloatOp, ImportCtx } from './op.ts';

export function importPad(ctx: ImportCtx): void {
  const { node, shape } = ctx;
  if (attrString(node, 'mode', 'constant') !== 'constant')
    throw ctx.fail(`mode=${attrString(node, 'mode', '')} (only constant zero padding)`);
  if (shape.length !== 3) throw ctx.fail(`only padding of [batch, C, H, W] is supported, got per-sample shape [${shape}]`);
  const pads = ctx.opset >= 11 ? ctx.constOf(1).data : attrInts(node, 'pads');
  const value = ctx.opset >= 11 ? (ctx.maybeConst(2)?.data[0] ?? 0) : attrFloat(node, 'value', 0);
  if (ctx.opset >= 11 && node.input[3]) throw ctx.fail('the axes input');
  if (value !== 0) throw ctx.fail(`constant_value ${value} (only zero padding folds into a Conv or AveragePool)`);
  if (pads?.length !== 8) throw ctx.fail(`pads must have 8 entries for a [batch, C, H, W] tensor, got [${pads ?? ''}]`);
  const [n0, c0, t, l, n1, c1, b, r] = pads as [number, number, number, number, number, number, number, number];
  if (n0 || c0 || n1 || c1) throw ctx.fail('padding of the batch or channel axis');
  if ([t, l, b, r].some((p) => p < 0 || !Number.isSafeInteger(p))) throw ctx.fail(`negative or invalid pads [${pads}]`);
  const [C, H, W] = shape as [number, number, number];
  ctx.add({ kind: 'pad', outShape: [C, H + t + b, W + l + r], pads: [t, l, b, r] });
}

export const pad: FloatOp<PadLayer> = {
  float(layer, [x]) {
    const [C, H, W] = layer.inShape as [number, number, number];
    const [, oH, oW] = layer.outShape as [number, number, number];
    const [t, l] = layer.pads;
    const y = new Float64Array(shapeSize(layer.outShape));
    for (let c = 0; c < C; c++)
      for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) y[(c * oH + i + t) * oW + j + l] = x![(c * H + i) * W + j]!;
    return y;
  },
  // Folded into its consumer's padding, whose own cost counts the padded cells.
  estimate: (_layer, ctx) => ({ constraints: 0, bits: ctx.inBits[0]! }),
  quantize: 'fold',
};
