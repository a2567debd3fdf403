/**
 * Commitments of a quantized model's weights and of an input, exactly as the generated circuits compute
 * them with SignedPack and PoseidonChain (circuits/lib/layers.circom):
 * - pack: signed b-bit values, k = floor(248 / b) per field element, offset binary, least significant first;
 * - chain: h = n; for each chunk of up to 15 elements h = Poseidon([h, ...chunk]).
 * The weight commitment hashes, for every dense/conv layer in order, its packed weights and then its biases
 * (one field element each, v mod p; biases are wide integers, so they are not packed). Shifts and widths are
 * compile-time constants of the circuit, bound by its verification key rather than by this hash.
 */
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

/** The field elements the weight commitment hashes (see the module comment for the order). */
export function weightElements(qm: QuantizedModel): bigint[] {
  const out: bigint[] = [];
  for (const layer of linearLayers(qm)) {
    out.push(...packSigned(layer.weight.map(BigInt), qm.weightBits));
    out.push(...layer.bias.map(toField));
  }
  return out;
}

/** Poseidon commitment of the quantized weights and biases: the circuit's public `weightsHash` output. */
export async function weightCommitment(qm: QuantizedModel): Promise<bigint> {
  return poseidonChain(weightElements(qm), await getPoseidon());
}

/** Poseidon hash of an integer input (packed at inputBits): the circuit's public `inputHash` output. */
export async function inputHash(qm: QuantizedModel, input: readonly bigint[]): Promise<bigint> {
  return poseidonChain(packSigned(input, qm.inputBits), await getPoseidon());
}
