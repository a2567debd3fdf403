/**
 * Activation fusion: the elementwise chains PyTorch exports for SiLU and GELU become one table activation
 * (ops/activation.ts), which is cheaper and more accurate than their parts:
 * - SiLU, x·σ(x): Sigmoid(x) → Mul(x, ·). Unfused: a sigmoid table (≤ 48) and a product requantized to 8 bits
 *   (25 per element at 8 bits), with two roundings; fused: one table, ½ LSB.
 * - GELU (opsets 13/17, approximate 'none'): Div(x, √2) → Erf → Add(1) → Mul(x, ·) → Mul(0.5). Unfused the constant
 *   Add after the Erf cannot fold into a dense/conv (it would not quantize at all), and the chain rounds four times;
 *   fused: one gelu table.
 * - GELU with the tanh approximation (nn.GELU(approximate='tanh') at opsets 13/17): 0.5·x·(1 + tanh(√(2/π)·(x +
 *   0.044715·x³))), the cube as x·(x·x) (PyTorch) or Pow(x, 3) (ops/pow.ts lowers it to the same), then Mul by
 *   0.044715, Add(x, ·), Mul by √(2/π), Tanh, Add 1, Mul(x, ·), Mul 0.5 — or 0.5·x first and Mul(·, 1 + tanh). Unfused
 *   it is three products and a tanh table with five roundings (and the Add of 1 would not quantize); fused: one
 *   gelu-tanh table (the same function as ONNX Gelu(approximate='tanh') at opset 20), ½ LSB.
 * A chain is fused only when each intermediate tensor has no other reader (else it is computed anyway) and its
 * constants are the exporter's (1/√2 to float32 precision, 1, 0.5). Run before the affine folds, which would
 * otherwise see the Add of 1 after the Erf.
 */
import { consumerCounts, type Layer } from '../ir.ts';
import { prune } from './graph.ts';

const all = (data: Float64Array, v: number, tol: number) => data.length > 0 && data.every((d) => Math.abs(d - v) <= tol);
/** Both orders of a two-input node's operands. */
const orders = (inputs: number[]): [number, number][] => [
  [inputs[0]!, inputs[1]!],
  [inputs[1]!, inputs[0]!],
];
const GELU_CUBIC = 0.044715;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export function fuseActivations(nodes: readonly Layer[]): Layer[] {
  const out = [...nodes];
  const counts = consumerCounts(nodes);
  /** Node t, when it is of kind k and only one node reads it. */
  const sole = <K extends Layer['kind']>(t: number, k: K): Extract<Layer, { kind: K }> | undefined => {
    const n = out[t];
    return t >= 0 && n?.kind === k && counts[t + 1] === 1 ? (n as Extract<Layer, { kind: K }>) : undefined;
  };
  /** x when tensor t is x·(x·x) (either order), the square read only there. */
  const cubeOf = (t: number): number | undefined => {
    const m = sole(t, 'mul');
    for (const [x, sq] of m ? orders(m.inputs) : []) {
      const s = sole(sq, 'mul');
      if (s && s.inputs[0] === x && s.inputs[1] === x) return x;
    }
    return undefined;
  };
  /** x when tensor t is 1 + tanh(√(2/π)·(x + 0.044715·x³)) (the Add's operands in either order). */
  const tanhGateOf = (t: number): number | undefined => {
    const one = sole(t, 'add-const');
    if (!one || !all(one.constant.data, 1, 0)) return undefined;
    const th = sole(one.inputs[0]!, 'activation');
    if (th?.fn !== 'tanh') return undefined;
    const scaled = sole(th.inputs[0]!, 'mul-const');
    if (!scaled || !all(scaled.constant.data, SQRT_2_OVER_PI, 1e-7)) return undefined;
    const s = sole(scaled.inputs[0]!, 'add');
    for (const [x, c] of s && !s.bShape ? orders(s.inputs) : []) {
      const k = sole(c, 'mul-const');
      if (k && all(k.constant.data, GELU_CUBIC, 1e-7) && cubeOf(k.inputs[0]!) === x) return x;
    }
    return undefined;
  };
  const fused = (i: number, fn: 'silu' | 'gelu' | 'gelu-tanh', x: number): void => {
    const n = out[i]!;
    const inShape = x < 0 ? n.inShape : out[x]!.outShape;
    if (inShape.length !== n.outShape.length || inShape.some((d, k) => d !== n.outShape[k])) return;
    out[i] = { kind: 'activation', fn, alpha: 0, beta: 0, name: n.name, inputs: [x], inShape, outShape: n.outShape };
  };
  for (const [i, n] of out.entries()) {
    if (n.kind === 'mul') {
      // x · sigmoid(x), either operand order.
      for (const [x, s] of [n.inputs, [...n.inputs].reverse()] as [number, number][]) {
        const sig = sole(s, 'activation');
        if (sig?.fn === 'sigmoid' && sig.inputs[0] === x) {
          fused(i, 'silu', x);
          break;
        }
        // (0.5 · x) · (1 + tanh(…))
        const half = sole(x, 'mul-const');
        if (half && all(half.constant.data, 0.5, 0) && tanhGateOf(s) === half.inputs[0]) {
          fused(i, 'gelu-tanh', half.inputs[0]!);
          break;
        }
      }
    }
    if (n.kind === 'mul-const' && all(n.constant.data, 0.5, 0)) {
      // (x · (erf(x / √2) + 1)) · 0.5
      const m = sole(n.inputs[0]!, 'mul');
      if (!m) continue;
      for (const [x, c] of [m.inputs, [...m.inputs].reverse()] as [number, number][]) {
        if (tanhGateOf(c) === x) {
          fused(i, 'gelu-tanh', x);
          break;
        }
        const one = sole(c, 'add-const');
        if (!one || !all(one.constant.data, 1, 0)) continue;
        const e = sole(one.inputs[0]!, 'activation');
        if (e?.fn !== 'erf') continue;
        const d = sole(e.inputs[0]!, 'mul-const');
        if (d && d.inputs[0] === x && all(d.constant.data, Math.SQRT1_2, 1e-7)) {
          fused(i, 'gelu', x);
          break;
        }
      }
    }
  }
  return prune(out, out.length - 1);
}
