/**
 * slice: a strided window of an activation, from ONNX Slice (starts, ends, axes, steps: constant inputs from opset
 * 10, attributes before). Pure data movement: output element i IS input element src(i), so the generator hands the
 * input's signals on (no signal, no constraint) and the integer reference picks the same elements (exact, no error).
 * The batch axis may only be sliced to itself. A Slice whose data is a constant (the Shape → Slice → Concat → Reshape
 * chain of `flatten(2)`) folds at import with the same index rule (passes/constants.ts uses sliceRanges). ONNX Split
 * of an activation becomes one slice per output (importSplit).
 */
import { ZkaiError } from '../../../common/errors.ts';
import type { SliceLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QSlice } from '../qir.ts';
import { attrInt, attrInts, type Const, normAxis } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** Per axis of a full shape: the first index, the step and the number of elements kept. */
export interface SliceRange {
  start: number;
  step: number;
  size: number;
}

/**
 * ONNX Slice's index rule over `shape`: starts/ends clamped (negative ones count from the end, INT64 extremes mean
 * "to the edge"), per listed axis; unlisted axes are kept whole. Returns undefined for a zero step or repeated axes.
 */
export function sliceRanges(
  shape: readonly number[],
  starts: number[],
  ends: number[],
  axes?: number[],
  steps?: number[],
): SliceRange[] | undefined {
  const ranges: SliceRange[] = shape.map((d) => ({ start: 0, step: 1, size: d }));
  const ax = axes ?? starts.map((_, i) => i);
  if (ends.length !== starts.length || ax.length !== starts.length || (steps && steps.length !== starts.length)) return undefined;
  const seen = new Set<number>();
  for (let k = 0; k < starts.length; k++) {
    const a = ax[k]! < 0 ? ax[k]! + shape.length : ax[k]!;
    const step = steps ? steps[k]! : 1;
    if (!(a >= 0 && a < shape.length) || seen.has(a) || step === 0 || !Number.isInteger(step)) return undefined;
    seen.add(a);
    const d = shape[a]!;
    const norm = (v: number) => (v < 0 ? v + d : v);
    let start: number;
    let end: number;
    if (step > 0) {
      start = Math.min(Math.max(norm(starts[k]!), 0), d);
      end = Math.min(Math.max(norm(ends[k]!), 0), d);
    } else {
      start = Math.min(Math.max(norm(starts[k]!), -1), d - 1);
      end = Math.min(Math.max(norm(ends[k]!), -1), d - 1);
    }
    const size = Math.max(0, Math.ceil((end - start) / step));
    ranges[a] = { start, step, size };
  }
  return ranges;
}

/** For each output element (row-major), the index of the input element it is. */
export function sliceSources(shape: readonly number[], ranges: readonly SliceRange[]): number[] {
  const rank = shape.length;
  const stride = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) stride[a] = stride[a + 1]! * shape[a + 1]!;
  const out: number[] = [];
  const walk = (a: number, off: number): void => {
    if (a === rank) {
      out.push(off);
      return;
    }
    const r = ranges[a]!;
    for (let j = 0; j < r.size; j++) walk(a + 1, off + (r.start + j * r.step) * stride[a]!);
  };
  walk(0, 0);
  return out;
}

/** Slice of a constant tensor (passes/constants.ts), or undefined when the parameters are not valid. */
export function sliceConst(data: Const, starts: number[], ends: number[], axes?: number[], steps?: number[]): Const | undefined {
  const ranges = sliceRanges(data.shape, starts, ends, axes, steps);
  if (!ranges) return undefined;
  return { shape: ranges.map((r) => r.size), data: sliceSources(data.shape, ranges).map((i) => data.data[i]!) };
}

/** starts, ends, axes, steps of an ONNX Slice: constant inputs 1..4 from opset 10, attributes before. */
export function sliceParams(
  opset: number,
  attrs: (name: string) => number[] | undefined,
  input: (k: number) => number[] | undefined,
): { starts?: number[]; ends?: number[]; axes?: number[]; steps?: number[] } {
  if (opset < 10) return { starts: attrs('starts'), ends: attrs('ends'), axes: attrs('axes') };
  return { starts: input(1), ends: input(2), axes: input(3), steps: input(4) };
}

export function importSlice(ctx: ImportCtx): void {
  const full = [1, ...ctx.shape];
  const p = sliceParams(
    ctx.opset,
    (n) => attrInts(ctx.node, n),
    (k) => (ctx.node.input[k] ? ctx.constOf(k).data : undefined),
  );
  if (!p.starts || !p.ends) throw ctx.fail('Slice without starts/ends');
  const ranges = sliceRanges(full, p.starts, p.ends, p.axes, p.steps);
  if (!ranges) throw ctx.fail('invalid starts/ends/axes/steps');
  const b = ranges[0]!;
  if (b.size !== 1 || b.start !== 0) throw ctx.fail('slices the batch axis');
  const out = ranges.slice(1);
  if (out.some((r) => r.size === 0)) throw ctx.fail('empty slice');
  ctx.add({ kind: 'slice', outShape: out.map((r) => r.size), starts: out.map((r) => r.start), steps: out.map((r) => r.step) });
}

const sources = (l: { inShape: number[]; outShape: number[]; starts: number[]; steps: number[] }): number[] =>
  sliceSources(
    l.inShape,
    l.outShape.map((size, a) => ({ start: l.starts[a]!, step: l.steps[a]!, size })),
  );

export const slice: FloatOp<SliceLayer> & QuantOp<QSlice> = {
  float: (layer, [x]) => Float64Array.from(sources(layer), (s) => x![s]!),
  estimate: (_layer, ctx) => ({ constraints: 0, bits: ctx.inBits[0]! }),
  quantize: (layer, ctx) => ({
    q: {
      kind: 'slice',
      name: layer.name,
      inputs: layer.inputs,
      inShape: layer.inShape,
      outShape: layer.outShape,
      starts: layer.starts,
      steps: layer.steps,
    },
    frac: ctx.inFrac[0]!,
    bits: ctx.inBits[0]!,
  }),
  int: (layer, [x]) => sources(layer).map((s) => x![s]!),
  emit(layer, ctx) {
    const src = sources(layer);
    if (src.length !== shapeSize(layer.outShape) || src.some((s) => !(s >= 0 && s < shapeSize(layer.inShape))))
      throw new ZkaiError('BAD_INPUT', `slice node ${ctx.index}: a source index outside its input`);
    const x = ctx.input(0);
    ctx.cost(layer.kind, 0);
    return (i) => x(src[i]!); // the same signals, a window of them
  },
};

/**
 * ONNX Split of an activation: one slice node per output (sizes from the `split` input from opset 13, the attribute
 * before, else equal parts, the last one smaller: ONNX's rule, `num_outputs` from opset 18). Pure data movement.
 */
export function importSplit(ctx: ImportCtx): void {
  const full = [1, ...ctx.shape];
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), full.length);
  if (axis < 1 || axis >= full.length) throw ctx.fail(`axis ${axis} is not a per-sample axis`);
  const d = full[axis]!;
  const outs = ctx.node.output.length;
  let sizes = ctx.opset >= 13 ? (ctx.node.input[1] ? ctx.constOf(1).data : undefined) : attrInts(ctx.node, 'split');
  if (!sizes) {
    const part = Math.ceil(d / attrInt(ctx.node, 'num_outputs', outs));
    sizes = Array.from({ length: outs }, (_, k) => Math.min(part, d - k * part));
  }
  if (sizes.length !== outs || sizes.some((s) => !Number.isInteger(s) || s < 1) || sizes.reduce((a, b) => a + b, 0) !== d)
    throw ctx.fail(`split [${sizes}] does not cut axis ${axis} of size ${d} into ${outs} parts`);
  let start = 0;
  sizes.forEach((s, k) => {
    const starts = ctx.shape.map((_, a) => (a === axis - 1 ? start : 0));
    start += s;
    if (!ctx.node.output[k]) return;
    ctx.add({
      kind: 'slice',
      outShape: ctx.shape.map((n, a) => (a === axis - 1 ? s : n)),
      starts,
      steps: ctx.shape.map(() => 1),
      output: k,
    });
  });
}
