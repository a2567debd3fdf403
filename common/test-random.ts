/**
 * Test helpers shared by the gadget and model-circuit tests: a seeded PRNG, so a failing random case
 * reproduces (override the seed with ZKAI_TEST_SEED), and what a forger writes into a witness.
 */

/** A deterministic xorshift32 generator. */
export function seededRandom(defaultSeed: number): { u32(): number; signed(bits: number): bigint } {
  let seed = Number(process.env.ZKAI_TEST_SEED ?? defaultSeed) >>> 0 || 1;
  const u32 = (): number => {
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed;
  };
  /** Uniform signed b-bit integer. */
  const signed = (bits: number): bigint => {
    let v = 0n;
    for (let i = 0; i < bits; i += 32) v = (v << 32n) | BigInt(u32());
    v &= (1n << BigInt(bits)) - 1n;
    return v - (1n << BigInt(bits - 1));
  };
  return { u32, signed };
}

/**
 * Bits (LSB first) as a forger writes them: the true bits when v ∈ [0, 2^b), else v in bit 0 and zeros, so the
 * recomposition sum still equals v and only the booleanity constraints can catch it.
 */
export function forgerBits(v: bigint, b: number): bigint[] {
  if (v >= 0n && v < 1n << BigInt(b)) return Array.from({ length: b }, (_, i) => (v >> BigInt(i)) & 1n);
  return [v, ...Array<bigint>(b - 1).fill(0n)];
}

/**
 * Writes witness signals by name for a forgery. circom's optimiser turns some signals into linear combinations of
 * others, so a name may have no wire: those writes are skipped, and `kept()` counts the ones made, for the test to
 * check that a renamed signal did not silently turn its forgery into a no-op.
 */
export function witnessWriter(
  w: bigint[],
  wire: (signal: string) => number | undefined,
  toField: (v: bigint) => bigint,
): { set(signal: string, v: bigint): void; kept(): number } {
  let kept = 0;
  return {
    set(signal, v) {
      const at = wire(signal);
      if (at !== undefined) {
        w[at] = toField(v);
        kept++;
      }
    },
    kept: () => kept,
  };
}

/**
 * A forger's rewrite of the Requantize component `rq` (e.g. "rq[3]", in = y·2^shift + r) to quotient y and
 * remainder r, with every helper signal consistent: the remainder's and the offset quotient's bits (forgerBits, so
 * an out-of-range value keeps the sums right and only booleanity can fail) and the saturation stage's copies of y.
 */
export function forgeRequantize(
  set: (signal: string, v: bigint) => void,
  rq: string,
  y: bigint,
  r: bigint,
  shift: number,
  yBits: number,
): void {
  for (const sig of ['r', 'rRange.in', 'rRange.bits.in']) set(`${rq}.${sig}`, r);
  for (const [i, bit] of forgerBits(r, shift).entries()) set(`${rq}.rRange.bits.bits[${i}]`, bit);
  for (const sig of ['y', 'sat.in', 'sat.sb.in', 'sat.out', 'out']) set(`${rq}.${sig}`, y);
  const offset = y + (1n << BigInt(yBits - 1));
  set(`${rq}.sat.sb.dec.in`, offset);
  forgerBits(offset, yBits).forEach((bit, i) => {
    set(`${rq}.sat.sb.dec.bits[${i}]`, bit);
    set(`${rq}.sat.sb.bits[${i}]`, bit);
  });
}
