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
import { ZkaiError } from '../../../common/errors.ts';
import { assertSigned } from '../int-reference.ts';
import type { SubLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QSub } from '../qir.ts';
import { broadcastShape, operandIndex } from './broadcast.ts';
import { broadcastTo, tensor } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** The widest left shift between the operands' scales (as add.ts). */
const MAX_SCALE_GAP = 24;

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
  const [a, b] = ctx.shapes as [number[], number[]];
  const out = broadcastShape(a, b);
  if (!out) throw ctx.fail(`shapes [${a}] and [${b}] do not broadcast`);
  // Equal shapes keep the node as before (no bShape); otherwise numpy broadcasting (ops/broadcast.ts).
  ctx.add(
    a.length === b.length && a.every((d, i) => d === b[i]) ? { kind: 'sub', outShape: a } : { kind: 'sub', outShape: out, bShape: b },
  );
}

const term = (sig: string, shift: number): string => (shift === 0 ? sig : `${2 ** shift}*${sig}`);

export const sub: FloatOp<SubLayer> & QuantOp<QSub> = {
  float(layer, [a, b]) {
    const [ia, ib] = operandIndex(layer);
    return Float64Array.from(ia, (j, i) => a![j]! - b![ib[i]!]!);
  },
  estimate: (_layer, ctx) => ({ constraints: 0, bits: Math.max(...ctx.inBits) + 1 }),
  quantize(layer, ctx) {
    const f = Math.max(...ctx.inFrac);
    const shifts = ctx.inFrac.map((fi) => f - fi) as [number, number];
    if (shifts.some((s) => s > MAX_SCALE_GAP))
      throw new ZkaiError('BAD_INPUT', `sub '${layer.name}': operand scales 2^-${ctx.inFrac[0]} and 2^-${ctx.inFrac[1]} are too far apart`);
    const bits = Math.max(ctx.inBits[0]! + shifts[0], ctx.inBits[1]! + shifts[1]) + 1;
    const inBits = [ctx.inBits[0]!, ctx.inBits[1]!] as [number, number];
    return {
      q: {
        kind: 'sub',
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
      assertSigned(x, layer.inBits[0], 'sub operand');
      assertSigned(y, layer.inBits[1], 'sub operand');
      return (x << sa) - (y << sb);
    });
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const n = shapeSize(layer.outShape);
    const [a, b] = [ctx.input(0), ctx.input(1)];
    ctx.body.push(`    signal x${li}[${n}];`);
    const [ia, ib] = operandIndex(layer);
    for (let i = 0; i < n; i++)
      ctx.body.push(`    x${li}[${i}] <== ${term(a(ia[i]!), layer.shifts[0])} - ${term(b(ib[i]!), layer.shifts[1])};`);
    ctx.cost(layer.kind, 0);
    return (i) => `x${li}[${i}]`;
  },
};
