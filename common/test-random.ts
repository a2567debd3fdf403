/**
 * Test helpers shared by the gadget and model-circuit tests: a seeded PRNG, so a failing random case
 * reproduces (override the seed with ZKAI_TEST_SEED), and the bit assignment a forger writes.
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
