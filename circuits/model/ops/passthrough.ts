/**
 * ONNX ops that become no node: their output is their input. Identity; inference-mode Dropout. (A final Softmax or
 * LogSoftmax is dropped by ops/softmax.ts and ops/log-softmax.ts, which compute any other one.)
 */
import type { ImportCtx } from './op.ts';

export function importIdentity(ctx: ImportCtx): void {
  // Inference-mode Dropout is the identity; its optional mask output is not supported.
  if (ctx.node.output.length > 1 && ctx.node.output[1] !== '') throw ctx.fail('Dropout mask output');
  ctx.alias();
}
