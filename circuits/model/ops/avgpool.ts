/**
 * avgpool2d: floor(window sum / divisor), from ONNX AveragePool (import: ops/pool.ts). The divisor is the number of
 * input cells, or the whole kernel with count_include_pad (padded cells count as zeros). Gadget DivByConst(bits,
 * divisor) on the sum (a linear combination: no constraint of its own); a divisor of 1 is a wire. Same scale and
 * width as the input: a mean of signed b-bit values is one. Error: the floor, < 1 LSB.
 *
 * Division folded into the next layer (sumShift): when every window divides by the same 2^e and every reader of the
 * output (through reshapes) is a dense/conv, the output is the exact window sum, e bits wider, at scale 2^-(f + e):
 * the same real values as the mean with no rounding at all (error 0), and 0 constraints instead of bits + 2e per
 * window. The reader's quantization sees the finer scale and wider input, so its Requantize shift grows by e and its
 * accumulator bound by e bits (a range check it pays anyway, e constraints wider per output). Sound: the sum is a
 * linear combination of range-checked signals, which the reader's Requantize range-checks again at its width.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { divByConstCost } from '../gadget-cost.ts';
import { forEachPoolWindow } from '../geometry.ts';
import { assertSigned, divFloor } from '../int-reference.ts';
import type { Pool2dLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QPool2d } from '../qir.ts';
import type { EstimateCtx, FloatOp, QuantizeCtx, QuantOp } from './op.ts';
import { forEachWindowSize, poolNode, poolWindows } from './pool.ts';

/** e when every window of `layer` divides by the same 2^e (e >= 1) and only dense/conv nodes read it, else 0. */
export function foldedDivisorShift(layer: Pool2dLayer, ctx: QuantizeCtx | EstimateCtx): number {
  const divisors = new Set<number>();
  forEachWindowSize(layer, (_cells, divisor) => divisors.add(divisor));
  const [d] = divisors;
  if (divisors.size !== 1 || d === undefined || d < 2 || !Number.isInteger(Math.log2(d))) return 0;
  const linearReaders = (t: number): boolean => {
    const readers = ctx.nodes.filter((n, k) => k > t && n.inputs.includes(t));
    return (
      readers.length > 0 &&
      readers.every((n) => n.kind === 'dense' || n.kind === 'conv2d' || (n.kind === 'reshape' && linearReaders(ctx.nodes.indexOf(n))))
    );
  };
  return linearReaders(ctx.index) ? Math.log2(d) : 0;
}

export const avgpool2d: FloatOp<Pool2dLayer> & QuantOp<QPool2d> = {
  float(layer, [x]) {
    const y = new Float64Array(shapeSize(layer.outShape));
    // Padded cells count as zeros only with count_include_pad (forEachPoolWindow folds that into the divisor).
    forEachPoolWindow(layer, (o, cells, divisor) => {
      y[o] = cells.reduce((acc, i) => acc + x![i]!, 0) / divisor;
    });
    return y;
  },
  estimate(layer, ctx) {
    const bits = ctx.inBits[0]!;
    const e = foldedDivisorShift(layer, ctx);
    if (e > 0) return { constraints: 0, bits: bits + e };
    let cost = 0;
    const C = forEachWindowSize(layer, (_cells, divisor) => {
      cost += divisor === 1 ? 0 : divByConstCost(bits, divisor);
    });
    return { constraints: cost * C, bits };
  },
  quantize(layer, ctx) {
    const [bits, frac] = [ctx.inBits[0]!, ctx.inFrac[0]!];
    const e = foldedDivisorShift(layer, ctx);
    if (e === 0) return { q: poolNode(layer, bits), frac, bits };
    return { q: { ...poolNode(layer, bits), sumShift: e }, frac: frac + e, bits: bits + e };
  },
  int(layer, [x]) {
    return poolWindows(layer, x!).map(({ vals, divisor }) => {
      const sum = vals.reduce((a, b) => a + b, 0n);
      if (layer.sumShift) {
        for (const v of vals) assertSigned(v, layer.bits, 'avgpool input');
        return sum;
      }
      return divisor === 1 ? sum : divFloor(sum, layer.bits, BigInt(divisor));
    });
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const nOutL = shapeSize(layer.outShape);
    const prev = ctx.input(0);
    ctx.body.push(`    signal x${li}[${nOutL}];`, `    component pool${li}[${nOutL}];`);
    let cost = 0;
    forEachPoolWindow(layer, (o, cells, divisor) => {
      if (cells.length === 0) throw new ZkaiError('BAD_INPUT', `pooling layer ${li} has a window with no input cell`);
      const sum = cells.map(prev).join(' + ');
      if (divisor === 1 || layer.sumShift) {
        ctx.body.push(`    x${li}[${o}] <== ${sum};`);
        return;
      }
      ctx.body.push(`    pool${li}[${o}] = DivByConst(${layer.bits}, ${divisor});`, `    pool${li}[${o}].in <== ${sum};`);
      cost += divByConstCost(layer.bits, divisor);
      ctx.body.push(`    x${li}[${o}] <== pool${li}[${o}].out;`);
    });
    ctx.cost(layer.kind, cost);
    return (i) => `x${li}[${i}]`;
  },
};
