/**
 * layernorm: ONNX LayerNormalization (opset 17; the opset-13 decomposition ReduceMean, Sub, Pow 2, ReduceMean, Add ε,
 * Sqrt, Div, Mul γ, Add β is fused into it before import: passes/fuse-layernorm.ts) over the trailing axes from
 * `axis`: y = (x - mean)/sqrt(var + ε)·γ + β per group of n elements.
 *
 * Fixed point, exact integers: x at scale 2^-f (signed bx bits). Per group, S = Σx, d_i = n·x_i - S (= n·(x_i -
 * mean)), V = Σ d_i² (= n³·var in x's units), U = 4^h·n·V + E with E = round(n⁴·ε·2^(2(f+h))), s = floor(sqrt(U)),
 * ŷ_i = floor(K·d_i / s) with K = n·2^(g+h). Then K·d_i/sqrt(U) = 2^g·(x_i - mean)/sqrt(var + ε) exactly (real
 * units), so ŷ is the normalized value at scale 2^-g. h >= 0 is the least making E >= 2^(2·LN_MIN_SQRT_BITS), so
 * s >= 2^LN_MIN_SQRT_BITS always. γ becomes γq = round(γ·2^wf) (weightBits, wf per fracBitsFor), β becomes
 * round(β·2^(g+wf)) plus 2^(shift-1), z_i = γq_i·ŷ_i + β'_i, and out = saturate(floor(z / 2^shift)) at the calibrated
 * output scale fo = g + wf - shift, activationBits wide (g is raised when needed so that shift >= 1).
 * Error against the float op, in normalized units: s is floor(sqrt(U)), a relative error below 1/s <= 2^-10 on ŷ;
 * the floor division adds < 2^-g; ε is exact to 1/(2E) relative; |ŷ| <= sqrt(n - 1), so |ŷ error| <= sqrt(n)·2^-10 +
 * 2^-g. γ's rounding adds |ŷ|·2^-(wf+1), β's 2^-(g+wf+1), the final requantization 1/2 output LSB; saturation only
 * outside the calibrated range.
 * Gadget (one template per node, loops over groups): d_i is linear; d_i² one constraint each; s = IntSqrt(uBits,
 * sBits)(U) and ŷ = DivFloorSignal(yBits, sBits)(K·d_i, s) from circuits/lib/norm.circom (soundness argued there,
 * forged-witness tests in norm.test.ts: s² <= U < (s+1)² by two range checks, s >= 1 since U >= E >= 1; ŷ·s + r =
 * K·d_i with 0 <= r < s range-checked, so ŷ is the unique floor); then Requantize(zBits, shift, bits) of the linear z.
 * Cost per group 1 + sBits + 2·uBits, per element 2 + 2·sBits + yBits + requantizeCost(zBits, shift, bits).
 */
import { ZkaiError } from '../../../common/errors.ts';
import { requantizeCost } from '../gadget-cost.ts';
import { assertSigned, requantize } from '../int-reference.ts';
import type { LayerNormLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QLayerNorm } from '../qir.ts';
import { fracBitsFor } from './linear.ts';
import { wire } from './linear-emit.ts';
import { attrFloat, attrInt, broadcastTo, normAxis, tensor } from './onnx-util.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** s >= 2^LN_MIN_SQRT_BITS: the bound on floor(sqrt)'s relative error. */
export const LN_MIN_SQRT_BITS = 10;
/** Default fractional bits of the normalized value ŷ. */
export const LN_FRAC_BITS = 10;

export function importLayerNorm(ctx: ImportCtx): void {
  const rank = ctx.shape.length + 1;
  const axis = normAxis(attrInt(ctx.node, 'axis', -1), rank);
  if (axis < 1 || axis >= rank) throw ctx.fail(`axis ${axis} must be a per-sample axis`);
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  if (!(eps > 0 && Number.isFinite(eps))) throw ctx.fail(`epsilon ${eps} must be positive`);
  const normShape = ctx.shape.slice(axis - 1);
  const param = (k: number, def: number) => {
    const c = ctx.maybeConst(k);
    if (!c) {
      if (ctx.node.input[k]) throw ctx.fail(`input ${k} must be a constant`);
      return new Array<number>(shapeSize(normShape)).fill(def);
    }
    const full = broadcastTo(c, normShape);
    if (!full) throw ctx.fail(`parameter shape [${c.shape}] does not broadcast to [${normShape}]`);
    return full;
  };
  ctx.add({
    kind: 'layernorm',
    outShape: ctx.shape,
    axis: axis - 1,
    epsilon: eps,
    gamma: tensor(ctx.node.input[1] ?? '', normShape, param(1, 1)),
    beta: tensor(ctx.node.input[2] ?? '', normShape, param(2, 0)),
  });
}

/** floor(sqrt(u)) for u >= 0 (Newton's method on BigInt). */
export function isqrt(u: bigint): bigint {
  if (u < 0n) throw new ZkaiError('BAD_INPUT', 'isqrt of a negative value');
  if (u < 2n) return u;
  let x = 1n << BigInt((u.toString(2).length + 1) >> 1);
  for (;;) {
    const y = (x + u / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** The integer constants of the rule for a group of n elements of signed bx bits at 2^-f (module comment). */
export function lnParams(n: number, bx: number, f: number, eps: number, g: number) {
  const e0 = n ** 4 * eps * 2 ** (2 * f);
  let h = 0;
  while (e0 * 4 ** h < 2 ** (2 * LN_MIN_SQRT_BITS)) h++;
  const E = BigInt(Math.round(e0 * 4 ** h));
  const scaleV = n * 4 ** h;
  // Σ(x - mean)² <= n·(2^bx / 2)² for values of one bx-bit range, so V = n²·Σ(x - mean)² <= n³·4^(bx-1).
  const uMax = BigInt(scaleV) * BigInt(n) ** 3n * (1n << BigInt(2 * (bx - 1))) + E;
  const sMax = isqrt(uMax);
  const uBits = ((sMax + 1n) ** 2n).toString(2).length;
  const sBits = sMax.toString(2).length + 1;
  // |ŷ| <= 2^g·sqrt(n - 1)·(1 + 2^-10) + 1.
  const yBits = g + Math.ceil(Math.log2(n) / 2) + 2;
  return { h, E, scaleV, uBits, sBits, yBits, k: n * 2 ** (g + h) };
}

const groupCost = (q: Pick<QLayerNorm, 'uBits' | 'sBits'>) => 1 + q.sBits + 2 * q.uBits;
const elementCost = (q: Pick<QLayerNorm, 'sBits' | 'yBits' | 'zBits' | 'shift' | 'bits'>) =>
  2 + 2 * q.sBits + q.yBits + requantizeCost(q.zBits, q.shift, q.bits);

export const layerNorm: FloatOp<LayerNormLayer> & QuantOp<QLayerNorm> = {
  float(layer, [x]) {
    const n = shapeSize(layer.outShape.slice(layer.axis));
    const y = new Float64Array(x!.length);
    for (let g0 = 0; g0 < x!.length; g0 += n) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += x![g0 + i]!;
      mean /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (x![g0 + i]! - mean) ** 2;
      const inv = 1 / Math.sqrt(v / n + layer.epsilon);
      for (let i = 0; i < n; i++) y[g0 + i] = (x![g0 + i]! - mean) * inv * layer.gamma.data[i]! + layer.beta.data[i]!;
    }
    return y;
  },
  estimate(layer, ctx) {
    const n = shapeSize(layer.outShape.slice(layer.axis));
    const groups = shapeSize(layer.outShape) / n;
    const bx = ctx.inBits[0]!;
    const p = lnParams(n, bx, ctx.activationBits - 4, layer.epsilon, LN_FRAC_BITS);
    const zBits = p.yBits + ctx.weightBits + 1;
    const q = { ...p, zBits, shift: 1, bits: ctx.activationBits };
    return { constraints: groups * groupCost(q) + groups * n * elementCost(q), bits: ctx.activationBits };
  },
  quantize(layer, ctx) {
    const n = shapeSize(layer.outShape.slice(layer.axis));
    const [f, bx] = [ctx.inFrac[0]!, ctx.inBits[0]!];
    const gamma = layer.gamma.data;
    const wf = fracBitsFor(Math.max(...Array.from(gamma, Math.abs)), ctx.weightBits);
    const fo = fracBitsFor(ctx.maxAbs, ctx.activationBits);
    const g = Math.max(LN_FRAC_BITS, fo - wf + 1);
    const shift = g + wf - fo;
    const p = lnParams(n, bx, f, layer.epsilon, g);
    const gq = Array.from(gamma, (v) => Math.round(v * 2 ** wf));
    const bias = Array.from(layer.beta.data, (v) => BigInt(Math.round(v * 2 ** (g + wf))) + (1n << BigInt(shift - 1)));
    const gMax = BigInt(Math.max(...gq.map(Math.abs)));
    let bMax = 0n;
    for (const b of bias) if ((b < 0n ? -b : b) > bMax) bMax = b < 0n ? -b : b;
    const zBits = Math.max((gMax * (1n << BigInt(p.yBits - 1)) + bMax).toString(2).length + 1, shift + 2);
    if (zBits > 240 || p.uBits > 240 || p.yBits + p.sBits > 240)
      throw new ZkaiError('BAD_INPUT', `layernorm '${layer.name}': input width ${bx} or group size ${n} too large`);
    const q: QLayerNorm = {
      kind: 'layernorm',
      name: layer.name,
      inputs: layer.inputs,
      inShape: layer.inShape,
      outShape: layer.outShape,
      n,
      inBits: bx,
      scaleV: p.scaleV,
      eps: Number(p.E),
      k: p.k,
      uBits: p.uBits,
      sBits: p.sBits,
      yBits: p.yBits,
      gamma: gq,
      bias,
      zBits,
      shift,
      bits: ctx.activationBits,
    };
    if (!Number.isSafeInteger(q.eps) || !Number.isSafeInteger(q.k) || !Number.isSafeInteger(q.scaleV))
      throw new ZkaiError('BAD_INPUT', `layernorm '${layer.name}': constants beyond 2^53`);
    return { q, frac: fo, bits: ctx.activationBits };
  },
  int(layer, [x]) {
    const n = layer.n;
    const N = BigInt(n);
    const out: bigint[] = [];
    for (let g0 = 0; g0 < x!.length; g0 += n) {
      const xs = x!.slice(g0, g0 + n);
      for (const v of xs) assertSigned(v, layer.inBits, 'layernorm input');
      const S = xs.reduce((a, b) => a + b, 0n);
      const d = xs.map((v) => N * v - S);
      const U = BigInt(layer.scaleV) * d.reduce((a, b) => a + b * b, 0n) + BigInt(layer.eps);
      const s = isqrt(U);
      xs.forEach((_, i) => {
        const num = BigInt(layer.k) * d[i]!;
        let y = num / s;
        if (num % s !== 0n && num < 0n) y -= 1n; // floor
        assertSigned(y, layer.yBits, 'layernorm normalized value');
        const z = BigInt(layer.gamma[i]!) * y + layer.bias[i]!;
        out.push(requantize(z, layer.zBits, layer.shift, layer.bits));
      });
    }
    return out;
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const { n, uBits, sBits, yBits, zBits, shift, bits } = layer;
    const total = shapeSize(layer.outShape);
    const G = total / n;
    if (!Number.isInteger(G) || layer.gamma.length !== n || layer.bias.length !== n)
      throw new ZkaiError('BAD_INPUT', `layernorm node ${li}: group size`);
    const list = (name: string, v: readonly (number | bigint)[]) => `    var ${name}[${v.length}] = [${v.join(', ')}];`;
    ctx.templates.push(
      `// node ${li}: layernorm, ${G} groups of ${n}.`,
      `template LayerNorm${li}() {`,
      `    signal input x[${total}];`,
      `    signal output y[${total}];`,
      list('gamma', layer.gamma),
      list('beta', layer.bias),
      `    signal dsq[${total}];`,
      `    component sq[${G}];`,
      `    component div[${total}];`,
      `    component rq[${total}];`,
      `    for (var g = 0; g < ${G}; g++) {`,
      '        var S = 0;',
      `        for (var i = 0; i < ${n}; i++) S += x[g * ${n} + i];`,
      '        var V = 0;',
      `        for (var i = 0; i < ${n}; i++) {`,
      `            dsq[g * ${n} + i] <== (${n} * x[g * ${n} + i] - S) * (${n} * x[g * ${n} + i] - S);`,
      `            V += dsq[g * ${n} + i];`,
      '        }',
      `        sq[g] = IntSqrt(${uBits}, ${sBits});`,
      `        sq[g].in <== ${layer.scaleV} * V + ${layer.eps};`,
      `        for (var i = 0; i < ${n}; i++) {`,
      `            var j = g * ${n} + i;`,
      `            div[j] = DivFloorSignal(${yBits}, ${sBits});`,
      `            div[j].num <== ${layer.k} * (${n} * x[j] - S);`,
      '            div[j].d <== sq[g].out;',
      `            rq[j] = Requantize(${zBits}, ${shift}, ${bits});`,
      '            rq[j].in <== gamma[i] * div[j].out + beta[i];',
      '            y[j] <== rq[j].out;',
      '        }',
      '    }',
      '}',
      '',
    );
    ctx.body.push(
      `    component ln${li} = LayerNorm${li}();`,
      ...wire(total, `ln${li}.x`, ctx.input(0)),
      `    signal x${li}[${total}];`,
      `    for (var i = 0; i < ${total}; i++) x${li}[i] <== ln${li}.y[i];`,
    );
    ctx.cost(layer.kind, G * groupCost(layer) + total * elementCost(layer));
    return (i) => `x${li}[${i}]`;
  },
};
