/**
 * Conversions between the backend byte layouts (affine, Montgomery LE coordinates) and @noble/curves
 * points / snarkjs JSON. A warm prover finishes its proofs (adding α, β, δ terms) with noble: a handful of
 * additions and constant-time scalar multiplications, microseconds next to the MSMs once compiled. The byte-level
 * helpers without noble are in point-bytes.ts.
 */
import { bn254 } from '@noble/curves/bn254.js';
import { G1_BYTES } from '../../gpu/backend.ts';
import { fromMontgomery, isZeroBytes } from './point-bytes.ts';

export { bigIntToLe, leToBigInt } from './point-bytes.ts';

export type G1Point = InstanceType<typeof bn254.G1.Point>;
export type G2Point = InstanceType<typeof bn254.G2.Point>;

/** A G1 point from 64 bytes x‖y (Montgomery LE); all zeros is infinity. */
export function g1FromBytes(bytes: Uint8Array): G1Point {
  if (isZeroBytes(bytes.subarray(0, G1_BYTES))) return bn254.G1.Point.ZERO;
  const p = bn254.G1.Point.fromAffine({ x: fromMontgomery(bytes, 0), y: fromMontgomery(bytes, 32) });
  p.assertValidity();
  return p;
}

/** A G2 point from 128 bytes x.c0‖x.c1‖y.c0‖y.c1 (Montgomery LE); all zeros is infinity. */
export function g2FromBytes(bytes: Uint8Array): G2Point {
  if (isZeroBytes(bytes.subarray(0, 128))) return bn254.G2.Point.ZERO;
  const x = { c0: fromMontgomery(bytes, 0), c1: fromMontgomery(bytes, 32) };
  const y = { c0: fromMontgomery(bytes, 64), c1: fromMontgomery(bytes, 96) };
  const p = bn254.G2.Point.fromAffine({ x, y });
  p.assertValidity();
  return p;
}

/** snarkjs's JSON for a G1 point: projective with z = 1 (["0", "1", "0"] for infinity). */
export function g1ToJson(p: G1Point): string[] {
  if (p.is0()) return ['0', '1', '0'];
  const { x, y } = p.toAffine();
  return [x.toString(), y.toString(), '1'];
}

/** snarkjs's JSON for a G2 point: [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]. */
export function g2ToJson(p: G2Point): string[][] {
  if (p.is0())
    return [
      ['0', '0'],
      ['1', '0'],
      ['0', '0'],
    ];
  const { x, y } = p.toAffine();
  return [
    [x.c0.toString(), x.c1.toString()],
    [y.c0.toString(), y.c1.toString()],
    ['1', '0'],
  ];
}
