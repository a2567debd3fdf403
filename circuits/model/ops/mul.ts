/**
 * mul: y = a · b elementwise of two activations with numpy broadcasting, from an ONNX Mul whose operands are both
 * activations (a Mul by a constant is ops/mul-const.ts). PyTorch exports SiLU as x · Sigmoid(x) and GELU at opsets
 * 13/17 as x · (1 + Erf(x/√2)) · 0.5, so both end in a Mul of two activations; a gated unit or attention weights need
 * it too.
 *
 * Quantization rule: a is a signed ba-bit integer at 2^-fa, b signed bb bits at 2^-fb. Their integer product is the
 * exact product of the real values at 2^-(fa+fb), a signed (ba + bb)-bit integer (|a·b| <= 2^(ba+bb-2)). The output
 * takes the calibrated scale fo (activationBits wide, like every requantized activation) and the product is
 * requantized by s = fa + fb - fo with round half up: y = saturate(floor((a·b + 2^(s-1)) / 2^s), activationBits).
 * When s < 1 the exact product is the output (ba + bb wide, scale 2^-(fa+fb)).
 * Error against the float product of the quantized operands: ½ output LSB, and saturation outside the calibrated
 * range; the operands' own quantization errors propagate as |a|·Δb + |b|·Δa.
 * Gadget: one product constraint per element (a·b, both range-checked signals upstream) feeding Requantize(ba + bb,
 * s, activationBits), whose remainder and quotient are range-checked constraints (forged-witness tests in
 * circuits/lib/quant.test.ts), so y is a function of a and b. Cost per element: 1 + ba + bb (+8 when it can
 * saturate); 1 for the exact product. Emitted as one template with loops and var arrays of the broadcast indices.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { requantizeCost } from '../gadget-cost.ts';
import { assertSigned, requantize } from '../int-reference.ts';
import type { MulLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import { varArray, wireInput } from '../lookup.ts';
import type { QMul } from '../qir.ts';
import { broadcastShape, operandIndex as maps } from './broadcast.ts';
import { fracBitsFor } from './linear.ts';
import { importMulConst } from './mul-const.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** ONNX Mul: of two activations → mul (broadcast); of an activation and a constant → mul-const. */
export function importMul(ctx: ImportCtx): void {
  if (ctx.acts.length === 1) {
    importMulConst(ctx);
    return;
  }
  const [a, b] = ctx.shapes as [number[], number[]];
  const out = broadcastShape(a, b);
  if (!out) throw ctx.fail(`shapes [${a}] and [${b}] do not broadcast`);
  ctx.add({ kind: 'mul', outShape: out, bShape: b });
}

export const mul: FloatOp<MulLayer> & QuantOp<QMul> = {
  float(layer, [a, b]) {
    const [ia, ib] = maps(layer);
    return Float64Array.from(ia!, (j, i) => a![j]! * b![ib![i]!]!);
  },
  estimate: (layer, ctx) => ({
    constraints: shapeSize(layer.outShape) * (1 + ctx.inBits[0]! + ctx.inBits[1]!),
    bits: ctx.activationBits,
  }),
  quantize(layer, ctx) {
    const [fa, fb] = ctx.inFrac as [number, number];
    const inBits = [ctx.inBits[0]!, ctx.inBits[1]!] as [number, number];
    const bIn = inBits[0] + inBits[1];
    if (bIn > 250) throw new ZkaiError('BAD_INPUT', `mul '${layer.name}': operands of ${inBits} bits`);
    const { name, inputs, inShape, outShape, bShape } = layer;
    const base = { kind: 'mul', name, inputs, inShape, outShape, bShape, inBits, bIn } as const;
    const fo = fracBitsFor(ctx.maxAbs, ctx.activationBits);
    const s = fa + fb - fo;
    if (s < 1) return { q: { ...base, shift: 0, bits: bIn }, frac: fa + fb, bits: bIn };
    if (s >= bIn - 1) throw new ZkaiError('BAD_INPUT', `mul '${layer.name}': output scale 2^-${fo} out of reach`);
    return { q: { ...base, shift: s, bits: ctx.activationBits }, frac: fo, bits: ctx.activationBits };
  },
  int(layer, [a, b]) {
    const [ia, ib] = maps(layer);
    return ia!.map((j, i) => {
      const [x, y] = [a![j]!, b![ib![i]!]!];
      assertSigned(x, layer.inBits[0], 'mul operand');
      assertSigned(y, layer.inBits[1], 'mul operand');
      if (layer.shift === 0) return x * y;
      return requantize(x * y + (1n << BigInt(layer.shift - 1)), layer.bIn, layer.shift, layer.bits);
    });
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const N = shapeSize(layer.outShape);
    const [na, nb] = [shapeSize(layer.inShape), shapeSize(layer.bShape)];
    const [ia, ib] = maps(layer);
    const { bIn, shift, bits } = layer;
    ctx.templates.push(
      `// layer ${li}: mul of two activations, ${N} elements${shift ? `, Requantize(${bIn}, ${shift}, ${bits})` : ', exact'}.`,
      `template Mul${li}() {`,
      `    signal input a[${na}];`,
      `    signal input b[${nb}];`,
      `    signal output y[${N}];`,
      ...varArray('ia', ia!),
      ...varArray('ib', ib!),
      ...(shift
        ? [
            `    component rq[${N}];`,
            `    for (var i = 0; i < ${N}; i++) {`,
            `        rq[i] = Requantize(${bIn}, ${shift}, ${bits});`,
            `        rq[i].in <== a[ia[i]] * b[ib[i]] + ${2 ** (shift - 1)};`,
            '        y[i] <== rq[i].out;',
            '    }',
          ]
        : [`    for (var i = 0; i < ${N}; i++) y[i] <== a[ia[i]] * b[ib[i]];`]),
      '}',
      '',
    );
    ctx.body.push(
      `    component mul${li} = Mul${li}();`,
      ...wireInput(na, `mul${li}.a`, ctx.input(0)),
      ...wireInput(nb, `mul${li}.b`, ctx.input(1)),
      `    signal x${li}[${N}];`,
      `    for (var i = 0; i < ${N}; i++) x${li}[i] <== mul${li}.y[i];`,
    );
    ctx.cost(layer.kind, N * (1 + (shift ? requantizeCost(bIn, shift, bits) : 0)));
    return (i) => `x${li}[${i}]`;
  },
};
