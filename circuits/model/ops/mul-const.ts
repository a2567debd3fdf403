/**
 * mul-const: y = x · c for a constant c broadcast to the per-sample shape, from ONNX Mul (activation first) and Div
 * by a constant (c = 1 / divisor). A Mul of two activations is refused at import (one activation input).
 *
 * Quantization rule:
 * - Scale folding, exact: when every c is the same ±2^e and the output keeps a non-negative scale, the integers stay
 *   (negated for -2^e) and only the scale moves: frac = f - e (Div by 4: f + 2). 0 constraints, no error.
 * - Otherwise c becomes integers cq = round(c · 2^wf) (weightBits wide, wf the largest that fits max |c|) and the
 *   product, at scale 2^-(f + wf), is requantized to activationBits at the output's calibrated scale fo:
 *   y = saturate(floor((x · cq + 2^(s-1)) / 2^s)), s = f + wf - fo (round half up). Gadget: Requantize(inBits +
 *   weightBits, s, activationBits) on the linear x·cq + 2^(s-1): inBits + weightBits constraints (+8 when it can
 *   saturate); its remainder and quotient are range-checked constraints, so y is a function of x. When s < 1 the
 *   exact product is the output (0 constraints, inBits + weightBits wide).
 * Error against the float op: |x|·2^-(wf+1) from rounding c (per element, in units of x's scale) plus 1/2 output LSB,
 * and saturation outside the calibrated range.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { requantizeCost } from '../gadget-cost.ts';
import { assertSigned, requantize } from '../int-reference.ts';
import type { MulConstLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QMulConst } from '../qir.ts';
import { fracBitsFor } from './linear.ts';
import { broadcastTo, tensor } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** ONNX Mul of an activation and a constant (either order) / Div of an activation (input 0) by a constant (input 1). */
export function importMulConst(ctx: ImportCtx): void {
  // Mul commutes: PyTorch writes GELU's tanh chain as Mul(constant, x). Div's constant must be the divisor.
  const c = ctx.constOf(ctx.node.opType === 'Mul' && ctx.node.input[0] !== ctx.actNames[0] ? 0 : 1);
  const full = broadcastTo(c, [1, ...ctx.shape]);
  if (!full) throw ctx.fail(`constant shape [${c.shape}] does not broadcast to [1, ${ctx.shape}]`);
  if (ctx.node.opType === 'Div' && full.some((d) => d === 0 || !Number.isFinite(1 / d))) throw ctx.fail('division by 0');
  const data = ctx.node.opType === 'Div' ? full.map((d) => 1 / d) : full;
  if (!data.every(Number.isFinite)) throw ctx.fail('a non-finite constant');
  ctx.add({ kind: 'mul-const', outShape: ctx.shape, constant: tensor('', ctx.shape, data) });
}

/** e when every element is the same ±2^e, else undefined. */
function powerOfTwo(data: Float64Array): { e: number; sign: 1 | -1 } | undefined {
  const v = data[0]!;
  if (v === 0 || !data.every((d) => d === v)) return undefined;
  const e = Math.log2(Math.abs(v));
  return Number.isInteger(e) ? { e, sign: v < 0 ? -1 : 1 } : undefined;
}

export const mulConst: FloatOp<MulConstLayer> & QuantOp<QMulConst> = {
  float: (layer, [x]) => x!.map((v, i) => v * layer.constant.data[i]!),
  estimate: (layer, ctx) => ({
    constraints: powerOfTwo(layer.constant.data) ? 0 : shapeSize(layer.outShape) * (ctx.inBits[0]! + ctx.weightBits),
    bits: ctx.activationBits,
  }),
  quantize(layer, ctx) {
    const [f, inBits] = [ctx.inFrac[0]!, ctx.inBits[0]!];
    const base = {
      kind: 'mul-const',
      name: layer.name,
      inputs: layer.inputs,
      inShape: layer.inShape,
      outShape: layer.outShape,
      inBits,
    } as const;
    const p2 = powerOfTwo(layer.constant.data);
    if (p2 && f - p2.e >= 0) {
      // -x needs one more bit (-(-2^(b-1)) = 2^(b-1)).
      const bits = p2.sign < 0 ? inBits + 1 : inBits;
      const q = { ...base, c: Array.from(layer.constant.data, () => p2.sign), shift: 0, bIn: bits, bits };
      return { q, frac: f - p2.e, bits };
    }
    const wb = ctx.weightBits;
    const maxC = Math.max(...Array.from(layer.constant.data, Math.abs));
    const wf = fracBitsFor(maxC, wb);
    const c = Array.from(layer.constant.data, (v) => Math.round(v * 2 ** wf));
    const bIn = inBits + wb;
    const fo = fracBitsFor(ctx.maxAbs, ctx.activationBits);
    const s = f + wf - fo;
    if (s < 1) return { q: { ...base, c, shift: 0, bIn, bits: bIn }, frac: f + wf, bits: bIn };
    if (s >= bIn - 1 || bIn > 252) throw new ZkaiError('BAD_INPUT', `mul-const '${layer.name}': output scale 2^-${fo} out of reach`);
    return { q: { ...base, c, shift: s, bIn, bits: ctx.activationBits }, frac: fo, bits: ctx.activationBits };
  },
  int(layer, [x]) {
    return x!.map((v, i) => {
      assertSigned(v, layer.inBits, 'mul-const input');
      const p = v * BigInt(layer.c[i]!);
      if (layer.shift === 0) return p;
      return requantize(p + (1n << BigInt(layer.shift - 1)), layer.bIn, layer.shift, layer.bits);
    });
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const n = shapeSize(layer.outShape);
    const x = ctx.input(0);
    if (layer.shift === 0 && layer.c.every((c) => c === 1)) {
      ctx.cost(layer.kind, 0);
      return x; // scale folded: the same integers
    }
    ctx.body.push(`    signal x${li}[${n}];`);
    if (layer.shift === 0) {
      for (let i = 0; i < n; i++) ctx.body.push(`    x${li}[${i}] <== ${layer.c[i]} * ${x(i)};`);
      ctx.cost(layer.kind, 0);
      return (i) => `x${li}[${i}]`;
    }
    const { bIn, shift, bits } = layer;
    ctx.body.push(`    component mulq${li}[${n}];`);
    for (let i = 0; i < n; i++)
      ctx.body.push(
        `    mulq${li}[${i}] = Requantize(${bIn}, ${shift}, ${bits});`,
        `    mulq${li}[${i}].in <== ${layer.c[i]} * ${x(i)} + ${2 ** (shift - 1)};`,
        `    x${li}[${i}] <== mulq${li}[${i}].out;`,
      );
    ctx.cost(layer.kind, n * requantizeCost(bIn, shift, bits));
    return (i) => `x${li}[${i}]`;
  },
};
