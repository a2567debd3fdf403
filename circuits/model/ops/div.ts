/**
 * div: y = a / (b + eps) elementwise of two activations with numpy broadcasting, from an ONNX Div whose operands are
 * both activations (a Div by a constant is ops/mul-const.ts). eps is an Add of a positive constant to the divisor
 * folded in by passes/fuse-div-eps.ts (x / (|y| + eps), x / (sum + eps)); 0 without one.
 *
 * Integer semantics. a is a signed ba-bit integer at 2^-fa, b signed bb bits at 2^-fb; the output takes the calibrated
 * scale fo (activationBits wide). With k = fo + fb - fa, kA = max(k, 0), kB = max(-k, 0) and epsInt = ⌈eps·2^fb⌉ (at
 * least 1 when eps > 0, so an eps never rounds away):
 *   den = (b + epsInt)·2^kB,  q = floor(a·2^kA / den),  y = saturate(q, activationBits)
 * (floor division: toward −∞ also for a negative a). The divisor must be positive: den >= 1, i.e. b + epsInt >= 1 at
 * b's scale. A divisor <= 0 is refused at compile time when the calibration inputs show one (the float divisor's
 * minimum <= 0: BAD_INPUT naming the node), and at prove time it has no witness (int throws BAD_INPUT): the circuit
 * proves den >= 1, it does not assume it. So the op serves divisors positive by construction — a ReLU or Sigmoid sum,
 * |y| + eps, a softmax — and a divisor that reaches 0 after quantization (below one LSB of b's scale) fails the proof.
 * Error against the float quotient of the quantized operands: the floor, < 1 output LSB, and saturation outside the
 * calibrated range; eps rounded up by < 1 LSB of b; the operands' own errors propagate as Δa/d + |a|·Δd/d².
 *
 * Gadget: FloorDiv(bQ, bD) (circuits/lib/nonlinear.circom) on the numerator offset to be non-negative,
 * num = a·2^kA + den·2^(bQ-1), whose quotient is q + 2^(bQ-1): num = q'·den + r with r ∈ [0, 2^bD), den - 1 - r ∈
 * [0, 2^bD) (so 0 <= r < den and den >= 1: a divisor <= 0 has no witness) and q' ∈ [0, 2^bQ), bQ = ba + kA + 1
 * bounding |a·2^kA| / 1. Then Saturate(bQ, activationBits) when bQ is wider. Every step is constrained, so y is a
 * function of a and b. Cost per element: 1 + 2·bD + bQ, + bQ + 8 when it saturates. One looped template per node.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { bitLength, saturateCost } from '../gadget-cost.ts';
import { assertSigned, saturate } from '../int-reference.ts';
import type { DivLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import { floorDivCost, floorDivRef, varArray, wireInput } from '../lookup.ts';
import type { QDiv } from '../qir.ts';
import { broadcastShape, operandIndex as maps } from './broadcast.ts';
import { fracBitsFor } from './linear.ts';
import { importMulConst } from './mul-const.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** ONNX Div: of two activations → div (broadcast); of an activation by a constant → mul-const (its reciprocal). */
export function importDiv(ctx: ImportCtx): void {
  if (ctx.acts.length === 1) {
    importMulConst(ctx);
    return;
  }
  const [a, b] = ctx.shapes as [number[], number[]];
  const out = broadcastShape(a, b);
  if (!out) throw ctx.fail(`shapes [${a}] and [${b}] do not broadcast`);
  ctx.add({ kind: 'div', outShape: out, bShape: b, eps: 0 });
}

const pow2 = (e: number): bigint => 1n << BigInt(e);

/** The offset numerator and divisor of element i (what the circuit's FloorDiv reads). */
function operands(layer: QDiv, x: bigint, y: bigint): { num: bigint; den: bigint } {
  assertSigned(x, layer.inBits[0], 'div numerator');
  assertSigned(y, layer.inBits[1], 'div divisor');
  const den = (y + BigInt(layer.epsInt)) * pow2(layer.kB);
  if (den < 1n) throw new ZkaiError('BAD_INPUT', `div '${layer.name}': divisor ${den} <= 0 (the circuit proves it positive: no witness)`);
  return { num: x * pow2(layer.kA) + den * pow2(layer.bQ - 1), den };
}

export const div: FloatOp<DivLayer> & QuantOp<QDiv> = {
  float(layer, [a, b]) {
    const [ia, ib] = maps(layer);
    return Float64Array.from(ia!, (j, i) => a![j]! / (b![ib![i]!]! + layer.eps));
  },
  estimate(layer, ctx) {
    // Lower bound (the scales are unknown before calibration): kA = kB = 0, no eps, no saturation.
    const [ba, bb] = [ctx.inBits[0]!, ctx.inBits[1]!];
    return { constraints: shapeSize(layer.outShape) * floorDivCost(ba + 1, bitLength(2 ** (bb - 1) - 1)), bits: ctx.activationBits };
  },
  quantize(layer, ctx) {
    const [fa, fb] = ctx.inFrac as [number, number];
    const inBits = [ctx.inBits[0]!, ctx.inBits[1]!] as [number, number];
    const minDiv = (ctx.inMin?.[1] ?? 1) + layer.eps;
    if (!(minDiv > 0))
      throw new ZkaiError(
        'BAD_INPUT',
        `div '${layer.name}': the divisor reaches ${minDiv} on the calibration inputs; a Div of two activations needs a positive divisor`,
      );
    const epsInt = layer.eps > 0 ? Math.max(1, Math.ceil(layer.eps * 2 ** fb)) : 0;
    if (!Number.isSafeInteger(epsInt) || epsInt >= 2 ** 40) throw new ZkaiError('BAD_INPUT', `div '${layer.name}': eps out of range`);
    const fo = fracBitsFor(ctx.maxAbs, ctx.activationBits);
    const k = fo + fb - fa;
    const [kA, kB] = [Math.max(k, 0), Math.max(-k, 0)];
    const bQ = inBits[0] + kA + 1;
    const bD = ((pow2(inBits[1] - 1) - 1n + BigInt(epsInt)) * pow2(kB)).toString(2).length; // exact: no float rounding
    if (bQ + bD > 250 || bD < 1) throw new ZkaiError('BAD_INPUT', `div '${layer.name}': operands of ${inBits} bits at scales out of reach`);
    const bits = Math.min(bQ, ctx.activationBits);
    const { name, inputs, inShape, outShape, bShape } = layer;
    return { q: { kind: 'div', name, inputs, inShape, outShape, bShape, inBits, kA, kB, epsInt, bQ, bD, bits }, frac: fo, bits };
  },
  int(layer, [a, b]) {
    const [ia, ib] = maps(layer);
    return ia!.map((j, i) => {
      const { num, den } = operands(layer, a![j]!, b![ib![i]!]!);
      const q = floorDivRef(num, den, layer.bQ, layer.bD) - pow2(layer.bQ - 1);
      return layer.bQ > layer.bits ? saturate(q, layer.bQ, layer.bits) : q;
    });
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const N = shapeSize(layer.outShape);
    const [na, nb] = [shapeSize(layer.inShape), shapeSize(layer.bShape)];
    const [ia, ib] = maps(layer);
    const { bQ, bD, bits, kA, kB, epsInt } = layer;
    const sat = bQ > bits;
    ctx.templates.push(
      `// layer ${li}: div of two activations, ${N} elements, FloorDiv(${bQ}, ${bD})${sat ? `, Saturate(${bQ}, ${bits})` : ''}.`,
      `template Div${li}() {`,
      `    signal input a[${na}];`,
      `    signal input b[${nb}];`,
      `    signal output y[${N}];`,
      ...varArray('ia', ia!),
      ...varArray('ib', ib!),
      `    component d[${N}];`,
      ...(sat ? [`    component s[${N}];`] : []),
      `    for (var i = 0; i < ${N}; i++) {`,
      `        d[i] = FloorDiv(${bQ}, ${bD});`,
      `        d[i].den <== (b[ib[i]] + ${epsInt}) * ${pow2(kB)};`,
      `        d[i].num <== a[ia[i]] * ${pow2(kA)} + (b[ib[i]] + ${epsInt}) * ${pow2(kB + bQ - 1)};`,
      ...(sat
        ? [`        s[i] = Saturate(${bQ}, ${bits});`, `        s[i].in <== d[i].q - ${pow2(bQ - 1)};`, '        y[i] <== s[i].out;']
        : [`        y[i] <== d[i].q - ${pow2(bQ - 1)};`]),
      '    }',
      '}',
      '',
    );
    ctx.body.push(
      `    component div${li} = Div${li}();`,
      ...wireInput(na, `div${li}.a`, ctx.input(0)),
      ...wireInput(nb, `div${li}.b`, ctx.input(1)),
      `    signal x${li}[${N}];`,
      `    for (var i = 0; i < ${N}; i++) x${li}[i] <== div${li}.y[i];`,
    );
    ctx.cost(layer.kind, N * (floorDivCost(bQ, bD) + (sat ? saturateCost(bQ, bits) : 0)));
    return (i) => `x${li}[${i}]`;
  },
};
