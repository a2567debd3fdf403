/**
 * conv2d: 2-D convolution over [C, H, W], group 1, dilation 1, any stride and padding (a zero Pad before it folds into
 * its pads: passes/fold-pad.ts; a BatchNormalization after it into its weights: passes/fold-batchnorm.ts).
 * Quantization, integer reference, emission and cost are the linear family's (ops/linear.ts); the taps come from
 * geometry.ts `forEachConvTap`, shared by every executor and the generator.
 */
import { forEachConvTap } from '../geometry.ts';
import type { Conv2dLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QConv2d } from '../qir.ts';
import { estimateLinear, intLinear, quantizeLinear } from './linear.ts';
import { emitLinear } from './linear-emit.ts';
import { attrInt, attrInts, resolvePads, tensor } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** ONNX Conv → conv2d. */
export function importConv(ctx: ImportCtx): void {
  const { node, index, shape } = ctx;
  if (shape.length !== 3) throw ctx.fail(`only 2-D convolution on [batch, C, H, W] is supported, got per-sample shape [${shape}]`);
  const [C, H, W] = shape as [number, number, number];
  const Wt = ctx.constOf(1);
  if (Wt.shape.length !== 4) throw ctx.fail(`weight must be 4-D, got [${Wt.shape}]`);
  if (attrInt(node, 'group', 1) !== 1) throw ctx.fail(`group=${attrInt(node, 'group', 1)} (only group=1)`);
  if ((attrInts(node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) throw ctx.fail('dilations other than 1');
  const [M, wc, kH, kW] = Wt.shape as [number, number, number, number];
  if (wc !== C) throw ctx.fail(`weight expects ${wc} input channels, activation has ${C}`);
  const ks = attrInts(node, 'kernel_shape');
  if (ks && (ks[0] !== kH || ks[1] !== kW)) throw ctx.fail(`kernel_shape [${ks}] disagrees with weight [${Wt.shape}]`);
  const st = (attrInts(node, 'strides') ?? [1, 1]) as [number, number];
  const pads = resolvePads(node, index, [H, W], [kH, kW], st);
  const oH = Math.floor((H + pads[0] + pads[2] - kH) / st[0]) + 1;
  const oW = Math.floor((W + pads[1] + pads[3] - kW) / st[1]) + 1;
  if (oH < 1 || oW < 1) throw ctx.fail(`output would be empty (${oH}x${oW})`);
  const bias = node.input[2] ? ctx.constOf(2).data : new Array<number>(M).fill(0);
  ctx.add({
    kind: 'conv2d',
    outShape: [M, oH, oW],
    weight: tensor(node.input[1]!, [M, C, kH, kW], Wt.data),
    bias: tensor(node.input[2] || `${ctx.name}.bias`, [M], bias),
    kernel: [kH, kW],
    strides: [st[0], st[1]],
    pads,
  });
}

export const conv2d: FloatOp<Conv2dLayer> & QuantOp<QConv2d> = {
  float(layer, [x]) {
    const w = layer.weight.data;
    const y = new Float64Array(shapeSize(layer.outShape));
    forEachConvTap(layer, (m, o, taps) => {
      let acc = layer.bias.data[m]!;
      for (const [wi, xi] of taps) acc += w[wi]! * x![xi]!;
      y[o] = acc;
    });
    return y;
  },
  estimate: estimateLinear,
  quantize: quantizeLinear,
  int: intLinear,
  emit: emitLinear,
};
