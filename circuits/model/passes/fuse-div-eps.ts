/**
 * Folds an Add of a positive constant into the divisor of a Div of two activations (ops/div.ts): x / (d + eps) becomes
 * one div node with eps, as in x / (|y| + eps) or x / (sum + eps). Unfolded, the Add after a ReLU, an Abs or a
 * reduction has no dense/conv to fold into and would not quantize at all; folded, eps is added to the divisor's
 * integer exactly (rounded up to at least one LSB of its scale), which also keeps a divisor that is >= 0 by
 * construction positive. Only a uniform eps > 0 and an Add whose only reader is the Div (else it is computed anyway).
 */
import { consumerCounts, type Layer } from '../ir.ts';
import { prune } from './graph.ts';

export function fuseDivEps(nodes: readonly Layer[]): Layer[] {
  const out = [...nodes];
  const counts = consumerCounts(nodes);
  for (const [i, n] of out.entries()) {
    if (n.kind !== 'div') continue;
    const t = n.inputs[1]!;
    const add = out[t];
    if (t < 0 || add?.kind !== 'add-const' || counts[t + 1] !== 1) continue;
    const c = add.constant.data[0]!;
    const same = add.inShape.length === add.outShape.length && add.inShape.every((d, k) => d === add.outShape[k]);
    if (!same || !(c > 0) || !Number.isFinite(c) || !add.constant.data.every((v) => v === c)) continue;
    out[i] = { ...n, inputs: [n.inputs[0]!, add.inputs[0]!], eps: n.eps + c };
  }
  return prune(out, out.length - 1);
}
