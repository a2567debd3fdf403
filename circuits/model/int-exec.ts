/**
 * Exact integer executor of a QuantizedModel: what the generated circuit computes, bit for bit.
 *
 * All arithmetic is BigInt (accumulators can exceed 2^53), and every non-linear step goes through
 * int-reference.ts, the shared semantics of the circom gadgets, so it throws BAD_INPUT exactly where the
 * circuit has no witness (e.g. an input outside the signed inputBits range). Each op's integer function lives in its
 * file (ops/); this walks the graph.
 */
import { ZkaiError } from '../../common/errors.ts';
import { argMax, assertSigned } from './int-reference.ts';
import { checkGraph, shapeSize } from './ir.ts';
import { quantOp } from './ops/registry.ts';
import type { QLayer, QuantizedModel } from './qir.ts';

export { linearAccumulators } from './ops/linear.ts';

export interface IntResult {
  /** Final outputs (logits) as signed integers at 2^-outputFracBits scale. */
  logits: bigint[];
  /** Predicted class: argmax of the logits, lowest index on ties (the ArgMax gadget's rule). */
  label: number;
  /** Output of every node, for debugging and per-layer comparisons. */
  trace: bigint[][];
}

/** Float input → the model's integer input: round(x · 2^inputFracBits), which must fit signed inputBits. */
export function quantizeInput(qm: QuantizedModel, input: ArrayLike<number>): bigint[] {
  return Array.from(input, (x, i) => {
    const q = BigInt(Math.round(x * 2 ** qm.inputFracBits));
    assertSigned(q, qm.inputBits, `quantized input ${i}`);
    return q;
  });
}

/** Runs one quantized node on its input tensors. */
export function runIntLayer(layer: QLayer, ...inputs: bigint[][]): bigint[] {
  return quantOp(layer).int(layer, inputs);
}

/**
 * Runs the quantized model on an integer input (see `quantizeInput`): the exact integers the circuit's
 * output signals carry. Throws BAD_INPUT for inputs outside the signed inputBits range.
 */
export function runInt(qm: QuantizedModel, input: readonly bigint[]): IntResult {
  const n = shapeSize(qm.inputShape);
  if (input.length !== n) throw new ZkaiError('BAD_INPUT', `model input needs ${n} integers, got ${input.length}`);
  for (const [i, v] of input.entries()) assertSigned(v, qm.inputBits, `model input ${i}`);
  checkGraph(qm.layers, (what) => {
    throw new ZkaiError('BAD_INPUT', `quantized model: ${what} is not an earlier tensor`);
  });
  const x = [...input];
  const trace: bigint[][] = [];
  for (const layer of qm.layers) trace.push(runIntLayer(layer, ...layer.inputs.map((t) => (t < 0 ? x : trace[t]!))));
  const out = trace.length ? trace[trace.length - 1]! : x;
  return { logits: out, label: argMax(out, qm.outputBits).index, trace };
}
