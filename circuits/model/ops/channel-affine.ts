/**
 * channel-affine: y[c, ...] = x[c, ...]·scale[c] + shift[c], an inference-mode ONNX BatchNormalization. It has no
 * gadget: it folds (float64, exact algebra) into the dense/conv that produces its input, at import
 * (passes/fold-affine.ts, unless ImportOptions.foldBatchNorm is false) or, at the latest, before quantizing. One with
 * no such producer (after the model input, an Add, a pool, …) becomes a depthwise 1×1 conv before quantizing
 * (passes/affine-to-conv.ts: the conv's rule, error bound, gadgets and cost).
 */
import type { ChannelAffineLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import { affineAsConv } from '../passes/affine-to-conv.ts';
import { estimateLinear } from './linear.ts';
import { attrFloat, attrInt, tensor } from './onnx-util.ts';
import type { FloatOp, ImportCtx } from './op.ts';

export function importBatchNorm(ctx: ImportCtx): void {
  const { node, shape } = ctx;
  if (node.output.slice(1).some((o) => o !== '') || attrInt(node, 'training_mode', 0) !== 0) {
    throw ctx.fail('training-mode BatchNormalization (export the model in eval mode)');
  }
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const [scale, b, mean, varc] = [1, 2, 3, 4].map((k) => ctx.constOf(k).data) as [number[], number[], number[], number[]];
  const C = shape[0]!;
  if ([scale, b, mean, varc].some((v) => v.length !== C)) throw ctx.fail(`parameters must have ${C} entries (channel axis 1)`);
  // y = (x - mean) / sqrt(var + eps) * scale + b  ==  x * s + t
  const s = scale.map((v, c) => v / Math.sqrt(varc[c]! + eps));
  const t = b.map((v, c) => v - mean[c]! * s[c]!);
  ctx.add({ kind: 'channel-affine', outShape: shape, scale: tensor(node.input[1]!, [C], s), shift: tensor(node.input[2]!, [C], t) });
}

export const channelAffine: FloatOp<ChannelAffineLayer> = {
  float(layer, [x]) {
    const per = shapeSize(layer.inShape) / layer.inShape[0]!;
    return x!.map((v, i) => {
      const c = Math.floor(i / per);
      return v * layer.scale.data[c]! + layer.shift.data[c]!;
    });
  },
  // Folded into the preceding dense/conv it costs nothing; standalone it is a depthwise 1×1 conv.
  estimate(layer, ctx) {
    const p = layer.inputs[0]!;
    const prev = ctx.nodes[p];
    const readers = ctx.nodes.filter((n) => n.inputs.includes(p)).length;
    if (prev && (prev.kind === 'dense' || prev.kind === 'conv2d') && readers === 1) return { constraints: 0, bits: ctx.inBits[0]! };
    return estimateLinear(affineAsConv(layer), ctx);
  },
  quantize: 'fold',
};
