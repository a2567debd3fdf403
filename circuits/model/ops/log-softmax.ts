/**
 * log-softmax: x_i - max - log Σ_j exp(x_j - max) along one axis, from an ONNX LogSoftmax that is not the graph's
 * final node (a final one is dropped: circuits output logits, whose argmax is the same). Any per-sample axis, viewed as
 * [outer, n, inner] rows exactly as ops/softmax.ts does (`softmaxView`), whose exp table and proven maximum it reuses.
 *
 * Fixed point. The input is a signed b-bit integer at 2^-f (b > 12: floor-shifted to 12 bits first, as softmax does,
 * at 2^-(f - shift); f below means the shifted scale). Per row, m = max_i x_i, u_i = m - x_i ∈ [0, 2^b),
 *   e_i = T[u_i] = round(exp(-u_i·2^-f)·2^Fe),  S = Σ e_i ∈ [2^Fe, n·2^Fe] < 2^sBits,  sBits = Fe + bitLength(n),
 *   v = floor(S / 2^s),  s = sBits - tb,  tb = min(sBits, 12),
 *   y_i = x_i - m - LT[v],  LT[v] = round(log((v + ½)·2^s / 2^Fe)·2^f)  (s = 0: log(v / 2^Fe), exact argument),
 * with Fe = max(f, 0) + bitLength(n) + 2. The output keeps the input's scale 2^-f (x_i - m is exact there, so only the
 * log term rounds) and is signed outBits = bitLength(2^b - 1 + max LT) + 1 wide. Both tables are computed once at
 * quantize time and stored (quantized.json), so the circuit and the integer reference read the same integers.
 * Error against the float log-softmax of the (shifted) quantized input, in output LSBs 2^-f: the log table's rounding
 * ½, the exp table's: |log S - log S*| <= n/2^(Fe+1) relative, times 2^f: <= n/2^(bitLength(n)+3) < ⅛; and v's
 * truncation (s > 0): |S - (v + ½)·2^s| <= 2^(s-1) with S >= 2^Fe, i.e. <= 2^(bitLength(n) + f - 13) LSB (¼ for rows
 * of up to 31 at f = 5). Total < ½ + ⅛ + 2^(bitLength(n) + f - 13) (·(1 + that) for log's curvature: < 1 LSB for
 * rows of up to 31 at f <= 5; `ops-logsoftmax.test.ts` checks it), plus the shift's floor when b > 12.
 * Gadget: LogSoftmaxRow (circuits/lib/nonlinear.circom): m proven the maximum (Lookups of m - x_i and Π (m - x_i) = 0),
 * the exp and log tables by Lookup, S's floor shift by Requantize (remainder and quotient range-checked): y is a
 * function of x. Cost per row: n exp Lookups + n - 1 + one log Lookup (≤ 192 at 12 bits) + (sBits + 1 when s > 0).
 */
import { ZkaiError } from '../../../common/errors.ts';
import { bitLength, requantizeCost } from '../gadget-cost.ts';
import { requantize } from '../int-reference.ts';
import type { LogSoftmaxLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import {
  bestSplit,
  logSoftmaxRowCost,
  logSoftmaxRowRef,
  lookupCostBound,
  TABLE_MAX_BITS,
  tableWidth,
  varArray,
  wireInput,
} from '../lookup.ts';
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
    // A lower bound: the exp lookups' selectors and the maximum's products (the log lookup needs the scale).
    const { bits, shift } = tableWidth(ctx.inBits[0]!);
    const perRow = layer.n > 1 ? layer.n * lookupCostBound(bits) + layer.n - 1 : 0;
    const pre = shift ? shapeSize(layer.outShape) * ctx.inBits[0]! : 0;
    return { constraints: layer.outer * layer.inner * perRow + pre, bits: bits + 2 };
  },
  quantize(layer, ctx) {
    const inBits = ctx.inBits[0]!;
    const { bits, shift } = tableWidth(inBits);
    const f = ctx.inFrac[0]! - shift;
    const nb = bitLength(layer.n);
    const Fe = Math.max(f, 0) + nb + 2;
    const sBits = Fe + nb;
    if (sBits > 200) throw new ZkaiError('BAD_INPUT', `log-softmax '${layer.name}': input scale 2^-${f} out of reach`);
    const table = Array.from({ length: 2 ** bits }, (_, u) => Math.round(Math.exp(-u * 2 ** -f) * 2 ** Fe));
    if (table[0] !== 2 ** Fe) throw new ZkaiError('INTERNAL', 'log-softmax: exp table');
    const tb = Math.min(sBits, TABLE_MAX_BITS);
    const s = sBits - tb;
    // Entries below 2^Fe (v·2^s < T[0]) are never read (S >= T[0]); they take log 1 = 0 so that every entry is finite.
    const logTable = Array.from({ length: 2 ** tb }, (_, v) => {
      const S = s > 0 ? (v + 0.5) * 2 ** s : v;
      return Math.round(Math.log(Math.max(S, 2 ** Fe) / 2 ** Fe) * 2 ** f);
    });
    const outBits = bitLength(2 ** bits - 1 + Math.max(...logTable)) + 1;
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
      sBits,
      tb,
      lL: bestSplit(logTable, tb),
      logTable,
      outBits,
    };
    return { q, frac: f, bits: outBits };
  },
  int(layer, [x]) {
    const xs = layer.shift ? x!.map((v) => requantize(v, layer.inBits, layer.shift, layer.bits)) : x!;
    const y = new Array<bigint>(x!.length).fill(0n);
    if (layer.n === 1) return y;
    for (let o = 0; o < layer.outer; o++) {
      for (let k = 0; k < layer.inner; k++) {
        const idx = rowOf(layer, o, k);
        const row = logSoftmaxRowRef(
          idx.map((i) => xs[i]!),
          layer.bits,
          layer.table,
          layer.sBits,
          layer.tb,
          layer.logTable,
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
    const { n, inner, outer, bits, l, shift, inBits, sBits, tb, lL } = layer;
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
      `// layer ${li}: log-softmax, ${rows} rows of ${n}, exp table of ${2 ** bits} entries, log table of ${2 ** tb}.`,
      `template LogSoftmax${li}() {`,
      `    signal input x[${N}];`,
      `    signal output y[${N}];`,
      ...varArray('T', layer.table),
      ...varArray('LT', layer.logTable),
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
      `            row[o * ${inner} + k] = LogSoftmaxRow(${n}, ${bits}, ${l}, T, ${sBits}, ${tb}, ${lL}, LT);`,
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
    const pre = shift ? N * requantizeCost(inBits, shift, bits) : 0;
    ctx.cost(layer.kind, rows * logSoftmaxRowCost(n, bits, l, layer.table, sBits, tb, lL, layer.logTable) + pre);
    return (i) => `x${li}[${i}]`;
  },
};
