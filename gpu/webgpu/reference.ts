/**
 * Small, dependency-light CPU references for the self-check: MSM with @noble/curves and a naive O(n²)
 * DFT in BigInt. Independent of every backend under test (no ffjavascript threads, no native addon),
 * and fast enough at self-check sizes (tens of points, a few dozen NTT elements).
 */
import { randomBytes } from 'node:crypto';
import { bn254 } from '@noble/curves/bn254.js';
import { BN254_Q, BN254_R, invMod, mod, powMod, readLe, writeLe } from './limbs.ts';
import { pointToSnarkjsG1 } from './msm.ts';
import { rootOfUnity } from './ntt.ts';

const G1 = bn254.G1.Point;
const R256_INV = invMod(1n << 256n, BN254_Q);

export function randomFr(): bigint {
  return readLe(randomBytes(32)) % BN254_R;
}

/** n random G1 points in snarkjs layout; `infinityEvery` > 0 makes every k-th point the identity. */
export function randomG1Bases(n: number, infinityEvery = 0): Uint8Array {
  const out = new Uint8Array(n * 64);
  let p = G1.BASE.multiply(randomFr() || 1n);
  for (let i = 0; i < n; i++) {
    if (!(infinityEvery > 0 && i % infinityEvery === infinityEvery - 1)) out.set(pointToSnarkjsG1(p), i * 64);
    p = p.add(G1.BASE);
  }
  return out;
}

export function frVector(values: bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 32);
  for (const [i, v] of values.entries()) writeLe(out, i * 32, v);
  return out;
}

export function readFrVector(bytes: Uint8Array): bigint[] {
  return Array.from({ length: bytes.byteLength / 32 }, (_, i) => readLe(bytes, i * 32));
}

export function g1FromSnarkjs(bytes: Uint8Array, offset = 0) {
  const x = readLe(bytes, offset);
  const y = readLe(bytes, offset + 32);
  if (x === 0n && y === 0n) return G1.ZERO;
  return G1.fromAffine({ x: (x * R256_INV) % BN254_Q, y: (y * R256_INV) % BN254_Q });
}

/** Σ scalars[i]·bases[i] with noble (slow: for small n only). */
export function referenceMsmG1(bases: Uint8Array, scalars: Uint8Array): Uint8Array {
  let acc = G1.ZERO;
  for (let i = 0; i < scalars.byteLength / 32; i++) {
    const k = readLe(scalars, i * 32) % BN254_R;
    if (k !== 0n) acc = acc.add(g1FromSnarkjs(bases, i * 64).multiply(k));
  }
  return pointToSnarkjsG1(acc);
}

/** Naive DFT with backend.ts semantics (forward/inverse, on H or on the coset ω₂ₙ·H). */
export function referenceNtt(values: bigint[], inverse = false, coset = false): bigint[] {
  const n = values.length;
  const k = Math.log2(n);
  const omega = rootOfUnity(k);
  const shift = rootOfUnity(k + 1);
  const r = BN254_R;
  if (!inverse) {
    const coeffs = coset ? values.map((v, i) => (v * powMod(shift, BigInt(i), r)) % r) : values;
    return coeffs.map((_, j) => {
      let s = 0n;
      const wj = powMod(omega, BigInt(j), r);
      let w = 1n;
      for (const c of coeffs) {
        s += c * w;
        w = (w * wj) % r;
      }
      return mod(s, r);
    });
  }
  const omegaInv = invMod(omega, r);
  const nInv = invMod(BigInt(n), r);
  const coeffs = values.map((_, j) => {
    let s = 0n;
    const wj = powMod(omegaInv, BigInt(j), r);
    let w = 1n;
    for (const v of values) {
      s += v * w;
      w = (w * wj) % r;
    }
    return (mod(s, r) * nInv) % r;
  });
  if (!coset) return coeffs;
  const shiftInv = invMod(shift, r);
  return coeffs.map((c, i) => (c * powMod(shiftInv, BigInt(i), r)) % r);
}
