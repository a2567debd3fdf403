/**
 * Pass 2 of a LogUp proof without a second run of the witness calculator (docs/lookups.md, "Prover time").
 *
 * A LogUp proof computes the witness once with a throwaway α (pass 1), commits to the looked-up values (D), and needs
 * the witness again at α = H(D). Only the inverse wires depend on α: each α row reads X·(α·b + ℓ) = c with X's side
 * A (the build orients the rows so: circuits/r1cs-orient.ts), ℓ over committed wires and the constant, and c fixed.
 * So from pass 1's witness w₁ every row gives c = (A·w₁)(B·w₁), and at the new α the row needs
 * A·w₂ = c / (B·w₁ + b·(α₂ − α₁)): a single inverse wire is that over its coefficient, and a row whose A sums several
 * (circom folds the table's sum constraint into one α row) solves for the one wire no other row fixes. One batch
 * inversion for all rows replaces a whole witness-calculator run (LeNet-5: 26,573 inverse wires).
 *
 * The plan is built from the proving key's own A and B coefficients (what the prover will use), and refused (undefined:
 * the caller runs pass 2 in full) unless every α row has this shape, no inverse wire is public or appears anywhere but
 * in A of α rows, and every one is solved. The warm prover also compares the patched witness with a full pass 2 on a
 * circuit's first proof and keeps the plan only if they are byte for byte equal; if not, it warns once (the circuit and
 * the first differing wire: a bug here, worth a report) and runs pass 2 in full for every proof of that circuit. A
 * wrong patch could only make an invalid proof (the verifier refuses it): this is prover speed, not soundness.
 *
 * The patch runs on the native engine where it is built (patchAlphaAuto: src/alpha-patch.inc, a few ms for LeNet-5's
 * rows against 85–118 ms of BigInt here); patchAlpha below is the reference it is tested against byte for byte.
 */
import { BN254_R, invMod } from '../../common/bn254.ts';
import type { ParsedZkey } from '../groth16/zkey.ts';
import { COEF_BYTES } from '../groth16/zkey.ts';
import { loadSetupNative } from '../setup/setup-engine.ts';

type Terms = [wire: number, coef: bigint][];

interface AlphaRow {
  a: Terms;
  b: Terms;
  /** α's coefficient in B. */
  bAlpha: bigint;
  /** The wire this row solves, and its coefficient in A; the other A wires are solved by earlier rows or fixed. */
  solves: number;
  k: bigint;
  /** 1/k, once. */
  kInv: bigint;
}

export interface AlphaPlan {
  alphaWire: number;
  /** In solving order. */
  rows: AlphaRow[];
}

const R_INV2 = (() => {
  const r = (1n << 256n) % BN254_R;
  const inv = invMod(r, BN254_R);
  return (inv * inv) % BN254_R;
})();

function readLe(bytes: Uint8Array, offset: number): bigint {
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, 32);
  let x = 0n;
  for (let i = 3; i >= 0; i--) x = (x << 64n) | v.getBigUint64(8 * i, true);
  return x;
}

function writeLe(bytes: Uint8Array, offset: number, x: bigint): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, 32);
  for (let i = 0; i < 4; i++) v.setBigUint64(8 * i, BigInt.asUintN(64, x >> BigInt(64 * i)), true);
}

/** The plan for a LogUp circuit whose challenge is wire `alphaWire`, or undefined when its rows do not fit (above). */
export function alphaPlan(zkey: ParsedZkey, alphaWire: number): AlphaPlan | undefined {
  const view = new DataView(zkey.coefs.buffer, zkey.coefs.byteOffset, zkey.coefs.byteLength);
  const entry = (i: number) => {
    const at = i * COEF_BYTES;
    return { at, matrix: view.getUint32(at, true), constraint: view.getUint32(at + 4, true), signal: view.getUint32(at + 8, true) };
  };
  // Pass 1 (integers only: a model has hundreds of thousands of entries): the rows with α in B, and in A.
  let maxConstraint = -1;
  const inB = new Set<number>();
  const inA: number[] = [];
  for (let i = 0; i < zkey.nCoefs; i++) {
    const e = entry(i);
    if (e.constraint > maxConstraint) maxConstraint = e.constraint;
    if (e.signal !== alphaWire) continue;
    if (e.matrix === 0) inA.push(e.constraint);
    else inB.add(e.constraint);
  }
  // snarkjs appends one A-only row per public signal (and the constant) after the circuit's own constraints.
  const nConstraints = maxConstraint + 1 - (zkey.nPublic + 1);
  if (inB.size === 0 || inA.some((k) => k < nConstraints)) return undefined;
  // Pass 2: the α rows' terms, coefficients decoded (snarkjs's section 4 holds v·R² mod r).
  const a = new Map<number, Terms>();
  const b = new Map<number, Terms>();
  for (let i = 0; i < zkey.nCoefs; i++) {
    const e = entry(i);
    if (!inB.has(e.constraint)) continue;
    const m = e.matrix === 0 ? a : b;
    const term: [number, bigint] = [e.signal, (readLe(zkey.coefs, e.at + 12) * R_INV2) % BN254_R];
    const terms = m.get(e.constraint);
    if (terms) terms.push(term);
    else m.set(e.constraint, [term]);
  }
  const unknown = new Set<number>();
  for (const terms of a.values()) for (const [w] of terms) unknown.add(w);
  for (const w of unknown) if (w <= zkey.nPublic) return undefined;
  // Pass 3: an inverse wire anywhere else (in B, or in A of another row) would need more than this plan.
  for (let i = 0; i < zkey.nCoefs; i++) {
    const e = entry(i);
    if (unknown.has(e.signal) && (e.matrix !== 0 || !inB.has(e.constraint))) return undefined;
  }
  // Solve rows with one unsolved wire until none is left. Their coefficients are nearly all ±1: each inverse once.
  const inverses = new Map<bigint, bigint>();
  const inverseOf = (k: bigint) => {
    const hit = inverses.get(k);
    if (hit !== undefined) return hit;
    const v = invMod(k, BN254_R);
    inverses.set(k, v);
    return v;
  };
  const solved = new Set<number>();
  const rows: AlphaRow[] = [];
  let pending = [...inB];
  while (pending.length > 0) {
    const next: number[] = [];
    for (const k of pending) {
      const terms = a.get(k) ?? [];
      const open = terms.filter(([w]) => !solved.has(w));
      if (open.length !== 1) {
        next.push(k);
        continue;
      }
      const [wire, coef] = open[0]!;
      const bTerms = b.get(k)!;
      const bAlpha = bTerms.filter(([w]) => w === alphaWire).reduce((sum, [, c]) => (sum + c) % BN254_R, 0n);
      if (coef === 0n || bAlpha === 0n) return undefined;
      rows.push({ a: terms, b: bTerms, bAlpha, solves: wire, k: coef, kInv: inverseOf(coef) });
      solved.add(wire);
    }
    if (next.length === pending.length) {
      // No progress: fine only if what is left fixes nothing new (every wire solved: those rows hold by the identity).
      if (next.every((k) => (a.get(k) ?? []).every(([w]) => solved.has(w)))) break;
      return undefined;
    }
    pending = next;
  }
  if (solved.size !== unknown.size) return undefined;
  return { alphaWire, rows };
}

/**
 * The witness at α₂ from `values` (the wtns values section, 32-byte little-endian elements) computed at α₁: a copy with
 * α and every inverse wire rewritten. Undefined when some row's new B·w is 0 (α₂ a pole: no witness exists at all).
 */
export function patchAlpha(plan: AlphaPlan, values: Uint8Array, alpha2: bigint): Uint8Array | undefined {
  const out = new Uint8Array(values);
  const w = (wire: number) => readLe(values, wire * 32);
  const alpha1 = w(plan.alphaWire);
  const delta = (((alpha2 - alpha1) % BN254_R) + BN254_R) % BN254_R;
  const dot = (terms: Terms, read: (wire: number) => bigint) => terms.reduce((s, [wire, c]) => (s + c * read(wire)) % BN254_R, 0n);
  // Per row: c = (A·w₁)(B·w₁) and the new B·w₂; then one batch inversion of every B·w₂.
  const c: bigint[] = [];
  const bNew: bigint[] = [];
  for (const row of plan.rows) {
    const bw = dot(row.b, w);
    c.push((dot(row.a, w) * bw) % BN254_R);
    bNew.push((bw + row.bAlpha * delta) % BN254_R);
  }
  const prefix: bigint[] = new Array(bNew.length);
  let acc = 1n;
  for (let i = 0; i < bNew.length; i++) {
    if (bNew[i] === 0n) return undefined;
    prefix[i] = acc;
    acc = (acc * bNew[i]!) % BN254_R;
  }
  let inv = invMod(acc, BN254_R);
  const inverses: bigint[] = new Array(bNew.length);
  for (let i = bNew.length - 1; i >= 0; i--) {
    inverses[i] = (inv * prefix[i]!) % BN254_R;
    inv = (inv * bNew[i]!) % BN254_R;
  }
  writeLe(out, plan.alphaWire * 32, alpha2);
  const now = (wire: number) => readLe(out, wire * 32);
  plan.rows.forEach((row, i) => {
    // A·w₂ = c / B·w₂; the wire solved here takes what the row's other A terms (already at α₂) leave.
    const target = (c[i]! * inverses[i]!) % BN254_R;
    const rest = row.a.reduce((s, [wire, coef]) => (wire === row.solves ? s : (s + coef * now(wire)) % BN254_R), 0n);
    const x = ((((target - rest) % BN254_R) + BN254_R) * row.kInv) % BN254_R;
    writeLe(out, row.solves * 32, x);
  });
  return out;
}

/** 2^256 mod r: a coefficient's Montgomery form is v·2^256 mod r. */
const MONT = (1n << 256n) % BN254_R;

const encoded = new WeakMap<AlphaPlan, Uint8Array>();

/**
 * The plan as the native engine reads it (src/alpha-patch.inc: u32 alphaWire, u32 nRows, then per row u32 nA, u32 nB,
 * u32 solves, the A and B terms as u32 wire + 32-byte coefficient, bAlpha, kInv; coefficients in Montgomery form),
 * once per plan.
 */
export function encodeAlphaPlan(plan: AlphaPlan): Uint8Array {
  let bytes = encoded.get(plan);
  if (bytes) return bytes;
  let size = 8;
  for (const row of plan.rows) size += 12 + 36 * (row.a.length + row.b.length) + 64;
  bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let at = 0;
  const u32 = (v: number) => {
    view.setUint32(at, v, true);
    at += 4;
  };
  const fr = (v: bigint) => {
    writeLe(bytes!, at, (v * MONT) % BN254_R);
    at += 32;
  };
  u32(plan.alphaWire);
  u32(plan.rows.length);
  for (const row of plan.rows) {
    u32(row.a.length);
    u32(row.b.length);
    u32(row.solves);
    for (const [wire, coef] of [...row.a, ...row.b]) {
      u32(wire);
      fr(coef);
    }
    fr(row.bAlpha);
    fr(row.kInv);
  }
  encoded.set(plan, bytes);
  return bytes;
}

/** The native engine's lookupAlphaPatch (prover/native/api.ts). */
export type NativeAlphaPatch = (plan: Uint8Array, values: Uint8Array, alpha2: Uint8Array, out: Uint8Array) => boolean;

/**
 * patchAlpha on the native engine: the same bytes (or undefined at a pole), written into `out` (default a new array;
 * `values` itself patches in place, and is then left as it was at a pole).
 */
export function patchAlphaNative(
  native: NativeAlphaPatch,
  plan: AlphaPlan,
  values: Uint8Array,
  alpha2: bigint,
  out: Uint8Array = new Uint8Array(values.length),
): Uint8Array | undefined {
  const a = new Uint8Array(32);
  writeLe(a, 0, alpha2);
  return native(encodeAlphaPlan(plan), values, a, out) ? out : undefined;
}

/**
 * patchAlpha in place on the native engine when it is built (and not switched off: ZKAI_NATIVE=off), else the
 * reference's copy: the patched values (`values` itself, or a new array), undefined at a pole.
 */
export function patchAlphaAuto(plan: AlphaPlan, values: Uint8Array, alpha2: bigint): Uint8Array | undefined {
  const native = loadSetupNative();
  return native ? patchAlphaNative(native.lookupAlphaPatch, plan, values, alpha2, values) : patchAlpha(plan, values, alpha2);
}
