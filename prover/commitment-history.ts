/**
 * The public history of a commitment key's κ (prover/commitment.ts): how anyone checks that the κ of κ·G2 and κ·IC_c
 * is the product of every contributor's secret, so that it is unknown unless all of them collude.
 *
 * Why it is needed. κ is toxic waste: whoever knows it can prove knowledge of any commitment W, and so register a W
 * that cancels the statement (docs/model.md). Without a history, the last writer of `commitkey.json` can put there a
 * key for a κ' of its own choosing (κ'·IC_c and κ'·G2 are consistent, so the key checks against the vkey).
 *
 * The chain. κ₀ = 1 (κ₀·G2 = G2: public, like snarkjs's δ before the first contribution). Contribution i draws a
 * secret f_i and publishes
 *   - f_i·G1 and f_i·G2, with e(f_i·G1, G2) = e(G1, f_i·G2);
 *   - κ_i·G2 = f_i·κ_{i−1}·G2, checked by e(f_i·G1, κ_{i−1}·G2) = e(G1, κ_i·G2);
 *   - a Schnorr proof of knowledge of f_i (R = r·G1, z = r + c·f_i, c hashed from the transcript so far and this
 *     contribution's points: Fiat–Shamir), checked by z·G1 = R + c·f_i·G1.
 * The key's final κ·G2 must be the last κ_i·G2, and its κ·IC_c must match it (checkCommitmentKey). With the proofs of
 * knowledge, whoever can write a valid history knows every f_j after the first honest contribution, so knowing the
 * final κ = Π f_j means knowing the honest f: the trust is "at least one honest contributor", as for δ. The key's
 * creation is contribution 1, so nobody starts from a κ₀ they chose.
 *
 * Why a Schnorr proof rather than snarkjs's (s·G1, s·x·G1, x·hash-to-G2(transcript)): it needs no hash to G2 (which
 * @noble/curves does not provide for BN254), is a standard proof of knowledge in the random-oracle model, and its
 * challenge binds it to the whole transcript (the previous entry's hash chains back to the circuit's bases), so a
 * contribution cannot be lifted into another position or another key.
 *
 * Each entry names the zkey contribution it came with (`zkeyContribution`, snarkjs's hash); prover/setup/phase2.ts
 * checks those against the zkey's own chain. Entry hashes chain (each covers the previous one): a contributor who
 * publishes theirs can see it in `zkai setup verify`'s output, which a wholesale rewrite of the file cannot keep.
 */
import { createHash, randomBytes } from 'node:crypto';
import { bn254 } from '@noble/curves/bn254.js';
import { BN254_R, mod } from '../common/bn254.ts';
import { ZkaiError } from '../common/errors.ts';
import { canonicalJson } from '../common/hash.ts';
import type { G1Json, G2Json } from './commitment.ts';
import { g1ToJson, g2ToJson } from './groth16/points.ts';
import { type G1Point, type G2Point, g1, g2 } from './verify-noble.ts';

const { Fp12 } = bn254.fields;
const G1 = bn254.G1.Point.BASE;
const G2 = bn254.G2.Point.BASE;

/** One contribution to κ, as the history publishes it. */
export interface KappaContribution {
  /** 1-based position in the history. */
  index: number;
  /** The contributor's public name (the zkey contribution's name); JSON only, never generated source. */
  name: string;
  /** snarkjs's hash of the zkey contribution this one came with ('' when the zkey had none). */
  zkeyContribution: string;
  /** f·G1 and f·G2 for this contribution's secret f. */
  f_1: G1Json;
  f_2: G2Json;
  /** κ_i·G2 = f·κ_{i−1}·G2. */
  kappa_2: G2Json;
  /** Schnorr proof of knowledge of f: R = r·G1, z = r + c·f mod r. */
  pok: { R: G1Json; z: string };
  /** sha256 (hex) of the previous entry's hash and everything above: what the contributor publishes. */
  hash: string;
}

/** What names a contribution besides its points. */
export interface KappaContext {
  name?: string;
  zkeyContribution?: string;
}

const MAX_NAME_CHARS = 200;
const ZKEY_HASH = /^([0-9a-f]{128})?$/;

function bad(message: string): never {
  throw new ZkaiError('BAD_INPUT', `commitment key history: ${message}`);
}

/** A point of the file, with a parse error reported as the history's (BAD_INPUT). */
function point<P>(parse: (v: unknown, where: string) => P, v: unknown, where: string): P {
  try {
    return parse(v, where);
  } catch (err) {
    return bad((err as Error).message);
  }
}

/** The hash the chain starts from: the circuit's committed indices and bases, so a history belongs to one key. */
export function historyGenesis(publicIndices: readonly number[], bases: readonly G1Json[]): string {
  return createHash('sha256').update('zkai commitment key history v1\n').update(canonicalJson({ publicIndices, bases })).digest('hex');
}

type EntryBody = Omit<KappaContribution, 'pok' | 'hash'> & { prev: string };

/** The Fiat–Shamir challenge: 64 bytes of SHA-512 reduced mod r (bias below 2^-250). */
function challenge(body: EntryBody, R: G1Json): bigint {
  const digest = createHash('sha512').update('zkai commitment key pok v1\n').update(canonicalJson({ body, R })).digest('hex');
  return BigInt(`0x${digest}`) % BN254_R;
}

function entryHash(body: EntryBody, pok: KappaContribution['pok']): string {
  return createHash('sha256').update('zkai commitment key entry v1\n').update(canonicalJson({ body, pok })).digest('hex');
}

/** A uniformly random non-zero scalar mod r. */
function scalar(): bigint {
  for (;;) {
    const v = BigInt(`0x${randomBytes(64).toString('hex')}`) % BN254_R;
    if (v !== 0n) return v;
  }
}

function checkContext(ctx: KappaContext): { name: string; zkeyContribution: string } {
  const name = ctx.name ?? '';
  const zkeyContribution = ctx.zkeyContribution ?? '';
  if (typeof name !== 'string' || name.length > MAX_NAME_CHARS) bad(`a name is a string of at most ${MAX_NAME_CHARS} characters`);
  if (typeof zkeyContribution !== 'string' || !ZKEY_HASH.test(zkeyContribution))
    bad('zkeyContribution must be a blake2b-512 hex hash or empty');
  return { name, zkeyContribution };
}

/** The published points of an entry, before its proof and hash. */
export type KappaEntryFields = Omit<KappaContribution, 'pok' | 'hash'>;

/**
 * Signs `fields` as the entry after `prev` (the previous entry's hash, or the genesis): a Schnorr proof of knowledge
 * of `f` (the discrete log of fields.f_1, if the caller is honest) bound to everything in the entry, and its hash.
 */
export function signKappaEntry(prev: string, fields: KappaEntryFields, f: bigint): KappaContribution {
  const { name, zkeyContribution } = checkContext(fields);
  const body: EntryBody = { prev, index: fields.index, name, zkeyContribution, f_1: fields.f_1, f_2: fields.f_2, kappa_2: fields.kappa_2 };
  const r = scalar();
  const R = g1ToJson(G1.multiply(r)) as G1Json;
  const z = mod(r + challenge(body, R) * f, BN254_R);
  const pok = { R, z: z.toString() };
  return { ...fields, name, zkeyContribution, pok, hash: entryHash(body, pok) };
}

/**
 * Contribution number `history.length + 1` with secret `f`, on top of `history` (whose last κ·G2 is the current one;
 * G2 for an empty history). The caller multiplies the knowledge bases by the same f and then forgets it.
 */
export function appendKappaContribution(
  genesis: string,
  history: readonly KappaContribution[],
  f: bigint,
  ctx: KappaContext,
): KappaContribution {
  const last = history.at(-1);
  const prevKappa = last ? point(g2, last.kappa_2, 'kappa_2') : G2;
  const fields: KappaEntryFields = {
    index: history.length + 1,
    name: ctx.name ?? '',
    zkeyContribution: ctx.zkeyContribution ?? '',
    f_1: g1ToJson(G1.multiply(f)) as G1Json,
    f_2: g2ToJson(G2.multiply(f)) as G2Json,
    kappa_2: g2ToJson(prevKappa.multiply(f)) as G2Json,
  };
  return signKappaEntry(last?.hash ?? genesis, fields, f);
}

/** e(a1, b1) = e(a2, b2) for points that are not at infinity (the caller excludes it). */
function pairsEqual(a1: G1Point, b1: G2Point, a2: G1Point, b2: G2Point): boolean {
  return Fp12.eql(
    bn254.pairingBatch([
      { g1: a1, g2: b1 },
      { g1: a2.negate(), g2: b2 },
    ]),
    Fp12.ONE,
  );
}

/** A 128-bit odd random coefficient for a random linear combination. */
const rho = (): bigint => BigInt(`0x${randomBytes(16).toString('hex')}`) | 1n;

/**
 * Checks a whole history from κ₀ = 1 and returns its last κ·G2; throws BAD_INPUT naming the first entry that fails
 * and why (hash chain, proof of knowledge, f·G2, or the κ step). The pairing equations of all entries are checked
 * together (a random linear combination: one multi-pairing), and one by one only when that fails, to name the culprit.
 */
export function verifyKappaHistory(genesis: string, history: unknown): G2Point {
  if (!Array.isArray(history) || history.length === 0) {
    bad('missing (a key made before zkai recorded κ contributions cannot be checked; delete it to make a new one)');
  }
  let prev = genesis;
  let prevKappa = G2;
  const steps: { f1: G1Point; f2: G2Point; kappa: G2Point; prevKappa: G2Point; where: string }[] = [];
  history.forEach((raw: KappaContribution, j) => {
    const where = `contribution #${j + 1}`;
    if (typeof raw !== 'object' || raw === null) bad(`${where} is not an object`);
    if (raw.index !== j + 1) bad(`${where} says it is #${raw.index}: entries are numbered 1, 2, … in order`);
    const { name, zkeyContribution } = checkContext(raw);
    const body: EntryBody = { prev, index: j + 1, name, zkeyContribution, f_1: raw.f_1, f_2: raw.f_2, kappa_2: raw.kappa_2 };
    const f1 = point(g1, raw.f_1, `${where}.f_1`);
    const f2 = point(g2, raw.f_2, `${where}.f_2`);
    const kappa = point(g2, raw.kappa_2, `${where}.kappa_2`);
    if (f1.is0() || f2.is0() || kappa.is0()) bad(`${where}: f·G1, f·G2 and κ·G2 must not be the point at infinity`);
    const R = point(g1, raw.pok?.R, `${where}.pok.R`);
    const zs = raw.pok?.z;
    if (typeof zs !== 'string' || !/^(0|[1-9][0-9]{0,77})$/.test(zs) || BigInt(zs) >= BN254_R)
      bad(`${where}: pok.z is not a scalar below r`);
    const c = challenge(body, raw.pok.R);
    // z·G1 = R + c·f·G1 (z may be 0 with negligible probability; noble's multiply refuses 0).
    const lhs = BigInt(zs) === 0n ? bn254.G1.Point.ZERO : G1.multiply(BigInt(zs));
    if (!lhs.equals(R.add(f1.multiply(c)))) bad(`${where} (${JSON.stringify(name)}): its proof of knowledge of f does not verify`);
    if (entryHash(body, raw.pok) !== raw.hash)
      bad(`${where} (${JSON.stringify(name)}): its hash does not cover the entry and the one before it (edited, moved or reordered)`);
    steps.push({ f1, f2, kappa, prevKappa, where: `${where} (${JSON.stringify(name)})` });
    prev = raw.hash;
    prevKappa = kappa;
  });
  // For each step: e(f1, κ_{i−1}) = e(G1, κ_i) and e(f1, G2) = e(G1, f2). Combined: Π e(ρ_i f1_i, κ_{i−1})·e(σ_i f1_i, G2)
  // · e(−G1, Σ ρ_i κ_i + σ_i f2_i) = 1.
  const pairs: { g1: G1Point; g2: G2Point }[] = [];
  let onG2 = bn254.G1.Point.ZERO;
  let onG1 = bn254.G2.Point.ZERO;
  for (const s of steps) {
    const r = rho();
    const sg = rho();
    if (s.prevKappa.equals(G2)) onG2 = onG2.add(s.f1.multiply(r));
    else pairs.push({ g1: s.f1.multiply(r), g2: s.prevKappa });
    onG2 = onG2.add(s.f1.multiply(sg));
    onG1 = onG1.add(s.kappa.multiply(r)).add(s.f2.multiply(sg));
  }
  if (!onG2.is0()) pairs.push({ g1: onG2, g2: G2 });
  if (!onG1.is0()) pairs.push({ g1: G1.negate(), g2: onG1 });
  if (!Fp12.eql(bn254.pairingBatch(pairs), Fp12.ONE)) {
    for (const s of steps) {
      if (!pairsEqual(s.f1, G2, G1, s.f2)) bad(`${s.where}: f·G2 does not match f·G1`);
      if (!pairsEqual(s.f1, s.prevKappa, G1, s.kappa)) bad(`${s.where}: κ·G2 is not f times the previous κ·G2`);
    }
    bad('the pairing checks of the history fail together but not one by one (should not happen)');
  }
  return prevKappa;
}
