/**
 * relu: max(x, 0), from ONNX Relu. Gadget ReLU(bits) (bits + 1 constraints), or nothing of its own when the dense/conv
 * before it absorbs it into RequantizeRelu (ops/linear.ts fusedReluIndex): then its row reports only the clamp.
 */
import { reluCost } from '../gadget-cost.ts';
import { relu as reluRef } from '../int-reference.ts';
import type { ReluLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QRelu } from '../qir.ts';
import type { FloatOp, ImportCtx, QuantOp } from './op.ts';

export function importRelu(ctx: ImportCtx): void {
  ctx.add({ kind: 'relu', outShape: ctx.shape });
}

export const relu: FloatOp<ReluLayer> & QuantOp<QRelu> = {
  float: (_layer, [x]) => x!.map((v) => Math.max(v, 0)),
  estimate(layer, ctx) {
    // Fused when a dense/conv produced its input (through reshapes): the estimate counts the cheapest clamp.
    let j = layer.inputs[0]!;
    while (j >= 0 && ctx.nodes[j]!.kind === 'reshape') j = ctx.nodes[j]!.inputs[0]!;
    const fused = j >= 0 && (ctx.nodes[j]!.kind === 'dense' || ctx.nodes[j]!.kind === 'conv2d');
    const nOut = shapeSize(layer.outShape);
    return { constraints: fused ? nOut : nOut * reluCost(ctx.inBits[0]!), bits: ctx.inBits[0]! };
  },
  // Same scale and width as its input: the ReLU only drops negatives.
  quantize: (layer, ctx) => ({
    q: { kind: 'relu', name: layer.name, inputs: layer.inputs, inShape: layer.inShape, outShape: layer.outShape, bits: ctx.inBits[0]! },
    frac: ctx.inFrac[0]!,
    bits: ctx.inBits[0]!,
  }),
  int: (layer, [x]) => x!.map((v) => reluRef(v, layer.bits)),
  emit(layer, ctx) {
    const li = ctx.index;
    const fusedCost = ctx.fusedRelu.get(li);
    if (fusedCost !== undefined) {
      ctx.body.push('    // computed by the preceding RequantizeRelu (its clamp is counted here)');
      ctx.cost('relu (fused)', fusedCost);
      return ctx.input(0); // the input signals already hold the ReLU's output
    }
    const nOutL = shapeSize(layer.outShape);
    const cur = ctx.input(0);
    ctx.body.push(`    signal x${li}[${nOutL}];`, `    component relu${li}[${nOutL}];`);
    for (let n = 0; n < nOutL; n++) {
      ctx.body.push(
        `    relu${li}[${n}] = ReLU(${layer.bits});`,
        `    relu${li}[${n}].in <== ${cur(n)};`,
        `    x${li}[${n}] <== relu${li}[${n}].out;`,
      );
    }
    ctx.cost(layer.kind, nOutL * reluCost(layer.bits));
    return (i) => `x${li}[${i}]`;
  },
};
