/**
 * Moves an add-const in front of the transposes and reshapes that separate it from the node producing their input:
 * y = T(x) + c = T(x + T⁻¹(c)) for a pure data movement T (the constant's elements permuted back; a reshape keeps them
 * in place). A per-token linear layer (ops/token-linear.ts) ends in a transpose, and PyTorch's bias Add follows it;
 * hoisted, the Add reaches the conv2d and folds into its bias (passes/fold-affine.ts). Only when the moved-over node
 * has no other reader (it would see the added constant). Exact: no arithmetic changes, only where it happens.
 */
import { consumerCounts, type Layer } from '../ir.ts';
import { tensor } from '../ops/onnx-util.ts';
import { transposeSources } from '../ops/transpose.ts';

export function hoistAddConst(nodes: readonly Layer[]): Layer[] {
  const out = [...nodes];
  for (let changed = true; changed; ) {
    changed = false;
    const counts = consumerCounts(out);
    out.forEach((n, i) => {
      if (n.kind !== 'add-const') return;
      const p = n.inputs[0]!;
      const prev = out[p];
      if (!prev || (prev.kind !== 'transpose' && prev.kind !== 'reshape') || counts[p + 1] !== 1) return;
      const data = new Float64Array(n.constant.data.length);
      if (prev.kind === 'transpose') {
        const src = transposeSources(prev.inShape, prev.perm);
        for (let j = 0; j < src.length; j++) data[src[j]!] = n.constant.data[j]!;
      } else data.set(n.constant.data);
      // Node p becomes the add-const (on p's input), node i the data movement (on p): i's readers see the same tensor.
      out[p] = {
        ...n,
        inputs: prev.inputs,
        inShape: prev.inShape,
        outShape: prev.inShape,
        constant: tensor(n.constant.name, prev.inShape, data),
      };
      out[i] = { ...prev, inputs: [p] };
      changed = true;
    });
  }
  return out;
}
