/**
 * The reference computation of Groth16's H-polynomial scalars on ffjavascript (WASM), step for step what
 * snarkjs's groth16 prover does (buildABC1 → ifft → batchApplyKey(ω₂ₙ) → fft → joinABC), so its output is
 * byte-identical to the scalars snarkjs feeds its H multi-exponentiation. Same contract as the native
 * engine's `groth16Quotient` (prover/native/api.ts), which is tested against this.
 */
import { ZkaiError } from '../../common/errors.ts';
import { FR_BYTES } from '../../gpu/backend.ts';
import { bn128Curve, cosetShift, type FfCurve } from './curve.ts';
import { COEF_BYTES } from './zkey.ts';

/**
 * `coefs`: section 4 after its u32 count (values as snarkjs stores them: coef·R² so that one Montgomery
 * product with a standard-form witness value lands in Montgomery form). `witness`: nVars × 32 bytes LE,
 * standard form. Returns domainSize scalars (A·B − C on the coset ω₂ₙ·H), 32-byte LE standard form.
 */
export async function computeQuotientWasm(coefs: Uint8Array, nCoefs: number, witness: Uint8Array, domainSize: number): Promise<Uint8Array> {
  const curve = await bn128Curve();
  const [a, b, c] = buildAbc(curve, coefs, nCoefs, witness, domainSize);
  const inc = cosetShift(curve, Math.log2(domainSize));
  const toCoset = async (evals: Uint8Array) => curve.Fr.fft(await curve.Fr.batchApplyKey(await curve.Fr.ifft(evals), curve.Fr.one, inc));
  const [aOdd, bOdd, cOdd] = await Promise.all([toCoset(a), toCoset(b), toCoset(c)]);
  return joinAbc(curve, aOdd, bOdd, cOdd, domainSize);
}

/** A and B evaluations (Montgomery) from the sparse QAP coefficients, C = A·B pointwise. */
function buildAbc(curve: FfCurve, coefs: Uint8Array, nCoefs: number, witness: Uint8Array, n: number): [Uint8Array, Uint8Array, Uint8Array] {
  const { Fr } = curve;
  if (coefs.byteLength < nCoefs * COEF_BYTES) throw new ZkaiError('BAD_INPUT', `coefficient buffer holds fewer than ${nCoefs} entries`);
  const nVars = witness.byteLength / FR_BYTES;
  const out = [new Uint8Array(n * FR_BYTES), new Uint8Array(n * FR_BYTES)];
  const view = new DataView(coefs.buffer, coefs.byteOffset, coefs.byteLength);
  for (let i = 0; i < nCoefs; i++) {
    const o = i * COEF_BYTES;
    const m = view.getUint32(o, true);
    const row = view.getUint32(o + 4, true);
    const signal = view.getUint32(o + 8, true);
    if (m > 1 || row >= n || signal >= nVars)
      throw new ZkaiError('BAD_INPUT', `coefficient ${i} (matrix ${m}, row ${row}, signal ${signal}) is out of range`);
    const target = out[m]!;
    const acc = target.subarray(row * FR_BYTES, (row + 1) * FR_BYTES);
    const term = Fr.mul(coefs.subarray(o + 12, o + 12 + FR_BYTES), witness.subarray(signal * FR_BYTES, (signal + 1) * FR_BYTES));
    target.set(Fr.add(acc, term), row * FR_BYTES);
  }
  const [a, b] = out as [Uint8Array, Uint8Array];
  const c = new Uint8Array(n * FR_BYTES);
  for (let i = 0; i < n; i++) {
    const s = i * FR_BYTES;
    c.set(Fr.mul(a.subarray(s, s + FR_BYTES), b.subarray(s, s + FR_BYTES)), s);
  }
  return [a, b, c];
}

/** (A·B − C) pointwise, then out of Montgomery form: the H scalars. */
async function joinAbc(curve: FfCurve, a: Uint8Array, b: Uint8Array, c: Uint8Array, n: number): Promise<Uint8Array> {
  const { Fr } = curve;
  const out = new Uint8Array(n * FR_BYTES);
  for (let i = 0; i < n; i++) {
    const s = i * FR_BYTES;
    const ab = Fr.mul(a.subarray(s, s + FR_BYTES), b.subarray(s, s + FR_BYTES));
    out.set(Fr.sub(ab, c.subarray(s, s + FR_BYTES)), s);
  }
  return curve.Fr.batchFromMontgomery(out);
}
