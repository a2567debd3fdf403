/**
 * conv2d: 2-D convolution over [C, H, W], any stride, padding, dilation and group (a zero Pad before it folds into its
 * pads: passes/fold-pad.ts; a BatchNormalization after it into its weights: passes/fold-affine.ts).
 * Grouped conv (ONNX `group` G, weight [M, C/G, kH, kW]; depthwise: G = C): output channel m reads only the C/G input
 * channels of its group floor(m / (M/G)); dilation d spaces the kernel taps d cells apart. Both are pure geometry:
 * geometry.ts `forEachConvTap`, shared by every executor and the generator, so the circuit reads exactly the cells
 * the float and integer references read. Quantization, integer reference, emission and cost are the linear family's
 * (ops/linear.ts, ops/linear-emit.ts): the fixed-point rule (per-channel int8 weights, requantize by shift, round
 * half up), the error bound (weights ±½ LSB per channel, output ½ LSB, saturation outside the calibrated range) and
 * the gadgets (PackedDot / a linear combination, then Requantize with constrained remainder and quotient) are dense's;
 * with private weights PackedDot packs only channels of the same group, since only they read the same cells.
 */
import { convTapTable } from '../geometry.ts';
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
  const [M, wc, kH, kW] = Wt.shape as [number, number, number, number];
  const G = attrInt(node, 'group', 1);
  if (!(Number.isInteger(G) && G >= 1 && C % G === 0 && M % G === 0))
    throw ctx.fail(`group=${G} must divide the ${C} input and ${M} output channels`);
  if (wc !== C / G) throw ctx.fail(`weight expects ${wc} input channels per group, activation has ${C} in ${G} group(s)`);
  const dil = attrInts(node, 'dilations') ?? [1, 1];
  if (dil.length !== 2 || dil.some((d) => !Number.isInteger(d) || d < 1)) throw ctx.fail(`dilations [${dil}]`);
  const [dH, dW] = dil as [number, number];
  const ks = attrInts(node, 'kernel_shape');
  if (ks && (ks[0] !== kH || ks[1] !== kW)) throw ctx.fail(`kernel_shape [${ks}] disagrees with weight [${Wt.shape}]`);
  const st = (attrInts(node, 'strides') ?? [1, 1]) as [number, number];
  // A dilated kernel spans (k - 1)·d + 1 cells: that is what padding and the output size see.
  const [eH, eW] = [(kH - 1) * dH + 1, (kW - 1) * dW + 1];
  const pads = resolvePads(node, index, [H, W], [eH, eW], st);
  const oH = Math.floor((H + pads[0] + pads[2] - eH) / st[0]) + 1;
  const oW = Math.floor((W + pads[1] + pads[3] - eW) / st[1]) + 1;
  if (oH < 1 || oW < 1) throw ctx.fail(`output would be empty (${oH}x${oW})`);
  const bias = node.input[2] ? ctx.constOf(2).data : new Array<number>(M).fill(0);
  ctx.add({
    kind: 'conv2d',
    outShape: [M, oH, oW],
    weight: tensor(node.input[1]!, [M, C / G, kH, kW], Wt.data),
    bias: tensor(node.input[2] || `${ctx.name}.bias`, [M], bias),
    kernel: [kH, kW],
    strides: [st[0], st[1]],
    pads,
    // Written only when not the default, so that models without them keep their quantized.json (and circuit id).
    ...(G !== 1 ? { group: G } : {}),
    ...(dH !== 1 || dW !== 1 ? { dilations: [dH, dW] as [number, number] } : {}),
  });
}

export const conv2d: FloatOp<Conv2dLayer> & QuantOp<QConv2d> = {
  float(layer, [x]) {
    // forEachConvTap's taps, tabulated once per layer (geometry.ts convTapTable): no allocation per output.
    const w = layer.weight.data;
    const xs = x!;
    const y = new Float64Array(shapeSize(layer.outShape));
    const t = convTapTable(layer);
    const P = t.start.length - 1;
    for (let m = 0; m < layer.bias.data.length; m++) {
      const wOff = m * t.perW;
      const xOff = Math.floor(m / t.perGroup) * t.groupCells;
      for (let o = 0; o < P; o++) {
        let acc = layer.bias.data[m]!;
        for (let k = t.start[o]!; k < t.start[o + 1]!; k++) acc += w[wOff + t.w[k]!]! * xs[xOff + t.x[k]!]!;
        y[m * P + o] = acc;
      }
    }
    return y;
  },
  estimate: estimateLinear,
  quantize: quantizeLinear,
  int: intLinear,
  emit: emitLinear,
};
