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
import { ZkaiError } from '../../../common/errors.ts';
import { assertSigned } from '../int-reference.ts';
import type { AddLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QAdd } from '../qir.ts';
import { importAddConst } from './add-const.ts';
import { broadcastShape, operandIndex } from './broadcast.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** The widest left shift between the operands' scales that the rule accepts (beyond it the scales are nonsense). */
const MAX_SCALE_GAP = 24;

/** ONNX Add: of two activations → add; of an activation and a constant → add-const. */
export function importAdd(ctx: ImportCtx): void {
  if (ctx.acts.length === 1) {
    importAddConst(ctx);
    return;
  }
  const [a, b] = ctx.shapes as [number[], number[]];
  const out = broadcastShape(a, b);
  if (!out) throw ctx.fail(`shapes [${a}] and [${b}] do not broadcast`);
  // Equal shapes keep the node as before (no bShape); otherwise numpy broadcasting (ops/broadcast.ts).
  ctx.add(
    a.length === b.length && a.every((d, i) => d === b[i]) ? { kind: 'add', outShape: a } : { kind: 'add', outShape: out, bShape: b },
  );
}

const term = (sig: string, shift: number): string => (shift === 0 ? sig : `${2 ** shift}*${sig}`);

export const add: FloatOp<AddLayer> & QuantOp<QAdd> = {
  float(layer, [a, b]) {
    const [ia, ib] = operandIndex(layer);
    return Float64Array.from(ia, (j, i) => a![j]! + b![ib[i]!]!);
  },
  // No constraint; the width grows by one (the scales are unknown before calibration).
  estimate: (_layer, ctx) => ({ constraints: 0, bits: Math.max(...ctx.inBits) + 1 }),
  quantize(layer, ctx) {
    const f = Math.max(...ctx.inFrac);
    const shifts = ctx.inFrac.map((fi) => f - fi) as [number, number];
    if (shifts.some((s) => s > MAX_SCALE_GAP))
      throw new ZkaiError('BAD_INPUT', `add '${layer.name}': operand scales 2^-${ctx.inFrac[0]} and 2^-${ctx.inFrac[1]} are too far apart`);
    const bits = Math.max(ctx.inBits[0]! + shifts[0], ctx.inBits[1]! + shifts[1]) + 1;
    const inBits = [ctx.inBits[0]!, ctx.inBits[1]!] as [number, number];
    return {
      q: {
        kind: 'add',
        name: layer.name,
        inputs: layer.inputs,
        inShape: layer.inShape,
        outShape: layer.outShape,
        ...(layer.bShape ? { bShape: layer.bShape } : {}),
        shifts,
        inBits,
        bits,
      },
      frac: f,
      bits,
    };
  },
  int(layer, [a, b]) {
    const [sa, sb] = layer.shifts.map(BigInt) as [bigint, bigint];
    const [ia, ib] = operandIndex(layer);
    return ia.map((j, i) => {
      const [x, y] = [a![j]!, b![ib[i]!]!];
      assertSigned(x, layer.inBits[0], 'add operand');
      assertSigned(y, layer.inBits[1], 'add operand');
      return (x << sa) + (y << sb);
    });
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const n = shapeSize(layer.outShape);
    const [a, b] = [ctx.input(0), ctx.input(1)];
    ctx.body.push(`    signal x${li}[${n}];`);
    const [ia, ib] = operandIndex(layer);
    for (let i = 0; i < n; i++)
      ctx.body.push(`    x${li}[${i}] <== ${term(a(ia[i]!), layer.shifts[0])} + ${term(b(ib[i]!), layer.shifts[1])};`);
    ctx.cost(layer.kind, 0);
    return (i) => `x${li}[${i}]`;
  },
};
