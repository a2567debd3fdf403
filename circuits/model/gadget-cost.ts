/**
 * Constraint counts of the circuits/lib gadgets (formulas documented in quant.circom and layers.circom), shared by
 * the ops' emitters (what they add up) and estimates (what they predict before quantizing). Kept free of imports so
 * that every op file can use it without import cycles.
 */

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

/** ReLU(b): the sign bit and b-bit range check of SignedRange, plus the selection. */
export function reluCost(bits: number): number {
  return bits + 1;
}

/** Max(n, b): n range checks of b bits and n - 1 comparisons folded into selections. */
export function maxCost(n: number, bits: number): number {
  return n * bits + n - 1;
}

/** DivByConst(b, k): the quotient's b-bit range check and the remainder's two (r >= 0, r < k). */
export function divByConstCost(bits: number, divisor: number): number {
  return bits + 2 * bitLength(divisor - 1);
}

/** ArgMax(n, b) over the logits. */
export function argMaxCost(n: number, bits: number): number {
  return n * (bits + 2);
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

/** Saturate(bIn, bOut): the input's bIn-bit offset decomposition, plus 8 for the clamp when bIn > bOut. */
export function saturateCost(bIn: number, bOut: number): number {
  return bIn + (bIn > bOut ? 8 : 0);
}
