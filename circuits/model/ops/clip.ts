/**
 * clip: min(max(x, lo), hi), from ONNX Clip (ReLU6 is Clip(0, 6)); bounds are constants (inputs from opset 11,
 * attributes before).
 *
 * Quantization rule: same scale and width as the input; the integer bounds are lo = ceil(min·2^f) and
 * hi = floor(max·2^f), kept within the signed input range (so a bound outside it clamps nothing), which is exactly
 * the set of representable values in [min, max].
 * Gadget: clip(x) = lo + ReLU(x - lo) - ReLU(x - hi) for lo <= hi, two ReLU(bits + 1) gadgets (x - lo and x - hi
 * fit signed bits + 1 since x and the bounds fit signed bits): x < lo gives lo + 0 - 0, lo <= x <= hi gives x, x > hi
 * gives lo + (x - lo) - (x - hi) = hi. A bound at the end of the range needs no gadget (x - ReLU(x - hi) alone is
 * min(x, hi)). Cost: bits + 2 per gadget and element. Sound because ReLU is (a function of its range-checked input).
 */
import { ZkaiError } from '../../../common/errors.ts';
import { reluCost } from '../gadget-cost.ts';
import { assertSigned, signedBounds } from '../int-reference.ts';
import type { ClipLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QClip } from '../qir.ts';
import { attrFloat } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** float32's largest finite value: ONNX's default Clip bounds. */
const FLT_MAX = 3.4028234663852886e38;

export function importClip(ctx: ImportCtx): void {
  const { node } = ctx;
  const bound = (k: number, attr: string, def: number): number => {
    if (ctx.opset < 11) return attrFloat(node, attr, def);
    if (!node.input[k]) return def;
    const c = ctx.constOf(k);
    if (c.data.length !== 1) throw ctx.fail(`${attr} must be a scalar`);
    return c.data[0]!;
  };
  const min = bound(1, 'min', -FLT_MAX);
  const max = bound(2, 'max', FLT_MAX);
  if (!(min <= max)) throw ctx.fail(`min ${min} > max ${max}`);
  ctx.add({ kind: 'clip', outShape: ctx.shape, min, max });
}

/** Which of the two ReLU gadgets a quantized clip needs: a bound at the end of the signed range clamps nothing. */
function sides(layer: QClip): { lower: boolean; upper: boolean } {
  const { min, max } = signedBounds(layer.bits);
  return { lower: BigInt(layer.lo) > min, upper: BigInt(layer.hi) < max };
}

export const clip: FloatOp<ClipLayer> & QuantOp<QClip> = {
  float: (layer, [x]) => x!.map((v) => Math.min(Math.max(v, layer.min), layer.max)),
  estimate: (layer, ctx) => ({ constraints: shapeSize(layer.outShape) * 2 * reluCost(ctx.inBits[0]! + 1), bits: ctx.inBits[0]! }),
  quantize(layer, ctx) {
    const bits = ctx.inBits[0]!;
    const f = ctx.inFrac[0]!;
    const { min, max } = signedBounds(bits);
    const lo = Math.max(Number(min), Math.min(Number(max), Math.ceil(layer.min * 2 ** f)));
    const hi = Math.min(Number(max), Math.max(Number(min), Math.floor(layer.max * 2 ** f)));
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo > hi)
      throw new ZkaiError('BAD_INPUT', `clip '${layer.name}': bounds [${layer.min}, ${layer.max}] have no integer at scale 2^-${f}`);
    return {
      q: { kind: 'clip', name: layer.name, inputs: layer.inputs, inShape: layer.inShape, outShape: layer.outShape, bits, lo, hi },
      frac: f,
      bits,
    };
  },
  int(layer, [x]) {
    const [lo, hi] = [BigInt(layer.lo), BigInt(layer.hi)];
    return x!.map((v) => {
      assertSigned(v, layer.bits, 'clip input');
      return v < lo ? lo : v > hi ? hi : v;
    });
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const n = shapeSize(layer.outShape);
    const x = ctx.input(0);
    const { lower, upper } = sides(layer);
    if (!lower && !upper) {
      ctx.cost(layer.kind, 0);
      return x;
    }
    const b = layer.bits + 1;
    ctx.body.push(`    signal x${li}[${n}];`);
    if (lower) ctx.body.push(`    component clipLo${li}[${n}];`);
    if (upper) ctx.body.push(`    component clipHi${li}[${n}];`);
    const minus = (v: number) => (v < 0 ? ` + ${-v}` : ` - ${v}`);
    for (let i = 0; i < n; i++) {
      let expr = lower ? `${layer.lo} + clipLo${li}[${i}].out` : x(i);
      if (lower) ctx.body.push(`    clipLo${li}[${i}] = ReLU(${b});`, `    clipLo${li}[${i}].in <== ${x(i)}${minus(layer.lo)};`);
      if (upper) {
        ctx.body.push(`    clipHi${li}[${i}] = ReLU(${b});`, `    clipHi${li}[${i}].in <== ${x(i)}${minus(layer.hi)};`);
        expr += ` - clipHi${li}[${i}].out`;
      }
      ctx.body.push(`    x${li}[${i}] <== ${expr};`);
    }
    ctx.cost(layer.kind, n * ((lower ? reluCost(b) : 0) + (upper ? reluCost(b) : 0)));
    return (i) => `x${li}[${i}]`;
  },
};
