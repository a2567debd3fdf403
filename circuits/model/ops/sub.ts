/**
 * sub: y = a - b of two activations of the same shape, from ONNX Sub; an activation minus a constant becomes an
 * add-const of -c (ops/add-const.ts: folded into the bias of the dense/conv before it). A constant minus an
 * activation is refused at import (the activation must be the first input).
 *
 * Quantization rule: add.ts's, with b negated: the output takes the finer operand scale f = max(fa, fb), the coarser
 * operand is multiplied by the constant 2^(f - fi) (exact), y = a·2^(f-fa) - b·2^(f-fb) is the exact difference of
 * the two real values at scale 2^-f, one bit wider than the wider shifted operand. A linear combination of
 * range-checked signals: 0 constraints, a function of the operands (the prover cannot choose it); the next gadget
 * range-checks it at that width.
 */
import type { SubLayer } from '../ir.ts';
import type { QSub } from '../qir.ts';
import { broadcastTo, tensor } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';
import { importShiftedSum, shiftedSum } from './shifted-sum.ts';

export function importSub(ctx: ImportCtx): void {
  if (ctx.acts.length === 1) {
    // x - c (the importer has checked that the activation is input 0): an add-const of -c.
    const c = ctx.constOf(1);
    const full = broadcastTo(c, [1, ...ctx.shape]);
    if (!full) throw ctx.fail(`constant shape [${c.shape}] does not broadcast to [1, ${ctx.shape}]`);
    ctx.add({
      kind: 'add-const',
      outShape: ctx.shape,
      constant: tensor(
        '',
        ctx.shape,
        full.map((v) => -v),
      ),
    });
    return;
  }
  importShiftedSum(ctx, 'sub');
}

/** The op itself lives in shifted-sum.ts, shared with add (sign +1). */
export const sub: FloatOp<SubLayer> & QuantOp<QSub> = shiftedSum<SubLayer, QSub>('sub', -1);
