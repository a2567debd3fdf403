/**
 * Exact integer reference for the quantized-network gadgets in circuits/lib/quant.circom.
 *
 * Every function here computes, bit for bit, what the matching circom template outputs, and throws
 * (BAD_INPUT) where the circuit has no witness (an input outside the range the template proves) or where a
 * template's documented precondition fails (Max/ArgMax expect inputs already range-checked upstream).
 * Values are plain signed bigints; `toField`/`fromField` convert to and from the field representation the
 * circuits use (a signed integer v is the field element v mod p).
 */
import { ZkaiError } from '../../common/errors.ts';
import { SNARK_FIELD } from '../dataset/poseidon.ts';

/** Largest bit width any range gadget accepts: 2^252 < p, so a b-bit decomposition cannot wrap the field. */
export const MAX_RANGE_BITS = 252;

/** Field representation of a signed integer: v mod p in [0, p). */
export function toField(v: bigint): bigint {
  return ((v % SNARK_FIELD) + SNARK_FIELD) % SNARK_FIELD;
}

/** Signed integer of a field element: the representative in (-p/2, p/2), the inverse of `toField` for small values. */
export function fromField(f: bigint): bigint {
  const r = toField(f);
  return r > SNARK_FIELD / 2n ? r - SNARK_FIELD : r;
}

/** Inclusive bounds of the signed b-bit range [-2^(b-1), 2^(b-1) - 1]. */
export function signedBounds(b: number): { min: bigint; max: bigint } {
  const half = 1n << BigInt(b - 1);
  return { min: -half, max: half - 1n };
}

/** Whether v ∈ [-2^(b-1), 2^(b-1)), what `SignedRange(b)` proves. */
export function inSignedRange(v: bigint, b: number): boolean {
  const { min, max } = signedBounds(b);
  return v >= min && v <= max;
}

/** Whether v ∈ [0, 2^b), what `RangeCheck(b)` proves. */
export function inUnsignedRange(v: bigint, b: number): boolean {
  return v >= 0n && v < 1n << BigInt(b);
}

function checkBits(b: number, min: number, what: string): void {
  if (!Number.isInteger(b) || b < min || b > MAX_RANGE_BITS) {
    throw new ZkaiError('BAD_INPUT', `${what}: bit width ${b} must be an integer in [${min}, ${MAX_RANGE_BITS}]`);
  }
}

/** Throws BAD_INPUT unless v is a signed b-bit integer (the circuits have no witness for such inputs). */
export function assertSigned(v: bigint, b: number, what = 'value'): void {
  if (!inSignedRange(v, b)) {
    const { min, max } = signedBounds(b);
    throw new ZkaiError('BAD_INPUT', `${what} ${v} is outside the signed ${b}-bit range [${min}, ${max}]`, { value: String(v), bits: b });
  }
}

/** `Saturate(bIn, bOut)`: clamp a signed bIn-bit value to the signed bOut-bit range. */
export function saturate(v: bigint, bIn: number, bOut: number): bigint {
  checkBits(bIn, 2, 'saturate');
  checkBits(bOut, 2, 'saturate');
  assertSigned(v, bIn, 'saturate input');
  const { min, max } = signedBounds(bOut);
  return v < min ? min : v > max ? max : v;
}

/**
 * `Requantize(bIn, shift, bOut)`: floor(x / 2^shift) (arithmetic shift right, rounding toward −∞),
 * saturated to signed bOut bits. x must be a signed bIn-bit integer; 1 <= shift < bIn - 1.
 */
export function requantize(x: bigint, bIn: number, shift: number, bOut: number): bigint {
  checkBits(bIn, 3, 'requantize');
  if (!Number.isInteger(shift) || shift < 1 || shift >= bIn - 1) {
    throw new ZkaiError('BAD_INPUT', `requantize: shift ${shift} must be an integer in [1, ${bIn - 2}]`);
  }
  assertSigned(x, bIn, 'requantize input');
  return saturate(x >> BigInt(shift), bIn - shift, bOut);
}

/** `ReLU(b)`: max(x, 0) for a signed b-bit x. */
export function relu(x: bigint, b: number): bigint {
  checkBits(b, 2, 'relu');
  assertSigned(x, b, 'relu input');
  return x > 0n ? x : 0n;
}

/**
 * `RequantizeRelu(bIn, shift, bOut)`: clamp(floor(x / 2^shift), 0, 2^(bOut-1) - 1), the fused gadget codegen emits
 * for a dense/conv layer followed by a ReLU. Defined as the unfused pair, relu(requantize(...)), because that is
 * what it must equal bit for bit: Saturate's lower clamp is negative, so the ReLU maps it to 0 like every other
 * negative value, and a saturated value always passes the ReLU's range check (quant.test.ts compares the two on
 * random inputs, and the circuit against this function). int-exec.ts keeps running the two steps.
 */
export function requantizeRelu(x: bigint, bIn: number, shift: number, bOut: number): bigint {
  return relu(requantize(x, bIn, shift, bOut), bOut);
}

function checkVector(xs: readonly bigint[], b: number, what: string): void {
  checkBits(b, 2, what);
  if (xs.length < 2) throw new ZkaiError('BAD_INPUT', `${what}: needs at least 2 values, got ${xs.length}`);
  for (const [i, x] of xs.entries()) assertSigned(x, b, `${what} input ${i}`);
}

/** `Max(n, b)`: the largest of n >= 2 signed b-bit values. */
export function maxOf(xs: readonly bigint[], b: number): bigint {
  checkVector(xs, b, 'max');
  return argMax(xs, b).max;
}

/** `ArgMax(n, b)`: index of the largest value, the LOWEST such index on ties, and the value. */
export function argMax(xs: readonly bigint[], b: number): { index: number; max: bigint } {
  checkVector(xs, b, 'argmax');
  let index = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[index]!) index = i;
  return { index, max: xs[index]! };
}

/**
 * `DivByConst(b, k)`: floor(x / k) for an integer constant k >= 2. b is the width of the quotient: x must lie in
 * [-k·2^(b-1), k·2^(b-1)), exactly the inputs whose quotient is a signed b-bit value.
 */
export function divFloor(x: bigint, b: number, k: bigint): bigint {
  checkBits(b, 2, 'divFloor');
  if (k < 2n) throw new ZkaiError('BAD_INPUT', `divFloor: divisor ${k} must be >= 2`);
  const half = k << BigInt(b - 1);
  if (x < -half || x >= half) {
    throw new ZkaiError('BAD_INPUT', `divFloor input ${x} is outside [${-half}, ${half}) (quotient must fit signed ${b} bits)`);
  }
  const q = x / k; // truncates toward zero
  return x % k !== 0n && x < 0n ? q - 1n : q;
}
