/**
 * Curve points as the engines and zkeys hold them (affine, Montgomery little-endian coordinates, all zeros for
 * infinity) read and written with plain BigInt arithmetic: their snarkjs JSON and an on-curve check. No
 * @noble/curves here on purpose: importing it costs a fresh process ~40 ms and its first point operations run
 * before the JIT has compiled them, which a one-shot `zkai prove` would pay for a handful of points
 * (prover/groth16/prove.ts; the noble conversions live in points.ts).
 */
import { BN254_Q, mod, powMod } from '../../common/bn254.ts';

const FIELD_BYTES = 32;
export const G1_POINT_BYTES = 2 * FIELD_BYTES;
export const G2_POINT_BYTES = 4 * FIELD_BYTES;

/** R⁻¹ mod q for R = 2²⁵⁶: Montgomery form x·R → x. */
const R_INV_Q = powMod((1n << 256n) % BN254_Q, BN254_Q - 2n, BN254_Q);

/** G1: y² = x³ + 3. G2 (the twist over Fq2 = Fq[u]/(u² + 1)): y² = x³ + 3/(9 + u). */
const B1 = 3n;
const B2 = {
  c0: 19485874751759354771024239261021720505790618469301721065564631296452457478373n,
  c1: 266929791119991161246907387137283842545076965332900288569378510910307636690n,
};

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
const q = BN254_Q;
const mul2 = (a: Fq2, b: Fq2): Fq2 => ({ c0: mod(a.c0 * b.c0 - a.c1 * b.c1, q), c1: mod(a.c0 * b.c1 + a.c1 * b.c0, q) });
const eq2 = (a: Fq2, b: Fq2) => a.c0 === b.c0 && a.c1 === b.c1;

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

/**
 * Whether 64 bytes are infinity or a point of y² = x³ + 3 (G1 is the whole curve: its cofactor is 1). Coordinates
 * whose Montgomery form is not below q reduce to some field element; the engines reduce them the same way.
 */
export function isG1Bytes(bytes: Uint8Array, offset = 0): boolean {
  const p = g1Coords(bytes, offset);
  return p === null || mod(p.y * p.y - p.x * p.x * p.x - B1, q) === 0n;
}

/**
 * Whether 128 bytes are infinity or a point of the twist y² = x³ + b′. Membership of the order-r subgroup is not
 * checked here (it is a scalar multiplication); noble's assertValidity in points.ts checks both.
 */
export function isG2OnCurveBytes(bytes: Uint8Array, offset = 0): boolean {
  const p = g2Coords(bytes, offset);
  if (p === null) return true;
  const x3 = mul2(mul2(p.x, p.x), p.x);
  const rhs = { c0: mod(x3.c0 + B2.c0, q), c1: mod(x3.c1 + B2.c1, q) };
  return eq2(mul2(p.y, p.y), rhs);
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
