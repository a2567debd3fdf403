/**
 * maxpool2d: the largest input cell of each window (padding ignored), from ONNX MaxPool (import: ops/pool.ts).
 * Gadget Max(cells, bits); a one-cell window is a wire. Same scale and width as the input.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { maxCost } from '../gadget-cost.ts';
import { forEachPoolWindow } from '../geometry.ts';
import { maxOf } from '../int-reference.ts';
import type { Pool2dLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QPool2d } from '../qir.ts';
import type { FloatOp, QuantOp } from './op.ts';
import { forEachWindowSize, poolNode, poolWindows } from './pool.ts';

export const maxpool2d: FloatOp<Pool2dLayer> & QuantOp<QPool2d> = {
  float(layer, [x]) {
    const y = new Float64Array(shapeSize(layer.outShape));
    forEachPoolWindow(layer, (o, cells) => {
      y[o] = Math.max(...cells.map((i) => x![i]!));
    });
    return y;
  },
  estimate(layer, ctx) {
    const bits = ctx.inBits[0]!;
    let cost = 0;
    const C = forEachWindowSize(layer, (cells) => {
      cost += cells > 1 ? maxCost(cells, bits) : 0;
    });
    return { constraints: cost * C, bits };
  },
  quantize: (layer, ctx) => ({ q: poolNode(layer, ctx.inBits[0]!), frac: ctx.inFrac[0]!, bits: ctx.inBits[0]! }),
  int(layer, [x]) {
    return poolWindows(layer, x!).map(({ vals }) => (vals.length === 1 ? vals[0]! : maxOf(vals, layer.bits)));
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const nOutL = shapeSize(layer.outShape);
    const prev = ctx.input(0);
    ctx.body.push(`    signal x${li}[${nOutL}];`, `    component pool${li}[${nOutL}];`);
    let cost = 0;
    forEachPoolWindow(layer, (o, cells) => {
      if (cells.length === 0) throw new ZkaiError('BAD_INPUT', `pooling layer ${li} has a window with no input cell`);
      if (cells.length === 1) {
        ctx.body.push(`    x${li}[${o}] <== ${prev(cells[0]!)};`);
        return;
      }
      ctx.body.push(`    pool${li}[${o}] = Max(${cells.length}, ${layer.bits});`);
      for (const [j, c] of cells.entries()) ctx.body.push(`    pool${li}[${o}].in[${j}] <== ${prev(c)};`);
      cost += maxCost(cells.length, layer.bits);
      ctx.body.push(`    x${li}[${o}] <== pool${li}[${o}].out;`);
    });
    ctx.cost(layer.kind, cost);
    return (i) => `x${li}[${i}]`;
  },
};
