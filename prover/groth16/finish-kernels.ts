/**
 * A one-shot proof's finish on the kernels (prover/groth16/prove.ts): the three points of the proof as three small
 * MSMs over the key's constant points and the five MSM results, in one round, all concurrent:
 *   πA = α₁ + A + r·δ₁
 *   πB = β₂ + B₂ + s·δ₂
 *   πC = C + H + s·πA + r·(β₁ + B₁) = C + H + s·α₁ + s·A + (r·s)·δ₁ + r·β₁ + r·B₁
 * A fresh `zkai prove` process would otherwise load @noble/curves (~40 ms) and run its point arithmetic before the
 * JIT has compiled it (~80 ms at the membership circuit: a quarter of the process). The engines' MSMs are not
 * constant-time in their scalars, as neither snarkjs's nor rapidsnark's multiplications by r and s are; a warm
 * prover, which serves many proofs in one process, keeps noble's constant-time ones (finish-noble.ts).
 */
import { BN254_R } from '../../common/bn254.ts';
import { ZkaiError } from '../../common/errors.ts';
import { FR_BYTES } from '../../gpu/backend.ts';
import { bigIntToLe, G1_POINT_BYTES, G2_POINT_BYTES, g1BytesToJson, g2BytesToJson, isG1Bytes, isG2OnCurveBytes } from './point-bytes.ts';
import type { Groth16Kernels, Groth16Proof, MsmParts } from './prove.ts';
import type { ParsedZkey } from './zkey.ts';

/** Points side by side in one buffer, as an MSM's bases. */
function concat(points: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(points.length * size);
  for (const [i, p] of points.entries()) out.set(p.subarray(0, size), i * size);
  return out;
}

function scalars(values: bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * FR_BYTES);
  for (const [i, v] of values.entries()) bigIntToLe(v, out, i * FR_BYTES);
  return out;
}

/**
 * The key's constant points must lie on their curves (G2's subgroup membership is not checked: that would be a
 * scalar multiplication in BigInt; the verification key, which the verifier holds, has the same β₂ and δ₂).
 */
function checkKeyPoints(zkey: ParsedZkey): void {
  for (const [name, p] of [
    ['α₁', zkey.alpha1],
    ['β₁', zkey.beta1],
    ['δ₁', zkey.delta1],
  ] as const) {
    if (!isG1Bytes(p)) throw new ZkaiError('BAD_INPUT', `the proving key's ${name} is not a point of G1`);
  }
  for (const [name, p] of [
    ['β₂', zkey.beta2],
    ['δ₂', zkey.delta2],
  ] as const) {
    if (!isG2OnCurveBytes(p)) throw new ZkaiError('BAD_INPUT', `the proving key's ${name} is not a point of G2's curve`);
  }
}

export async function finishWithKernels(
  zkey: ParsedZkey,
  kernels: Groth16Kernels,
  parts: MsmParts,
  r: bigint,
  s: bigint,
): Promise<Groth16Proof> {
  checkKeyPoints(zkey);
  const G1 = G1_POINT_BYTES;
  const [piA, piB, piC] = await Promise.all([
    kernels.g1.msmG1(concat([zkey.alpha1, parts.a, zkey.delta1], G1), scalars([1n, 1n, r])),
    kernels.g2.msmG2(concat([zkey.beta2, parts.b2, zkey.delta2], G2_POINT_BYTES), scalars([1n, 1n, s])),
    kernels.g1.msmG1(
      concat([parts.c, parts.h, zkey.alpha1, parts.a, zkey.delta1, zkey.beta1, parts.b1], G1),
      scalars([1n, 1n, s, s, (r * s) % BN254_R, r, r]),
    ),
  ]);
  return { pi_a: g1BytesToJson(piA), pi_b: g2BytesToJson(piB), pi_c: g1BytesToJson(piC), protocol: 'groth16', curve: 'bn128' };
}
