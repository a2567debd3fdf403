/**
 * Exact integer executor of a QuantizedModel: what the generated circuit computes, bit for bit.
 *
 * All arithmetic is BigInt (accumulators can exceed 2^53), and every non-linear step goes through
 * int-reference.ts, the shared semantics of the circom gadgets, so it throws BAD_INPUT exactly where the
 * circuit has no witness (e.g. an input outside the signed inputBits range).
 */
import { ZkaiError } from '../../common/errors.ts';
import { forEachConvTap, forEachPoolWindow } from './geometry.ts';
import { argMax, assertSigned, divFloor, maxOf, relu, requantize } from './int-reference.ts';
import { shapeSize } from './ir.ts';
import type { QConv2d, QDense, QLayer, QPool2d, QuantizedModel } from './quantize.ts';

export interface IntResult {
  /** Final outputs (logits) as signed integers at 2^-outputFracBits scale. */
  logits: bigint[];
  /** Predicted class: argmax of the logits, lowest index on ties (the ArgMax gadget's rule). */
  label: number;
  /** Output of every layer, for debugging and per-layer comparisons. */
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

function linear(layer: QDense | QConv2d, x: readonly bigint[]): bigint[] {
  const acc = linearAccumulators(layer, x);
  return acc.map((a, i) => {
    const c = layer.kind === 'dense' ? i : Math.floor(i / (layer.outShape[1]! * layer.outShape[2]!));
    return requantize(a, layer.accBits, layer.shift[c]!, layer.outBits);
  });
}

/** The accumulators (bias + Σ w·x) of a dense or conv layer, before Requantize. */
export function linearAccumulators(layer: QDense | QConv2d, x: readonly bigint[]): bigint[] {
  const out: bigint[] = [];
  if (layer.kind === 'dense') {
    const K = x.length;
    for (let n = 0; n < layer.bias.length; n++) {
      let acc = layer.bias[n]!;
      for (let k = 0; k < K; k++) acc += BigInt(layer.weight[n * K + k]!) * x[k]!;
      out.push(acc);
    }
    return out;
  }
  forEachConvTap(layer, (m, _o, taps) => {
    let acc = layer.bias[m]!;
    for (const [wi, xi] of taps) acc += BigInt(layer.weight[wi]!) * x[xi]!;
    out.push(acc);
  });
  return out;
}

function pool(layer: QPool2d, x: readonly bigint[]): bigint[] {
  const out: bigint[] = [];
  forEachPoolWindow(layer, (_o, cells, divisor) => {
    const vals = cells.map((i) => x[i]!);
    if (vals.length === 0) throw new ZkaiError('BAD_INPUT', `pooling layer '${layer.name}' has a window with no input cell`);
    if (layer.kind === 'maxpool2d') out.push(vals.length === 1 ? vals[0]! : maxOf(vals, layer.bits));
    else {
      const sum = vals.reduce((a, b) => a + b, 0n);
      out.push(divisor === 1 ? sum : divFloor(sum, layer.bits, BigInt(divisor)));
    }
  });
  return out;
}

/** Runs one quantized layer. */
export function runIntLayer(layer: QLayer, x: readonly bigint[]): bigint[] {
  switch (layer.kind) {
    case 'dense':
    case 'conv2d':
      return linear(layer, x);
    case 'relu':
      return x.map((v) => relu(v, layer.bits));
    case 'maxpool2d':
    case 'avgpool2d':
      return pool(layer, x);
    case 'reshape':
      return [...x];
  }
}

/**
 * Runs the quantized model on an integer input (see `quantizeInput`): the exact integers the circuit's
 * output signals carry. Throws BAD_INPUT for inputs outside the signed inputBits range.
 */
export function runInt(qm: QuantizedModel, input: readonly bigint[]): IntResult {
  const n = shapeSize(qm.inputShape);
  if (input.length !== n) throw new ZkaiError('BAD_INPUT', `model input needs ${n} integers, got ${input.length}`);
  for (const [i, v] of input.entries()) assertSigned(v, qm.inputBits, `model input ${i}`);
  let x: bigint[] = [...input];
  const trace: bigint[][] = [];
  for (const layer of qm.layers) {
    x = runIntLayer(layer, x);
    trace.push(x);
  }
  return { logits: x, label: argMax(x, qm.outputBits).index, trace };
}
