/**
 * What max pooling (ops/maxpool.ts) and average pooling (ops/avgpool.ts) share: the ONNX import of a 2-D pooling
 * node, and the count of input cells (not padding) in each window, which both costs depend on.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { forEachPoolWindow } from '../geometry.ts';
import type { Pool2dLayer } from '../ir.ts';
import type { QPool2d } from '../qir.ts';
import { validTaps } from './linear.ts';
import { attrInt, attrInts, resolvePads } from './onnx-util.ts';
import type { ImportCtx } from './op.ts';

/** ONNX MaxPool / AveragePool → maxpool2d / avgpool2d (ceil_mode 0, dilation 1). */
export function importPool(ctx: ImportCtx): void {
  const { node, index, shape } = ctx;
  if (shape.length !== 3) throw ctx.fail(`only 2-D pooling on [batch, C, H, W] is supported, got per-sample shape [${shape}]`);
  if (node.output.length > 1 && node.output[1] !== '') throw ctx.fail('MaxPool Indices output');
  const [C, H, W] = shape as [number, number, number];
  const k = attrInts(node, 'kernel_shape');
  if (k?.length !== 2) throw ctx.fail('kernel_shape must have 2 entries');
  if (attrInt(node, 'ceil_mode', 0) !== 0) throw ctx.fail('ceil_mode=1');
  if ((attrInts(node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) throw ctx.fail('dilations other than 1');
  const st = (attrInts(node, 'strides') ?? [1, 1]) as [number, number];
  const pads = resolvePads(node, index, [H, W], [k[0]!, k[1]!], st);
  const oH = Math.floor((H + pads[0] + pads[2] - k[0]!) / st[0]) + 1;
  const oW = Math.floor((W + pads[1] + pads[3] - k[1]!) / st[1]) + 1;
  if (oH < 1 || oW < 1) throw ctx.fail(`output would be empty (${oH}x${oW})`);
  ctx.add({
    kind: node.opType === 'MaxPool' ? 'maxpool2d' : 'avgpool2d',
    outShape: [C, oH, oW],
    kernel: [k[0]!, k[1]!],
    strides: [st[0], st[1]],
    pads,
    countIncludePad: attrInt(node, 'count_include_pad', 0) === 1,
  });
}

/** Calls `visit(cells)` with the number of input cells of every window of one channel, and returns C. */
export function forEachWindowSize(layer: Pool2dLayer, visit: (cells: number) => void): number {
  const [C, H, W] = layer.inShape as [number, number, number];
  const [, oH, oW] = layer.outShape as [number, number, number];
  const rows = validTaps(H, oH, layer.kernel[0], layer.strides[0], layer.pads[0]);
  const cols = validTaps(W, oW, layer.kernel[1], layer.strides[1], layer.pads[1]);
  for (const r of rows) for (const c of cols) visit(r * c);
  return C;
}

/** The quantized node of a pooling layer: the layer's geometry and its input width. */
export function poolNode(layer: Pool2dLayer, bits: number): QPool2d {
  return {
    kind: layer.kind,
    name: layer.name,
    inputs: layer.inputs,
    inShape: layer.inShape,
    outShape: layer.outShape,
    bits,
    kernel: layer.kernel,
    strides: layer.strides,
    pads: layer.pads,
    countIncludePad: layer.countIncludePad,
  };
}

/** Each window's input values and divisor, in output order (integer reference); a window of padding only has no witness. */
export function poolWindows(layer: QPool2d, x: readonly bigint[]): { vals: bigint[]; divisor: number }[] {
  const out: { vals: bigint[]; divisor: number }[] = [];
  forEachPoolWindow(layer, (_o, cells, divisor) => {
    const vals = cells.map((i) => x[i]!);
    if (vals.length === 0) throw new ZkaiError('BAD_INPUT', `pooling layer '${layer.name}' has a window with no input cell`);
    out.push({ vals, divisor });
  });
  return out;
}
