/**
 * transpose: y = x with its per-sample axes permuted, from ONNX Transpose (perm over the full shape; the batch axis
 * must stay first). No signal and no constraint: output element i IS input element src(i), so the generator hands the
 * input's signals on in a new order, and the integer reference permutes the same way (exact).
 */
import type { TransposeLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QTranspose } from '../qir.ts';
import { attrInts } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

export function importTranspose(ctx: ImportCtx): void {
  const rank = ctx.shape.length + 1;
  // ONNX's default perm reverses every axis, which would move the batch axis.
  const perm = attrInts(ctx.node, 'perm') ?? [...Array(rank).keys()].reverse();
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i))
    throw ctx.fail(`perm [${perm}] is not a permutation of ${rank} axes`);
  if (perm[0] !== 0) throw ctx.fail(`perm [${perm}] moves the batch axis`);
  const p = perm.slice(1).map((a) => a - 1);
  ctx.add({ kind: 'transpose', outShape: p.map((a) => ctx.shape[a]!), perm: p });
}

/** For each output element (row-major), the index of the input element it is: out[i] = in[src[i]]. */
export function transposeSources(inShape: readonly number[], perm: readonly number[]): number[] {
  const rank = inShape.length;
  const inStride = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) inStride[a] = inStride[a + 1]! * inShape[a + 1]!;
  const outShape = perm.map((a) => inShape[a]!);
  const src = new Array<number>(shapeSize(inShape));
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < src.length; i++) {
    let off = 0;
    for (let a = 0; a < rank; a++) off += idx[a]! * inStride[perm[a]!]!;
    src[i] = off;
    // Advance the output multi-index (row-major, last axis fastest).
    for (let a = rank - 1; a >= 0; a--) {
      if (++idx[a]! < outShape[a]!) break;
      idx[a] = 0;
    }
  }
  return src;
}

export const transpose: FloatOp<TransposeLayer> & QuantOp<QTranspose> = {
  float(layer, [x]) {
    const src = transposeSources(layer.inShape, layer.perm);
    return Float64Array.from(src, (s) => x![s]!);
  },
  estimate: (_layer, ctx) => ({ constraints: 0, bits: ctx.inBits[0]! }),
  quantize: (layer, ctx) => ({
    q: { kind: 'transpose', name: layer.name, inputs: layer.inputs, inShape: layer.inShape, outShape: layer.outShape, perm: layer.perm },
    frac: ctx.inFrac[0]!,
    bits: ctx.inBits[0]!,
  }),
  int: (layer, [x]) => transposeSources(layer.inShape, layer.perm).map((s) => x![s]!),
  emit(layer, ctx) {
    const src = transposeSources(layer.inShape, layer.perm);
    const x = ctx.input(0);
    ctx.cost(layer.kind, 0);
    return (i) => x(src[i]!); // the same signals, permuted
  },
};
