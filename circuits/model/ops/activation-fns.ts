/**
 * The elementwise functions of the activation op (ops/activation.ts): for each, its float definition (float64, the
 * reference the table is rounded from) and the ONNX op it comes from with its attributes. Everything else — the
 * quantization rule, the integer function, the gadget, its cost and error bound — is the same for all of them and
 * lives in activation.ts: a function only changes the table's entries. That is why they share one op file instead
 * of one each (which would repeat ~100 identical lines per function).
 *
 * PyTorch exports: nn.Sigmoid → Sigmoid, nn.Tanh → Tanh, nn.Hardsigmoid → HardSigmoid(alpha 1/6), nn.Hardswish →
 * HardSwish (opset 14), nn.GELU → Div, Erf, Add, Mul, Mul at opsets 13/17 (Erf is here; the rest are the arithmetic
 * ops) and Gelu at opset 20, nn.SiLU → Sigmoid then Mul(x, ·) (ops/mul.ts), nn.ELU/SELU/CELU/Softplus/Softsign/Mish;
 * torch.sqrt / reciprocal / log → Sqrt, Reciprocal, Log.
 */
import type { ActivationFn } from '../ir.ts';
import { attrFloat, attrString } from './onnx-util.ts';
import type { ImportCtx } from './op.ts';

/** erf(x) in float64: its Maclaurin series below |x| = 3 (terms shrink from n ≈ x²; ~1e-14 there), else 1 - erfc. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a >= 3) {
    // erfc by its continued fraction (Lentz), accurate to ~1e-16 relative for |x| >= 3; erfc(3) ≈ 2.2e-5.
    const z = a * a;
    let f = a;
    let c = a;
    let d = 0;
    for (let k = 1; k < 200; k++) {
      const t = k / 2;
      d = a + t * d;
      c = a + t / c;
      d = 1 / d;
      const delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    const erfc = Math.exp(-z) / (f * Math.sqrt(Math.PI));
    return Math.sign(x) * (1 - erfc);
  }
  // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
  let term = x;
  let sum = x;
  for (let n = 1; n < 100; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/** fn(x; alpha, beta), float64. */
export const ACTIVATION_FNS: { readonly [F in ActivationFn]: (x: number, alpha: number, beta: number) => number } = {
  sigmoid,
  tanh: Math.tanh,
  erf,
  'hard-sigmoid': (x, a, b) => clamp01(a * x + b),
  'hard-swish': (x) => x * clamp01(x / 6 + 0.5),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  'gelu-tanh': (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  silu: (x) => x * sigmoid(x),
  exp: Math.exp,
  softplus,
  softsign: (x) => x / (1 + Math.abs(x)),
  elu: (x, a) => (x >= 0 ? x : a * Math.expm1(x)),
  selu: (x, a, g) => g * (x > 0 ? x : a * Math.expm1(x)),
  celu: (x, a) => Math.max(0, x) + Math.min(0, a * Math.expm1(x / a)),
  mish: (x) => x * Math.tanh(softplus(x)),
  // Partial functions: below their domain (where ONNX gives NaN) they take their value at its edge, sqrt(0) = 0 and
  // log(0) = -∞, so that every table entry is defined; 1/0 and log(0) are infinite and saturate in the table.
  sqrt: (x) => Math.sqrt(Math.max(x, 0)),
  reciprocal: (x) => 1 / x,
  log: (x) => Math.log(Math.max(x, 0)),
};

/** ONNX op type → the function and its attributes [alpha, beta] (ONNX defaults). */
const ONNX_FNS: Readonly<Record<string, (ctx: ImportCtx) => [ActivationFn, number, number]>> = {
  Sigmoid: () => ['sigmoid', 0, 0],
  Tanh: () => ['tanh', 0, 0],
  Erf: () => ['erf', 0, 0],
  HardSigmoid: (ctx) => ['hard-sigmoid', attrFloat(ctx.node, 'alpha', 0.2), attrFloat(ctx.node, 'beta', 0.5)],
  HardSwish: () => ['hard-swish', 0, 0],
  Gelu: (ctx) => {
    const approx = attrString(ctx.node, 'approximate', 'none');
    if (approx !== 'none' && approx !== 'tanh') throw ctx.fail('approximate must be none or tanh');
    return [approx === 'tanh' ? 'gelu-tanh' : 'gelu', 0, 0];
  },
  Exp: () => ['exp', 0, 0],
  Softplus: () => ['softplus', 0, 0],
  Softsign: () => ['softsign', 0, 0],
  Elu: (ctx) => ['elu', attrFloat(ctx.node, 'alpha', 1), 0],
  Selu: (ctx) => ['selu', attrFloat(ctx.node, 'alpha', 1.6732631921768188), attrFloat(ctx.node, 'gamma', 1.0507010221481323)],
  Celu: (ctx) => ['celu', attrFloat(ctx.node, 'alpha', 1), 0],
  Mish: () => ['mish', 0, 0],
  Sqrt: () => ['sqrt', 0, 0],
  Reciprocal: () => ['reciprocal', 0, 0],
  Log: () => ['log', 0, 0],
};

/** The ONNX op types imported as an activation. */
export const ACTIVATION_ONNX_OPS: readonly string[] = Object.keys(ONNX_FNS);

/** ONNX Sigmoid, Tanh, Erf, … (ACTIVATION_ONNX_OPS): an activation node of the same shape. */
export function importActivation(ctx: ImportCtx): void {
  const [fn, alpha, beta] = ONNX_FNS[ctx.node.opType]!(ctx);
  if (!Number.isFinite(alpha) || !Number.isFinite(beta) || (fn === 'celu' && alpha === 0)) throw ctx.fail('attribute out of range');
  ctx.add({ kind: 'activation', outShape: ctx.shape, fn, alpha, beta });
}
