/**
 * leaky-relu: x for x >= 0, alpha·x below, from ONNX LeakyRelu (0 < alpha <= 1; PyTorch's default 0.01).
 *
 * Fixed point: alpha becomes a / 2^k with a = round(alpha·2^k), k the smallest exponent that makes alpha exact
 * (0.25 → 1/2^2), else LEAKY_FRAC_BITS (12: 0.01 → 41/4096). Integer function, on a signed `bits`-wide x at the
 * input's scale: y = relu(x) + floor(n·a / 2^k) with n = x - relu(x) = min(x, 0). Same scale and width as the
 * input: for n in [-2^(bits-1), 0] and a <= 2^k the floor lies in [n, 0].
 * Error against the float op, in output LSBs: the floor (< 1, toward -∞) plus |n|·|alpha - a/2^k| <= 2^(bits-k-2)
 * (0 when alpha is dyadic; 2^-6 for int8 activations at k = 12).
 * Gadget: ReLU(bits) (bits + 1: the sign from a range-checked offset decomposition) and Requantize(bits + k, k, bits)
 * on n·a (bits + k: n·a = q·2^k + r with r in [0, 2^k) and q in signed bits, all constrained, so q is the unique
 * floor; n·a is a signed (bits + k)-bit value, no saturation). y = relu + q is linear. Both gadgets have
 * forged-witness tests in circuits/lib/quant.test.ts; composed, y is a function of x. 2·bits + k + 1 per element.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { reluCost, requantizeCost } from '../gadget-cost.ts';
import { relu as reluRef, requantize } from '../int-reference.ts';
import type { LeakyReluLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QLeakyRelu } from '../qir.ts';
import { attrFloat } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** Fractional bits of alpha when it is not dyadic with fewer. */
export const LEAKY_FRAC_BITS = 12;

/** alpha as a / 2^k (see the module comment). */
export function leakyAlpha(alpha: number): { a: number; k: number } {
  for (let k = 1; k <= LEAKY_FRAC_BITS; k++) if (Number.isInteger(alpha * 2 ** k)) return { a: alpha * 2 ** k, k };
  return { a: Math.round(alpha * 2 ** LEAKY_FRAC_BITS), k: LEAKY_FRAC_BITS };
}

export function importLeakyRelu(ctx: ImportCtx): void {
  const alpha = attrFloat(ctx.node, 'alpha', 0.01);
  if (!(alpha > 0 && alpha <= 1)) throw ctx.fail(`alpha ${alpha} outside (0, 1]`);
  if (leakyAlpha(alpha).a === 0) throw ctx.fail(`alpha ${alpha} rounds to 0 at 2^-${LEAKY_FRAC_BITS} (use Relu)`);
  ctx.add({ kind: 'leaky-relu', outShape: ctx.shape, alpha });
}

const perElement = (bits: number, k: number) => reluCost(bits) + requantizeCost(bits + k, k, bits);

export const leakyRelu: FloatOp<LeakyReluLayer> & QuantOp<QLeakyRelu> = {
  float: (layer, [x]) => x!.map((v) => (v >= 0 ? v : layer.alpha * v)),
  estimate: (layer, ctx) => ({
    constraints: shapeSize(layer.outShape) * perElement(ctx.inBits[0]!, leakyAlpha(layer.alpha).k),
    bits: ctx.inBits[0]!,
  }),
  quantize(layer, ctx) {
    const bits = ctx.inBits[0]!;
    const { a, k } = leakyAlpha(layer.alpha);
    if (bits + k > 252) throw new ZkaiError('BAD_INPUT', `leaky-relu '${layer.name}': input width ${bits} too large`);
    return {
      q: { kind: 'leaky-relu', name: layer.name, inputs: layer.inputs, inShape: layer.inShape, outShape: layer.outShape, bits, a, k },
      frac: ctx.inFrac[0]!,
      bits,
    };
  },
  int(layer, [x]) {
    const a = BigInt(layer.a);
    return x!.map((v) => {
      const r = reluRef(v, layer.bits);
      return r + requantize((v - r) * a, layer.bits + layer.k, layer.k, layer.bits);
    });
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const n = shapeSize(layer.outShape);
    const x = ctx.input(0);
    const { bits, a, k } = layer;
    ctx.body.push(`    signal x${li}[${n}];`, `    component lrelu${li}[${n}];`, `    component lneg${li}[${n}];`);
    for (let i = 0; i < n; i++) {
      ctx.body.push(
        `    lrelu${li}[${i}] = ReLU(${bits});`,
        `    lrelu${li}[${i}].in <== ${x(i)};`,
        `    lneg${li}[${i}] = Requantize(${bits + k}, ${k}, ${bits});`,
        `    lneg${li}[${i}].in <== ${a} * (${x(i)} - lrelu${li}[${i}].out);`,
        `    x${li}[${i}] <== lrelu${li}[${i}].out + lneg${li}[${i}].out;`,
      );
    }
    ctx.cost(layer.kind, n * perElement(bits, k));
    return (i) => `x${li}[${i}]`;
  },
};
