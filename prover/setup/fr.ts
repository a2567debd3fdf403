import { randomBytes } from 'node:crypto';
import { BN254_R, powMod } from '../../common/bn254.ts';

/** Order r of the bn128 (alt_bn128 / BN254) groups: the scalar field Fr. */
export const FR_ORDER = BN254_R;

export function frMod(a: bigint): bigint {
  const m = a % FR_ORDER;
  return m < 0n ? m + FR_ORDER : m;
}

export function frMul(a: bigint, b: bigint): bigint {
  return (a * b) % FR_ORDER;
}

export function frPow(base: bigint, exp: bigint): bigint {
  return powMod(base, exp, FR_ORDER);
}

export function frInv(a: bigint): bigint {
  if (frMod(a) === 0n) throw new RangeError('inverse of zero');
  return frPow(a, FR_ORDER - 2n);
}

/** Invert every element with one field inversion (Montgomery's trick). No element may be zero. */
export function frBatchInverse(values: bigint[]): bigint[] {
  const n = values.length;
  const prefix = new Array<bigint>(n);
  let acc = 1n;
  for (let i = 0; i < n; i++) {
    prefix[i] = acc;
    acc = (acc * values[i]!) % FR_ORDER;
  }
  let inv = frInv(acc);
  const out = new Array<bigint>(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = (inv * prefix[i]!) % FR_ORDER;
    inv = (inv * values[i]!) % FR_ORDER;
  }
  return out;
}

/** A uniformly random non-zero scalar from the OS CSPRNG (rejection sampling on 254 bits). */
export function randomScalar(): bigint {
  for (;;) {
    const bytes = randomBytes(32);
    bytes[0]! &= 0x3f; // read big-endian below: keep 254 bits (r > 2^253, so < 2 tries on average)
    const x = BigInt(`0x${bytes.toString('hex')}`);
    if (x !== 0n && x < FR_ORDER) return x;
  }
}

/** Write a canonical scalar as 32 little-endian bytes at `offset`. */
export function writeScalarLE(view: DataView, offset: number, x: bigint): void {
  view.setBigUint64(offset, BigInt.asUintN(64, x), true);
  view.setBigUint64(offset + 8, BigInt.asUintN(64, x >> 64n), true);
  view.setBigUint64(offset + 16, BigInt.asUintN(64, x >> 128n), true);
  view.setBigUint64(offset + 24, x >> 192n, true);
}
