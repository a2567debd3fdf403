/**
 * Commitments of a quantized model's weights and of an input, exactly as the generated circuits compute them
 * (circuits/lib/layers.circom):
 * - weights (PoseidonSponge over packedLayer's elements): for every dense/conv layer in order, its "packed dot
 *   product" elements — output channels in groups of k = floor(252 / accBits); for each group g and each weight
 *   position j of a channel, P[g][j] = Σ_m w[g·k + m][j] · 2^(accBits·m) mod p — then one packed bias element per
 *   group, Σ_m bias[g·k + m] · 2^(accBits·m) mod p. The circuit multiplies each P by an activation (PackedDot) and
 *   the Requantize range checks make the slot decomposition unique, so hashing P binds the layer's function
 *   without range-checking any weight (docs/model.md).
 * - input (PoseidonChain over packSigned): signed b-bit values, k = floor(248 / b) per field element, offset
 *   binary, least significant first; chain: h = n; for each chunk of up to 15 elements h = Poseidon([h, ...chunk]).
 * Shifts and widths are compile-time constants of the circuit, bound by its verification key rather than by this
 * hash.
 */
import { buildPoseidon } from 'circomlibjs';
import { getPoseidon, type PoseidonHasher } from '../dataset/poseidon.ts';
import { assertSigned, toField } from './int-reference.ts';
import type { QConv2d, QDense, QuantizedModel } from './quantize.ts';

/** How many signed b-bit values one packed field element holds. */
export function packPerElement(b: number): number {
  return Math.floor(248 / b);
}

/** SignedPack(n, b): the field elements the circuit packs `values` into (throws BAD_INPUT for out-of-range values). */
export function packSigned(values: readonly bigint[], b: number): bigint[] {
  const k = packPerElement(b);
  const out: bigint[] = [];
  values.forEach((v, i) => {
    assertSigned(v, b, `packed value ${i}`);
    const j = Math.floor(i / k);
    if (out.length <= j) out.push(0n);
    out[j]! += (v + (1n << BigInt(b - 1))) << BigInt(b * (i % k));
  });
  return out;
}

/** PoseidonChain(n): h = n, then h = Poseidon([h, ...chunk]) over chunks of up to 15 elements. */
export function poseidonChain(elements: readonly bigint[], poseidon: PoseidonHasher): bigint {
  let h = BigInt(elements.length);
  for (let c = 0; c < elements.length; c += 15) h = poseidon.hash([h, ...elements.slice(c, c + 15)]);
  return h;
}

/** The dense/conv layers of a model, in order: the ones whose weights are committed. */
export function linearLayers(qm: QuantizedModel): (QDense | QConv2d)[] {
  return qm.layers.filter((l): l is QDense | QConv2d => l.kind === 'dense' || l.kind === 'conv2d');
}

/** How many accumulators of signed `accBits` bits one packed field element holds (PackedDot's k·b <= 252). */
export function packedSlots(accBits: number): number {
  return Math.floor(252 / accBits);
}

/** A dense/conv layer's weights and biases as PackedDot consumes them (see the module comment). */
export interface PackedLinear {
  /** Slots per element (output channels per group) and the slot width (the layer's accBits). */
  k: number;
  slotBits: number;
  /** Output channels and groups (packs; the last pack of each conv group may hold fewer than k channels). */
  channels: number;
  groups: number;
  /**
   * Grouped conv: its G conv groups of channels/G channels each, packed separately (only channels of one conv group
   * read the same input cells), packsPerGroup packs each; pack q holds channels floor(q / packsPerGroup)·channels/G +
   * (q mod packsPerGroup)·k + m. Dense and ungrouped conv: G = 1, and the packing is the plain one above.
   */
  convGroups: number;
  packsPerGroup: number;
  /** Weights per output channel: K for dense [N, K], C/G·kH·kW for conv [M, C/G, kH, kW]. */
  perChannel: number;
  /** P[g·perChannel + j] as field elements. */
  weights: bigint[];
  /** Packed biases, one per group, as field elements. */
  bias: bigint[];
}

/** Packs a layer for PackedDot (the circuit's private inputs p<i>, bp<i> and the committed elements). */
export function packLinear(layer: QDense | QConv2d): PackedLinear {
  const channels = layer.bias.length;
  const perChannel = layer.weight.length / channels;
  const convGroups = layer.kind === 'conv2d' ? (layer.group ?? 1) : 1;
  const perGroup = channels / convGroups;
  const k = Math.min(packedSlots(layer.accBits), perGroup);
  const packsPerGroup = Math.ceil(perGroup / k);
  const groups = convGroups * packsPerGroup;
  const pack = (value: (m: number) => bigint, g: number): bigint => {
    const first = Math.floor(g / packsPerGroup) * perGroup;
    const j = (g % packsPerGroup) * k;
    let acc = 0n;
    for (let m = 0; m < k && j + m < perGroup; m++) acc += value(first + j + m) << BigInt(layer.accBits * m);
    return toField(acc);
  };
  const weights: bigint[] = [];
  for (let g = 0; g < groups; g++) {
    for (let j = 0; j < perChannel; j++) weights.push(pack((c) => BigInt(layer.weight[c * perChannel + j]!), g));
  }
  const bias = Array.from({ length: groups }, (_, g) => pack((c) => layer.bias[c]!, g));
  return { k, slotBits: layer.accBits, channels, groups, convGroups, packsPerGroup, perChannel, weights, bias };
}

/** The field elements the weight commitment hashes (see the module comment for the order). */
export function weightElements(qm: QuantizedModel): bigint[] {
  const out: bigint[] = [];
  for (const layer of linearLayers(qm)) {
    const packed = packLinear(layer);
    // No spread: a wide layer has more elements than a call may take arguments.
    for (const w of packed.weights) out.push(w);
    for (const b of packed.bias) out.push(b);
  }
  return out;
}

type PoseidonPermutation = ((inputs: bigint[], initState: bigint, nOut: number) => unknown[]) & { F: { toObject(x: unknown): bigint } };
let permutation: Promise<PoseidonPermutation> | undefined;

/**
 * PoseidonSponge(n) (layers.circom): state = [n, 0 × 16]; per block of 16 elements (last one zero-padded)
 * state[1 + j] += block[j] and state = circomlib's width-17 Poseidon permutation; the result is state[0].
 */
export async function poseidonSponge(elements: readonly bigint[]): Promise<bigint> {
  permutation ??= buildPoseidon() as Promise<PoseidonPermutation>;
  const perm = await permutation;
  let state = [BigInt(elements.length), ...Array<bigint>(16).fill(0n)];
  for (let c = 0; c < elements.length; c += 16) {
    const rate = state.slice(1).map((v, j) => toField(v + (elements[c + j] ?? 0n)));
    state = perm(rate, state[0]!, 17).map((x) => perm.F.toObject(x));
  }
  return state[0]!;
}

/** Poseidon commitment of the quantized weights and biases: the circuit's public `weightsHash` output. */
export async function weightCommitment(qm: QuantizedModel): Promise<bigint> {
  return poseidonSponge(weightElements(qm));
}

/** Poseidon hash of an integer input (packed at inputBits): the circuit's public `inputHash` output. */
export async function inputHash(qm: QuantizedModel, input: readonly bigint[]): Promise<bigint> {
  return poseidonChain(packSigned(input, qm.inputBits), await getPoseidon());
}
