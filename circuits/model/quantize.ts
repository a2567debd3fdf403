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
 *   dense/conv layer before quantization; anything else is UNSUPPORTED_OP.
 */
import { ZkaiError } from '../../common/errors.ts';
import { argmax, runFloat, runLayer } from './float-exec.ts';
import { quantizeInput, runInt } from './int-exec.ts';
import type { Layer, ModelIR } from './ir.ts';
import { shapeSize } from './ir.ts';

interface QLinearBase {
  name: string;
  inShape: number[];
  outShape: number[];
  /** Integer weights, row-major ([N, K] dense, [M, C, kH, kW] conv), each a signed weightBits value. */
  weight: number[];
  /** Integer biases at the accumulator scale of each output channel (rounding offset included). */
  bias: bigint[];
  /** Per output channel: Requantize shift (>= 1). */
  shift: number[];
  /** Signed width of the accumulator (proven bound over all in-range inputs). */
  accBits: number;
  /** Signed width of the layer's input values. */
  inBits: number;
  /** Signed width of the output: activationBits, or accBits - min(shift) for the final (unsaturated) layer. */
  outBits: number;
  /** Fractional bits of each output channel's weights and of the output (for dequantizing / reports). */
  weightFracBits: number[];
  outFracBits: number;
}

export interface QDense extends QLinearBase {
  kind: 'dense';
}

export interface QConv2d extends QLinearBase {
  kind: 'conv2d';
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
}

export interface QRelu {
  kind: 'relu';
  name: string;
  inShape: number[];
  outShape: number[];
  bits: number;
}

export interface QPool2d {
  kind: 'maxpool2d' | 'avgpool2d';
  name: string;
  inShape: number[];
  outShape: number[];
  bits: number;
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
  countIncludePad: boolean;
}

export interface QReshape {
  kind: 'reshape';
  name: string;
  inShape: number[];
  outShape: number[];
}

export type QLayer = QDense | QConv2d | QRelu | QPool2d | QReshape;

export interface QuantizedModel {
  inputShape: number[];
  outputShape: number[];
  weightBits: number;
  activationBits: number;
  /** Inputs are signed inputBits integers: round(x · 2^inputFracBits). */
  inputBits: number;
  inputFracBits: number;
  /** Signed width and fractional bits of the output logits. */
  outputBits: number;
  outputFracBits: number;
  layers: QLayer[];
}

export interface QuantizeOptions {
  weightBits?: number;
  activationBits?: number;
}

/** Largest f such that maxAbs · 2^f fits in signed `bits` (maxAbs = 0 gives 0), kept within ±40. */
export function fracBitsFor(maxAbs: number, bits: number): number {
  if (!(maxAbs > 0)) return 0;
  const f = Math.floor(Math.log2(((1 << (bits - 1)) - 1) / maxAbs));
  return Math.max(-40, Math.min(40, f));
}

/** Index of the last dense/conv layer, or -1. */
export function lastLinearIndex(layers: readonly { kind: string }[]): number {
  for (let i = layers.length - 1; i >= 0; i--) if (layers[i]!.kind === 'dense' || layers[i]!.kind === 'conv2d') return i;
  return -1;
}

const bitLength = (v: bigint): number => (v <= 0n ? 0 : v.toString(2).length);

/** Folds channel-affine / add-const layers into the dense/conv just before them (float64, exact algebra). */
function foldAffine(ir: ModelIR): Layer[] {
  const out: Layer[] = [];
  for (const layer of ir.layers) {
    if (layer.kind !== 'channel-affine' && layer.kind !== 'add-const') {
      out.push(layer);
      continue;
    }
    const prev = out[out.length - 1];
    if (!prev || (prev.kind !== 'dense' && prev.kind !== 'conv2d')) {
      throw new ZkaiError(
        'UNSUPPORTED_OP',
        `cannot quantize '${layer.kind}' layer '${layer.name}': it must directly follow a dense or conv layer`,
      );
    }
    const outC = prev.weight.shape[0]!;
    const per = shapeSize(prev.outShape) / outC;
    const weight = { ...prev.weight, data: Float64Array.from(prev.weight.data) };
    const bias = { ...prev.bias, data: Float64Array.from(prev.bias.data) };
    const perW = weight.data.length / outC;
    if (layer.kind === 'channel-affine') {
      for (let c = 0; c < outC; c++) {
        const s = layer.scale.data[c]!;
        for (let i = 0; i < perW; i++) weight.data[c * perW + i]! *= s;
        bias.data[c] = bias.data[c]! * s + layer.shift.data[c]!;
      }
    } else {
      // A per-element constant folds only if it is constant over each channel's spatial positions.
      for (let c = 0; c < outC; c++) {
        const v = layer.constant.data[c * per]!;
        for (let i = 1; i < per; i++) {
          if (layer.constant.data[c * per + i] !== v) {
            throw new ZkaiError('UNSUPPORTED_OP', `cannot quantize add-const '${layer.name}': the constant varies within a channel`);
          }
        }
        bias.data[c] = bias.data[c]! + v;
      }
    }
    out[out.length - 1] = { ...prev, weight, bias };
  }
  return out;
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
  const layers = foldAffine(ir);

  // Calibration: the max |value| (and max positive value) of every layer's output over the inputs.
  let inMax = 0;
  const maxAbs = new Array<number>(layers.length).fill(0);
  const maxPos = new Array<number>(layers.length).fill(0);
  for (const input of calibrationInputs) {
    if (input.length !== nIn) throw new ZkaiError('BAD_INPUT', `calibration input needs ${nIn} values, got ${input.length}`);
    let x: Float64Array = Float64Array.from(input);
    for (const v of x) inMax = Math.max(inMax, Math.abs(v));
    layers.forEach((layer, i) => {
      x = runLayer(layer, x);
      for (const v of x) {
        maxAbs[i] = Math.max(maxAbs[i]!, Math.abs(v));
        maxPos[i] = Math.max(maxPos[i]!, v);
      }
    });
  }

  const lastLinear = lastLinearIndex(layers);
  if (lastLinear < 0) throw new ZkaiError('UNSUPPORTED_OP', 'model has no dense or conv layer');
  const inputFracBits = fracBitsFor(inMax, activationBits);
  let frac = inputFracBits;
  let bits = activationBits;
  const qLayers: QLayer[] = [];
  let outputFracBits = frac;
  let outputBits = bits;

  layers.forEach((layer, i) => {
    const base = { name: layer.name, inShape: layer.inShape, outShape: layer.outShape };
    switch (layer.kind) {
      case 'dense':
      case 'conv2d': {
        const outC = layer.weight.shape[0]!;
        const perW = layer.weight.data.length / outC;
        const isLast = i === lastLinear;
        // Does a ReLU follow (through reshapes)? Then negative outputs only need to reach 0 after saturation.
        let j = i + 1;
        while (j < layers.length && layers[j]!.kind === 'reshape') j++;
        const reluNext = layers[j]?.kind === 'relu';
        const wMaxHalf = (1 << (weightBits - 1)) - 1;
        const fw: number[] = [];
        for (let c = 0; c < outC; c++) {
          let m = 0;
          for (let k = 0; k < perW; k++) m = Math.max(m, Math.abs(layer.weight.data[c * perW + k]!));
          fw.push(m > 0 ? fracBitsFor(m, weightBits) : Number.NaN);
        }
        // An all-zero row has no scale of its own: give it the coarsest real one so it neither widens nor coarsens anything.
        const realFw = fw.filter((v) => !Number.isNaN(v));
        const zeroRowFw = realFw.length ? Math.min(...realFw) : 0;
        for (let c = 0; c < outC; c++) if (Number.isNaN(fw[c])) fw[c] = zeroRowFw;
        // Output scale: hidden layers from calibration; the logits keep the finest common scale (shift >= 1 everywhere).
        const fy = isLast ? Math.min(...fw) + frac - 1 : fracBitsFor(reluNext ? maxPos[i]! : maxAbs[i]!, activationBits);
        const shift: number[] = [];
        const weight: number[] = [];
        const bias: bigint[] = [];
        let bound = 0n;
        let maxShift = 1;
        for (let c = 0; c < outC; c++) {
          // A shift below 1 would need a left shift: give up weight precision instead.
          if (fw[c]! + frac - fy < 1) fw[c] = 1 + fy - frac;
          const s = fw[c]! + frac - fy;
          shift.push(s);
          maxShift = Math.max(maxShift, s);
          let absSum = 0n;
          for (let k = 0; k < perW; k++) {
            const q = Math.max(-wMaxHalf, Math.min(wMaxHalf, Math.round(layer.weight.data[c * perW + k]! * 2 ** fw[c]!)));
            weight.push(q);
            absSum += BigInt(Math.abs(q));
          }
          const b = BigInt(Math.round(layer.bias.data[c]! * 2 ** (fw[c]! + frac))) + (1n << BigInt(s - 1));
          bias.push(b);
          const cBound = (b < 0n ? -b : b) + absSum * (1n << BigInt(bits - 1));
          if (cBound > bound) bound = cBound;
        }
        // Signed accBits holds [-2^(accBits-1), 2^(accBits-1)); Requantize needs shift < accBits - 1.
        const accBits = Math.max(bitLength(bound) + 1, maxShift + 2);
        if (accBits > 240) throw new ZkaiError('BAD_INPUT', `layer '${layer.name}': accumulator needs ${accBits} bits`);
        const outBits = isLast ? accBits - Math.min(...shift) : activationBits;
        const q = { ...base, weight, bias, shift, accBits, inBits: bits, outBits, weightFracBits: fw, outFracBits: fy };
        qLayers.push(
          layer.kind === 'dense'
            ? { kind: 'dense', ...q }
            : { kind: 'conv2d', ...q, kernel: layer.kernel, strides: layer.strides, pads: layer.pads },
        );
        frac = fy;
        bits = outBits;
        if (isLast) {
          outputFracBits = fy;
          outputBits = outBits;
        }
        break;
      }
      case 'relu':
        qLayers.push({ kind: 'relu', ...base, bits });
        break;
      case 'maxpool2d':
      case 'avgpool2d':
        qLayers.push({
          kind: layer.kind,
          ...base,
          bits,
          kernel: layer.kernel,
          strides: layer.strides,
          pads: layer.pads,
          countIncludePad: layer.countIncludePad,
        });
        break;
      case 'reshape':
        qLayers.push({ kind: 'reshape', ...base });
        break;
      default:
        throw new ZkaiError('UNSUPPORTED_OP', `cannot quantize layer kind '${layer.kind}'`);
    }
  });
  if (lastLinear !== layers.length - 1 && layers.slice(lastLinear + 1).some((l) => l.kind !== 'reshape')) {
    // Layers after the logits (e.g. a final ReLU) would run on the unsaturated logits; still exact, just wider.
    outputBits = bits;
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
  /** Accuracy of the float model against the labels. */
  floatAccuracy: number;
  /** Accuracy of the quantized (integer) model against the labels. */
  quantAccuracy: number;
  /** Fraction of rows where the quantized argmax equals the float argmax. */
  agreement: number;
}

/**
 * How faithful the quantized model is: float vs integer accuracy on labelled rows, and how often the two
 * predict the same class. `rows` are {input (raw floats), label}.
 */
export function evaluateAgreement(ir: ModelIR, qm: QuantizedModel, rows: { input: number[]; label: number }[]): AgreementReport {
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
  return { rows: rows.length, floatAccuracy: floatOk / n, quantAccuracy: quantOk / n, agreement: agree / n };
}
