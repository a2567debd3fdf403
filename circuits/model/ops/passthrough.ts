/**
 * ONNX ops that become no node: their output is their input. Identity; inference-mode Dropout; a final LogSoftmax,
 * dropped because circuits output logits (the argmax is the same), and refused anywhere else since it changes what
 * later nodes see. (A final Softmax is dropped the same way by ops/softmax.ts, which computes any other one.)
 */
import type { ImportCtx } from './op.ts';

export function importIdentity(ctx: ImportCtx): void {
  // Inference-mode Dropout is the identity; its optional mask output is not supported.
  if (ctx.node.output.length > 1 && ctx.node.output[1] !== '') throw ctx.fail('Dropout mask output');
  ctx.alias();
}

export function importFinalSoftmax(ctx: ImportCtx): void {
  if (!ctx.isFinal) throw ctx.fail(`${ctx.node.opType} is only supported as the final node (it is dropped: circuits output logits)`);
  ctx.droppedSoftmax();
}
