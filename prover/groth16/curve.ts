/**
 * The shared ffjavascript BN254 curve (WASM + worker threads). buildBn128() caches it on globalThis, so
 * snarkjs and zkai use one instance and `releaseVerifierResources()` (prover/verify.ts) stops both.
 */
import { buildBn128 } from 'ffjavascript';

/** ffjavascript is untyped (types/modules.d.ts): the few members used here. */
export interface FfCurve {
  Fr: {
    n8: number;
    s: number;
    w: Uint8Array[];
    shift: Uint8Array;
    one: Uint8Array;
    e(v: unknown): Uint8Array;
    add(a: Uint8Array, b: Uint8Array): Uint8Array;
    sub(a: Uint8Array, b: Uint8Array): Uint8Array;
    mul(a: Uint8Array, b: Uint8Array): Uint8Array;
    inv(a: Uint8Array): Uint8Array;
    fft(buff: Uint8Array): Promise<Uint8Array>;
    ifft(buff: Uint8Array): Promise<Uint8Array>;
    batchApplyKey(buff: Uint8Array, first: Uint8Array, inc: Uint8Array): Promise<Uint8Array>;
    batchToMontgomery(buff: Uint8Array): Promise<Uint8Array>;
    batchFromMontgomery(buff: Uint8Array): Promise<Uint8Array>;
  };
  G1: FfGroup;
  G2: FfGroup;
  terminate(): Promise<void>;
}

export interface FfGroup {
  F: { n8: number };
  multiExpAffine(bases: Uint8Array, scalars: Uint8Array): Promise<Uint8Array>;
  toAffine(p: Uint8Array): Uint8Array;
  isZero(p: Uint8Array): boolean;
}

let curvePromise: Promise<FfCurve> | undefined;

export async function bn128Curve(): Promise<FfCurve> {
  const cached = (globalThis as { curve_bn128?: FfCurve | null }).curve_bn128;
  if (cached) return cached;
  // A terminated curve clears globalThis.curve_bn128; build a new one then.
  curvePromise = (buildBn128() as Promise<FfCurve>).finally(() => {
    curvePromise = undefined;
  });
  return curvePromise;
}

/** The multiplier that moves the size-2^power domain onto its odd coset: ω₂ₙ (snarkjs groth16_prove's `inc`). */
export function cosetShift(curve: FfCurve, power: number): Uint8Array {
  return power === curve.Fr.s ? curve.Fr.shift : curve.Fr.w[power + 1]!;
}
