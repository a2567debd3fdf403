/**
 * Off-chain verification of a proof bundle with two independent Groth16 verifiers: snarkjs (ffjavascript,
 * WASM) and verify-noble.ts (@noble/curves, pure JS). A proof is valid only if both say so; if they
 * disagree, one of them has a bug, and the report says so loudly instead of picking a winner.
 *
 * A bundle carries its own verification key, and whoever made a key can "prove" anything under it (with a statement
 * key whose κ they know: W = −(IC₀ + Σ sᵢ·ICᵢ), K = κ·W, A = α, B = β + δ, C = α). So the proof checks say nothing
 * until the key is one the caller trusts: `valid` needs the key to be pinned (expectedVkeyHash / trustedVkeyHashes);
 * an unpinned key is reported with pinned: false and reasonCode KEY_NOT_PINNED, never as valid.
 */
import * as snarkjs from 'snarkjs';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import { type BundleNaming, parseBundle } from './bundle.ts';
import { bindCommitment, checkCommitmentKnowledge, commitmentInfo } from './commitment.ts';
import { checkGroth16, type ParsedGroth16, parseGroth16 } from './verify-noble.ts';

/** Why a report is not valid, as a stable code (the `reason` text is for people). */
export type VerifyReasonCode = 'VERIFIER_DISAGREEMENT' | 'VKEY_MISMATCH' | 'COMMITMENT_INVALID' | 'PROOF_INVALID' | 'KEY_NOT_PINNED';

export interface VerifyReport {
  /** True only when every check passes AND the key is pinned (a key the caller trusts). */
  valid: boolean;
  /** The bundle's key is one the caller trusts (its hash is the expected one, or among the trusted ones). */
  pinned: boolean;
  /** sha256(canonicalJson(vkey)) of the key the proof was checked against (the bundle's; covers zkai_commitment's κ·G2). */
  vkeyHash: string;
  /**
   * snarkjs and noble: the pairing checks against the bundle's key; vkeyHash: that key is a pinned one;
   * commitment: the proof of knowledge of a committed-input bundle's W (absent for ordinary bundles).
   */
  checks: { snarkjs: boolean; noble: boolean; vkeyHash: boolean; commitment?: boolean };
  reason?: string;
  reasonCode?: VerifyReasonCode;
}

export interface VerifyOptions extends BundleNaming {
  /** The vkey hash the caller trusts (from a registry, a contract, `--vkey-hash`): the bundle's key must be this one. */
  expectedVkeyHash?: string;
  /** Several trusted hashes (e.g. every setup of the circuit this machine made): the bundle's key must be one of them. */
  trustedVkeyHashes?: readonly string[];
}

/** Stable marker, so logs and tests can find disagreements. */
export const VERIFIER_DISAGREEMENT = 'VERIFIER DISAGREEMENT';

/** The two independent verifiers. Injectable (verifyBundleWith) so a test can show a disagreement is caught. */
export interface Groth16Verifiers {
  snarkjs(vkey: Record<string, unknown>, publicSignals: string[], proof: unknown): Promise<{ ok: boolean; error?: string }>;
  noble(parsed: ParsedGroth16): boolean;
}

async function snarkjsVerify(vkey: unknown, publicSignals: string[], proof: unknown): Promise<{ ok: boolean; error?: string }> {
  try {
    // No logger: snarkjs then prints nothing (it logs only through the logger it is given).
    const ok = (await snarkjs.groth16.verify(vkey, publicSignals, proof, undefined)) as boolean;
    return { ok: ok === true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export const DEFAULT_VERIFIERS: Groth16Verifiers = { snarkjs: snarkjsVerify, noble: checkGroth16 };

/** The trusted hashes of `opts`, lowercased; undefined when the caller pinned nothing (no hash, or an empty list). */
function trustedHashes(opts: VerifyOptions): Set<string> | undefined {
  const all = [...(opts.expectedVkeyHash ? [opts.expectedVkeyHash] : []), ...(opts.trustedVkeyHashes ?? [])];
  return all.length === 0 ? undefined : new Set(all.map((h) => h.toLowerCase()));
}

/**
 * Verifies a bundle. Throws ZkaiError('BAD_BUNDLE') when the bundle is malformed (shape, encodings,
 * points off the curve or outside the subgroup, signals ≥ r: see parseBundle and parseGroth16); otherwise
 * returns a report. `valid` needs both verifiers to accept, a commitment's proof of knowledge to hold, and the
 * bundle's key to be pinned by `opts`; without a pin the answer is never valid (reasonCode KEY_NOT_PINNED).
 *
 * snarkjs starts ffjavascript's worker threads on first use and they keep the process alive: a CLI
 * should call releaseVerifierResources() before it exits.
 */
export async function verifyBundle(bundle: unknown, opts: VerifyOptions = {}): Promise<VerifyReport> {
  return verifyBundleWith(DEFAULT_VERIFIERS, bundle, opts);
}

/** verifyBundle with the two verifiers given (tests inject a faulty one to show the disagreement check works). */
export async function verifyBundleWith(verifiers: Groth16Verifiers, bundle: unknown, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const b = parseBundle(bundle, opts);
  // A statement key (committed inputs, commitment.ts): the proof is checked against IC₀ + W, once W's proof of
  // knowledge shows it commits in the committed bases only (a bare W could cancel or shift the statement).
  const info = commitmentInfo(b.vkey);
  const commitmentOk = info && b.commitment ? checkCommitmentKnowledge(info.kappa_2, b.commitment) : undefined;
  const vkey = info && b.commitment ? bindCommitment(b.vkey, b.commitment.point) : b.vkey;
  const parsed = parseGroth16(vkey, b.proof, b.publicSignals);

  // The hash names the whole key, zkai_commitment (κ·G2) included; parseBundle already enforces it, kept explicit.
  const vkeyHash = sha256Hex(canonicalJson(b.vkey));
  const ownHash = vkeyHash === b.vkeyHash;
  const trusted = trustedHashes(opts);
  const pinned = ownHash && trusted?.has(vkeyHash) === true;

  const noble = verifiers.noble(parsed);
  const sj = await verifiers.snarkjs(vkey, b.publicSignals, b.proof);
  const checks = { snarkjs: sj.ok, noble, vkeyHash: pinned, ...(commitmentOk === undefined ? {} : { commitment: commitmentOk }) };
  const invalid = (reasonCode: VerifyReasonCode, reason: string): VerifyReport => ({
    valid: false,
    pinned,
    vkeyHash,
    checks,
    reason,
    reasonCode,
  });

  if (sj.ok !== noble) {
    const reason =
      `${VERIFIER_DISAGREEMENT}: snarkjs says ${sj.ok ? 'valid' : 'invalid'}${sj.error ? ` (${sj.error})` : ''}, ` +
      `@noble/curves says ${noble ? 'valid' : 'invalid'}; one of the verifiers is wrong — treat the proof as invalid and report this bundle`;
    process.emitWarning(reason, { code: 'ZKAI_VERIFIER_DISAGREEMENT' });
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

/**
 * Stops snarkjs's shared ffjavascript curve (its worker threads keep the event loop alive). Call once when
 * the process is done verifying and proving (CLI exit, test teardown); the next snarkjs call rebuilds it (~0.3 s).
 */
export async function releaseVerifierResources(): Promise<void> {
  const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128;
  if (curve) await curve.terminate();
}
