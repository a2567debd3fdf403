/**
 * avgpool2d: floor(window sum / divisor), from ONNX AveragePool (import: ops/pool.ts). The divisor is the number of
 * input cells, or the whole kernel with count_include_pad (padded cells count as zeros). Gadget DivByConst(bits,
 * divisor) on the sum (a linear combination: no constraint of its own); a divisor of 1 is a wire. Same scale and
 * width as the input: a mean of signed b-bit values is one.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { divByConstCost } from '../gadget-cost.ts';
import { forEachPoolWindow } from '../geometry.ts';
import { divFloor } from '../int-reference.ts';
import type { Pool2dLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QPool2d } from '../qir.ts';
import type { FloatOp, QuantOp } from './op.ts';
import { forEachWindowSize, poolNode, poolWindows } from './pool.ts';

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
    let cost = 0;
    const C = forEachWindowSize(layer, (cells) => {
      const divisor = layer.countIncludePad ? layer.kernel[0] * layer.kernel[1] : cells;
      cost += divisor === 1 ? 0 : divByConstCost(bits, divisor);
    });
    return { constraints: cost * C, bits };
  },
  quantize: (layer, ctx) => ({ q: poolNode(layer, ctx.inBits[0]!), frac: ctx.inFrac[0]!, bits: ctx.inBits[0]! }),
  int(layer, [x]) {
    return poolWindows(layer, x!).map(({ vals, divisor }) => {
      const sum = vals.reduce((a, b) => a + b, 0n);
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
      if (divisor === 1) {
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
