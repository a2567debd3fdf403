/**
 * activation: y = fn(x) elementwise for a smooth (or piecewise) function fn — Sigmoid, Tanh, Erf, HardSigmoid,
 * HardSwish, Gelu, Exp, Softplus, Softsign, Elu, Selu, Celu, Mish, Sqrt, Reciprocal, Log, and SiLU (a fused
 * Sigmoid·x) — computed EXACTLY by
 * a lookup table over every possible input integer. The functions are defined in activation-fns.ts; everything here
 * is shared, because only the table's entries depend on fn.
 *
 * Fixed point. The input x is a signed b-bit integer at scale 2^-f; wider than TABLE_MAX_BITS (12) it is first
 * floor-shifted by s = b - 12 (Requantize(b, s, 12), no saturation) to 12 bits at 2^-(f-s); narrower than 4 the
 * table still has 16 entries. The table holds, for every index u ∈ [0, 2^bt) (x' = u - 2^(bt-1)),
 *   T[u] = saturate(round(fn(x'·2^-f')·2^fo), activationBits),
 * with fo = fracBitsFor(M, activationBits) and M = min(max |fn| over the table's inputs, max |fn| over the
 * calibration rows): the finest scale at which every value seen in calibration fits (a bounded function never needs
 * more than its range: sigmoid on an 8-bit input at 2^-5 gets fo = 7). It is computed once at quantize time and
 * stored in quantized.json, so the integer reference and the circuit read the same integers whatever Math.exp/tanh do
 * on the platform. y = T[x' + 2^(bt-1)].
 * Error against fn of the quantized input, in output LSBs: ½ (the table's rounding) where fn(x) is within the
 * calibrated range M, plus the saturation beyond it (for a bounded function like sigmoid, tanh, erf at most
 * 1 - M'·2^fo ≤ 1 LSB when calibration saw nearly the whole range); with the pre-shift, fn moves by at most
 * max|fn'|·2^(s-f) more. No approximation of fn beyond float64 rounding (erf: series/continued fraction, ~1e-14).
 * Gadget: Lookup (circuits/lib/nonlinear.circom): one-hot digits of u, a linear equation tying them to u (so u is
 * range-checked and the digits unique), one product per non-constant table row: the output is T[u], a function of
 * x; forged-witness tests in nonlinear.test.ts. Cost per element: 2^l + 2^(bt-l) + (non-constant rows) ≤ 48 for
 * 8-bit inputs (l chosen per table), plus b per element with the pre-shift.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { requantizeCost } from '../gadget-cost.ts';
import { assertSigned, requantize } from '../int-reference.ts';
import type { ActivationLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import { bestSplit, lookupCost, lookupCostBound, lookupRef, tableWidth, varArray, wireInput } from '../lookup.ts';
import type { QActivation } from '../qir.ts';
import { ACTIVATION_FNS } from './activation-fns.ts';
import { fracBitsFor } from './linear.ts';
import type { FloatOp, QuantOp } from './op.ts';

/** The table of fn for a signed `bits` input at scale 2^-f, at output scale 2^-fo saturated to signed `outBits`. */
export function activationTable(layer: ActivationLayer, bits: number, f: number, fo: number, outBits: number): number[] {
  const fn = ACTIVATION_FNS[layer.fn];
  const [lo, hi] = [-(2 ** (outBits - 1)), 2 ** (outBits - 1) - 1];
  return Array.from({ length: 2 ** bits }, (_, u) => {
    const v = Math.round(fn((u - 2 ** (bits - 1)) * 2 ** -f, layer.alpha, layer.beta) * 2 ** fo);
    if (Number.isNaN(v)) throw new ZkaiError('BAD_INPUT', `activation '${layer.name}': ${layer.fn} is undefined at an input value`);
    return Math.min(hi, Math.max(lo, v));
  });
}

export const activation: FloatOp<ActivationLayer> & QuantOp<QActivation> = {
  float: (layer, [x]) => x!.map((v) => ACTIVATION_FNS[layer.fn](v, layer.alpha, layer.beta)),
  estimate(layer, ctx) {
    const inBits = ctx.inBits[0]!;
    const { bits, shift } = tableWidth(inBits);
    const perElement = lookupCostBound(bits) + (shift ? inBits : 0);
    return { constraints: shapeSize(layer.outShape) * perElement, bits: ctx.activationBits };
  },
  quantize(layer, ctx) {
    const inBits = ctx.inBits[0]!;
    const { bits, shift } = tableWidth(inBits);
    const f = ctx.inFrac[0]! - shift;
    const A = ctx.activationBits;
    const fn = ACTIVATION_FNS[layer.fn];
    // The largest finite |fn| on the table's inputs (1/0 and log(0) saturate), and on the calibration rows.
    let domainMax = 0;
    for (let u = 0; u < 2 ** bits; u++) {
      const v = Math.abs(fn((u - 2 ** (bits - 1)) * 2 ** -f, layer.alpha, layer.beta));
      if (Number.isFinite(v)) domainMax = Math.max(domainMax, v);
    }
    const M = ctx.maxAbs > 0 && Number.isFinite(ctx.maxAbs) ? Math.min(domainMax, ctx.maxAbs) : domainMax;
    const fo = fracBitsFor(M, A);
    const table = activationTable(layer, bits, f, fo, A);
    const { name, inputs, inShape, outShape } = layer;
    return {
      q: { kind: 'activation', name, inputs, inShape, outShape, inBits, shift, bits, l: bestSplit(table, bits), table },
      frac: fo,
      bits: A,
    };
  },
  int(layer, [x]) {
    const off = 1n << BigInt(layer.bits - 1);
    return x!.map((v) => {
      assertSigned(v, layer.inBits, 'activation input');
      const u = layer.shift ? requantize(v, layer.inBits, layer.shift, layer.bits) : v;
      return lookupRef(layer.table, layer.bits, u + off);
    });
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const N = shapeSize(layer.outShape);
    const { bits, l, shift, inBits } = layer;
    const src = shift ? 'pre[i].out' : 'x[i]';
    ctx.templates.push(
      `// layer ${li}: activation by a table of ${2 ** bits} entries, ${N} elements.`,
      `template Activation${li}() {`,
      `    signal input x[${N}];`,
      `    signal output y[${N}];`,
      ...varArray('T', layer.table),
      ...(shift ? [`    component pre[${N}];`] : []),
      `    component lookup[${N}];`,
      `    for (var i = 0; i < ${N}; i++) {`,
      ...(shift ? [`        pre[i] = Requantize(${inBits}, ${shift}, ${bits});`, '        pre[i].in <== x[i];'] : []),
      `        lookup[i] = Lookup(${bits}, ${l}, T);`,
      `        lookup[i].in <== ${src} + ${2 ** (bits - 1)};`,
      '        y[i] <== lookup[i].out;',
      '    }',
      '}',
      '',
    );
    ctx.body.push(`    component act${li} = Activation${li}();`, ...wireInput(N, `act${li}.x`, ctx.input(0)));
    ctx.body.push(`    signal x${li}[${N}];`, `    for (var i = 0; i < ${N}; i++) x${li}[i] <== act${li}.y[i];`);
    ctx.cost(layer.kind, N * (lookupCost(layer.table, bits, l) + (shift ? requantizeCost(inBits, shift, bits) : 0)));
    return (i) => `x${li}[${i}]`;
  },
};
