/**
 * Reshape simplification: a reshape to its input's own shape is dropped, and a reshape of a reshape that nothing else
 * reads merges into it (first one's name and input, second one's shape). Run before the affine folds, so that a
 * BatchNorm behind a no-op Reshape still folds into its conv, as it did when the importer saw only a chain.
 */
import { consumerCounts, type Layer } from '../ir.ts';
import { compact } from './graph.ts';

export function simplifyReshapes(nodes: readonly Layer[], inputShape: readonly number[]): Layer[] {
  const out = [...nodes];
  const counts = consumerCounts(nodes);
  const alias = new Map<number, number>();
  const resolve = (t: number): number => (alias.has(t) ? resolve(alias.get(t)!) : t);
  out.forEach((n, i) => {
    if (n.kind !== 'reshape') return;
    const src = resolve(n.inputs[0]!);
    const srcShape = src < 0 ? inputShape : out[src]!.outShape;
    const prev = out[src];
    if (n.outShape.length === srcShape.length && n.outShape.every((d, k) => d === srcShape[k])) {
      alias.set(i, src);
      counts[src + 1]! += counts[i + 1]! - 1;
    } else if (prev?.kind === 'reshape' && counts[src + 1] === 1) {
      out[src] = { ...prev, outShape: n.outShape };
      alias.set(i, src);
      counts[src + 1] = counts[i + 1]!;
    }
  });
  return compact(out, alias);
}
