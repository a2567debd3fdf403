/**
 * maxpool2d: the largest input cell of each window (padding ignored), from ONNX MaxPool (import: ops/pool.ts).
 * Gadget Max(cells, bits); a one-cell window is a wire. Same scale and width as the input. With LogUp lookups, where
 * the windows do not overlap and their cells are not linear in public signals, LogUpMax (logup-quant.circom) instead:
 * the same maximum with its range checks by lookups (emitLogUp below).
 */
import { ZkaiError } from '../../../common/errors.ts';
import { maxCost } from '../gadget-cost.ts';
import { forEachPoolWindow } from '../geometry.ts';
import { maxOf } from '../int-reference.ts';
import type { Pool2dLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import { emptyWidthCounts, groupStarts, LOGUP_LIMB_BITS, signedRangeCounts, type WidthCounts } from '../logup-emit.ts';
import type { QPool2d } from '../qir.ts';
import { wire } from './linear-emit.ts';
import type { EmitCtx, FloatOp, QuantOp, Signals } from './op.ts';
import { forEachWindowSize, poolNode, poolWindows } from './pool.ts';

export const maxpool2d: FloatOp<Pool2dLayer> & QuantOp<QPool2d> = {
  float(layer, [x]) {
    const y = new Float64Array(shapeSize(layer.outShape));
    forEachPoolWindow(layer, (o, cells) => {
      y[o] = Math.max(...cells.map((i) => x![i]!));
    });
    return y;
  },
  estimate(layer, ctx) {
    const bits = ctx.inBits[0]!;
    let cost = 0;
    const C = forEachWindowSize(layer, (cells) => {
      cost += cells > 1 ? maxCost(cells, bits) : 0;
    });
    return { constraints: cost * C, bits };
  },
  quantize: (layer, ctx) => ({ q: poolNode(layer, ctx.inBits[0]!), frac: ctx.inFrac[0]!, bits: ctx.inBits[0]! }),
  int(layer, [x]) {
    return poolWindows(layer, x!).map(({ vals }) => (vals.length === 1 ? vals[0]! : maxOf(vals, layer.bits)));
  },
  emit(layer, ctx) {
    if (ctx.lookups && logUpFits(layer, ctx)) return emitLogUp(layer, ctx);
    const li = ctx.index;
    const nOutL = shapeSize(layer.outShape);
    const prev = ctx.input(0);
    ctx.body.push(`    signal x${li}[${nOutL}];`, `    component pool${li}[${nOutL}];`);
    let cost = 0;
    forEachPoolWindow(layer, (o, cells) => {
      if (cells.length === 0) throw new ZkaiError('BAD_INPUT', `pooling layer ${li} has a window with no input cell`);
      if (cells.length === 1) {
        ctx.body.push(`    x${li}[${o}] <== ${prev(cells[0]!)};`);
        return;
      }
      ctx.body.push(`    pool${li}[${o}] = Max(${cells.length}, ${layer.bits});`);
      for (const [j, c] of cells.entries()) ctx.body.push(`    pool${li}[${o}].in[${j}] <== ${prev(c)};`);
      cost += maxCost(cells.length, layer.bits);
      ctx.body.push(`    x${li}[${o}] <== pool${li}[${o}].out;`);
    });
    ctx.cost(layer.kind, cost);
    return (i) => `x${li}[${i}]`;
  },
};

/**
 * Whether LogUpMax can serve this layer with the cost emitLogUp counts (no row of its own besides the products): each
 * window's recomposition rows (out − in[i] = Σ limbs, the limbs committed) stay constraints unless circom --O2 can solve
 * each for a signal of its own, out or an in[i]. A cell in two windows gives the rows of both one signal; a cell linear
 * in public signals (ctx.publicLinear: the model's input, a case-0 requantization's output) or not a signal at all
 * (a constant) gives none. Either way
 * the layer keeps Max's bit decompositions, whose bits are private and always absorb their rows; and the compile's
 * count check (codegen.ts) still holds any miscount to circom's figure.
 */
function logUpFits(layer: QPool2d, ctx: EmitCtx): boolean {
  const prev = ctx.input(0);
  // By expression, not index: ops that only rename or repeat (reshape, broadcast) can give two cells one signal.
  const seen = new Set<string>();
  let fits = true;
  forEachPoolWindow(layer, (_o, cells) => {
    if (cells.length < 2) return;
    for (const c of cells) {
      const e = prev(c);
      if (seen.has(e) || !SIGNAL.test(e) || ctx.publicLinear?.has(e)) fits = false;
      seen.add(e);
    }
  });
  return fits && seen.size > 0; // no window of two cells: nothing to look up
}

/** A signal reference (a constant or an expression gives a window's rows nothing to be solved for). */
const SIGNAL = /^[A-Za-z_][A-Za-z0-9_.]*(\[[0-9]+\])*$/;

/**
 * The layer as a template of its own: LogUpMax per window of two or more cells (a one-cell window is a wire), the
 * windows' limbs copied into the template's `lk` by width (logup-emit.ts groupStarts), which the main template looks up.
 */
function emitLogUp(layer: QPool2d, ctx: EmitCtx): Signals {
  const li = ctx.index;
  const B = ctx.limbBits ?? LOGUP_LIMB_BITS;
  const nIn = shapeSize(layer.inShape);
  const nOut = shapeSize(layer.outShape);
  const windows: { o: number; cells: number[] }[] = [];
  const wires: string[] = [];
  forEachPoolWindow(layer, (o, cells) => {
    if (cells.length === 0) throw new ZkaiError('BAD_INPUT', `pooling layer ${li} has a window with no input cell`);
    if (cells.length === 1) wires.push(`    y[${o}] <== x[${cells[0]}];`);
    else windows.push({ o, cells });
  });
  const counts: WidthCounts = emptyWidthCounts(B);
  for (const { cells } of windows) for (const [k, n] of signedRangeCounts(cells.length, layer.bits, B).entries()) counts[k]! += n;
  const total = counts.reduce((a, n) => a + n, 0);
  const at = groupStarts(counts);
  const t = [
    `template Layer${li}() {`,
    `    signal input x[${nIn}];`,
    `    signal output y[${nOut}];`,
    `    signal output lk[${total}];`,
    `    component m[${windows.length}];`,
    ...wires,
  ];
  let cost = 0;
  for (const [k, { o, cells }] of windows.entries()) {
    t.push(`    m[${k}] = LogUpMax(${cells.length}, ${layer.bits}, ${B});`);
    for (const [j, c] of cells.entries()) t.push(`    m[${k}].in[${j}] <== x[${c}];`);
    t.push(`    y[${o}] <== m[${k}].out;`);
    // The window's limbs, width group by width group, after the previous windows' groups of that width.
    const own = signedRangeCounts(cells.length, layer.bits, B);
    const ownAt = groupStarts(own);
    for (const [w, n] of own.entries()) {
      if (n === 0) continue;
      t.push(`    for (var i = 0; i < ${n}; i++) lk[${at[w]!} + i] <== m[${k}].lk[${ownAt[w]!} + i];`);
      at[w]! += n;
    }
    cost += cells.length - 1;
  }
  t.push('}', '');
  ctx.templates.push(...t);
  ctx.body.push(`    component layer${li} = Layer${li}();`, ...wire(nIn, `layer${li}.x`, ctx.input(0)));
  ctx.body.push(`    signal x${li}[${nOut}];`, `    for (var i = 0; i < ${nOut}; i++) x${li}[i] <== layer${li}.y[i];`);
  if (total > 0) ctx.lookups!.push({ component: `layer${li}`, counts });
  ctx.cost(`${layer.kind} (LogUp)`, cost);
  return (i) => `x${li}[${i}]`;
}
