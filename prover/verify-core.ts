/**
 * The verdict on a proof bundle, shared by Node (verify.ts: snarkjs and @noble/curves) and the browser (the web
 * console: @noble/curves only, console/src/verify.ts). Everything here is pure TypeScript on @noble/curves, so both
 * run the same parsing, key pinning, commitment check and decision order.
 *
 * A bundle carries its own verification key, and whoever made a key can "prove" anything under it (with a statement
 * key whose κ they know: W = −(IC₀ + Σ sᵢ·ICᵢ), K = κ·W, A = α, B = β + δ, C = α). So the proof checks say nothing
 * until the key is one the caller trusts: `valid` needs the key to be pinned (expectedVkeyHash / trustedVkeyHashes);
 * an unpinned key is reported with pinned: false and reasonCode KEY_NOT_PINNED, never as valid.
 */
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import { type BundleNaming, type ProofBundle, parseBundle } from './bundle.ts';
import { bindCommitments, checkCommitmentKnowledge, commitmentInfo } from './commitment-verify.ts';
import { checkLookupCommitments, lookupInfo } from './lookup/verify.ts';
import { type ParsedGroth16, parseGroth16 } from './verify-noble.ts';

/** Why a report is not valid, as a stable code (the `reason` text is for people). */
export type VerifyReasonCode =
  | 'VERIFIER_DISAGREEMENT'
  | 'VKEY_MISMATCH'
  | 'COMMITMENT_INVALID'
  | 'CHALLENGE_MISMATCH'
  | 'PROOF_INVALID'
  | 'KEY_NOT_PINNED';

/** Stable marker, so logs and tests can find disagreements. */
export const VERIFIER_DISAGREEMENT = 'VERIFIER DISAGREEMENT';

export interface VerifyOptions extends BundleNaming {
  /** The vkey hash the caller trusts (from a registry, a contract, `--vkey-hash`): the bundle's key must be this one. */
  expectedVkeyHash?: string;
  /** Several trusted hashes (e.g. every setup of the circuit this machine made): the bundle's key must be one of them. */
  trustedVkeyHashes?: readonly string[];
}

/** A report whose pairing checks may come from one verifier (the browser: noble) or two (Node: snarkjs too). */
export interface CoreVerifyReport {
  /** True only when every check passes AND the key is pinned (a key the caller trusts). */
  valid: boolean;
  /** The bundle's key is one the caller trusts (its hash is the expected one, or among the trusted ones). */
  pinned: boolean;
  /** sha256(canonicalJson(vkey)) of the key the proof was checked against (the bundle's; covers zkai_commitment's κ·G2). */
  vkeyHash: string;
  /**
   * snarkjs (when run) and noble: the pairing checks against the bundle's key; vkeyHash: that key is a pinned one;
   * commitment: the proof of knowledge of a committed-input bundle's W, and of a LogUp bundle's D (absent for
   * ordinary bundles); challenge: a LogUp bundle's α signal is H(D) (absent for others).
   */
  checks: { snarkjs?: boolean; noble: boolean; vkeyHash: boolean; commitment?: boolean; challenge?: boolean };
  reason?: string;
  reasonCode?: VerifyReasonCode;
}

/** A bundle parsed and decoded for the pairing checks, with its pin and commitment verdicts. */
export interface PreparedBundle {
  bundle: ProofBundle;
  /** The plain snarkjs key the proof is checked against (a statement key bound to its commitment). */
  vkey: Record<string, unknown>;
  parsed: ParsedGroth16;
  vkeyHash: string;
  pinned: boolean;
  /** The trusted hashes, lowercased; undefined when the caller pinned nothing. */
  trusted?: ReadonlySet<string>;
  /** The commitments' proofs of knowledge (committed-input and LogUp bundles only). */
  commitmentOk?: boolean;
  /** A LogUp bundle's α = H(D) (LogUp bundles only; undefined when a proof of knowledge already failed). */
  challengeOk?: boolean;
}

/** The trusted hashes of `opts`, lowercased; undefined when the caller pinned nothing (no hash, or an empty list). */
function trustedHashes(opts: VerifyOptions): Set<string> | undefined {
  const all = [...(opts.expectedVkeyHash ? [opts.expectedVkeyHash] : []), ...(opts.trustedVkeyHashes ?? [])];
  return all.length === 0 ? undefined : new Set(all.map((h) => h.toLowerCase()));
}

/**
 * Parses a bundle (throws ZkaiError('BAD_BUNDLE') when malformed: see parseBundle and parseGroth16), checks a
 * commitment's proof of knowledge, binds a statement key to its commitment, and says whether the key is pinned.
 */
export function prepareBundle(bundle: unknown, opts: VerifyOptions = {}): PreparedBundle {
  const b = parseBundle(bundle, opts);
  // A statement key (committed inputs, commitment.ts): the proof is checked against IC₀ + W, once W's proof of
  // knowledge shows it commits in the committed bases only (a bare W could cancel or shift the statement).
  // A LogUp key (prover/lookup/): against IC₀ (+ W) + D, once D's proof of knowledge holds and α = H(D).
  const info = commitmentInfo(b.vkey);
  let commitmentOk: boolean | undefined;
  let challengeOk: boolean | undefined;
  let vkey = b.vkey;
  if (lookupInfo(b.vkey) && b.lookupCommitment) {
    const c = checkLookupCommitments(b.vkey, b.publicSignals, b.lookupCommitment, b.commitment);
    commitmentOk = c.ok || c.reason !== 'COMMITMENT_INVALID';
    challengeOk = c.ok ? true : c.reason === 'CHALLENGE_MISMATCH' ? false : undefined;
    // A failed check still binds the bundle's points, so the pairing verdict is reported as well.
    vkey = bindCommitments(b.vkey, [...(b.commitment ? [b.commitment.point] : []), b.lookupCommitment.point]);
  } else if (info && b.commitment) {
    commitmentOk = checkCommitmentKnowledge(info.kappa_2, b.commitment);
    vkey = bindCommitments(b.vkey, [b.commitment.point]);
  }
  const parsed = parseGroth16(vkey, b.proof, b.publicSignals);
  // The hash names the whole key, zkai_commitment (κ·G2) included; parseBundle already enforces it, kept explicit.
  const vkeyHash = sha256Hex(canonicalJson(b.vkey));
  const trusted = trustedHashes(opts);
  const pinned = vkeyHash === b.vkeyHash && trusted?.has(vkeyHash) === true;
  return {
    bundle: b,
    vkey,
    parsed,
    vkeyHash,
    pinned,
    ...(trusted ? { trusted } : {}),
    ...(commitmentOk === undefined ? {} : { commitmentOk }),
    ...(challengeOk === undefined ? {} : { challengeOk }),
  };
}

/**
 * The verdict from the pairing checks' results: `noble` always, `snarkjs` where it ran (Node). Two verifiers that
 * disagree make the report invalid (VERIFIER_DISAGREEMENT) instead of picking a winner.
 */
export function judgeBundle(p: PreparedBundle, noble: boolean, snarkjs?: { ok: boolean; error?: string }): CoreVerifyReport {
  const { pinned, vkeyHash, trusted, commitmentOk, challengeOk } = p;
  const checks = {
    ...(snarkjs ? { snarkjs: snarkjs.ok } : {}),
    noble,
    vkeyHash: pinned,
    ...(commitmentOk === undefined ? {} : { commitment: commitmentOk }),
    ...(challengeOk === undefined ? {} : { challenge: challengeOk }),
  };
  const invalid = (reasonCode: VerifyReasonCode, reason: string): CoreVerifyReport => ({
    valid: false,
    pinned,
    vkeyHash,
    checks,
    reason,
    reasonCode,
  });

  if (snarkjs && snarkjs.ok !== noble) {
    const reason =
      `${VERIFIER_DISAGREEMENT}: snarkjs says ${snarkjs.ok ? 'valid' : 'invalid'}${snarkjs.error ? ` (${snarkjs.error})` : ''}, ` +
      `@noble/curves says ${noble ? 'valid' : 'invalid'}; one of the verifiers is wrong — treat the proof as invalid and report this bundle`;
    return invalid('VERIFIER_DISAGREEMENT', reason);
  }
  if (trusted !== undefined && !pinned) {
    return invalid('VKEY_MISMATCH', `verification key hash ${vkeyHash} is not the expected ${[...trusted].join(' or ')}`);
  }
  if (commitmentOk === false) {
    return invalid(
      'COMMITMENT_INVALID',
      'the commitment has no valid proof of knowledge (e(K, G2) ≠ e(W, κ·G2)): it is not a commitment to the committed inputs',
    );
  }
  if (challengeOk === false) {
    return invalid(
      'CHALLENGE_MISMATCH',
      'the lookup challenge α is not H(D): the lookups were checked at a point chosen by the prover, not after its commitment',
    );
  }
  if (!noble) {
    return invalid('PROOF_INVALID', 'the Groth16 pairing equation does not hold: the proof does not match these public signals and key');
  }
  if (!pinned) {
    return invalid(
      'KEY_NOT_PINNED',
      `the proof holds only against the bundle's own key ${vkeyHash}, which nobody pinned: whoever made a key can prove ` +
        'anything under it; check it against a trusted key (zkai verify --vkey/--vkey-hash, a registered model, a service circuit)',
    );
  }
  return { valid: true, pinned, vkeyHash, checks };
}
