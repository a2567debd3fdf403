/**
 * Folds channel-affine (BatchNorm) and add-const nodes into the dense/conv that produces their input, in float64
 * (exact algebra: w·s, b·s + t; b + c): they have no gadget of their own. The producer must have no other reader (it
 * would see the folded values). At import (strict false) what cannot fold stays a node; before quantizing (strict
 * true) it is UNSUPPORTED_OP: an add-const must be constant over each output channel to become a bias.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { consumerCounts, type Layer, shapeSize } from '../ir.ts';
import { compact } from './graph.ts';

export type AffineKind = 'channel-affine' | 'add-const';

export function foldAffine(nodes: readonly Layer[], opts: { kinds: ReadonlySet<AffineKind>; strict: boolean }): Layer[] {
  const out = [...nodes];
  const counts = consumerCounts(nodes);
  const alias = new Map<number, number>();
  const resolve = (t: number): number => (alias.has(t) ? resolve(alias.get(t)!) : t);
  out.forEach((layer, i) => {
    if ((layer.kind !== 'channel-affine' && layer.kind !== 'add-const') || !opts.kinds.has(layer.kind)) return;
    const p = resolve(layer.inputs[0]!);
    const prev = out[p];
    if (!prev || (prev.kind !== 'dense' && prev.kind !== 'conv2d') || counts[p + 1] !== 1) {
      if (!opts.strict) return;
      throw new ZkaiError(
        'UNSUPPORTED_OP',
        `cannot quantize '${layer.kind}' layer '${layer.name}': it must directly follow a dense or conv layer`,
      );
    }
    const outC = prev.weight.shape[0]!;
    const per = shapeSize(prev.outShape) / outC;
    const weight = { ...prev.weight, data: Float64Array.from(prev.weight.data) };
    const bias = { ...prev.bias, data: Float64Array.from(prev.bias.data) };
    const perW = weight.data.length / outC;
    if (layer.kind === 'channel-affine') {
      for (let c = 0; c < outC; c++) {
        const s = layer.scale.data[c]!;
        for (let k = 0; k < perW; k++) weight.data[c * perW + k]! *= s;
        bias.data[c] = bias.data[c]! * s + layer.shift.data[c]!;
      }
    } else {
      // A per-element constant folds only if it is constant over each channel's spatial positions.
      for (let c = 0; c < outC; c++) {
        for (let k = 1; k < per; k++) {
          if (layer.constant.data[c * per + k] === layer.constant.data[c * per]) continue;
          if (!opts.strict) return;
          throw new ZkaiError('UNSUPPORTED_OP', `cannot quantize add-const '${layer.name}': the constant varies within a channel`);
        }
      }
      for (let c = 0; c < outC; c++) bias.data[c] = bias.data[c]! + layer.constant.data[c * per]!;
    }
    out[p] = { ...prev, weight, bias };
    alias.set(i, p);
    counts[p + 1] = counts[i + 1]!;
  });
  return compact(out, alias);
}
