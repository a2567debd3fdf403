/**
 * What dense (ops/dense.ts) and conv2d (ops/conv2d.ts) share: both are y = requantize(bias + Σ w·x) per output
 * channel, with the same quantization rule, integer reference, emission (constant linear combinations, or PackedDot
 * over committed weights) and cost; only the taps (which input cell each weight multiplies) differ, and those come
 * from one geometry (geometry.ts) for the executors and the generator alike.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { packedSlots } from '../commit.ts';
import { bitLength } from '../gadget-cost.ts';
import { convTapTable, forEachConvTap } from '../geometry.ts';
import { requantize } from '../int-reference.ts';
import type { Conv2dLayer, DenseLayer } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { QConv2d, QDense, QLayer } from '../qir.ts';
import type { EstimateCtx, QuantizeCtx, Quantized } from './op.ts';

/** Largest f such that maxAbs · 2^f fits in signed `bits` (maxAbs = 0 gives 0), kept within ±40. */
export function fracBitsFor(maxAbs: number, bits: number): number {
  if (!(maxAbs > 0)) return 0;
  const f = Math.floor(Math.log2(((1 << (bits - 1)) - 1) / maxAbs));
  return Math.max(-40, Math.min(40, f));
}

const bigBitLength = (v: bigint): number => (v <= 0n ? 0 : v.toString(2).length);

/**
 * Quantization rule: weights symmetric signed weightBits per output channel; biases at the accumulator scale plus
 * 2^(shift-1) (so Requantize's floor shift rounds to nearest); the output scale from calibration (the positive range
 * when a ReLU follows), except the logits, which keep the finest common scale and are never saturated; accBits a
 * proven bound over every in-range input, so every such input has a witness.
 */
export function quantizeLinear(layer: DenseLayer | Conv2dLayer, ctx: QuantizeCtx): Quantized {
  const frac = ctx.inFrac[0]!;
  const bits = ctx.inBits[0]!;
  const { weightBits, activationBits, isLastLinear: isLast } = ctx;
  const outC = layer.weight.shape[0]!;
  const perW = layer.weight.data.length / outC;
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
  const fy = isLast ? Math.min(...fw) + frac - 1 : fracBitsFor(ctx.reluNext ? ctx.maxPos : ctx.maxAbs, activationBits);
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
  const accBits = Math.max(bigBitLength(bound) + 1, maxShift + 2);
  if (accBits > 240) throw new ZkaiError('BAD_INPUT', `layer '${layer.name}': accumulator needs ${accBits} bits`);
  const outBits = isLast ? accBits - Math.min(...shift) : activationBits;
  const base = { name: layer.name, inputs: layer.inputs, inShape: layer.inShape, outShape: layer.outShape };
  const q = { ...base, weight, bias, shift, accBits, inBits: bits, outBits, weightFracBits: fw, outFracBits: fy };
  return {
    q:
      layer.kind === 'dense'
        ? { kind: 'dense', ...q }
        : {
            kind: 'conv2d',
            ...q,
            kernel: layer.kernel,
            strides: layer.strides,
            pads: layer.pads,
            ...(layer.group !== undefined ? { group: layer.group } : {}),
            ...(layer.dilations !== undefined ? { dilations: layer.dilations } : {}),
          },
    frac: fy,
    bits: outBits,
  };
}

/**
 * The accumulators (bias + Σ w·x) of a dense or conv layer, before Requantize. When accBits <= 52 and every input
 * fits inBits, every partial sum is bounded by the proven |bias| + Σ|w|·2^(inBits-1) < 2^51, so float64 arithmetic
 * is exact: the same integers, an order of magnitude faster than BigInt (the integer executor runs on every proof and
 * on every calibration row of the compile-time agreement report).
 */
export function linearAccumulators(layer: QDense | QConv2d, x: readonly bigint[]): bigint[] {
  if (layer.accBits <= 52 && layer.inBits <= 30) {
    const lim = 2 ** (layer.inBits - 1);
    const xs = x.map(Number);
    if (xs.every((v) => v >= -lim && v < lim)) return numberAccumulators(layer, xs);
  }
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

/** linearAccumulators in float64 (exact under its precondition). */
function numberAccumulators(layer: QDense | QConv2d, x: readonly number[]): bigint[] {
  const w = layer.weight;
  const out: bigint[] = [];
  if (layer.kind === 'dense') {
    const K = x.length;
    for (let n = 0; n < layer.bias.length; n++) {
      let acc = Number(layer.bias[n]!);
      for (let k = 0; k < K; k++) acc += w[n * K + k]! * x[k]!;
      out.push(BigInt(acc));
    }
    return out;
  }
  const t = convTapTable(layer);
  const P = t.start.length - 1;
  for (let m = 0; m < layer.bias.length; m++) {
    const wOff = m * t.perW;
    const xOff = Math.floor(m / t.perGroup) * t.groupCells;
    const b = Number(layer.bias[m]!);
    for (let o = 0; o < P; o++) {
      let acc = b;
      for (let k = t.start[o]!; k < t.start[o + 1]!; k++) acc += w[wOff + t.w[k]!]! * x[xOff + t.x[k]!]!;
      out.push(BigInt(acc));
    }
  }
  return out;
}

/** Integer reference: Requantize(accBits, shift[channel], outBits) of each accumulator. */
export function intLinear(layer: QDense | QConv2d, inputs: bigint[][]): bigint[] {
  const acc = linearAccumulators(layer, inputs[0]!);
  return acc.map((a, i) => {
    const c = layer.kind === 'dense' ? i : Math.floor(i / (layer.outShape[1]! * layer.outShape[2]!));
    return requantize(a, layer.accBits, layer.shift[c]!, layer.outBits);
  });
}

/**
 * Index of the ReLU node that the dense/conv node at `li` can absorb (RequantizeRelu), or -1. The ReLU must be the
 * only reader of the node's output, through reshapes that are each the only reader of theirs (a second reader would
 * see post-ReLU values), and its range check must be implied by the Requantize output's: bits >= outBits (quantize
 * gives it exactly outBits). Then the fused gadget computes the same integers, and int-exec (Requantize, then ReLU)
 * stays the reference.
 */
export function fusedReluIndex(nodes: readonly QLayer[], consumers: readonly number[], li: number): number {
  const layer = nodes[li]!;
  if (layer.kind !== 'dense' && layer.kind !== 'conv2d') return -1;
  let t = li;
  for (;;) {
    if (consumers[t + 1] !== 1) return -1;
    const j = nodes.findIndex((n, k) => k > t && n.inputs.includes(t));
    const next = nodes[j];
    if (!next) return -1;
    if (next.kind === 'reshape') {
      t = j;
      continue;
    }
    return next.kind === 'relu' && next.bits >= layer.outBits ? j : -1;
  }
}

/** For one axis of a window walk: how many kernel taps of each output position fall inside the input (not padding). */
export function validTaps(inSize: number, outSize: number, kernel: number, stride: number, padBefore: number, dilation = 1): number[] {
  return Array.from({ length: outSize }, (_, o) => {
    let n = 0;
    for (let k = 0; k < kernel; k++) {
      const i = o * stride + k * dilation - padBefore;
      if (i >= 0 && i < inSize) n++;
    }
    return n;
  });
}

/**
 * Estimate before quantizing: accBits from the weights at their own per-channel scale (biases left out: they can
 * only widen it), the Requantize's range checks per output, and with private weights PackedDot's product per tap and
 * group of k channels.
 */
export function estimateLinear(layer: DenseLayer | Conv2dLayer, ctx: EstimateCtx): { constraints: number; bits: number } {
  const wMaxHalf = (1 << (ctx.weightBits - 1)) - 1;
  const bits = ctx.inBits[0]!;
  const nOut = shapeSize(layer.outShape);
  const outC = layer.weight.shape[0]!;
  const perW = layer.weight.data.length / outC;
  let maxSum = 0;
  for (let c = 0; c < outC; c++) {
    let m = 0;
    for (let k = 0; k < perW; k++) m = Math.max(m, Math.abs(layer.weight.data[c * perW + k]!));
    const scale = 2 ** fracBitsFor(m, ctx.weightBits);
    let sum = 0;
    for (let k = 0; k < perW; k++) sum += Math.min(wMaxHalf, Math.round(Math.abs(layer.weight.data[c * perW + k]!) * scale));
    maxSum = Math.max(maxSum, sum);
  }
  const accBits = Math.max(bitLength(maxSum * 2 ** (bits - 1)) + 1, 3);
  let cost = nOut * accBits;
  if (ctx.privateWeights) {
    // PackedDot: one product per tap, per output position and pack of up to k channels of one conv group.
    const G = layer.kind === 'conv2d' ? (layer.group ?? 1) : 1;
    const groups = G * Math.ceil(outC / G / Math.min(packedSlots(accBits), outC / G));
    let taps: number;
    if (layer.kind === 'dense') taps = perW;
    else {
      const [, H, W] = layer.inShape as [number, number, number];
      const [, oH, oW] = layer.outShape as [number, number, number];
      const [dH, dW] = layer.dilations ?? [1, 1];
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      taps =
        (layer.inShape[0]! / G) *
        sum(validTaps(H, oH, layer.kernel[0], layer.strides[0], layer.pads[0], dH)) *
        sum(validTaps(W, oW, layer.kernel[1], layer.strides[1], layer.pads[1], dW));
    }
    cost += taps * groups;
    ctx.addCommitted(groups * perW + groups);
  }
  return { constraints: cost, bits: ctx.activationBits };
}
