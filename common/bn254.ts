/** BN254 (alt_bn128, snarkjs "bn128") moduli and the BigInt modular helpers every module shares. */

/** Base field modulus q: coordinates of G1 (and of G2 over Fq2). */
export const BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** Scalar field modulus r: the order of G1 and G2, the field of witnesses and NTTs. */
export const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** a mod m in [0, m). */
export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** base^exp mod m by square-and-multiply (exp ≥ 0). */
export function powMod(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** Inverse modulo a prime m (Fermat); 0 maps to 0. */
export function invMod(a: bigint, m: bigint): bigint {
  return powMod(a, m - 2n, m);
}
