/**
 * The constraint cost model of the model circuits: the gadget formulas codegen.ts adds up per layer (documented in
 * docs/model.md, checked against circom's count at every compile), and `estimateConstraints`, the same formulas
 * applied to the imported float graph before anything costly runs. A 1 KB ONNX file can describe tens of millions of
 * constraints (a small kernel over a large activation); quantizing it runs the float model on every calibration row,
 * and compiling it would take circom hours and gigabytes, so the estimate is checked against the limit first.
 */
import type { CodegenOptions } from './codegen.ts';
import { packedSlots, packPerElement } from './commit.ts';
import type { ModelIR } from './ir.ts';
import { shapeSize } from './ir.ts';
import { fracBitsFor } from './quantize.ts';

export const bitLength = (v: number): number => (v <= 0 ? 0 : Math.floor(Math.log2(v)) + 1);

/** Requantize(accBits, shift, outBits): accBits, plus 8 for the clamp when the quotient can exceed outBits. */
export function requantizeCost(accBits: number, shift: number, outBits: number): number {
  return accBits + (accBits - shift > outBits ? 8 : 0);
}

/**
 * RequantizeRelu(accBits, shift, outBits) costs accBits + clamp. Accounting: the accBits (floor division and its
 * range checks) go to the dense/conv row like an unsaturated Requantize, the clamp to [0, 2^(outBits-1) - 1] to
 * the ReLU's row: 3 per neuron when the quotient can exceed it (IsZero + selection), else 1 (out = sign·y).
 */
export function fusedReluCost(accBits: number, shift: number, outBits: number): number {
  return accBits - shift > outBits ? 3 : 1;
}

// circomlib Poseidon(n): t = n + 1 state words, 8 full rounds (t S-boxes each) and P[t - 2] partial rounds (one
// S-box each), 3 constraints per x^5 S-box, minus the first round's S-box on the constant initial state word,
// which --O2 folds. In a chain the first call's h = n is a constant too: one more S-box folded.
const POSEIDON_PARTIAL_ROUNDS = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];
function poseidonCost(nInputs: number): number {
  const t = nInputs + 1;
  return 3 * (8 * t + POSEIDON_PARTIAL_ROUNDS[t - 2]! - 1);
}
/** Constraints of PoseidonChain(n): one Poseidon(1 + chunk) per chunk of up to 15 elements. */
export function poseidonChainCost(n: number): number {
  let cost = -3;
  for (let c = 0; c < n; c += 15) cost += poseidonCost(1 + Math.min(15, n - c));
  return cost;
}

/**
 * Constraints of PoseidonSponge(n): 612 per width-17 permutation, minus the first round's S-boxes on constant
 * words, which --O2 folds: the initial capacity n and, when everything fits one block, the zero padding.
 */
export function poseidonSpongeCost(n: number): number {
  const blocks = Math.ceil(n / 16);
  const perPermutation = 3 * (8 * 17 + POSEIDON_PARTIAL_ROUNDS[15]!);
  return blocks * perPermutation - 3 * (1 + (blocks === 1 ? 16 - n : 0));
}

/** For one axis of a window walk: how many kernel taps of each output position fall inside the input (not padding). */
function validTaps(inSize: number, outSize: number, kernel: number, stride: number, padBefore: number): number[] {
  return Array.from({ length: outSize }, (_, o) => {
    let n = 0;
    for (let k = 0; k < kernel; k++) {
      const i = o * stride + k - padBefore;
      if (i >= 0 && i < inSize) n++;
    }
    return n;
  });
}

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
  const wMaxHalf = (1 << ((opts.weightBits ?? 8) - 1)) - 1;
  const privateWeights = opts.weights !== 'public-constants';
  const perLayer: ConstraintEstimate['perLayer'] = [];
  const nIn = shapeSize(ir.inputShape);
  perLayer.push({
    layer: 'input',
    constraints: nIn * A + (opts.input === 'private-hashed' ? poseidonChainCost(Math.ceil(nIn / packPerElement(A))) : 0),
  });
  let committed = 0;
  let bits = A;
  ir.layers.forEach((layer, li) => {
    let cost = 0;
    const nOut = shapeSize(layer.outShape);
    switch (layer.kind) {
      case 'dense':
      case 'conv2d': {
        const outC = layer.weight.shape[0]!;
        const perW = layer.weight.data.length / outC;
        let maxSum = 0;
        for (let c = 0; c < outC; c++) {
          let m = 0;
          for (let k = 0; k < perW; k++) m = Math.max(m, Math.abs(layer.weight.data[c * perW + k]!));
          const scale = 2 ** fracBitsFor(m, opts.weightBits ?? 8);
          let sum = 0;
          for (let k = 0; k < perW; k++) sum += Math.min(wMaxHalf, Math.round(Math.abs(layer.weight.data[c * perW + k]!) * scale));
          maxSum = Math.max(maxSum, sum);
        }
        const accBits = Math.max(bitLength(maxSum * 2 ** (bits - 1)) + 1, 3);
        cost += nOut * accBits;
        if (privateWeights) {
          // PackedDot: one product per tap, per output position and group of k channels.
          const groups = Math.ceil(outC / Math.min(packedSlots(accBits), outC));
          let taps: number;
          if (layer.kind === 'dense') taps = perW;
          else {
            const [C, H, W] = layer.inShape as [number, number, number];
            const [, oH, oW] = layer.outShape as [number, number, number];
            const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
            taps =
              C *
              sum(validTaps(H, oH, layer.kernel[0], layer.strides[0], layer.pads[0])) *
              sum(validTaps(W, oW, layer.kernel[1], layer.strides[1], layer.pads[1]));
          }
          cost += taps * groups;
          committed += groups * perW + groups;
        }
        bits = A;
        break;
      }
      case 'relu': {
        let j = li - 1;
        while (j >= 0 && ir.layers[j]!.kind === 'reshape') j--;
        const fused = j >= 0 && (ir.layers[j]!.kind === 'dense' || ir.layers[j]!.kind === 'conv2d');
        cost = fused ? nOut : nOut * (bits + 1);
        break;
      }
      case 'maxpool2d':
      case 'avgpool2d': {
        const [C, H, W] = layer.inShape as [number, number, number];
        const [, oH, oW] = layer.outShape as [number, number, number];
        const rows = validTaps(H, oH, layer.kernel[0], layer.strides[0], layer.pads[0]);
        const cols = validTaps(W, oW, layer.kernel[1], layer.strides[1], layer.pads[1]);
        for (const r of rows) {
          for (const c of cols) {
            const cells = r * c;
            if (layer.kind === 'maxpool2d') cost += cells > 1 ? cells * bits + cells - 1 : 0;
            else {
              const divisor = layer.countIncludePad ? layer.kernel[0] * layer.kernel[1] : cells;
              cost += divisor === 1 ? 0 : bits + 2 * bitLength(divisor - 1);
            }
          }
        }
        cost *= C;
        break;
      }
      default:
        // reshape: a renaming; channel-affine and add-const fold into the preceding dense/conv layer.
        break;
    }
    perLayer.push({ layer: String(li), constraints: cost });
  });
  const nOut = shapeSize(ir.outputShape);
  perLayer.push({ layer: 'output', constraints: nOut * (A + 2) });
  if (opts.weights === 'private-committed') perLayer.push({ layer: 'weights', constraints: poseidonSpongeCost(committed) });
  return { total: perLayer.reduce((a, l) => a + l.constraints, 0), perLayer };
}
