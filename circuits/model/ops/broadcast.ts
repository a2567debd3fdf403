/**
 * Numpy broadcasting between two activations (Mul, Add, Sub of activations): the output shape, and for each output
 * element the element of each operand it reads. Per-sample shapes (the batch axis stripped) broadcast exactly as the
 * full ONNX shapes do, since the batch size is 1.
 */
import { shapeSize } from '../ir.ts';

/** The numpy broadcast of two shapes (right-aligned), or undefined when they are incompatible. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    const da = a[a.length - rank + k] ?? 1;
    const db = b[b.length - rank + k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(Math.max(da, db));
  }
  return out;
}

/** For each element of `out` (row-major), the index of the element of `src` it reads under broadcasting. */
export function broadcastIndex(out: readonly number[], src: readonly number[]): number[] {
  const shape = [...new Array<number>(out.length - src.length).fill(1), ...src];
  const idx = new Array<number>(shapeSize(out));
  for (let i = 0; i < idx.length; i++) {
    let rest = i;
    let j = 0;
    let stride = 1;
    for (let k = out.length - 1; k >= 0; k--) {
      const c = rest % out[k]!;
      rest = Math.floor(rest / out[k]!);
      if (shape[k] !== 1) j += c * stride;
      stride *= shape[k]!;
    }
    idx[i] = j;
  }
  return idx;
}

/** The operands' index maps of a two-input node: a of shape inShape, b of shape bShape (inShape when absent). */
export function operandIndex(l: { outShape: number[]; inShape: number[]; bShape?: number[] }): [number[], number[]] {
  return [broadcastIndex(l.outShape, l.inShape), broadcastIndex(l.outShape, l.bShape ?? l.inShape)];
}
