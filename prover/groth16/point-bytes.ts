/**
 * Curve points as the engines and zkeys hold them (affine, Montgomery little-endian coordinates, all zeros for
 * infinity) read with plain BigInt arithmetic into their snarkjs JSON. No @noble/curves here on purpose: importing it
 * costs a fresh process ~40 ms and its first point operations run before the JIT has compiled them, which a one-shot
 * `zkai prove` would pay for three points (prover/groth16/finish-native.ts; the noble conversions live in points.ts).
 */
import { BN254_Q, powMod } from '../../common/bn254.ts';

const FIELD_BYTES = 32;
export const G1_POINT_BYTES = 2 * FIELD_BYTES;
export const G2_POINT_BYTES = 4 * FIELD_BYTES;

/** R⁻¹ mod q for R = 2²⁵⁶: Montgomery form x·R → x. */
const R_INV_Q = powMod((1n << 256n) % BN254_Q, BN254_Q - 2n, BN254_Q);

export function leToBigInt(bytes: Uint8Array, offset = 0, length = FIELD_BYTES): bigint {
  let v = 0n;
  for (let i = offset + length - 1; i >= offset; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

export function bigIntToLe(v: bigint, out: Uint8Array = new Uint8Array(FIELD_BYTES), offset = 0): Uint8Array {
  let x = v;
  for (let i = 0; i < FIELD_BYTES; i++) {
    out[offset + i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export function fromMontgomery(bytes: Uint8Array, offset: number): bigint {
  return (leToBigInt(bytes, offset) * R_INV_Q) % BN254_Q;
}

export function isZeroBytes(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

type Fq2 = { c0: bigint; c1: bigint };

/** Affine coordinates of a G1 point's 64 bytes (null for infinity), each below q. */
function g1Coords(bytes: Uint8Array, offset = 0): { x: bigint; y: bigint } | null {
  if (isZeroBytes(bytes.subarray(offset, offset + G1_POINT_BYTES))) return null;
  return { x: fromMontgomery(bytes, offset), y: fromMontgomery(bytes, offset + 32) };
}

function g2Coords(bytes: Uint8Array, offset = 0): { x: Fq2; y: Fq2 } | null {
  if (isZeroBytes(bytes.subarray(offset, offset + G2_POINT_BYTES))) return null;
  return {
    x: { c0: fromMontgomery(bytes, offset), c1: fromMontgomery(bytes, offset + 32) },
    y: { c0: fromMontgomery(bytes, offset + 64), c1: fromMontgomery(bytes, offset + 96) },
  };
}

/** snarkjs's JSON for a G1 point: projective with z = 1 (["0", "1", "0"] for infinity). */
export function g1BytesToJson(bytes: Uint8Array, offset = 0): string[] {
  const p = g1Coords(bytes, offset);
  return p === null ? ['0', '1', '0'] : [p.x.toString(), p.y.toString(), '1'];
}

/** snarkjs's JSON for a G2 point: [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]. */
export function g2BytesToJson(bytes: Uint8Array, offset = 0): string[][] {
  const p = g2Coords(bytes, offset);
  if (p === null)
    return [
      ['0', '0'],
      ['1', '0'],
      ['0', '0'],
    ];
  return [
    [p.x.c0.toString(), p.x.c1.toString()],
    [p.y.c0.toString(), p.y.c1.toString()],
    ['1', '0'],
  ];
}
