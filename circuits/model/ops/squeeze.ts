/**
 * Squeeze and Unsqueeze of an activation: only the shape changes (size-1 axes removed or inserted), so both become a
 * `reshape` node (ops/reshape.ts: no signal, no constraint). Axes come from the attribute before opset 13 and from a
 * constant input after; the batch axis (0) may not be touched. (Squeeze/Unsqueeze of constants fold at import:
 * passes/constants.ts.)
 */
import { attrInts, normAxis } from './onnx-util.ts';
import type { ImportCtx } from './op.ts';

/** The raw axes list: the attribute before opset 13, the constant input 1 from it; undefined when absent. */
function axesList(ctx: ImportCtx): number[] | undefined {
  if (ctx.opset < 13) return attrInts(ctx.node, 'axes');
  return ctx.node.input[1] ? ctx.constOf(1).data : undefined;
}

/** The axes normalised against `rank`, distinct, never the batch axis. */
function checkAxes(ctx: ImportCtx, list: number[], rank: number): number[] {
  const axes = list.map((a) => normAxis(a, rank));
  if (axes.some((a) => !Number.isInteger(a) || a < 0 || a >= rank) || new Set(axes).size !== axes.length)
    throw ctx.fail(`axes [${list}] are not distinct axes of rank ${rank}`);
  if (axes.includes(0)) throw ctx.fail('axes include the batch axis');
  return axes;
}

export function importSqueeze(ctx: ImportCtx): void {
  const full = [1, ...ctx.shape];
  const list = axesList(ctx);
  // No axes: every size-1 axis but the batch one.
  const axes = list ? checkAxes(ctx, list, full.length) : full.flatMap((d, a) => (a > 0 && d === 1 ? [a] : []));
  const bad = axes.find((a) => full[a] !== 1);
  if (bad !== undefined) throw ctx.fail(`axis ${bad} has size ${full[bad]}, not 1`);
  ctx.add({ kind: 'reshape', outShape: full.filter((_, a) => !axes.includes(a)).slice(1) });
}

export function importUnsqueeze(ctx: ImportCtx): void {
  const list = axesList(ctx);
  if (!list) throw ctx.fail('Unsqueeze without axes');
  const full = [1, ...ctx.shape];
  // Unsqueeze's axes index the OUTPUT shape.
  const outRank = full.length + list.length;
  const axes = checkAxes(ctx, list, outRank);
  const out: number[] = [];
  let k = 0;
  for (let a = 0; a < outRank; a++) out.push(axes.includes(a) ? 1 : full[k++]!);
  ctx.add({ kind: 'reshape', outShape: out.slice(1) });
}
