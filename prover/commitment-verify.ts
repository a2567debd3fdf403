/**
 * The verifier's side of commit-and-prove (see commitment.ts for why it is sound): the point encodings, checking a
 * commitment's proof of knowledge, and binding a statement key to a commitment. Only @noble/curves and pure
 * helpers: the web console bundles this file to verify bundles in the browser with the same code as Node.
 */
import { bn254 } from '@noble/curves/bn254.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { BN254_R } from '../common/bn254.ts';
import { ZkaiError } from '../common/errors.ts';
import { g1ToJson } from './groth16/points.ts';
import { type G1Point, type G2Point, g1, g2 } from './verify-noble.ts';

const { Fp12 } = bn254.fields;

function bad(message: string): never {
  throw new ZkaiError('BAD_BUNDLE', message);
}

export type G1Json = [string, string, string];
export type G2Json = [[string, string], [string, string], [string, string]];

/** What a statement verification key carries about its commitment (`zkai_commitment`, covered by its hash). */
export interface StatementCommitmentInfo {
  /** κ·G2, to check a commitment's proof of knowledge. */
  kappa_2: G2Json;
  /** Committed public inputs (their bases are folded into W, so absent from IC). */
  publicIndices: number[];
  /** The circuit's own nPublic (statement + committed). */
  circuitPublic: number;
}

/** A commitment to the committed inputs' values, with its proof of knowledge. */
export interface PublicInputCommitment {
  /** W = Σ v_c·IC_c, snarkjs G1 JSON. */
  point: G1Json;
  /** K = Σ v_c·κ·IC_c, snarkjs G1 JSON. */
  knowledge: G1Json;
}

/** snarkjs JSON of a G1 point, typed as a tuple. */
export const g1Json = (p: G1Point): G1Json => g1ToJson(p) as G1Json;

/** e(a1, b1) = e(a2, b2), with the point at infinity handled (noble refuses it in a pairing). */
export function pairsEqual(a1: G1Point, b1: G2Point, a2: G1Point, b2: G2Point): boolean {
  const pairs = [
    { g1: a1, g2: b1 },
    { g1: a2.negate(), g2: b2 },
  ].filter((p) => !p.g1.is0() && !p.g2.is0());
  return Fp12.eql(bn254.pairingBatch(pairs), Fp12.ONE);
}

/**
 * Whether `commitment` carries a valid proof of knowledge for a key with this κ·G2: e(K, G2) = e(W, κ·G2).
 * Throws BAD_BUNDLE for points that are not on the curve.
 */
export function checkCommitmentKnowledge(kappa_2: unknown, commitment: PublicInputCommitment): boolean {
  const w = g1(commitment?.point, 'commitment.point');
  const k = g1(commitment?.knowledge, 'commitment.knowledge');
  return pairsEqual(k, bn254.G2.Point.BASE, w, g2(kappa_2, 'kappa_2'));
}

/**
 * The committed sets a statement key names: `zkai_commitment` (a model's Pedersen-committed weights) and `zkai_lookup`
 * (a LogUp circuit's limbs and multiplicities, prover/lookup/). Either, both or none; their IC points are all absent
 * from the key, so the circuit's nPublic is the statement's plus every set's size.
 */
const COMMITTED_SETS = ['zkai_commitment', 'zkai_lookup'] as const;

/** How many of the circuit's public signals the key's committed sets hold (0 for an ordinary key). */
export function committedSignalCount(vkey: Record<string, unknown>): number {
  let n = 0;
  for (const k of COMMITTED_SETS) {
    const set = vkey[k] as { publicIndices?: unknown } | undefined;
    if (set !== undefined) n += Array.isArray(set?.publicIndices) ? set.publicIndices.length : Number.NaN;
  }
  return n;
}

/** The `zkai_commitment` of a statement verification key, or undefined for an ordinary key. */
export function commitmentInfo(vkey: Record<string, unknown>): StatementCommitmentInfo | undefined {
  const info = vkey.zkai_commitment;
  if (info === undefined) return undefined;
  const i = info as StatementCommitmentInfo;
  if (
    typeof i !== 'object' ||
    i === null ||
    !Array.isArray(i.publicIndices) ||
    !Number.isSafeInteger(i.circuitPublic) ||
    i.circuitPublic !== (vkey.nPublic as number) + committedSignalCount(vkey)
  ) {
    bad('vkey.zkai_commitment: expected { kappa_2, publicIndices, circuitPublic = nPublic + committed }');
  }
  return i;
}

/** A plain snarkjs verification key for the statement under one commitment: IC₀ replaced by IC₀ + W. */
export function bindCommitment(statementKey: Record<string, unknown>, point: G1Json): Record<string, unknown> {
  return bindCommitments(statementKey, [point]);
}

/**
 * A plain snarkjs verification key for the statement under every commitment of its committed sets (W, and a lookup
 * circuit's D): IC₀ replaced by IC₀ + Σ points, the sets' descriptions dropped.
 */
export function bindCommitments(statementKey: Record<string, unknown>, points: readonly G1Json[]): Record<string, unknown> {
  const { zkai_commitment: _w, zkai_lookup: _d, ...plain } = statementKey;
  const ic = [...(plain.IC as unknown[])];
  let ic0 = g1(ic[0], 'vkey.IC[0]');
  for (const p of points) ic0 = ic0.add(g1(p, 'commitment.point'));
  ic[0] = g1Json(ic0);
  return { ...plain, IC: ic };
}

/** The EVM encoding of a G1 point (precompile 0x06/0x07/0x08): [x, y], infinity as [0, 0]. */
export function g1Evm(p: G1Json): [bigint, bigint] {
  return p[2] === '0' ? [0n, 0n] : [BigInt(p[0]), BigInt(p[1])];
}

/**
 * The commitment's id as a field element, `uint256(keccak256(abi.encode(x, y))) mod r` (infinity: x = y = 0): how
 * ModelRegistry names a point commitment in a uint256 slot and in an attestation's signal 0.
 */
export function commitmentId(point: G1Json): bigint {
  const [x, y] = g1Evm(point);
  // abi.encode of two uint256: their 32-byte big-endian words, back to back.
  const word = (v: bigint) => v.toString(16).padStart(64, '0');
  const digest = keccak_256(hexToBytes(word(x) + word(y)));
  return BigInt(`0x${bytesToHex(digest)}`) % BN254_R;
}
