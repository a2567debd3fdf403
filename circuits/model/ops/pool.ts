/**
 * What max pooling (ops/maxpool.ts) and average pooling (ops/avgpool.ts) share: the ONNX import of a 2-D pooling
 * node, and the count of input cells (not padding) in each window, which both costs depend on.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { forEachPoolWindow } from '../geometry.ts';
import type { Pool2dLayer } from '../ir.ts';
import type { QPool2d } from '../qir.ts';
import { validTaps } from './linear.ts';
import { attrInt, attrInts, attrString, resolvePads } from './onnx-util.ts';
import type { ImportCtx } from './op.ts';

/**
 * ONNX MaxPool / AveragePool → maxpool2d / avgpool2d (dilation 1). ceil_mode 1 (ONNX, as PyTorch): each output size is
 * ⌈(H + pads − k) / s⌉ + 1, less one when that last window would start past the input and its leading padding
 * (start ≥ H + pad_begin: it would hold no input cell); its windows are clipped at the border. Nothing else changes:
 * the extra windows read fewer cells (forEachPoolWindow skips every cell outside the input), and with
 * count_include_pad only the explicit pads count in the divisor, never the overhang past them (ONNX Runtime and
 * PyTorch both divide by the window clipped to the padded input).
 */
export function importPool(ctx: ImportCtx): void {
  const { node, index, shape } = ctx;
  if (shape.length !== 3) throw ctx.fail(`only 2-D pooling on [batch, C, H, W] is supported, got per-sample shape [${shape}]`);
  if (node.output.length > 1 && node.output[1] !== '') throw ctx.fail('MaxPool Indices output');
  const [C, H, W] = shape as [number, number, number];
  const k = attrInts(node, 'kernel_shape');
  if (k?.length !== 2) throw ctx.fail('kernel_shape must have 2 entries');
  const ceil = attrInt(node, 'ceil_mode', 0);
  if (ceil !== 0 && ceil !== 1) throw ctx.fail(`ceil_mode=${ceil}`);
  // With auto_pad SAME_* the output size is fixed at ⌈H / s⌉ whatever ceil_mode says; refuse the pair rather than guess.
  if (ceil === 1 && attrString(node, 'auto_pad', 'NOTSET') !== 'NOTSET') throw ctx.fail('ceil_mode=1 with auto_pad');
  if ((attrInts(node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) throw ctx.fail('dilations other than 1');
  const st = (attrInts(node, 'strides') ?? [1, 1]) as [number, number];
  const pads = resolvePads(node, index, [H, W], [k[0]!, k[1]!], st);
  const oH = pooledSize(H, k[0]!, st[0], pads[0], pads[2], ceil === 1);
  const oW = pooledSize(W, k[1]!, st[1], pads[1], pads[3], ceil === 1);
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

/** One pooled output size: floor or (ceil mode) ceil of the window count, never a window starting past the input. */
export function pooledSize(n: number, k: number, s: number, padBegin: number, padEnd: number, ceil: boolean): number {
  const span = n + padBegin + padEnd - k;
  if (!ceil) return Math.floor(span / s) + 1;
  const o = Math.ceil(span / s) + 1;
  return (o - 1) * s >= n + padBegin ? o - 1 : o;
}

/**
 * Calls `visit(cells, divisor)` for every window of one channel (its input cells, and its divisor as average pooling
 * counts it: the cells, or with count_include_pad the window clipped to the explicitly padded input), and returns C.
 */
export function forEachWindowSize(layer: Pool2dLayer, visit: (cells: number, divisor: number) => void): number {
  const [C, H, W] = layer.inShape as [number, number, number];
  const [, oH, oW] = layer.outShape as [number, number, number];
  const rows = validTaps(H, oH, layer.kernel[0], layer.strides[0], layer.pads[0]);
  const cols = validTaps(W, oW, layer.kernel[1], layer.strides[1], layer.pads[1]);
  const padRows = validTaps(H + layer.pads[0] + layer.pads[2], oH, layer.kernel[0], layer.strides[0], 0);
  const padCols = validTaps(W + layer.pads[1] + layer.pads[3], oW, layer.kernel[1], layer.strides[1], 0);
  for (const [i, r] of rows.entries()) {
    for (const [j, c] of cols.entries()) visit(r * c, layer.countIncludePad ? padRows[i]! * padCols[j]! : r * c);
  }
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
