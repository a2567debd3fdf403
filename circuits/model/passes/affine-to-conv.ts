/**
 * A BatchNormalization (channel-affine, y[c, …] = x[c, …]·s[c] + t[c]) that cannot fold into a dense/conv before it
 * (right after the model input, after an Add, a pool, a second reader of the conv…) becomes what it is: a depthwise
 * 1×1 convolution, group = C, weight s[c], bias t[c] (ops/conv2d.ts). So a standalone BatchNorm gets the linear
 * family's quantization rule (per-channel int8 scale, requantize by shift, round half up; error: s rounded to ±½ LSB
 * of its channel's weight scale, ½ output LSB, saturation outside the calibrated range), its gadgets and soundness
 * argument (Requantize with constrained remainder and quotient; with private weights PackedDot, one product per
 * element), its fused ReLU, and its exact cost: accBits per element (+8 when it saturates; + 1 product when the
 * weights are private). A tensor of another rank [C, …] is viewed as [C, Π(…), 1] (the same row-major data) and
 * a reshape node (no constraint) gives it its shape back.
 */
import { type ChannelAffineLayer, type Conv2dLayer, insertNode, type Layer, type ReshapeLayer, shapeSize } from '../ir.ts';

/** The depthwise 1×1 conv that computes `layer` on its [C, S, 1] view (and that view's shape). */
export function affineAsConv(layer: ChannelAffineLayer): Conv2dLayer {
  const C = layer.inShape[0]!;
  const view = layer.inShape.length === 3 ? layer.inShape : [C, shapeSize(layer.inShape) / C, 1];
  return {
    kind: 'conv2d',
    name: layer.name,
    inputs: layer.inputs,
    inShape: view,
    outShape: view,
    weight: { name: layer.scale.name, shape: [C, 1, 1, 1], data: Float64Array.from(layer.scale.data) },
    bias: { name: layer.shift.name, shape: [C], data: Float64Array.from(layer.shift.data) },
    kernel: [1, 1],
    strides: [1, 1],
    pads: [0, 0, 0, 0],
    ...(C !== 1 ? { group: C } : {}),
  };
}

/** Replaces every channel-affine node left in `nodes` (those a fold could not absorb) by its depthwise conv. */
export function affineToConv(nodes: readonly Layer[]): Layer[] {
  let out = [...nodes];
  for (let i = 0; i < out.length; i++) {
    const layer = out[i]!;
    if (layer.kind !== 'channel-affine') continue;
    const conv = affineAsConv(layer);
    out[i] = conv;
    if (layer.inShape.length === 3) continue;
    const back: ReshapeLayer = { kind: 'reshape', name: layer.name, inputs: [i], inShape: conv.outShape, outShape: layer.outShape };
    out = insertNode(out, i + 1, back, true);
    i++;
  }
  return out;
}
