/**
 * reshape: the same row-major data under a new shape, from ONNX Flatten and Reshape (a constant target, typically
 * folded from a Shape chain: passes/constants.ts). No signal and no constraint: the generator hands the input's
 * signals on. No-op reshapes are dropped and consecutive ones merged (passes/reshape.ts).
 */
import type { ReshapeLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QReshape } from '../qir.ts';
import { attrInt, normAxis } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

export function importFlatten(ctx: ImportCtx): void {
  const full = [1, ...ctx.shape];
  const axis = normAxis(attrInt(ctx.node, 'axis', 1), full.length);
  const outFull = [shapeSize(full.slice(0, axis)), shapeSize(full.slice(axis))];
  if (outFull[0] !== 1) throw ctx.fail(`axis=${axis} would mix the batch dimension with features`);
  ctx.add({ kind: 'reshape', outShape: [outFull[1]!] });
}

export function importReshape(ctx: ImportCtx): void {
  const target = ctx.constOf(1).data;
  const full = [1, ...ctx.shape];
  if (attrInt(ctx.node, 'allowzero', 0) === 1 && target.includes(0)) throw ctx.fail('allowzero=1 with a 0 in the target shape');
  const resolved = target.map((d, i) => (d === 0 ? full[i]! : d));
  const known = resolved.filter((d) => d !== -1);
  if (resolved.length - known.length > 1) throw ctx.fail(`target shape [${target}] has more than one -1`);
  const total = shapeSize(full);
  const rest = shapeSize(known);
  const outFull = resolved.map((d) => (d === -1 ? total / rest : d));
  if (shapeSize(outFull) !== total || !outFull.every(Number.isInteger)) throw ctx.fail(`cannot reshape [${full}] to [${target}]`);
  if (outFull[0] !== 1 || outFull.length < 2) throw ctx.fail(`target shape [${target}] changes the batch dimension`);
  ctx.add({ kind: 'reshape', outShape: outFull.slice(1) });
}

export const reshape: FloatOp<ReshapeLayer> & QuantOp<QReshape> = {
  float: (_layer, [x]) => x!,
  estimate: (_layer, ctx) => ({ constraints: 0, bits: ctx.inBits[0]! }),
  quantize: (layer, ctx) => ({
    q: { kind: 'reshape', name: layer.name, inputs: layer.inputs, inShape: layer.inShape, outShape: layer.outShape },
    frac: ctx.inFrac[0]!,
    bits: ctx.inBits[0]!,
  }),
  int: (_layer, [x]) => [...x!],
  emit(layer, ctx) {
    ctx.cost(layer.kind, 0);
    return ctx.input(0); // same signals, new shape
  },
};
