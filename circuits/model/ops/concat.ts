/**
 * concat: the operands joined along one per-sample axis (channels of [C, H, W], features of [K]), from ONNX Concat of
 * activations (a Concat of constants folds at import: passes/constants.ts; constant operands mixed with activations
 * are refused).
 *
 * Quantization rule (add.ts's): the operands may carry different power-of-two scales 2^-fi; the output takes the
 * finest, f = max(fi), and operand i is multiplied by the constant 2^(f - fi), an exact left shift, so every output
 * element is its real value at scale 2^-f and nothing is rounded. Width: the widest shifted operand. Each output
 * signal is a linear function of one range-checked input signal: 0 constraints (circom --O2 substitutes it) and
 * nothing for a prover to choose.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { assertSigned } from '../int-reference.ts';
import type { ConcatLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QConcat } from '../qir.ts';
import { attr, normAxis } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** The widest left shift between operand scales (as add.ts). */
const MAX_SCALE_GAP = 24;

export function importConcat(ctx: ImportCtx): void {
  if (ctx.node.input.some((n) => n === '' || !ctx.actNames.includes(n))) throw ctx.fail('Concat of activations with constants');
  const a = attr(ctx.node, 'axis')?.i;
  const rank = ctx.shape.length + 1;
  if (a === undefined || a < -rank || a >= rank) throw ctx.fail(`axis ${a} is not an axis of rank ${rank}`);
  const axis = normAxis(a, rank);
  if (axis === 0) throw ctx.fail('concatenation along the batch axis');
  const ax = axis - 1;
  for (const s of ctx.shapes)
    if (s.length !== ctx.shape.length || s.some((d, i) => i !== ax && d !== ctx.shape[i]))
      throw ctx.fail(`operand shapes [${ctx.shapes.map((x) => `[${x}]`)}] differ off axis ${axis}`);
  const sizes = ctx.shapes.map((s) => s[ax]!);
  const outShape = ctx.shape.map((d, i) => (i === ax ? sizes.reduce((x, y) => x + y, 0) : d));
  ctx.add({ kind: 'concat', outShape, axis: ax, sizes });
}

/** For each output element: [operand, element of that operand]. */
export function concatSources(outShape: readonly number[], axis: number, sizes: readonly number[]): [number, number][] {
  const inner = shapeSize(outShape.slice(axis + 1));
  const total = outShape[axis]!;
  const owner: [number, number][] = [];
  sizes.forEach((s, k) => {
    for (let j = 0; j < s; j++) owner.push([k, j]);
  });
  return Array.from({ length: shapeSize(outShape) }, (_, i) => {
    const r = i % inner;
    const j = Math.floor(i / inner) % total;
    const o = Math.floor(i / (inner * total));
    const [k, jk] = owner[j]!;
    return [k, (o * sizes[k]! + jk) * inner + r];
  });
}

export const concat: FloatOp<ConcatLayer> & QuantOp<QConcat> = {
  float: (layer, xs) => Float64Array.from(concatSources(layer.outShape, layer.axis, layer.sizes), ([k, j]) => xs[k]![j]!),
  // No constraint; the scales are unknown before calibration, so one bit for a possible shift.
  estimate: (_layer, ctx) => ({ constraints: 0, bits: Math.max(...ctx.inBits) + 1 }),
  quantize(layer, ctx) {
    const f = Math.max(...ctx.inFrac);
    const shifts = ctx.inFrac.map((fi) => f - fi);
    if (shifts.some((s) => s > MAX_SCALE_GAP)) throw new ZkaiError('BAD_INPUT', `concat '${layer.name}': operand scales are too far apart`);
    const inBits = [...ctx.inBits];
    const bits = Math.max(...inBits.map((b, k) => b + shifts[k]!));
    return {
      q: {
        kind: 'concat',
        name: layer.name,
        inputs: layer.inputs,
        inShape: layer.inShape,
        outShape: layer.outShape,
        axis: layer.axis,
        sizes: layer.sizes,
        shifts,
        inBits,
        bits,
      },
      frac: f,
      bits,
    };
  },
  int(layer, xs) {
    xs.forEach((x, k) => {
      for (const v of x) assertSigned(v, layer.inBits[k]!, 'concat operand');
    });
    return concatSources(layer.outShape, layer.axis, layer.sizes).map(([k, j]) => xs[k]![j]! << BigInt(layer.shifts[k]!));
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const src = concatSources(layer.outShape, layer.axis, layer.sizes);
    const ins = layer.inputs.map((_, k) => ctx.input(k));
    ctx.body.push(`    signal x${li}[${src.length}];`);
    for (const [i, [k, j]] of src.entries()) {
      const s = layer.shifts[k]!;
      ctx.body.push(`    x${li}[${i}] <== ${s === 0 ? '' : `${2 ** s}*`}${ins[k]!(j)};`);
    }
    ctx.cost(layer.kind, 0);
    return (i) => `x${li}[${i}]`;
  },
};
