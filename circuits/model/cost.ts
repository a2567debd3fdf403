/**
 * The constraint cost model of the model circuits: the gadget formulas codegen.ts adds up per layer (documented in
 * docs/model.md, checked against circom's count at every compile), and `estimateConstraints`, the same formulas
 * applied to the imported float graph before anything costly runs. A 1 KB ONNX file can describe tens of millions of
 * constraints (a small kernel over a large activation); quantizing it runs the float model on every calibration row,
 * and compiling it would take circom hours and gigabytes, so the estimate is checked against the limit first.
 */
import type { CodegenOptions } from './codegen.ts';
import { packPerElement } from './commit.ts';
import { argMaxCost, poseidonChainCost, poseidonSpongeCost } from './gadget-cost.ts';
import type { ModelIR } from './ir.ts';
import { shapeSize } from './ir.ts';
import { floatOp } from './ops/registry.ts';

export { bitLength, fusedReluCost, poseidonChainCost, poseidonSpongeCost, requantizeCost } from './gadget-cost.ts';

/**
 * How many public signals every verifier of the model's proofs gets (its statement), from the graph alone: exactly
 * codegen's layout without the committed ones — [weightsHash?, inputHash | in…, logits…, label, binding].
 */
export function statementSignalCount(ir: ModelIR, opts: Pick<CodegenOptions, 'weights' | 'input'>): number {
  const hashedWeights = opts.weights === 'private-committed' ? 1 : 0;
  const input = opts.input === 'public' ? shapeSize(ir.inputShape) : 1;
  return hashedWeights + input + shapeSize(ir.outputShape) + 2;
}

export interface ConstraintEstimate {
  total: number;
  /** Per IR layer (index into ModelIR.layers), plus 'input', 'output' and 'weights' rows. */
  perLayer: { layer: string; constraints: number }[];
}

/**
 * Constraints the model's circuit will have, from the float graph alone (no calibration, no quantization): the
 * formulas above with the widths quantize.ts would give, where calibration is not needed to know them. Accumulator
 * widths come from the weights at their own per-channel scale, leaving out the biases (which can only widen them);
 * saturation clamps and the logits' width, which depend on calibration, are left out. So the estimate is close to the
 * count and, for real models, below it (the fixtures' within 10%): refusing on it never refuses a model that fits.
 */
export function estimateConstraints(
  ir: ModelIR,
  opts: Pick<CodegenOptions, 'weights' | 'input'> & { weightBits?: number; activationBits?: number },
): ConstraintEstimate {
  const A = opts.activationBits ?? 8;
  const privateWeights = opts.weights !== 'public-constants';
  const perLayer: ConstraintEstimate['perLayer'] = [];
  const nIn = shapeSize(ir.inputShape);
  perLayer.push({
    layer: 'input',
    constraints: nIn * A + (opts.input === 'private-hashed' ? poseidonChainCost(Math.ceil(nIn / packPerElement(A))) : 0),
  });
  let committed = 0;
  // The width of every tensor's values (index t + 1; the model input first), as each op's estimate gives it.
  const bits = [A];
  ir.layers.forEach((layer, li) => {
    const r = floatOp(layer).estimate(layer, {
      nodes: ir.layers,
      index: li,
      inBits: layer.inputs.map((t) => bits[t + 1]!),
      activationBits: A,
      weightBits: opts.weightBits ?? 8,
      privateWeights,
      addCommitted: (n) => {
        committed += n;
      },
    });
    bits.push(r.bits);
    perLayer.push({ layer: String(li), constraints: r.constraints });
  });
  const nOut = shapeSize(ir.outputShape);
  perLayer.push({ layer: 'output', constraints: argMaxCost(nOut, A) });
  if (opts.weights === 'private-committed') perLayer.push({ layer: 'weights', constraints: poseidonSpongeCost(committed) });
  return { total: perLayer.reduce((a, l) => a + l.constraints, 0), perLayer };
}
