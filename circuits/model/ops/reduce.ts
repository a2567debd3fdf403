/**
 * reduce-sum / reduce-mean: ONNX ReduceSum and ReduceMean over any per-sample axes, keepdims 0 or 1 (the data is the
 * same row-major either way: keepdims only changes the shape). Axes come from the `axes` attribute, or from the
 * constant input 1 (ReduceSum from opset 13, ReduceMean from opset 18); no axes means all of them, unless
 * noop_with_empty_axes = 1 (then the node is the identity). The batch axis (size 1) may be named only with keepdims 1,
 * where reducing it changes nothing; with keepdims 0 it would drop the batch dimension every later op expects.
 *
 * Fixed point, at the input's scale 2^-f (no rescaling, so no rounding of the scale):
 * - sum: the exact integer sum of the n = Π(reduced dims) inputs, signed bits + ⌈log2 n⌉ wide (|sum| <= n·2^(bits-1)).
 *   Error against the float op: none beyond the inputs' own. 0 constraints: a linear combination of range-checked
 *   signals, which a prover cannot choose, and which the next gadget's range check (at the wider width) covers.
 * - mean: floor(sum / n), signed bits wide (a mean of signed bits-wide values is one). Error: the floor, < 1 LSB.
 *   Gadget DivByConst(bits, n) (quant.circom; n = 1: a wire): sum = q·n + r with 0 <= r < n and q in signed bits, all
 *   constrained, and since |q·n + r| < n·2^bits is far below p that decomposition is the unique floor division (its
 *   forged-witness tests are in circuits/lib/quant.test.ts). bits + 2·⌈log2 n⌉ constraints per output.
 * Emission: a template `Reduce<i>()` with loops (the input index of output o and reduced cell r is base[o] + off[r]:
 * kept and reduced axes contribute separately to a row-major index), so the code does not grow with the tensor.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { bitLength, divByConstCost } from '../gadget-cost.ts';
import { assertSigned, divFloor } from '../int-reference.ts';
import type { ReduceLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QReduce } from '../qir.ts';
import { wire } from './linear-emit.ts';
import { attrInt, attrInts, normAxis } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** ONNX ReduceSum / ReduceMean of an activation. */
export function importReduce(ctx: ImportCtx): void {
  const { node, shape } = ctx;
  const keep = attrInt(node, 'keepdims', 1) === 1;
  const fromInput = node.input[1] ? ctx.constOf(1).data : undefined;
  const list = fromInput ?? attrInts(node, 'axes') ?? [];
  if (list.length === 0 && attrInt(node, 'noop_with_empty_axes', 0) === 1) {
    ctx.alias();
    return;
  }
  const rank = shape.length + 1;
  const all = list.length === 0;
  const axes = all ? Array.from({ length: rank }, (_, a) => a) : list.map((a) => normAxis(a, rank));
  if (axes.some((a) => !Number.isInteger(a) || a < 0 || a >= rank) || new Set(axes).size !== axes.length)
    throw ctx.fail(`axes [${list}] are not distinct axes of rank ${rank}`);
  if (axes.includes(0) && !keep) throw ctx.fail('reducing the batch axis with keepdims=0');
  // Per-sample axes (the batch axis, size 1, reduces to itself).
  const per = axes.filter((a) => a > 0).map((a) => a - 1);
  if (per.length === 0) {
    ctx.alias();
    return;
  }
  const outShape = keep ? shape.map((d, a) => (per.includes(a) ? 1 : d)) : shape.filter((_, a) => !per.includes(a));
  ctx.add({ kind: node.opType === 'ReduceSum' ? 'reduce-sum' : 'reduce-mean', outShape, axes: [...per].sort((a, b) => a - b) });
}

/**
 * The row-major input index of output o's r-th reduced cell is bases[o] + offsets[r] (outputs in row-major order of
 * the kept axes, reduced cells in row-major order of the reduced axes).
 */
export function reduceIndices(inShape: readonly number[], axes: readonly number[]): { bases: number[]; offsets: number[] } {
  const strides = inShape.map((_, a) => shapeSize(inShape.slice(a + 1)));
  const walk = (which: number[]): number[] => {
    let idx = [0];
    for (const a of which) idx = idx.flatMap((base) => Array.from({ length: inShape[a]! }, (_, i) => base + i * strides[a]!));
    return idx;
  };
  const kept = inShape.map((_, a) => a).filter((a) => !axes.includes(a));
  return { bases: walk(kept), offsets: walk([...axes]) };
}

/** Sums of every output's cells (float or BigInt). */
function sums<T>(layer: { inShape: number[]; axes: number[] }, x: readonly T[], zero: T, plus: (a: T, b: T) => T): T[] {
  const { bases, offsets } = reduceIndices(layer.inShape, layer.axes);
  return bases.map((b) => offsets.reduce((acc, off) => plus(acc, x[b + off]!), zero));
}

const count = (layer: { inShape: number[]; axes: number[] }): number => layer.axes.reduce((n, a) => n * layer.inShape[a]!, 1);

/** Signed width of a sum of n values of signed `bits`. */
const sumBits = (bits: number, n: number): number => bits + bitLength(n - 1);

const costPerOutput = (mean: boolean, bits: number, n: number): number => (mean && n > 1 ? divByConstCost(bits, n) : 0);

export const reduce: FloatOp<ReduceLayer> & QuantOp<QReduce> = {
  float(layer, [x]) {
    const n = count(layer);
    const s = sums(layer, Array.from(x!), 0, (a, b) => a + b);
    return Float64Array.from(s, (v) => (layer.kind === 'reduce-mean' ? v / n : v));
  },
  estimate(layer, ctx) {
    const n = count(layer);
    const bits = ctx.inBits[0]!;
    const mean = layer.kind === 'reduce-mean';
    return { constraints: shapeSize(layer.outShape) * costPerOutput(mean, bits, n), bits: mean ? bits : sumBits(bits, n) };
  },
  quantize(layer, ctx) {
    const inBits = ctx.inBits[0]!;
    const bits = layer.kind === 'reduce-mean' ? inBits : sumBits(inBits, count(layer));
    if (bits > 252) throw new ZkaiError('BAD_INPUT', `${layer.kind} '${layer.name}': sum needs ${bits} bits`);
    const { name, inputs, inShape, outShape, axes } = layer;
    return { q: { kind: layer.kind, name, inputs, inShape, outShape, axes, inBits, bits }, frac: ctx.inFrac[0]!, bits };
  },
  int(layer, [x]) {
    for (const [i, v] of x!.entries()) assertSigned(v, layer.inBits, `${layer.kind} input ${i}`);
    const n = count(layer);
    const s = sums(layer, x!, 0n, (a, b) => a + b);
    return layer.kind === 'reduce-mean' && n > 1 ? s.map((v) => divFloor(v, layer.bits, BigInt(n))) : s;
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const nIn = shapeSize(layer.inShape);
    const nOut = shapeSize(layer.outShape);
    const n = count(layer);
    const mean = layer.kind === 'reduce-mean' && n > 1;
    const { bases, offsets } = reduceIndices(layer.inShape, layer.axes);
    const arr = (name: string, v: number[]) => [`    var ${name}[${v.length}] = [`, ...chunks(v), '    ];'];
    ctx.templates.push(
      `// layer ${li}: ${layer.kind}, ${nOut} outputs of ${n} cells${mean ? `, DivByConst to ${layer.bits} bits` : ''}.`,
      `template Reduce${li}() {`,
      `    signal input x[${nIn}];`,
      `    signal output y[${nOut}];`,
      ...arr('base', bases),
      ...arr('off', offsets),
      ...(mean ? [`    component div[${nOut}];`] : []),
      `    for (var o = 0; o < ${nOut}; o++) {`,
      '        var acc = 0;',
      `        for (var r = 0; r < ${n}; r++) acc += x[base[o] + off[r]];`,
      ...(mean
        ? [`        div[o] = DivByConst(${layer.bits}, ${n});`, '        div[o].in <== acc;', '        y[o] <== div[o].out;']
        : ['        y[o] <== acc;']),
      '    }',
      '}',
      '',
    );
    ctx.body.push(`    component reduce${li} = Reduce${li}();`, ...wire(nIn, `reduce${li}.x`, ctx.input(0)));
    ctx.body.push(`    signal x${li}[${nOut}];`, `    for (var i = 0; i < ${nOut}; i++) x${li}[i] <== reduce${li}.y[i];`);
    ctx.cost(layer.kind, nOut * costPerOutput(layer.kind === 'reduce-mean', layer.bits, n));
    return (i) => `x${li}[${i}]`;
  },
};

/** Values 24 to a line (the source guard reads lines). */
function chunks(v: readonly number[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < v.length; i += 24) lines.push(`        ${v.slice(i, i + 24).join(', ')}${i + 24 < v.length ? ',' : ''}`);
  return lines;
}
