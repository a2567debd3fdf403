/**
 * Off-chain verification of a proof bundle with two independent Groth16 verifiers: snarkjs (ffjavascript,
 * WASM) and verify-noble.ts (@noble/curves, pure JS). A proof is valid only if both say so; if they
 * disagree, one of them has a bug, and the report says so loudly instead of picking a winner.
 */
import * as snarkjs from 'snarkjs';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import { type BundleNaming, parseBundle } from './bundle.ts';
import { bindCommitment, checkCommitmentKnowledge, commitmentInfo } from './commitment.ts';
import { checkGroth16, parseGroth16 } from './verify-noble.ts';

export interface VerifyReport {
  valid: boolean;
  /** commitment: the proof of knowledge of a committed-input bundle's W (absent for ordinary bundles). */
  checks: { snarkjs: boolean; noble: boolean; vkeyHash: boolean; commitment?: boolean };
  reason?: string;
}

export interface VerifyOptions extends BundleNaming {
  /** The vkey hash the caller trusts (e.g. from a registry or contract): a bundle carrying another key is not valid. */
  expectedVkeyHash?: string;
}

/** Stable marker, so logs and tests can find disagreements. */
export const VERIFIER_DISAGREEMENT = 'VERIFIER DISAGREEMENT';

async function snarkjsVerify(vkey: unknown, publicSignals: string[], proof: unknown): Promise<{ ok: boolean; error?: string }> {
  try {
    // No logger: snarkjs then prints nothing (it logs only through the logger it is given).
    const ok = (await snarkjs.groth16.verify(vkey, publicSignals, proof, undefined)) as boolean;
    return { ok: ok === true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Verifies a bundle. Throws ZkaiError('BAD_BUNDLE') when the bundle is malformed (shape, encodings,
 * points off the curve or outside the subgroup, signals ≥ r: see parseBundle and parseGroth16); otherwise
 * returns a report. `valid` needs both verifiers to accept and the vkey hash to match (the embedded key's
 * hash, and `expectedVkeyHash` when given — without it, the bundle only proves something about its own key).
 *
 * snarkjs starts ffjavascript's worker threads on first use and they keep the process alive: a CLI
 * should call releaseVerifierResources() before it exits.
 */
export async function verifyBundle(bundle: unknown, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const b = parseBundle(bundle, opts);
  // A statement key (committed inputs, commitment.ts): the proof is checked against IC₀ + W, once W's proof of
  // knowledge shows it commits in the committed bases only (a bare W could cancel or shift the statement).
  const info = commitmentInfo(b.vkey);
  const commitmentOk = info && b.commitment ? checkCommitmentKnowledge(info.kappa_2, b.commitment) : undefined;
  const vkey = info && b.commitment ? bindCommitment(b.vkey, b.commitment.point) : b.vkey;
  const parsed = parseGroth16(vkey, b.proof, b.publicSignals);

  const ownHash = sha256Hex(canonicalJson(b.vkey)) === b.vkeyHash; // parseBundle already enforces this; kept explicit
  const expectedOk = opts.expectedVkeyHash === undefined || opts.expectedVkeyHash.toLowerCase() === b.vkeyHash;
  const vkeyHash = ownHash && expectedOk;

  const noble = checkGroth16(parsed);
  const sj = await snarkjsVerify(vkey, b.publicSignals, b.proof);
  const checks = { snarkjs: sj.ok, noble, vkeyHash, ...(commitmentOk === undefined ? {} : { commitment: commitmentOk }) };

  if (sj.ok !== noble) {
    const reason =
      `${VERIFIER_DISAGREEMENT}: snarkjs says ${sj.ok ? 'valid' : 'invalid'}${sj.error ? ` (${sj.error})` : ''}, ` +
      `@noble/curves says ${noble ? 'valid' : 'invalid'}; one of the verifiers is wrong — treat the proof as invalid and report this bundle`;
    process.emitWarning(reason, { code: 'ZKAI_VERIFIER_DISAGREEMENT' });
    return { valid: false, checks, reason };
  }
  if (!vkeyHash) {
    return { valid: false, checks, reason: `verification key hash ${b.vkeyHash} is not the expected ${opts.expectedVkeyHash}` };
  }
  if (commitmentOk === false) {
    return {
      valid: false,
      checks,
      reason: 'the commitment has no valid proof of knowledge (e(K, G2) ≠ e(W, κ·G2)): it is not a commitment to the committed inputs',
    };
  }
  if (!noble)
    return {
      valid: false,
      checks,
      reason: 'the Groth16 pairing equation does not hold: the proof does not match these public signals and key',
    };
  return { valid: true, checks };
}

/**
 * Stops snarkjs's shared ffjavascript curve (its worker threads keep the event loop alive). Call once when
 * the process is done verifying and proving (CLI exit, test teardown); the next snarkjs call rebuilds it (~0.3 s).
 */
export async function releaseVerifierResources(): Promise<void> {
  const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128;
  if (curve) await curve.terminate();
}
