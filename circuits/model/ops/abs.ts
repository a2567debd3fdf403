/**
 * abs: |x| elementwise, from ONNX Abs (the divisor of x / (|y| + eps): ops/div.ts). |x| = 2·ReLU(x) − x with the tested
 * ReLU(bits) gadget (its sign from the range-checked bits-bit offset decomposition), so the output is a function of x:
 * exact, same scale, one bit wider (|−2^(bits−1)| needs it). Cost bits + 1 per element; one looped template per node.
 */
import { reluCost } from '../gadget-cost.ts';
import { relu as reluRef } from '../int-reference.ts';
import type { AbsLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import { wireInput } from '../lookup.ts';
import type { QAbs } from '../qir.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

export function importAbs(ctx: ImportCtx): void {
  ctx.add({ kind: 'abs', outShape: ctx.shape });
}

export const abs: FloatOp<AbsLayer> & QuantOp<QAbs> = {
  float: (_layer, [x]) => x!.map(Math.abs),
  estimate: (layer, ctx) => ({ constraints: shapeSize(layer.outShape) * reluCost(ctx.inBits[0]!), bits: ctx.inBits[0]! + 1 }),
  quantize: (layer, ctx) => ({
    q: { kind: 'abs', name: layer.name, inputs: layer.inputs, inShape: layer.inShape, outShape: layer.outShape, bits: ctx.inBits[0]! },
    frac: ctx.inFrac[0]!,
    bits: ctx.inBits[0]! + 1,
  }),
  // reluRef range-checks x to signed `bits` (the gadget's only witnesses).
  int: (layer, [x]) => x!.map((v) => 2n * reluRef(v, layer.bits) - v),
  emit(layer, ctx) {
    const li = ctx.index;
    const N = shapeSize(layer.outShape);
    ctx.templates.push(
      `// layer ${li}: abs, ${N} elements, ReLU(${layer.bits}) each.`,
      `template Abs${li}() {`,
      `    signal input x[${N}];`,
      `    signal output y[${N}];`,
      `    component r[${N}];`,
      `    for (var i = 0; i < ${N}; i++) {`,
      `        r[i] = ReLU(${layer.bits});`,
      '        r[i].in <== x[i];',
      '        y[i] <== 2 * r[i].out - x[i];',
      '    }',
      '}',
      '',
    );
    ctx.body.push(
      `    component abs${li} = Abs${li}();`,
      ...wireInput(N, `abs${li}.x`, ctx.input(0)),
      `    signal x${li}[${N}];`,
      `    for (var i = 0; i < ${N}; i++) x${li}[i] <== abs${li}.y[i];`,
    );
    ctx.cost(layer.kind, N * reluCost(layer.bits));
    return (i) => `x${li}[${i}]`;
  },
};
