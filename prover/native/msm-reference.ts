/**
 * The algebraic reference the native MSM tests check against (not a test itself): bases are aᵢ·G with known aᵢ, so
 * Σ sᵢ·(aᵢ·G) must equal (Σ sᵢ·aᵢ mod r)·G, one ffjavascript multiplication however many points there are. Inputs mix
 * in what a witness and a proving key hold: zeros, ones, r − 1, repeated and cancelling points, points at infinity.
 */
import { BN254_R } from '../../common/bn254.ts';
import { seededRandom } from '../../common/test-random.ts';

export const R = BN254_R;

export interface Group {
  g: Uint8Array;
  timesScalar(p: Uint8Array, s: Uint8Array): Uint8Array;
  toAffine(p: Uint8Array): Uint8Array;
  toRprLEM(buf: Uint8Array, offset: number, p: Uint8Array): void;
}

export function le(v: bigint, out: Uint8Array, offset: number): void {
  let x = v;
  for (let i = 0; i < 32; i++, x >>= 8n) out[offset + i] = Number(x & 0xffn);
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * n points: full-width random scalars, with witness-like features mixed in — zeros, ones, r − 1, the same base
 * twice with the same scalar (a bucket doubling), a base and its negation with the same scalar (cancelling), bases
 * at infinity, and bases repeated from a small pool (bucket collisions inside one batch).
 */
export function inputs(n: number, seed: number, scalarBits: number | 'signed' = 254): { dlogs: bigint[]; scalars: bigint[] } {
  const rnd = seededRandom(seed);
  const word = () => BigInt(rnd.u32());
  const random = () => {
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 32n) | word();
    return v;
  };
  const pool = Array.from({ length: 16 }, () => random() % R || 1n);
  const dlogs: bigint[] = [];
  const scalars: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const kind = rnd.u32() % 16;
    let a = kind < 2 ? pool[rnd.u32() % 16]! : random() % R || 1n;
    let s: bigint;
    if (scalarBits === 'signed') {
      // A witness: ±v with |v| of any width class (the sign a field element r − v), so every class and the halving.
      const width = SIGNED_WIDTHS[rnd.u32() % SIGNED_WIDTHS.length]!;
      const v = (random() % (1n << BigInt(width))) % R;
      s = rnd.u32() % 2 ? v : (R - v) % R;
    } else s = scalarBits >= 254 ? random() % R : random() % (1n << BigInt(scalarBits));
    if (kind === 2) s = 0n;
    if (kind === 3) s = 1n;
    if (kind === 4) s = R - 1n;
    if (kind === 5 && i > 0) [a, s] = [dlogs[i - 1]!, scalars[i - 1]!]; // the previous point again
    if (kind === 6 && i > 0) [a, s] = [(R - dlogs[i - 1]!) % R, scalars[i - 1]!]; // its negation
    if (kind === 7) a = 0n; // the point at infinity
    dlogs.push(a);
    scalars.push(s);
  }
  return { dlogs, scalars };
}

/** Magnitudes of signed scalars: each side of each width class's edge (16, 32, 64, 128 bits) and wider. */
export const SIGNED_WIDTHS = [2, 8, 16, 17, 31, 32, 33, 64, 65, 127, 128, 129, 200, 253];

export function bytesOf(values: bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 32);
  for (const [i, v] of values.entries()) le(v, out, i * 32);
  return out;
}

/** (Σ sᵢ·aᵢ mod r)·G in the engine's byte layout (affine, Montgomery coordinates; zeros for infinity). */
export function expectedMsm(group: Group, g2: boolean, dlogs: bigint[], scalars: bigint[]): Uint8Array {
  let sum = 0n;
  for (let i = 0; i < scalars.length; i++) sum = (sum + scalars[i]! * dlogs[i]!) % R;
  const expected = new Uint8Array(g2 ? 128 : 64);
  const sumBytes = new Uint8Array(32);
  le(sum, sumBytes, 0);
  if (sum !== 0n) group.toRprLEM(expected, 0, group.toAffine(group.timesScalar(group.g, sumBytes)));
  return expected;
}
