import { pippenger } from '@noble/curves/abstract/curve.js';
import { bn254 } from '@noble/curves/bn254.js';
import { BN254_Q, BN254_R } from '../common/bn254.ts';
import { ZkaiError } from '../common/errors.ts';

/**
 * An independent Groth16 verifier on BN254, written against @noble/curves (pure JS, audited), so that a
 * bug in snarkjs/ffjavascript (WASM) and a bug here are unlikely to coincide. Inputs are snarkjs JSON.
 *
 * Groth16 accepts iff e(A,B) = e(α,β)·e(L,γ)·e(C,δ) with L = IC₀ + Σ pubᵢ·ICᵢ. We check the equivalent
 * e(−A,B)·e(α,β)·e(L,γ)·e(C,δ) = 1 as one multi-pairing: four Miller loops, one final exponentiation.
 */

/** BN254 base field modulus p (coordinates live below it). */
/** BN254 scalar field order r (public signals live below it). */

export type G1Point = InstanceType<typeof bn254.G1.Point>;
export type G2Point = InstanceType<typeof bn254.G2.Point>;

const { Fp2, Fp12 } = bn254.fields;

/** Canonical decimal: no sign, no leading zeros, at most 78 digits (every value below 2^256), checked before BigInt. */
const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

function bad(message: string): never {
  throw new ZkaiError('BAD_BUNDLE', message);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decimal(v: unknown, where: string): bigint {
  if (typeof v !== 'string' || !DECIMAL.test(v)) bad(`${where}: expected a decimal string, got ${JSON.stringify(v)?.slice(0, 80)}`);
  return BigInt(v);
}

/** A base-field element: canonical, so that one point has one JSON encoding (snarkjs would silently reduce mod p). */
function fpElement(v: unknown, where: string): bigint {
  const x = decimal(v, where);
  if (x >= BN254_Q) bad(`${where}: coordinate is not below the BN254 base field modulus p`);
  return x;
}

function array(v: unknown, length: number, where: string): unknown[] {
  if (!Array.isArray(v) || v.length !== length)
    bad(`${where}: expected an array of ${length}, got ${Array.isArray(v) ? `length ${v.length}` : typeof v}`);
  return v;
}

/**
 * A G1 point from snarkjs's projective JSON [x, y, "1"] (or ["0", "1", "0"] for the point at infinity).
 * G1 has cofactor 1, so being on the curve is being in the group.
 */
export function g1(v: unknown, where: string): G1Point {
  const [xs, ys, zs] = array(v, 3, where);
  const x = fpElement(xs, `${where}[0]`);
  const y = fpElement(ys, `${where}[1]`);
  const z = fpElement(zs, `${where}[2]`);
  if (z === 0n) {
    if (x === 0n && y === 1n) return bn254.G1.Point.ZERO;
    bad(`${where}: point at infinity must be encoded as ["0", "1", "0"]`);
  }
  if (z !== 1n) bad(`${where}: expected an affine point (third coordinate "1")`);
  if (x === 0n && y === 0n) bad(`${where}: (0, 0) is not a curve point`);
  const p = bn254.G1.Point.fromAffine({ x, y });
  try {
    p.assertValidity();
  } catch {
    bad(`${where}: not a point on the BN254 curve`);
  }
  return p;
}

/**
 * An Fp2 element from snarkjs's [c0, c1] (value c0 + c1·u; ffjavascript's F2.toObject order, which is also
 * noble's {c0, c1}). The Solidity verifier is the one that swaps them, for EIP-197; the JSON does not.
 */
function fp2(v: unknown, where: string): { c0: bigint; c1: bigint } {
  const [a, b] = array(v, 2, where);
  return Fp2.fromBigTuple([fpElement(a, `${where}[0]`), fpElement(b, `${where}[1]`)]);
}

/** A G2 point from [[x0,x1],[y0,y1],["1","0"]]: on the twist AND in the order-r subgroup (G2 has a large cofactor). */
export function g2(v: unknown, where: string): G2Point {
  const [xs, ys, zs] = array(v, 3, where);
  const x = fp2(xs, `${where}[0]`);
  const y = fp2(ys, `${where}[1]`);
  const z = fp2(zs, `${where}[2]`);
  if (Fp2.is0(z)) {
    if (Fp2.is0(x) && Fp2.eql(y, Fp2.ONE)) return bn254.G2.Point.ZERO;
    bad(`${where}: point at infinity must be encoded as [["0","0"],["1","0"],["0","0"]]`);
  }
  if (!Fp2.eql(z, Fp2.ONE)) bad(`${where}: expected an affine point (third coordinate ["1", "0"])`);
  if (Fp2.is0(x) && Fp2.is0(y)) bad(`${where}: (0, 0) is not a curve point`);
  const p = bn254.G2.Point.fromAffine({ x, y });
  try {
    p.assertValidity();
  } catch (err) {
    const subgroup = err instanceof Error && /subgroup/.test(err.message);
    bad(`${where}: ${subgroup ? 'not in the prime-order subgroup of G2' : 'not a point on the BN254 G2 twist'}`);
  }
  return p;
}

/** Accepts the names snarkjs accepts for this curve (it normalises case and punctuation). */
function isBn254Name(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const n = v.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return n === 'BN128' || n === 'BN254' || n === 'ALTBN128';
}

export interface ParsedGroth16 {
  alpha: G1Point;
  beta: G2Point;
  gamma: G2Point;
  delta: G2Point;
  ic: G1Point[];
  a: G1Point;
  b: G2Point;
  c: G1Point;
  signals: bigint[];
}

/**
 * Validates snarkjs-format Groth16 inputs and decodes them to noble points. Throws ZkaiError('BAD_BUNDLE')
 * naming the first bad field: wrong shapes or counts, non-canonical decimals, coordinates ≥ p, signals ≥ r,
 * points off the curve, G2 points outside the prime-order subgroup. Exported so callers can validate
 * before doing anything expensive (e.g. spinning up snarkjs).
 */
export function parseGroth16(vkey: unknown, proof: unknown, publicSignals: unknown): ParsedGroth16 {
  if (!isRecord(vkey)) bad('vkey: expected an object');
  if (vkey.protocol !== 'groth16') bad(`vkey.protocol: expected "groth16", got ${JSON.stringify(vkey.protocol)}`);
  if (!isBn254Name(vkey.curve)) bad(`vkey.curve: expected "bn128", got ${JSON.stringify(vkey.curve)}`);
  const nPublic = vkey.nPublic;
  if (typeof nPublic !== 'number' || !Number.isSafeInteger(nPublic) || nPublic < 0) bad('vkey.nPublic: expected a non-negative integer');
  if (!Array.isArray(vkey.IC) || vkey.IC.length !== nPublic + 1) bad(`vkey.IC: expected nPublic + 1 = ${nPublic + 1} points`);
  if (!isRecord(proof)) bad('proof: expected an object');
  if (proof.protocol !== undefined && proof.protocol !== 'groth16')
    bad(`proof.protocol: expected "groth16", got ${JSON.stringify(proof.protocol)}`);
  if (proof.curve !== undefined && !isBn254Name(proof.curve)) bad(`proof.curve: expected "bn128", got ${JSON.stringify(proof.curve)}`);
  if (!Array.isArray(publicSignals)) bad('publicSignals: expected an array of decimal strings');
  if (publicSignals.length !== nPublic) bad(`publicSignals: expected ${nPublic} signals (vkey.nPublic), got ${publicSignals.length}`);

  const signals = publicSignals.map((s, i) => {
    const v = decimal(s, `publicSignals[${i}]`);
    if (v >= BN254_R) bad(`publicSignals[${i}]: not below the BN254 scalar field order r`);
    return v;
  });
  return {
    alpha: g1(vkey.vk_alpha_1, 'vkey.vk_alpha_1'),
    beta: g2(vkey.vk_beta_2, 'vkey.vk_beta_2'),
    gamma: g2(vkey.vk_gamma_2, 'vkey.vk_gamma_2'),
    delta: g2(vkey.vk_delta_2, 'vkey.vk_delta_2'),
    ic: (vkey.IC as unknown[]).map((p, i) => g1(p, `vkey.IC[${i}]`)),
    a: g1(proof.pi_a, 'proof.pi_a'),
    b: g2(proof.pi_b, 'proof.pi_b'),
    c: g1(proof.pi_c, 'proof.pi_c'),
    signals,
  };
}

/** The pairing check on already-validated inputs. */
export function checkGroth16(p: ParsedGroth16): boolean {
  // L = IC₀ + Σ sᵢ·ICᵢ as one multi-scalar multiplication (Pippenger; the scalars are public, so variable time is
  // fine): one multiplication per signal cost ~2 ms each, seconds for thousands of signals.
  const l = p.ic[0]!.add(pippenger(bn254.G1.Point, p.ic.slice(1), p.signals));
  const pairs = [
    { g1: p.a.negate(), g2: p.b },
    { g1: p.alpha, g2: p.beta },
    { g1: l, g2: p.gamma },
    { g1: p.c, g2: p.delta },
  ].filter((pair) => !pair.g1.is0() && !pair.g2.is0()); // e(O, Q) = e(P, O) = 1; noble refuses O, so drop those terms
  return Fp12.eql(bn254.pairingBatch(pairs), Fp12.ONE);
}

/**
 * Verifies a Groth16 proof with @noble/curves, independently of snarkjs.
 * Returns false when the pairing equation does not hold; throws ZkaiError('BAD_BUNDLE') when the
 * inputs are malformed (see parseGroth16), so "bad encoding" and "wrong proof" stay distinguishable.
 */
export function verifyGroth16Noble(vkey: unknown, proof: unknown, publicSignals: unknown): boolean {
  return checkGroth16(parseGroth16(vkey, proof, publicSignals));
}
