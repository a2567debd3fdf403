import { createHash } from 'node:crypto';
import type { blake2b } from '@noble/hashes/blake2.js';
import { ChaCha } from 'ffjavascript';
import type { Group } from './fixed-base.ts';
import { randomScalar } from './fr.ts';
import { DEV_CONTRIBUTION_NAME } from './ptau.ts';

// The powers-of-tau transcript as snarkjs writes and checks it (powersoftau_new / _contribute /
// _utils / keypair.js): challenge and response hashes, and one contribution's proofs of knowledge.

// ffjavascript has no types; these are the few members used here.
export interface FfGroup {
  g: Uint8Array;
  timesFr(p: Uint8Array, s: Uint8Array): Uint8Array;
  toAffine(p: Uint8Array): Uint8Array;
  toUncompressed(p: Uint8Array): Uint8Array;
  toRprLEM(buf: Uint8Array, pos: number, p: Uint8Array): void;
  toRprUncompressed(buf: Uint8Array, pos: number, p: Uint8Array): void;
  fromRng(rng: unknown): Uint8Array;
  batchLEMtoU(buf: Uint8Array): Promise<Uint8Array>;
  batchLEMtoC(buf: Uint8Array): Promise<Uint8Array>;
}
export interface FfCurve {
  G1: FfGroup;
  G2: FfGroup;
  Fr: { w: Uint8Array[]; e(x: bigint): Uint8Array; toObject(e: Uint8Array): bigint };
  tm: { code: Uint8Array };
  terminate(): Promise<void>;
}

export const G1_BYTES = 64;
export const G2_BYTES = 128;

export function pointBytes(group: Group): number {
  return group === 'G1' ? G1_BYTES : G2_BYTES;
}

/** blake2b-512, as snarkjs uses it for ceremony transcripts (node's blake2b512 is the same function). */
export function blake512(): ReturnType<typeof createHash> {
  return createHash('blake2b512');
}

/**
 * snarkjs's first challenge hash: blake2b over blake2b("") and the uncompressed points of a
 * fresh accumulator (every point the generator), as `powersoftau new` reports it.
 */
export function firstChallengeHash(curve: FfCurve, power: number): Uint8Array {
  const h = blake512();
  h.update(blake512().digest());
  const one = (group: Group) => {
    const b = new Uint8Array(pointBytes(group));
    curve[group].toRprUncompressed(b, 0, curve[group].g);
    return b;
  };
  const repeat = (group: Group, count: number) => {
    const single = one(group);
    const block = new Uint8Array(single.length * Math.min(count, 4096));
    for (let i = 0; i < block.length; i += single.length) block.set(single, i);
    for (let left = count; left > 0; left -= 4096) h.update(block.subarray(0, Math.min(left, 4096) * single.length));
  };
  const n = 2 ** power;
  repeat('G1', 2 * n - 1);
  repeat('G2', n);
  repeat('G1', n);
  repeat('G1', n);
  repeat('G2', 1);
  return new Uint8Array(h.digest());
}

/** snarkjs keypair.hashToG2: a G2 point from a ChaCha stream seeded with the hash (big-endian words). */
function hashToG2(curve: FfCurve, hash: Uint8Array): Uint8Array {
  const v = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
  const seed = Array.from({ length: 8 }, (_, i) => v.getUint32(i * 4));
  return curve.G2.fromRng(new ChaCha(seed));
}

export interface KeyPart {
  g1_s: Uint8Array;
  g1_sx: Uint8Array;
  g2_spx: Uint8Array;
}

/**
 * The contribution's proof of knowledge for one secret x (snarkjs keypair.calculatePubKey):
 * a random G1 point s, s·x, and x times a G2 point derived from the challenge and both.
 * The verifier checks e(s, x·sp) = e(s·x, sp) and that x is what moved the accumulator.
 */
export function keyPart(curve: FfCurve, personalization: number, challenge: Uint8Array, x: bigint): KeyPart {
  const { G1, G2, Fr } = curve;
  const g1_s = G1.toAffine(G1.timesFr(G1.g, Fr.e(randomScalar())));
  const g1_sx = G1.toAffine(G1.timesFr(g1_s, Fr.e(x)));
  const h = blake512();
  h.update(new Uint8Array([personalization]));
  h.update(challenge);
  h.update(G1.toUncompressed(g1_s));
  h.update(G1.toUncompressed(g1_sx));
  const g2_sp = hashToG2(curve, new Uint8Array(h.digest()));
  const g2_spx = G2.toAffine(G2.timesFr(g2_sp, Fr.e(x)));
  return { g1_s, g1_sx, g2_spx };
}

/** The nine public-key points in snarkjs's order, Montgomery (file) or uncompressed (hashes). */
export function pubKeyBytes(curve: FfCurve, key: KeyPart[], montgomery: boolean): Uint8Array {
  const buf = new Uint8Array(6 * G1_BYTES + 3 * G2_BYTES);
  let pos = 0;
  const put = (group: Group, p: Uint8Array) => {
    if (montgomery) curve[group].toRprLEM(buf, pos, p);
    else curve[group].toRprUncompressed(buf, pos, p);
    pos += pointBytes(group);
  };
  for (const k of key) {
    put('G1', k.g1_s);
    put('G1', k.g1_sx);
  }
  for (const k of key) put('G2', k.g2_spx);
  return buf;
}

/**
 * snarkjs stores a contribution's response hash as blake2b's internal state just before the
 * public key is absorbed (216 bytes: block buffer, h[0..7] as 32-bit halves, length, pos) so a
 * verifier can finish it. This mirrors snarkjs misc.toPartialHash on @noble/hashes' blake2b.
 */
export function toPartialHash(hasher: ReturnType<typeof blake2b.create>): Uint8Array {
  const h = hasher as unknown as Record<string, number> & { buffer: Uint8Array };
  const res = new Uint8Array(216);
  const res32 = new Uint32Array(res.buffer, 128, 22);
  res.set(h.buffer);
  const names = ['v0l', 'v0h', 'v1l', 'v1h', 'v2l', 'v2h', 'v3l', 'v3h', 'v4l', 'v4h', 'v5l', 'v5h', 'v6l', 'v6h', 'v7l', 'v7h'];
  names.forEach((name, i) => {
    res32[i] = h[name]! >>> 0;
  });
  res32[18] = h.pos!;
  res32[16] = h.length! - h.pos!;
  return res;
}

export function contributionSectionBytes(
  curve: FfCurve,
  points: { tauG1: Uint8Array; tauG2: Uint8Array; alphaG1: Uint8Array; betaG1: Uint8Array; betaG2: Uint8Array },
  key: KeyPart[],
  partialHash: Uint8Array,
  nextChallenge: Uint8Array,
): Uint8Array {
  const name = new TextEncoder().encode(DEV_CONTRIBUTION_NAME);
  const params = new Uint8Array([1, name.length, ...name]); // param 1 = name
  const parts = [
    u32(1), // one contribution
    points.tauG1,
    points.tauG2,
    points.alphaG1,
    points.betaG1,
    points.betaG2,
    pubKeyBytes(curve, key, true),
    partialHash,
    nextChallenge,
    u32(0), // type 0: an ordinary contribution (1 would be a beacon)
    u32(params.length),
    params,
  ];
  return concat(parts);
}

export function devContributionSectionSize(): number {
  const name = new TextEncoder().encode(DEV_CONTRIBUTION_NAME);
  return 4 + 2 * G1_BYTES + G2_BYTES + G1_BYTES + G2_BYTES + 6 * G1_BYTES + 3 * G2_BYTES + 216 + 64 + 4 + 4 + 2 + name.length;
}

export function u32(x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, true);
  return b;
}

export function u64(x: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(x), true);
  return b;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
