/**
 * matmul: numpy matmul of two activations, [..., n, k] × [..., k, m] → [..., n, m] with equal leading (batch) axes,
 * from an ONNX MatMul whose operands are both activations (attention's Q·Kᵀ and A·V). A MatMul by a constant is
 * dense (1-D input) or a per-token linear layer (ops/token-linear.ts).
 *
 * Quantization rule: the operands carry scales 2^-fa and 2^-fb; every product a·b is exact at 2^-(fa+fb), and so is
 * their sum acc = Σ_t a[i,t]·b[t,j] (no rounding before the one requantization). The output scale fo is calibrated
 * (activationBits over the calibrated max |y|), s = fa + fb - fo, and y = saturate(floor((acc + 2^(s-1)) / 2^s)):
 * round half up, then clamped to signed activationBits. accBits is a proven bound: |acc| <= k·2^(ba-1)·2^(bb-1), plus
 * the rounding offset, so every in-range input has a witness. When s < 1 (the output would need more precision than
 * the product has) the exact acc is the output, accBits wide, at 2^-(fa+fb).
 * Error against the float op: the operands' own quantization errors propagate (|b|·δa + |a|·δb per term, summed), the
 * requantization adds at most 1/2 output LSB, and saturation only outside the calibrated range.
 * Gadget: one constraint per product (prod <== a·b: the product of two signals is a rank-1 constraint, so a prover
 * cannot choose it), the sum is linear, then Requantize(accBits, s, bits) (its quotient and remainder are
 * range-checked constraints: y is the unique floor). Cost n·m·k per batch + n·m·requantizeCost. Emitted as one
 * template per node with loops (ctx.templates), so the witness code stays small whatever the sizes.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { bitLength, requantizeCost } from '../gadget-cost.ts';
import { assertSigned, requantize } from '../int-reference.ts';
import type { MatMulLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QMatMul } from '../qir.ts';
import { importGemm } from './dense.ts';
import { fracBitsFor } from './linear.ts';
import { wire } from './linear-emit.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

/** The batch count and n, k, m of a matmul node, from its operand shapes. */
export function matmulDims(a: readonly number[], b: readonly number[]): { batch: number; n: number; k: number; m: number } {
  return { batch: shapeSize(a.slice(0, -2)), n: a[a.length - 2]!, k: a[a.length - 1]!, m: b[b.length - 1]! };
}

/** ONNX MatMul: of two activations → matmul; by a constant → dense / per-token linear (ops/dense.ts). */
export function importMatMul(ctx: ImportCtx): void {
  if (ctx.acts.length === 1) {
    importGemm(ctx);
    return;
  }
  if (ctx.actNames[0] !== ctx.node.input[0]) throw ctx.fail('operand order');
  const [a, b] = ctx.shapes as [number[], number[]];
  const lead = a.slice(0, -2);
  if (a.length < 2 || b.length !== a.length || b.slice(0, -2).some((d, i) => d !== lead[i]) || a[a.length - 1] !== b[b.length - 2])
    throw ctx.fail(`operand shapes [${a}] and [${b}]: needs [..., n, k] × [..., k, m] with the same leading axes (no broadcasting)`);
  ctx.add({ kind: 'matmul', outShape: [...lead, a[a.length - 2]!, b[b.length - 1]!] });
}

/** acc[bt, i, j] = Σ_t a[bt, i, t]·b[bt, t, j], for float or BigInt elements. */
function products<T extends number | bigint>(a: ArrayLike<T>, b: ArrayLike<T>, d: ReturnType<typeof matmulDims>, zero: T): T[] {
  const out: T[] = [];
  for (let bt = 0; bt < d.batch; bt++)
    for (let i = 0; i < d.n; i++)
      for (let j = 0; j < d.m; j++) {
        let acc = zero;
        for (let t = 0; t < d.k; t++)
          acc = ((acc as number) + (a[(bt * d.n + i) * d.k + t] as number) * (b[(bt * d.k + t) * d.m + j] as number)) as T;
        out.push(acc);
      }
  return out;
}

const accBound = (k: number, ba: number, bb: number, s: number): number =>
  bitLength(k * 2 ** (ba + bb - 2) + (s >= 1 ? 2 ** (s - 1) : 0)) + 1;

export const matmul: FloatOp<MatMulLayer> & QuantOp<QMatMul> = {
  float: (layer, [a, b]) => Float64Array.from(products(a!, b!, matmulDims(layer.inShape, shapeOf(layer, b!)), 0)),
  estimate(layer, ctx) {
    const d = matmulDims(layer.inShape, layer.outShape);
    const nOut = shapeSize(layer.outShape);
    const acc = accBound(d.k, ctx.inBits[0]!, ctx.inBits[1]!, 1);
    return { constraints: nOut * d.k + nOut * requantizeCost(acc, 1, ctx.activationBits), bits: ctx.activationBits };
  },
  quantize(layer, ctx) {
    const [fa, fb] = ctx.inFrac as [number, number];
    const inBits = [ctx.inBits[0]!, ctx.inBits[1]!] as [number, number];
    const { k } = matmulDims(layer.inShape, layer.outShape);
    const fo = fracBitsFor(ctx.maxAbs, ctx.activationBits);
    const s = fa + fb - fo;
    const accBits = Math.max(accBound(k, inBits[0], inBits[1], s), s + 2);
    if (accBits > 240) throw new ZkaiError('BAD_INPUT', `matmul '${layer.name}': accumulator needs ${accBits} bits`);
    const base = {
      kind: 'matmul',
      name: layer.name,
      inputs: layer.inputs,
      inShape: layer.inShape,
      outShape: layer.outShape,
      inBits,
      accBits,
    } as const;
    if (s < 1) return { q: { ...base, shift: 0, bits: accBits }, frac: fa + fb, bits: accBits };
    return { q: { ...base, shift: s, bits: ctx.activationBits }, frac: fo, bits: ctx.activationBits };
  },
  int(layer, [a, b]) {
    for (const v of a!) assertSigned(v, layer.inBits[0], 'matmul operand');
    for (const v of b!) assertSigned(v, layer.inBits[1], 'matmul operand');
    const acc = products(a!, b!, matmulDims(layer.inShape, layer.outShape), 0n);
    if (layer.shift === 0) return acc;
    const half = 1n << BigInt(layer.shift - 1);
    return acc.map((v) => requantize(v + half, layer.accBits, layer.shift, layer.bits));
  },
  emit(layer, ctx) {
    const li = ctx.index;
    const d = matmulDims(layer.inShape, layer.outShape);
    const [na, nb, nOut] = [d.batch * d.n * d.k, d.batch * d.k * d.m, shapeSize(layer.outShape)];
    if (shapeSize(layer.inShape) !== na) throw new ZkaiError('BAD_INPUT', `matmul node ${li}: operand shapes`);
    const { accBits, shift, bits } = layer;
    const round = shift === 0 ? 0 : 2 ** (shift - 1);
    ctx.templates.push(
      `// node ${li}: matmul, ${d.batch} x [${d.n}, ${d.k}] x [${d.k}, ${d.m}], one constraint per product.`,
      `template MatMul${li}() {`,
      `    signal input a[${na}];`,
      `    signal input b[${nb}];`,
      `    signal output y[${nOut}];`,
      `    signal prod[${nOut * d.k}];`,
      ...(shift === 0 ? [] : [`    component rq[${nOut}];`]),
      `    for (var bt = 0; bt < ${d.batch}; bt++) {`,
      `        for (var i = 0; i < ${d.n}; i++) {`,
      `            for (var j = 0; j < ${d.m}; j++) {`,
      `                var o = (bt * ${d.n} + i) * ${d.m} + j;`,
      `                var acc = ${round};`,
      `                for (var t = 0; t < ${d.k}; t++) {`,
      `                    prod[o * ${d.k} + t] <== a[(bt * ${d.n} + i) * ${d.k} + t] * b[(bt * ${d.k} + t) * ${d.m} + j];`,
      `                    acc += prod[o * ${d.k} + t];`,
      '                }',
      ...(shift === 0
        ? ['                y[o] <== acc;']
        : [
            `                rq[o] = Requantize(${accBits}, ${shift}, ${bits});`,
            '                rq[o].in <== acc;',
            '                y[o] <== rq[o].out;',
          ]),
      '            }',
      '        }',
      '    }',
      '}',
      '',
    );
    ctx.body.push(
      `    component mm${li} = MatMul${li}();`,
      ...wire(na, `mm${li}.a`, ctx.input(0)),
      ...wire(nb, `mm${li}.b`, ctx.input(1)),
      `    signal x${li}[${nOut}];`,
      `    for (var i = 0; i < ${nOut}; i++) x${li}[i] <== mm${li}.y[i];`,
    );
    ctx.cost(layer.kind, nOut * d.k + (shift === 0 ? 0 : nOut * requantizeCost(accBits, shift, bits)));
    return (i) => `x${li}[${i}]`;
  },
};

/** The second operand's shape: [..., k, m] from the node's input and output shapes (b itself carries no shape). */
function shapeOf(layer: MatMulLayer, b: ArrayLike<number>): number[] {
  const d = matmulDims(layer.inShape, layer.outShape);
  if (b.length !== d.batch * d.k * d.m) throw new ZkaiError('BAD_INPUT', `matmul '${layer.name}': second operand size`);
  return [...layer.inShape.slice(0, -2), d.k, d.m];
}
