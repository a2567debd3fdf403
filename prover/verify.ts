/**
 * Off-chain verification of a proof bundle with two independent Groth16 verifiers: snarkjs (ffjavascript,
 * WASM) and verify-noble.ts (@noble/curves, pure JS). A proof is valid only if both say so; if they
 * disagree, one of them has a bug, and the report says so loudly instead of picking a winner. Parsing, key
 * pinning, the commitment check and the decision are verify-core.ts's, shared with the browser console.
 */
import * as snarkjs from 'snarkjs';
import {
  type CoreVerifyReport,
  judgeBundle,
  prepareBundle,
  VERIFIER_DISAGREEMENT,
  type VerifyOptions,
  type VerifyReasonCode,
} from './verify-core.ts';
import { checkGroth16, type ParsedGroth16 } from './verify-noble.ts';

export { VERIFIER_DISAGREEMENT, type VerifyOptions, type VerifyReasonCode };

/** The report of verifyBundle: both verifiers ran, so `checks.snarkjs` is always there. */
export interface VerifyReport extends CoreVerifyReport {
  checks: CoreVerifyReport['checks'] & { snarkjs: boolean };
}

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
  const prepared = prepareBundle(bundle, opts);
  const noble = verifiers.noble(prepared.parsed);
  const sj = await verifiers.snarkjs(prepared.vkey, prepared.bundle.publicSignals, prepared.bundle.proof);
  const report = judgeBundle(prepared, noble, sj) as VerifyReport;
  if (report.reasonCode === 'VERIFIER_DISAGREEMENT') process.emitWarning(report.reason!, { code: 'ZKAI_VERIFIER_DISAGREEMENT' });
  return report;
}

/**
 * Stops snarkjs's shared ffjavascript curve (its worker threads keep the event loop alive). Call once when
 * the process is done verifying and proving (CLI exit, test teardown); the next snarkjs call rebuilds it (~0.3 s).
 */
export async function releaseVerifierResources(): Promise<void> {
  const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128;
  if (curve) await curve.terminate();
}
