/**
 * add: y = a + b of two activations of the same shape (a residual connection), from an ONNX Add whose operands are
 * both activations (an Add with a constant operand is ops/add-const.ts).
 *
 * Quantization rule: the two operands generally have different power-of-two scales 2^-fa and 2^-fb. The output takes
 * the finer one, f = max(fa, fb), and the coarser operand is brought to it by a LEFT shift, a multiplication by the
 * constant 2^(f - fa): exact, so y = a·2^(f-fa) + b·2^(f-fb) is the exact integer sum of the two real values at scale
 * 2^-f, and nothing is rounded or saturated. Its width is one more than the wider shifted operand's. The circuit
 * computes it as a linear combination of already range-checked signals: 0 constraints (circom --O2 substitutes it),
 * and a prover cannot choose it (it is a function of the operands). The next gadget (a ReLU, a Requantize) range-checks
 * its input at that width, which the construction guarantees.
 */
import type { AddLayer } from '../ir.ts';
import type { QAdd } from '../qir.ts';
import { importAddConst } from './add-const.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';
import { importShiftedSum, shiftedSum } from './shifted-sum.ts';

/** ONNX Add: of two activations → add (numpy broadcasting); of an activation and a constant → add-const. */
export function importAdd(ctx: ImportCtx): void {
  if (ctx.acts.length === 1) importAddConst(ctx);
  else importShiftedSum(ctx, 'add');
}

/** The op itself lives in shifted-sum.ts, shared with sub (sign −1). */
export const add: FloatOp<AddLayer> & QuantOp<QAdd> = shiftedSum<AddLayer, QAdd>('add', 1);
