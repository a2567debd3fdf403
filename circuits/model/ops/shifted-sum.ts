/**
 * What add.ts and sub.ts share: y = a·2^sa ± b·2^sb of two activations with numpy broadcasting, both brought exactly
 * to the finer operand scale (the add rule, documented in add.ts). One implementation, parameterised by the sign, so
 * the two ops cannot drift apart; each op file keeps its import and its module comment.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { assertSigned } from '../int-reference.ts';
import type { AddLayer, SubLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QAdd, QSub } from '../qir.ts';
import { broadcastShape, operandIndex } from './broadcast.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** The widest left shift between the operands' scales that the rule accepts (beyond it the scales are nonsense). */
const MAX_SCALE_GAP = 24;

const term = (sig: string, shift: number): string => (shift === 0 ? sig : `${2 ** shift}*${sig}`);

/** Adds the node for two activation operands: equal shapes keep the node as before (no bShape), else broadcasting. */
export function importShiftedSum(ctx: ImportCtx, kind: 'add' | 'sub'): void {
  const [a, b] = ctx.shapes as [number[], number[]];
  const out = broadcastShape(a, b);
  if (!out) throw ctx.fail(`shapes [${a}] and [${b}] do not broadcast`);
  ctx.add(a.length === b.length && a.every((d, i) => d === b[i]) ? { kind, outShape: a } : { kind, outShape: out, bShape: b });
}

/** The float, quantization, integer and circom sides of a + b (sign 1) or a - b (sign -1). */
export function shiftedSum<L extends AddLayer | SubLayer, Q extends QAdd | QSub>(
  kind: L['kind'] & Q['kind'],
  sign: 1 | -1,
): FloatOp<L> & QuantOp<Q> {
  const op = sign === 1 ? '+' : '-';
  return {
    float(layer, [a, b]) {
      const [ia, ib] = operandIndex(layer);
      return Float64Array.from(ia, (j, i) => a![j]! + sign * b![ib[i]!]!);
    },
    // No constraint; the width grows by one (the scales are unknown before calibration).
    estimate: (_layer, ctx) => ({ constraints: 0, bits: Math.max(...ctx.inBits) + 1 }),
    quantize(layer, ctx) {
      const f = Math.max(...ctx.inFrac);
      const shifts = ctx.inFrac.map((fi) => f - fi) as [number, number];
      if (shifts.some((s) => s > MAX_SCALE_GAP))
        throw new ZkaiError(
          'BAD_INPUT',
          `${kind} '${layer.name}': operand scales 2^-${ctx.inFrac[0]} and 2^-${ctx.inFrac[1]} are too far apart`,
        );
      const bits = Math.max(ctx.inBits[0]! + shifts[0], ctx.inBits[1]! + shifts[1]) + 1;
      const inBits = [ctx.inBits[0]!, ctx.inBits[1]!] as [number, number];
      const q = {
        kind,
        name: layer.name,
        inputs: layer.inputs,
        inShape: layer.inShape,
        outShape: layer.outShape,
        ...(layer.bShape ? { bShape: layer.bShape } : {}),
        shifts,
        inBits,
        bits,
      } as Q;
      return { q, frac: f, bits };
    },
    int(layer, [a, b]) {
      const [sa, sb] = layer.shifts.map(BigInt) as [bigint, bigint];
      const [ia, ib] = operandIndex(layer);
      return ia.map((j, i) => {
        const [x, y] = [a![j]!, b![ib[i]!]!];
        assertSigned(x, layer.inBits[0], `${kind} operand`);
        assertSigned(y, layer.inBits[1], `${kind} operand`);
        return sign === 1 ? (x << sa) + (y << sb) : (x << sa) - (y << sb);
      });
    },
    emit(layer, ctx) {
      const li = ctx.index;
      const n = shapeSize(layer.outShape);
      const [a, b] = [ctx.input(0), ctx.input(1)];
      ctx.body.push(`    signal x${li}[${n}];`);
      const [ia, ib] = operandIndex(layer);
      for (let i = 0; i < n; i++)
        ctx.body.push(`    x${li}[${i}] <== ${term(a(ia[i]!), layer.shifts[0])} ${op} ${term(b(ib[i]!), layer.shifts[1])};`);
      ctx.cost(layer.kind, 0);
      return (i) => `x${li}[${i}]`;
    },
  };
}
