/**
 * Commit-and-prove for Groth16: some of a circuit's public inputs (a model's packed weights and a blinding value)
 * are never revealed; the verifier receives instead their Pedersen commitment W over the verification key's own
 * public-input bases, and the proof is checked against IC₀ + W + Σ statement·IC.
 *
 * Why this is sound. Groth16 checks e(A,B) = e(α,β)·e(L,γ)·e(C,δ) with L = IC₀ + Σ sᵢ·ICᵢ. If W = Σ_c v_c·IC_c for
 * committed inputs c, then L is exactly the vector of an ordinary public input (v, statement), and Groth16's knowledge
 * soundness applies to it: whoever proves knows a witness with those v. What must be excluded is a W that is *not*
 * such a combination — e.g. W = −(IC₀ + Σ sᵢ·ICᵢ) makes L = 0, and with snarkjs's γ = 1 a "proof" A = α, B = β,
 * C = 0 then verifies; a W that mixes in statement bases would shift the statement. So every commitment comes with a
 * proof of knowledge of its opening in the committed bases only, the knowledge-of-exponent check of Pinocchio and of
 * gnark's Groth16 commitments: the setup publishes K_c = κ·IC_c for the committed bases and κ·G2 (κ secret, toxic
 * waste like δ), the committer also sends K = Σ v_c·K_c, and the verifier checks e(K, G2) = e(W, κ·G2). Without a
 * representation of W in the IC_c (and so without κ) K cannot be formed.
 *
 * Why it hides. A uniformly random committed input (the circuit's `wBlind`, constrained by nothing) makes W uniform in
 * G1; a Groth16 proof reveals nothing beyond L. K = κ·W adds nothing.
 *
 * Points are JSON in snarkjs's encoding: G1 [x, y, "1"] (infinity ["0","1","0"]), G2 [[x0,x1],[y0,y1],["1","0"]].
 */
import { randomBytes } from 'node:crypto';
import { bn254 } from '@noble/curves/bn254.js';
import { BN254_R } from '../common/bn254.ts';
import { ZkaiError } from '../common/errors.ts';
import {
  appendKappaContribution,
  historyGenesis,
  type KappaContext,
  type KappaContribution,
  verifyKappaHistory,
} from './commitment-history.ts';
import { g1MsmJson, g1ScaleJson } from './commitment-msm.ts';
import {
  type G1Json,
  type G2Json,
  g1Json,
  type PublicInputCommitment,
  pairsEqual,
  type StatementCommitmentInfo,
} from './commitment-verify.ts';
import { g2ToJson } from './groth16/points.ts';
import { type G1Point, type G2Point, g1, g2 } from './verify-noble.ts';

export type { KappaContext, KappaContribution } from './commitment-history.ts';
export {
  bindCommitment,
  checkCommitmentKnowledge,
  commitmentId,
  commitmentInfo,
  type G1Json,
  type G2Json,
  g1Evm,
  g1Json,
  type PublicInputCommitment,
  pairsEqual,
  type StatementCommitmentInfo,
} from './commitment-verify.ts';

/** What a setup publishes for a circuit with committed public inputs (commitkey.json in its setup folder). */
export interface CommitmentKey {
  format: 'zkai-commitment-key';
  /** 2: with `history` (version 1 had none, and cannot be checked: see prover/commitment-history.ts). */
  version: 2;
  /** 0-based positions, among the circuit's public signals, of the committed inputs, in the order values are given. */
  publicIndices: number[];
  /** The Pedersen bases: the verification key's IC[1 + i] for each committed index i. */
  bases: G1Json[];
  /** κ·bases. */
  knowledgeBases: G1Json[];
  /** κ·G2. */
  kappa_2: G2Json;
  /** Every contribution to κ from κ₀ = 1, the key's creation first: its last κ·G2 is kappa_2 (commitment-history.ts). */
  history: KappaContribution[];
}

function bad(code: 'BAD_INPUT' | 'BAD_BUNDLE', message: string): never {
  throw new ZkaiError(code, message);
}

/** snarkjs JSON of a G2 point, typed as a tuple. */
export const g2Json = (p: G2Point): G2Json => g2ToJson(p) as G2Json;

/** A uniformly random non-zero scalar mod r (for κ and for blinding values). */
export function randomScalar(): bigint {
  for (;;) {
    // 64 bytes mod r: statistically uniform (bias below 2^-250).
    const v = BigInt(`0x${randomBytes(64).toString('hex')}`) % BN254_R;
    if (v !== 0n) return v;
  }
}

function vkeyIc(vkey: Record<string, unknown>): G1Point[] {
  const ic = vkey.IC;
  const nPublic = vkey.nPublic;
  if (!Array.isArray(ic) || typeof nPublic !== 'number' || ic.length !== nPublic + 1) {
    bad('BAD_INPUT', 'verification key: expected nPublic and nPublic + 1 IC points');
  }
  return ic.map((p, i) => g1(p, `vkey.IC[${i}]`));
}

function checkIndices(publicIndices: readonly number[], nPublic: number): void {
  const seen = new Set<number>();
  for (const i of publicIndices) {
    if (!Number.isSafeInteger(i) || i < 0 || i >= nPublic || seen.has(i)) {
      bad('BAD_INPUT', `committed public index ${i}: must be distinct integers in [0, ${nPublic})`);
    }
    seen.add(i);
  }
  if (publicIndices.length === 0) bad('BAD_INPUT', 'a commitment key needs at least one committed public input');
  if (publicIndices.length === nPublic) bad('BAD_INPUT', 'a commitment key must leave at least one public signal uncommitted');
}

/**
 * A fresh commitment key for `publicIndices` of the circuit whose verification key is `vkey`. Its creation is the
 * first contribution to κ (from κ₀ = 1, with a proof of knowledge: commitment-history.ts); the secret comes from the
 * OS CSPRNG and is forgotten when this returns (it is toxic waste: whoever knows κ can forge a commitment's proof of
 * knowledge). `zkai setup contribute` multiplies κ by each contributor's own secret (rerandomizeCommitmentKey).
 * `ctx` names the contribution and the zkey contribution it follows.
 */
export async function createCommitmentKey(
  vkey: Record<string, unknown>,
  publicIndices: readonly number[],
  ctx: KappaContext = { name: 'zkai commitment key (OS CSPRNG)' },
): Promise<CommitmentKey> {
  const ic = vkeyIc(vkey);
  checkIndices(publicIndices, ic.length - 1);
  const bases = publicIndices.map((i) => ic[i + 1]!);
  if (bases.some((p) => p.is0()))
    bad('BAD_INPUT', 'a committed public input has a zero IC point: it is unused by the circuit and the setup');
  const start: CommitmentKey = {
    format: 'zkai-commitment-key',
    version: 2,
    publicIndices: [...publicIndices],
    bases: bases.map(g1Json),
    knowledgeBases: bases.map(g1Json), // κ₀ = 1
    kappa_2: g2Json(bn254.G2.Point.BASE),
    history: [],
  };
  return rerandomizeCommitmentKey(start, ctx);
}

/**
 * The key with κ replaced by κ·f for a fresh secret f (a ceremony contribution), the contribution appended to its
 * history with f·G1, f·G2, the new κ·G2 and a proof of knowledge of f; f is forgotten on return.
 */
export async function rerandomizeCommitmentKey(key: CommitmentKey, ctx: KappaContext = {}): Promise<CommitmentKey> {
  const f = randomScalar();
  const entry = appendKappaContribution(historyGenesis(key.publicIndices, key.bases), key.history ?? [], f, ctx);
  return {
    ...key,
    knowledgeBases: await g1ScaleJson(key.knowledgeBases, f, 'knowledgeBases'),
    kappa_2: entry.kappa_2,
    history: [...(key.history ?? []), entry],
  };
}

/**
 * Throws BAD_INPUT unless `key` belongs to `vkey` and has a valid history: its bases are vkey's IC points for its
 * indices; its κ·G2 is the last of a history of contributions from κ₀ = 1 that each prove knowledge of their secret
 * (commitment-history.ts: a key whose κ someone substituted fails here); and every knowledge base is κ times its
 * base for that κ (checked with a random linear combination: e(Σρ_c·K_c, G2) = e(Σρ_c·IC_c, κ·G2), which a single
 * wrong K_c fails except with probability 2^-128).
 */
export async function checkCommitmentKey(vkey: Record<string, unknown>, key: CommitmentKey): Promise<void> {
  if (key?.format !== 'zkai-commitment-key') bad('BAD_INPUT', 'not a zkai commitment key');
  if (key.version !== 2) bad('BAD_INPUT', `commitment key version ${key.version}: only version 2 (with κ's history) can be checked`);
  const ic = vkeyIc(vkey);
  checkIndices(key.publicIndices, ic.length - 1);
  if (key.bases.length !== key.publicIndices.length || key.knowledgeBases.length !== key.publicIndices.length) {
    bad('BAD_INPUT', 'commitment key: one base and one knowledge base per committed index');
  }
  key.publicIndices.forEach((i, j) => {
    if (!g1(key.bases[j], `bases[${j}]`).equals(ic[i + 1]!)) bad('BAD_INPUT', `commitment key: base ${j} is not the key's IC[${i + 1}]`);
  });
  const kappa2 = g2(key.kappa_2, 'kappa_2');
  if (kappa2.is0()) bad('BAD_INPUT', 'commitment key: κ·G2 is the point at infinity');
  const last = verifyKappaHistory(historyGenesis(key.publicIndices, key.bases), key.history);
  if (!last.equals(kappa2)) {
    bad('BAD_INPUT', "commitment key: κ·G2 is not the last contribution's κ·G2 (κ was substituted after its history)");
  }
  const rho = key.publicIndices.map(() => BigInt(`0x${randomBytes(16).toString('hex')}`) | 1n);
  const [sumBases, sumKnowledge] = await Promise.all([
    g1MsmJson(key.bases, rho, 'bases'),
    g1MsmJson(key.knowledgeBases, rho, 'knowledgeBases'),
  ]);
  if (!pairsEqual(sumKnowledge, bn254.G2.Point.BASE, sumBases, kappa2)) {
    bad('BAD_INPUT', 'commitment key: the knowledge bases are not κ times the bases for the κ of kappa_2');
  }
}

/** Commits to `values` (one field element per committed index, in the key's order). */
export async function commitPublicInputs(key: CommitmentKey, values: readonly bigint[]): Promise<PublicInputCommitment> {
  if (values.length !== key.publicIndices.length) {
    bad('BAD_INPUT', `expected ${key.publicIndices.length} committed values, got ${values.length}`);
  }
  values.forEach((v, j) => {
    if (v < 0n || v >= BN254_R) bad('BAD_INPUT', `committed value ${j} is not a field element`);
  });
  const [point, knowledge] = await Promise.all([
    g1MsmJson(key.bases, values, 'bases'),
    g1MsmJson(key.knowledgeBases, values, 'knowledgeBases'),
  ]);
  return { point: g1Json(point), knowledge: g1Json(knowledge) };
}

/**
 * The statement verification key of a circuit with committed inputs: vkey without the committed IC points, with
 * `zkai_commitment` (κ·G2, the committed indices, the circuit's nPublic). This is what bundles carry, what a
 * model's vkey hash names and what its Solidity verifier holds; bindCommitment turns it into a plain snarkjs key.
 */
export function statementVkey(vkey: Record<string, unknown>, key: CommitmentKey): Record<string, unknown> {
  const ic = vkey.IC as unknown[];
  const committed = new Set(key.publicIndices);
  const statementIc = [ic[0], ...ic.slice(1).filter((_, i) => !committed.has(i))];
  const info: StatementCommitmentInfo = {
    kappa_2: key.kappa_2,
    publicIndices: [...key.publicIndices],
    circuitPublic: vkey.nPublic as number,
  };
  return { ...vkey, nPublic: statementIc.length - 1, IC: statementIc, zkai_commitment: info };
}

/** The statement's public signals: the circuit's, without the committed ones. */
export function statementSignals(circuitSignals: readonly string[], publicIndices: readonly number[]): string[] {
  const committed = new Set(publicIndices);
  return circuitSignals.filter((_, i) => !committed.has(i));
}
