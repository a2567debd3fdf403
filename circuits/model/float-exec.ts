/**
 * Float reference executor for ModelIR. It is the yardstick for the quantized circuit: we measure how
 * often the quantized model agrees with this one, and this one is checked against PyTorch's own logits.
 * Computation is in float64 (weights come from float32), so results match PyTorch to ~1e-5. Each op's float
 * function lives in its file (ops/); this walks the graph.
 */
import { ZkaiError } from '../../common/errors.ts';
import type { Layer, ModelIR } from './ir.ts';
import { checkGraph, shapeSize } from './ir.ts';
import { floatOp } from './ops/registry.ts';

/** Runs one node on its input tensors (row-major, per sample). */
export function runLayer(layer: Layer, ...inputs: Float64Array[]): Float64Array {
  return floatOp(layer).float(layer, inputs);
}

/**
 * Runs the graph on one input and returns every node's output (index i: node i), the model input excluded; the
 * quantizer calibrates on these.
 */
export function runFloatTrace(ir: ModelIR, input: ArrayLike<number>): Float64Array[] {
  const n = shapeSize(ir.inputShape);
  if (input.length !== n) throw new ZkaiError('BAD_INPUT', `model input needs ${n} values (shape [${ir.inputShape}]), got ${input.length}`);
  checkGraph(ir.layers, (what) => {
    throw new ZkaiError('BAD_INPUT', `model graph: ${what} is not an earlier tensor`);
  });
  const x = Float64Array.from(input);
  const outs: Float64Array[] = [];
  for (const layer of ir.layers) outs.push(runLayer(layer, ...layer.inputs.map((t) => (t < 0 ? x : outs[t]!))));
  return outs;
}

/**
 * Runs the whole model on one sample (row-major, per-sample input shape, e.g. 64 pixel values) and
 * returns the output (logits) in float64.
 */
export function runFloat(ir: ModelIR, input: ArrayLike<number>): Float64Array {
  const outs = runFloatTrace(ir, input);
  return outs.length ? outs[outs.length - 1]! : Float64Array.from(input);
}

/** Index of the largest value (first one on ties), i.e. the predicted class. */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}
