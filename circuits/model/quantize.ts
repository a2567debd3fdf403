/**
 * ModelIR (float) → QuantizedModel (integers only), the model the circuit and the integer executor run.
 *
 * Scheme (all scales are powers of two, so every rescale is a shift):
 * - A tensor with `f` fractional bits stores the real value v as the integer round(v · 2^f).
 * - The input gets the largest f for which the calibration inputs fit signed `activationBits`; the digits
 *   fixtures' pixels 0..16 get f = 2, so integer pixels map exactly (q = 4·pixel).
 * - Weights are symmetric signed `weightBits` integers with a scale PER OUTPUT CHANNEL (row of a dense
 *   layer, filter of a conv). Per-channel scales are free here: each output neuron has its own Requantize
 *   anyway, so its own shift costs nothing.
 * - Biases live at the accumulator scale (weight f + input f) as wide integers, plus 2^(shift-1) so that the
 *   floor shift of Requantize rounds to nearest.
 * - Each hidden linear layer is followed by Requantize(accBits, shift, activationBits) (floor shift, then
 *   saturation). Its output f comes from the calibration range (the positive range when a ReLU follows).
 *   The LAST linear layer (the logits) is only shifted, never saturated: its outputs keep accBits - shift
 *   bits, so no two logits are clamped into a tie.
 * - accBits is a proven worst-case bound (|bias| + Σ|w|·2^(bIn-1)), so every in-range input has a witness.
 * - BatchNorm left as 'channel-affine' and 'add-const' layers are folded (in float) into the preceding
 *   dense/conv layer before quantization (passes/fold-affine.ts); a BatchNorm with no such layer before it becomes a
 *   depthwise 1×1 conv (passes/affine-to-conv.ts); an add-const that cannot fold is UNSUPPORTED_OP.
 * Each op's rule (its output scale and width from its inputs') lives in its file (ops/); this walks the graph with
 * every tensor's fractional bits and width.
 */
import { ZkaiError } from '../../common/errors.ts';
import { argmax, runFloat, runFloatTrace } from './float-exec.ts';
import { quantizeInput, runInt } from './int-exec.ts';
import type { Layer, ModelIR } from './ir.ts';
import { consumerCounts, shapeSize } from './ir.ts';
import { fracBitsFor } from './ops/linear.ts';
import { floatOp } from './ops/registry.ts';
import { affineToConv } from './passes/affine-to-conv.ts';
import { foldAffine } from './passes/fold-affine.ts';
import { lastLinearIndex, type QLayer, type QuantizedModel } from './qir.ts';

export type { QConv2d, QDense, QLayer, QPool2d, QRelu, QReshape, QuantizedModel } from './qir.ts';
export { fracBitsFor, lastLinearIndex };

export interface QuantizeOptions {
  weightBits?: number;
  activationBits?: number;
}

/** Whether node i's output goes, through single-reader reshapes, to a ReLU and nowhere else. */
function reluNext(nodes: readonly Layer[], counts: readonly number[], i: number): boolean {
  let t = i;
  for (;;) {
    if (counts[t + 1] !== 1) return false;
    const j = nodes.findIndex((n, k) => k > t && n.inputs.includes(t));
    if (j < 0) return false;
    if (nodes[j]!.kind !== 'reshape') return nodes[j]!.kind === 'relu';
    t = j;
  }
}

/**
 * Quantizes a float model to integers with power-of-two scales chosen from `calibrationInputs` (raw float
 * inputs, e.g. pixel rows). See the module comment for the scheme. Deterministic for given inputs.
 */
export function quantizeModel(ir: ModelIR, calibrationInputs: number[][], opts: QuantizeOptions = {}): QuantizedModel {
  const weightBits = opts.weightBits ?? 8;
  const activationBits = opts.activationBits ?? 8;
  for (const [what, b] of [
    ['weightBits', weightBits],
    ['activationBits', activationBits],
  ] as const) {
    if (!Number.isInteger(b) || b < 2 || b > 24) throw new ZkaiError('BAD_INPUT', `${what} ${b} must be an integer in [2, 24]`);
  }
  if (calibrationInputs.length === 0) throw new ZkaiError('BAD_INPUT', 'quantizeModel needs at least one calibration input');
  const nIn = shapeSize(ir.inputShape);
  // A BatchNorm that cannot fold into the dense/conv before it becomes a depthwise 1×1 conv (passes/affine-to-conv.ts);
  // then an add-const that still cannot fold (e.g. one varying within a channel) is UNSUPPORTED_OP.
  const kinds = new Set(['channel-affine', 'add-const'] as const);
  const nodes = foldAffine(affineToConv(foldAffine(ir.layers, { kinds, strict: false })), { kinds, strict: true });
  const folded: ModelIR = { ...ir, layers: nodes };

  // Calibration: the max |value| (and max positive value) of every node's output over the inputs.
  let inMax = 0;
  // The smallest value of every tensor (index t + 1; the model input first): a divisor must stay positive (ops/div.ts).
  const minVal = new Array<number>(nodes.length + 1).fill(Number.POSITIVE_INFINITY);
  const maxAbs = new Array<number>(nodes.length).fill(0);
  const maxPos = new Array<number>(nodes.length).fill(0);
  for (const input of calibrationInputs) {
    if (input.length !== nIn) throw new ZkaiError('BAD_INPUT', `calibration input needs ${nIn} values, got ${input.length}`);
    for (const v of input) {
      inMax = Math.max(inMax, Math.abs(v));
      minVal[0] = Math.min(minVal[0]!, v);
    }
    runFloatTrace(folded, input).forEach((x, i) => {
      for (const v of x) {
        minVal[i + 1] = Math.min(minVal[i + 1]!, v);
        maxAbs[i] = Math.max(maxAbs[i]!, Math.abs(v));
        maxPos[i] = Math.max(maxPos[i]!, v);
      }
    });
  }

  const lastLinear = lastLinearIndex(nodes);
  if (lastLinear < 0) throw new ZkaiError('UNSUPPORTED_OP', 'model has no dense or conv layer');
  const inputFracBits = fracBitsFor(inMax, activationBits);
  // Fractional bits and width of every tensor (index t + 1; the model input first).
  const frac = [inputFracBits];
  const bits = [activationBits];
  const counts = consumerCounts(nodes);
  const qLayers: QLayer[] = [];
  let outputFracBits = inputFracBits;
  let outputBits = activationBits;
  nodes.forEach((layer, i) => {
    const op = floatOp(layer);
    if (op.quantize === 'fold') throw new ZkaiError('UNSUPPORTED_OP', `cannot quantize layer kind '${layer.kind}'`);
    const r = op.quantize(layer, {
      nodes,
      index: i,
      inFrac: layer.inputs.map((t) => frac[t + 1]!),
      inBits: layer.inputs.map((t) => bits[t + 1]!),
      maxAbs: maxAbs[i]!,
      maxPos: maxPos[i]!,
      inMin: layer.inputs.map((t) => minVal[t + 1]!),
      weightBits,
      activationBits,
      isLastLinear: i === lastLinear,
      reluNext: reluNext(nodes, counts, i),
    });
    qLayers.push(r.q);
    frac.push(r.frac);
    bits.push(r.bits);
    if (i === lastLinear) {
      outputFracBits = r.frac;
      outputBits = r.bits;
    }
  });
  if (lastLinear !== nodes.length - 1 && nodes.slice(lastLinear + 1).some((l) => l.kind !== 'reshape')) {
    // Layers after the logits (e.g. a final ReLU) would run on the unsaturated logits; still exact, just wider.
    outputBits = bits[nodes.length]!;
    outputFracBits = frac[nodes.length]!;
  }
  return {
    inputShape: ir.inputShape,
    outputShape: ir.outputShape,
    weightBits,
    activationBits,
    inputBits: activationBits,
    inputFracBits,
    outputBits,
    outputFracBits,
    layers: qLayers,
  };
}

export interface AgreementReport {
  rows: number;
  /** Accuracy of the float model against the labels; null when the rows carry no label. */
  floatAccuracy: number | null;
  /** Accuracy of the quantized (integer) model against the labels; null when the rows carry no label. */
  quantAccuracy: number | null;
  /** Fraction of rows where the quantized argmax equals the float argmax. */
  agreement: number;
}

/**
 * How faithful the quantized model is: how often the float and integer models predict the same class, and, when the
 * rows carry labels, each one's accuracy. `rows` are {input (raw floats), label?}; accuracies need every row labelled.
 */
export function evaluateAgreement(ir: ModelIR, qm: QuantizedModel, rows: { input: number[]; label?: number }[]): AgreementReport {
  let floatOk = 0;
  let quantOk = 0;
  let agree = 0;
  for (const { input, label } of rows) {
    const f = argmax(runFloat(ir, input));
    const q = runInt(qm, quantizeInput(qm, input)).label;
    if (f === label) floatOk++;
    if (q === label) quantOk++;
    if (f === q) agree++;
  }
  const n = rows.length || 1;
  const labelled = rows.length > 0 && rows.every((r) => r.label !== undefined);
  return {
    rows: rows.length,
    floatAccuracy: labelled ? floatOk / n : null,
    quantAccuracy: labelled ? quantOk / n : null,
    agreement: agree / n,
  };
}

/** evaluateAgreement a few rows at a time, yielding to the event loop between them (so the build's I/O goes on). */
export async function evaluateAgreementYielding(
  ir: ModelIR,
  qm: QuantizedModel,
  rows: { input: number[]; label?: number }[],
): Promise<AgreementReport> {
  const ok = { float: 0, quant: 0, agree: 0 };
  let labelled = rows.length > 0;
  for (let i = 0; i < rows.length; i += 8) {
    const part = rows.slice(i, i + 8);
    const r = evaluateAgreement(ir, qm, part);
    if (r.floatAccuracy === null || r.quantAccuracy === null) labelled = false;
    ok.float += Math.round((r.floatAccuracy ?? 0) * part.length);
    ok.quant += Math.round((r.quantAccuracy ?? 0) * part.length);
    ok.agree += Math.round(r.agreement * part.length);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const n = rows.length || 1;
  return {
    rows: rows.length,
    floatAccuracy: labelled ? ok.float / n : null,
    quantAccuracy: labelled ? ok.quant / n : null,
    agreement: ok.agree / n,
  };
}
