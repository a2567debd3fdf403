/**
 * The GPU's big-integer representation and its CPU-side constants.
 *
 * WGSL has no u64 and no high-half multiply, so a field element lives in the shader as 20 limbs of
 * 13 bits held in u32s (260 bits). A 13 × 13-bit product is < 2^26, so a Montgomery multiplication can
 * add up to 64 such products into one u32 before it would overflow; the CIOS loop adds at most 40 per
 * limb position, so it runs without any carry propagation until the very end (see wgsl/field.ts).
 * In memory (storage buffers) elements are packed into 8 u32 words (256 bits, little-endian), which
 * is our byte layout, so uploads and downloads need no CPU work.
 *
 * Montgomery form on the GPU uses R = 2^260 (20 × 13). Our byte layout (snarkjs) uses R = 2^256, so
 * elements are converted on the GPU by one Montgomery multiplication by 2^264 mod p
 * (x·2^256 · 2^264 / 2^260 = x·2^260), and back by one multiplication by 2^256 mod p.
 */
export const LIMB_BITS = 13;
export const LIMBS = 20;
export const LIMB_MASK = (1 << LIMB_BITS) - 1;
/** Montgomery radix exponent on the GPU: R = 2^260. */
export const R_BITS = LIMB_BITS * LIMBS;
/** 32-bit words per packed field element in storage. */
export const WORDS = 8;

import { BN254_Q, BN254_R, invMod, mod, powMod } from '../../common/bn254.ts';

export { BN254_Q, BN254_R, invMod, mod, powMod };

/** A bigint as LIMBS limbs of LIMB_BITS bits (for WGSL constants). */
export function toLimbs(value: bigint): number[] {
  const limbs: number[] = [];
  let v = value;
  for (let i = 0; i < LIMBS; i++) {
    limbs.push(Number(v & BigInt(LIMB_MASK)));
    v >>= BigInt(LIMB_BITS);
  }
  if (v !== 0n) throw new RangeError('value does not fit in 260 bits');
  return limbs;
}

/** Constants a field's WGSL module needs, all derived from the modulus. */
export interface FieldConstants {
  modulus: bigint;
  /** −p⁻¹ mod 2^13: the per-limb Montgomery factor. */
  nPrime: number;
  /** R mod p = Montgomery form of 1. */
  one: bigint;
  /** R² mod p: converts standard form to GPU Montgomery form. */
  r2: bigint;
  /** 2^264 mod p: converts snarkjs Montgomery (R = 2^256) to GPU Montgomery (R = 2^260). */
  fromSnarkjs: bigint;
  /** 2^256 mod p: converts GPU Montgomery form back to snarkjs Montgomery form. */
  toSnarkjs: bigint;
}

export function fieldConstants(modulus: bigint): FieldConstants {
  const base = 1n << BigInt(LIMB_BITS);
  const inv = invModSmall(modulus % base, base);
  return {
    modulus,
    nPrime: Number(mod(-inv, base)),
    one: mod(1n << BigInt(R_BITS), modulus),
    r2: mod(1n << BigInt(2 * R_BITS), modulus),
    fromSnarkjs: mod(1n << 264n, modulus),
    toSnarkjs: mod(1n << 256n, modulus),
  };
}

function invModSmall(a: bigint, m: bigint): bigint {
  for (let x = 1n; x < m; x++) if ((a * x) % m === 1n) return x;
  throw new RangeError('not invertible');
}

/** Reads a 32-byte little-endian integer. */
export function readLe(bytes: Uint8Array, offset = 0, length = 32): bigint {
  let v = 0n;
  for (let i = offset + length - 1; i >= offset; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** Writes a little-endian integer into `length` bytes. */
export function writeLe(out: Uint8Array, offset: number, value: bigint, length = 32): void {
  let v = value;
  for (let i = 0; i < length; i++) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Packed 8-word (little-endian u32) value → bigint. */
export function wordsToBigint(words: Uint32Array, offset: number): bigint {
  let v = 0n;
  for (let i = WORDS - 1; i >= 0; i--) v = (v << 32n) | BigInt(words[offset + i]);
  return v;
}

export function bigintToWords(value: bigint, out: Uint32Array, offset: number): void {
  let v = value;
  for (let i = 0; i < WORDS; i++) {
    out[offset + i] = Number(v & 0xffffffffn);
    v >>= 32n;
  }
}
