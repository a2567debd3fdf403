/**
 * ONNX Pow of an activation by a constant integer exponent 1, 2 or 3: lowered at import to x (an alias), x·x, or
 * x·(x·x) — `mul` nodes (ops/mul.ts), each one product and a Requantize per element, so no op of its own. Some
 * exporters write GELU's tanh approximation with Pow(x, 3) (PyTorch 1.13 writes x·x·x); either cube is what
 * passes/fuse-activations.ts recognises, and fuses with the rest of the chain into one gelu-tanh table. (The opset-13
 * LayerNorm's Pow 2 is fused before import by passes/fuse-layernorm.ts.) Other exponents are refused: a fractional
 * one would need a table (Sqrt has one: ops/activation-fns.ts), a larger one compounds the products' roundings.
 */
import type { ImportCtx } from './op.ts';

export function importPow(ctx: ImportCtx): void {
  const c = ctx.constOf(1);
  const p = c.data.length === 1 ? c.data[0]! : Number.NaN;
  if (p !== 1 && p !== 2 && p !== 3) throw ctx.fail('only a constant exponent 1, 2 or 3 is supported');
  if (p === 1) {
    ctx.alias();
    return;
  }
  const x = ctx.acts[0]!;
  const square = ctx.add({ kind: 'mul', outShape: ctx.shape, bShape: ctx.shape, inputs: [x, x] });
  if (p === 3) ctx.add({ kind: 'mul', outShape: ctx.shape, bShape: ctx.shape, inputs: [x, square] });
}
