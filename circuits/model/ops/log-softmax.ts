/**
 * log-softmax: x_i - max - log Σ_j exp(x_j - max) along one axis, from an ONNX LogSoftmax that is not the graph's
 * final node (a final one is dropped: circuits output logits, whose argmax is the same). Any per-sample axis, viewed as
 * [outer, n, inner] rows exactly as ops/softmax.ts does (`softmaxView`), whose exp table and proven maximum it reuses.
 *
 * Fixed point. The input is a signed b-bit integer at 2^-f, floor-shifted first (Requantize) when b > 12 (to 12 bits,
 * as softmax does) or f > 8 (to 2^-8: the log table serves f <= 8 with 2^12 entries); f below means the shifted
 * scale. Per row, m = max_i x_i, u_i = m - x_i,
 *   e_i = T[u_i] = round(exp(-u_i·2^-f)·2^Fe),  S = Σ e_i ∈ [2^Fe, n·2^Fe],  Fe = max(f, 0) + bitLength(n) + 3,
 * then S is normalised like a float: S = v·2^(Fe + k - (M - 1)) + r with the exponent k ∈ [0, bitLength(n)) and the
 * mantissa v ∈ [2^(M-1), 2^M), M = max(f, 0) + 5, and
 *   y_i = x_i - m - R,  R = round((C[k] + LT[v - 2^(M-1)]) / 2^G),  G = 5,
 * C[k] = round(k·ln2·2^(f+G)), LT[w] = round(log((w + 2^(M-1) + ½) / 2^(M-1))·2^(f+G)) (v's interval's midpoint): the
 * two log terms meet at a finer scale and round once. The output keeps the input's scale 2^-f (x_i - m is exact there)
 * and is signed outBits = bitLength(2^b - 1 + 2^RB - 1) + 1 wide (R < 2^RB). The tables are computed once at quantize
 * time and stored (quantized.json), so the circuit and the integer reference read the same integers.
 * Error against the float log-softmax of the (shifted) quantized input, in output LSBs 2^-f, whatever n (derivation in
 * circuits/lib/log-softmax.circom): ½ (rounding) + 2^-5 (the two table roundings) + 2^(f-M) <= 2^-5 (the mantissa's
 * truncation) + (n - 1)·2^(f-Fe-1) < 2^-4 (the exp table) = 0.625 LSB (`log-softmax-row.test.ts` measures it for rows
 * of 8, 64 and 1000), plus the input shift's floor when there is one.
 * Gadget: LogSoftmaxRow (circuits/lib/log-softmax.circom): m proven the maximum (Lookups of m - x_i and
 * Π (m - x_i) = 0), the exp and log tables by Lookup, k by a one-hot selector, S = v·2^sh_k + r with v's range proven
 * by the log Lookup and r's by its bits masked above sh_k, the rounding by Requantize: y is a function of x. Cost per
 * row (log-softmax-row.ts logSoftmaxRowCost): n exp Lookups + n - 1 + 4·bitLength(n) - 2 (the selector, v·2^sh_k,
 * r's sh_0 + bitLength(n) - 1 bits with sh_0 = Fe - M + 1 = bitLength(n) - 1, its masks) + one log Lookup of 2^(M-1)
 * entries (64 at f = 5, 192 at f = 8) + RB + 6 (the rounding; R < 2^RB).
 */
import { ZkaiError } from '../../../common/errors.ts';
import { bitLength, requantizeCost } from '../gadget-cost.ts';
import { requantize } from '../int-reference.ts';
import type { LogSoftmaxLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import { LOG_SOFTMAX_MAX_FRAC, logSoftmaxRowCost, logSoftmaxRowRef, logSoftmaxScales, logSoftmaxTables } from '../log-softmax-row.ts';
import { bestSplit, lookupCostBound, TABLE_MIN_BITS, tableWidth, varArray, wireInput } from '../lookup.ts';
import type { QLogSoftmax } from '../qir.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';
import { at, softmaxView } from './softmax.ts';

/** ONNX LogSoftmax: dropped when it is the graph's final node, else a log-softmax node over its axis. */
export function importLogSoftmax(ctx: ImportCtx): void {
  if (ctx.isFinal) {
    ctx.droppedSoftmax();
    return;
  }
  ctx.add({ kind: 'log-softmax', outShape: ctx.shape, ...softmaxView(ctx) });
}

/**
 * The input's floor shift and table width: to 12 bits (tableWidth) and to the scale 2^-LOG_SOFTMAX_MAX_FRAC, whichever
 * shifts more (a coarser scale is the price of a finer input: the log table would need more than 2^12 entries).
 */
function logSoftmaxInput(inBits: number, f: number): { bits: number; shift: number } {
  const cut = tableWidth(inBits);
  const shift = Math.max(cut.shift, f - LOG_SOFTMAX_MAX_FRAC);
  if (shift === cut.shift) return cut;
  return { bits: Math.max(inBits - shift, TABLE_MIN_BITS), shift };
}

/** The pre-shift Requantize's input width: the input's, or wider when the shift leaves it under 2 bits. */
const preBits = (q: Pick<QLogSoftmax, 'inBits' | 'shift'>) => Math.max(q.inBits, q.shift + 2);

/** A quantized.json written before the row sum's normalisation has other fields: it must be quantized again. */
function checkFormat(q: QLogSoftmax): void {
  if (!Array.isArray(q.logConst) || !Number.isInteger(q.M) || !Number.isInteger(q.RB))
    throw new ZkaiError('BAD_INPUT', `log-softmax '${q.name}': quantized by an older zkai (no normalised log); compile the model again`);
}

/** Row (o, k)'s element indices. */
const rowOf = (l: { n: number; inner: number }, o: number, k: number) => Array.from({ length: l.n }, (_, j) => at(l, o, k, j));

export const logSoftmax: FloatOp<LogSoftmaxLayer> & QuantOp<QLogSoftmax> = {
  float(layer, [x]) {
    const y = new Float64Array(x!.length);
    for (let o = 0; o < layer.outer; o++) {
      for (let k = 0; k < layer.inner; k++) {
        const idx = rowOf(layer, o, k);
        const m = Math.max(...idx.map((i) => x![i]!));
        const lse = Math.log(idx.reduce((acc, i) => acc + Math.exp(x![i]! - m), 0));
        for (const i of idx) y[i] = x![i]! - m - lse;
      }
    }
    return y;
  },
  estimate(layer, ctx) {
    // A lower bound: the exp lookups' selectors and the maximum's products (the log lookup needs the scale). Per
    // element the cheaper of the 12-bit cut's lookup (and its shift) and a further shift (f > 8) to the narrowest table.
    const inBits = ctx.inBits[0]!;
    const { bits, shift } = tableWidth(inBits);
    const perElement = Math.min(lookupCostBound(bits) + (shift ? inBits : 0), lookupCostBound(TABLE_MIN_BITS) + inBits);
    const perRow = layer.n > 1 ? layer.n * perElement + layer.n - 1 : 0;
    return { constraints: layer.outer * layer.inner * perRow, bits: bits + 2 };
  },
  quantize(layer, ctx) {
    const inBits = ctx.inBits[0]!;
    const { bits, shift } = logSoftmaxInput(inBits, ctx.inFrac[0]!);
    const f = ctx.inFrac[0]! - shift;
    const { Fe, M } = logSoftmaxScales(f, layer.n);
    if (Fe > 200) throw new ZkaiError('BAD_INPUT', `log-softmax '${layer.name}': input scale 2^-${f} out of reach`);
    const table = Array.from({ length: 2 ** bits }, (_, u) => Math.round(Math.exp(-u * 2 ** -f) * 2 ** Fe));
    if (table[0] !== 2 ** Fe) throw new ZkaiError('INTERNAL', 'log-softmax: exp table');
    const p = logSoftmaxTables(f, layer.n, Fe, M);
    const rMax = 2 ** p.RB - 1;
    const outBits = bitLength(2 ** bits - 1 + rMax) + 1;
    const { name, inputs, inShape, outShape, outer, n, inner } = layer;
    const q: QLogSoftmax = {
      kind: 'log-softmax',
      name,
      inputs,
      inShape,
      outShape,
      outer,
      n,
      inner,
      inBits,
      shift,
      bits,
      l: bestSplit(table, bits),
      table,
      Fe,
      M,
      lM: p.lM,
      logTable: p.logTable,
      logConst: p.logConst,
      G: p.G,
      RB: p.RB,
      outBits,
    };
    return { q, frac: f, bits: outBits };
  },
  int(layer, [x]) {
    checkFormat(layer);
    const xs = layer.shift ? x!.map((v) => requantize(v, preBits(layer), layer.shift, layer.bits)) : x!;
    const y = new Array<bigint>(x!.length).fill(0n);
    if (layer.n === 1) return y;
    for (let o = 0; o < layer.outer; o++) {
      for (let k = 0; k < layer.inner; k++) {
        const idx = rowOf(layer, o, k);
        const row = logSoftmaxRowRef(
          idx.map((i) => xs[i]!),
          layer.bits,
          layer.table,
          layer,
        );
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
    checkFormat(layer);
    const { n, inner, outer, bits, l, shift, Fe, M, lM, G, RB } = layer;
    ctx.body.push(`    signal x${li}[${N}];`);
    if (n === 1) {
      // A row of one: log 1 = 0 whatever the input.
      ctx.body.push(`    for (var i = 0; i < ${N}; i++) x${li}[i] <== 0;`);
      ctx.cost(layer.kind, 0);
      return (i) => `x${li}[${i}]`;
    }
    const rows = outer * inner;
    const src = shift ? 'pre[e].out' : 'x[e]';
    ctx.templates.push(
      `// layer ${li}: log-softmax, ${rows} rows of ${n}, exp table of ${2 ** bits} entries, log table of ${2 ** (M - 1)}.`,
      `template LogSoftmax${li}() {`,
      `    signal input x[${N}];`,
      `    signal output y[${N}];`,
      ...varArray('T', layer.table),
      ...varArray('LT', layer.logTable),
      ...varArray('C', layer.logConst),
      ...(shift
        ? [
            `    component pre[${N}];`,
            `    for (var i = 0; i < ${N}; i++) {`,
            `        pre[i] = Requantize(${preBits(layer)}, ${shift}, ${bits});`,
            '        pre[i].in <== x[i];',
            '    }',
          ]
        : []),
      `    component row[${rows}];`,
      `    for (var o = 0; o < ${outer}; o++) {`,
      `        for (var k = 0; k < ${inner}; k++) {`,
      `            row[o * ${inner} + k] = LogSoftmaxRow(${n}, ${bits}, ${l}, T, ${Fe}, ${M}, ${lM}, LT, C, ${G}, ${RB});`,
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
    ctx.body.push(`    component logsoftmax${li} = LogSoftmax${li}();`, ...wireInput(N, `logsoftmax${li}.x`, ctx.input(0)));
    ctx.body.push(`    for (var i = 0; i < ${N}; i++) x${li}[i] <== logsoftmax${li}.y[i];`);
    const pre = shift ? N * requantizeCost(preBits(layer), shift, bits) : 0;
    ctx.cost(layer.kind, rows * logSoftmaxRowCost(bits, l, layer.table, layer) + pre);
    return (i) => `x${li}[${i}]`;
  },
};
