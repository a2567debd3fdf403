/**
 * softmax: exp(x_i - max) / Σ_j exp(x_j - max) along one axis, from an ONNX Softmax that is not the graph's final
 * node (a final one is dropped here, like a final LogSoftmax in ops/log-softmax.ts; the logits' argmax is the same). Any per-sample axis: the tensor is
 * viewed as [outer, n, inner] and each of the outer·inner rows of n elements is normalised (opset < 13 coerces the
 * input to 2-D, so its rows are everything from `axis` on: inner = 1).
 *
 * Fixed point. The input x is a signed b-bit integer at scale 2^-f (b > 12: first floor-shifted by s = b - 12 to 12
 * bits at 2^-(f-s), Requantize(b, s, 12): every exponent moves by less than 2^(s-f), so each e changes by a factor in
 * (e^-2^(s-f), 1]). Per row, with m = max_i x_i:
 *   u_i = m - x_i ∈ [0, 2^b),  e_i = T[u_i] = round(exp(-u_i·2^-f)·2^Fe),  S = Σ e_i,
 *   y_i = floor((e_i·2^(F+1) + S) / 2S) = round(e_i·2^F / S),
 * with F = activationBits - 1 output fractional bits (y ∈ [0, 2^F], signed F + 2 bits: one bit wider than an
 * activation, so that a certain 1.0 needs no clamp) and Fe = F + ⌈log2(n + 1)⌉ + 1 fractional bits of the exp table
 * (T[0] = 2^Fe, so S >= 1). The table is computed once at quantize time and stored (quantized.json), so the integer
 * reference and the circuit read the same integers whatever the platform's Math.exp.
 * Error against the float softmax of the quantized input, in output LSBs (2^-F): the final rounding ½, plus the exp
 * table's rounding: |e_i/S - p_i| <= (½ + p_i·n/2)/2^Fe, times 2^F at most (n + 1)/2^(Fe-F+1) <= ¼. So < ¾ LSB
 * (plus the shift's factor when b > 12).
 * Gadget: SoftmaxRow (circuits/lib/nonlinear.circom): m by the prover, proven the maximum (each Lookup range-checks
 * m - x_i >= 0, and Π (m - x_i) = 0), e_i by Lookup (exact table), S linear, y_i by FloorDiv (remainder and quotient
 * range-checked): every step is a function of the inputs, with forged-witness tests in nonlinear.test.ts.
 * Cost per element ≈ Lookup(b) + FloorDiv(F + 1, bD) + 1 (≤ 48 + 1 + 2·bD + F + 1: 85–96 for 8-bit inputs and rows
 * of 16), plus b per element when the input is shifted.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { bitLength, requantizeCost } from '../gadget-cost.ts';
import { requantize } from '../int-reference.ts';
import type { SoftmaxLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import {
  bestSplit,
  floorDivCost,
  lookupCostBound,
  softmaxDivBits,
  softmaxRowCost,
  softmaxRowRef,
  tableWidth,
  varArray,
  wireInput,
} from '../lookup.ts';
import type { QSoftmax } from '../qir.ts';
import { attrInt, normAxis } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** ONNX Softmax: dropped when it is the graph's final node, else a softmax node over its axis. */
export function importSoftmax(ctx: ImportCtx): void {
  if (ctx.isFinal) {
    ctx.droppedSoftmax();
    return;
  }
  ctx.add({ kind: 'softmax', outShape: ctx.shape, ...softmaxView(ctx) });
}

/** The [outer, n, inner] view of a Softmax / LogSoftmax node's axis (shared with ops/log-softmax.ts). */
export function softmaxView(ctx: ImportCtx): { outer: number; n: number; inner: number } {
  const shape = ctx.shape;
  const rank = shape.length + 1; // the ONNX rank, batch included
  const axis = normAxis(attrInt(ctx.node, 'axis', ctx.opset >= 13 ? -1 : 1), rank);
  if (axis < 0 || axis >= rank || (axis === 0 && ctx.opset >= 13)) throw ctx.fail(`axis ${axis} (a per-sample axis is needed)`);
  const a = Math.max(0, axis - 1);
  const outer = shapeSize(shape.slice(0, a));
  const [n, inner] = ctx.opset >= 13 ? [shape[a]!, shapeSize(shape.slice(a + 1))] : [shapeSize(shape.slice(a)), 1];
  return { outer, n, inner };
}

/** The element of row (o, k) at position j of the [outer, n, inner] view. */
export const at = (l: { n: number; inner: number }, o: number, k: number, j: number) => (o * l.n + j) * l.inner + k;

export const softmax: FloatOp<SoftmaxLayer> & QuantOp<QSoftmax> = {
  float(layer, [x]) {
    const y = new Float64Array(x!.length);
    for (let o = 0; o < layer.outer; o++) {
      for (let k = 0; k < layer.inner; k++) {
        let m = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < layer.n; j++) m = Math.max(m, x![at(layer, o, k, j)]!);
        let s = 0;
        for (let j = 0; j < layer.n; j++) s += Math.exp(x![at(layer, o, k, j)]! - m);
        for (let j = 0; j < layer.n; j++) y[at(layer, o, k, j)] = Math.exp(x![at(layer, o, k, j)]! - m) / s;
      }
    }
    return y;
  },
  estimate(layer, ctx) {
    const { bits, shift } = tableWidth(ctx.inBits[0]!);
    const F = ctx.activationBits - 1;
    const lookup = lookupCostBound(bits);
    const bD = softmaxDivBits(layer.n, 2 ** (F + bitLength(layer.n) + 1));
    const perRow = layer.n > 1 ? layer.n * (lookup + floorDivCost(F + 1, bD)) + layer.n - 1 : 0;
    const pre = shift ? shapeSize(layer.outShape) * ctx.inBits[0]! : 0;
    return { constraints: layer.outer * layer.inner * perRow + pre, bits: F + 2 };
  },
  quantize(layer, ctx) {
    const inBits = ctx.inBits[0]!;
    const { bits, shift } = tableWidth(inBits);
    const f = ctx.inFrac[0]! - shift;
    const F = ctx.activationBits - 1;
    const Fe = F + bitLength(layer.n) + 1;
    const table = Array.from({ length: 2 ** bits }, (_, u) => Math.round(Math.exp(-u * 2 ** -f) * 2 ** Fe));
    if (table[0] !== 2 ** Fe) throw new ZkaiError('INTERNAL', 'softmax: exp table');
    const bD = softmaxDivBits(layer.n, table[0]!);
    const { name, inputs, inShape, outShape, outer, n, inner } = layer;
    const l = bestSplit(table, bits);
    const q: QSoftmax = { kind: 'softmax', name, inputs, inShape, outShape, outer, n, inner, inBits, shift, bits, l, table, F, bD };
    return { q, frac: F, bits: F + 2 };
  },
  int(layer, [x]) {
    const xs = layer.shift ? x!.map((v) => requantize(v, layer.inBits, layer.shift, layer.bits)) : x!;
    const y = new Array<bigint>(x!.length);
    for (let o = 0; o < layer.outer; o++) {
      for (let k = 0; k < layer.inner; k++) {
        const idx = Array.from({ length: layer.n }, (_, j) => at(layer, o, k, j));
        const row =
          layer.n > 1
            ? softmaxRowRef(
                idx.map((i) => xs[i]!),
                layer.bits,
                layer.table,
                layer.F,
                layer.bD,
              )
            : [1n << BigInt(layer.F)];
        idx.forEach((i, j) => {
          y[i] = row[j]!;
        });
      }
    }
    return y;
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const N = shapeSize(layer.outShape);
    const { n, inner, outer, bits, l, F, bD, shift, inBits } = layer;
    ctx.body.push(`    signal x${li}[${N}];`);
    if (n === 1) {
      // A row of one is certain: y = 2^F whatever the input (softmaxRowRef's rows need two).
      ctx.body.push(`    for (var i = 0; i < ${N}; i++) x${li}[i] <== ${2 ** F};`);
      ctx.cost(layer.kind, 0);
      return (i) => `x${li}[${i}]`;
    }
    const rows = outer * inner;
    const src = shift ? 'pre[e].out' : 'x[e]';
    ctx.templates.push(
      `// layer ${li}: softmax, ${rows} rows of ${n}, exp table of ${2 ** bits} entries, ${F} output fractional bits.`,
      `template Softmax${li}() {`,
      `    signal input x[${N}];`,
      `    signal output y[${N}];`,
      ...varArray('T', layer.table),
      ...(shift
        ? [
            `    component pre[${N}];`,
            `    for (var i = 0; i < ${N}; i++) {`,
            `        pre[i] = Requantize(${inBits}, ${shift}, ${bits});`,
            '        pre[i].in <== x[i];',
            '    }',
          ]
        : []),
      `    component row[${rows}];`,
      `    for (var o = 0; o < ${outer}; o++) {`,
      `        for (var k = 0; k < ${inner}; k++) {`,
      `            row[o * ${inner} + k] = SoftmaxRow(${n}, ${bits}, ${l}, T, ${F}, ${bD});`,
      // Every input of a row before any output (circom reads a component's outputs only once all its inputs are set).
      `            for (var j = 0; j < ${n}; j++) {`,
      `                var e = (o * ${n} + j) * ${inner} + k;`,
      `                row[o * ${inner} + k].in[j] <== ${src};`,
      '            }',
      `            for (var j = 0; j < ${n}; j++) y[(o * ${n} + j) * ${inner} + k] <== row[o * ${inner} + k].out[j];`,
      '        }',
      '    }',
      '}',
      '',
    );
    ctx.body.push(`    component softmax${li} = Softmax${li}();`, ...wireInput(N, `softmax${li}.x`, ctx.input(0)));
    ctx.body.push(`    for (var i = 0; i < ${N}; i++) x${li}[i] <== softmax${li}.y[i];`);
    const pre = shift ? N * requantizeCost(inBits, shift, bits) : 0;
    ctx.cost(layer.kind, rows * softmaxRowCost(n, bits, l, layer.table, F, bD) + pre);
    return (i) => `x${li}[${i}]`;
  },
};
