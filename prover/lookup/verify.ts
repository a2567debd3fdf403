/**
 * Verifying a Groth16 proof with a LogUp lookup (docs/lookups.md). Only noble and pure helpers, like
 * commitment-verify.ts, so a browser can run it. The checks, all needed:
 *   1. D carries a proof of knowledge under the lookup key's κ: e(K, G2) = e(D, κ·G2). Without it D could be any
 *      point — e.g. one cancelling the statement's IC terms — and need not open to committed values at all.
 *   2. The statement's α signal equals H(D) (challenge.ts): the lookup identity was checked at a point fixed only
 *      after the values and multiplicities were.
 *   3. Groth16 with IC₀ replaced by IC₀ + D (the committed signals' contribution) and the statement signals.
 */
import { ZkaiError } from '../../common/errors.ts';
import {
  bindCommitments,
  checkCommitmentKnowledge,
  commitmentInfo,
  committedSignalCount,
  type G1Json,
  type G2Json,
  type PublicInputCommitment,
} from '../commitment-verify.ts';
import { verifyGroth16Noble } from '../verify-noble.ts';
import { logupChallenge } from './challenge.ts';

/** `zkai_lookup` of a LogUp statement key. */
export interface LookupStatementInfo {
  /** κ·G2 of the lookup commitment key. */
  kappa_2: G2Json;
  /** The circuit's committed public signals (their IC points are folded into D, so absent from IC). */
  publicIndices: number[];
  /** The circuit's nPublic (statement + committed: these and, with Pedersen weights, zkai_commitment's). */
  circuitPublic: number;
  /** Position of α among the statement signals. */
  alphaIndex: number;
}

/**
 * A LogUp proof: the Groth16 proof, the statement signals (the circuit's public signals less the committed ones), D,
 * and with Pedersen-committed weights (a key with zkai_commitment too) their W.
 */
export interface LookupProof {
  proof: unknown;
  publicSignals: string[];
  commitment: PublicInputCommitment;
  weights?: PublicInputCommitment;
}

export type LookupVerdict = { ok: true } | { ok: false; reason: 'COMMITMENT_INVALID' | 'CHALLENGE_MISMATCH' | 'PROOF_INVALID' };

/** The `zkai_lookup` of a statement key, or undefined for a key without lookups; BAD_BUNDLE when malformed. */
export function lookupInfo(statementKey: Record<string, unknown>): LookupStatementInfo | undefined {
  return statementKey.zkai_lookup === undefined ? undefined : info(statementKey);
}

function info(statementKey: Record<string, unknown>): LookupStatementInfo {
  const i = statementKey.zkai_lookup as LookupStatementInfo | undefined;
  const nPublic = statementKey.nPublic as number;
  if (
    typeof i !== 'object' ||
    i === null ||
    !Array.isArray(i.publicIndices) ||
    i.circuitPublic !== nPublic + committedSignalCount(statementKey) ||
    !Number.isSafeInteger(i.alphaIndex) ||
    i.alphaIndex < 0 ||
    i.alphaIndex >= nPublic
  ) {
    throw new ZkaiError(
      'BAD_BUNDLE',
      'not a LogUp statement key: expected zkai_lookup { kappa_2, publicIndices, circuitPublic, alphaIndex }',
    );
  }
  return i;
}

/**
 * Checks 1–2 above, and with zkai_commitment the weights' W and its proof of knowledge: the commitment verdicts, and
 * the points the statement key is bound to for check 3 (bindCommitments). verify-core.ts runs this for bundles.
 */
export function checkLookupCommitments(
  statementKey: Record<string, unknown>,
  publicSignals: readonly string[],
  d: PublicInputCommitment,
  w: PublicInputCommitment | undefined,
): { ok: true; points: G1Json[] } | { ok: false; reason: 'COMMITMENT_INVALID' | 'CHALLENGE_MISMATCH' } {
  const lookup = info(statementKey);
  const weights = commitmentInfo(statementKey);
  if (weights && !w) throw new ZkaiError('BAD_BUNDLE', 'the key commits weights (zkai_commitment): the proof must carry their W');
  if (weights && w && !checkCommitmentKnowledge(weights.kappa_2, w)) return { ok: false, reason: 'COMMITMENT_INVALID' };
  if (!checkCommitmentKnowledge(lookup.kappa_2, d)) return { ok: false, reason: 'COMMITMENT_INVALID' };
  if (publicSignals[lookup.alphaIndex] !== logupChallenge(d.point).toString()) return { ok: false, reason: 'CHALLENGE_MISMATCH' };
  return { ok: true, points: weights && w ? [w.point, d.point] : [d.point] };
}

/** Checks 1–3 above. Throws BAD_BUNDLE for malformed keys, points or signals; a false claim is a verdict. */
export function verifyLookupProof(statementKey: Record<string, unknown>, p: LookupProof): LookupVerdict {
  if (!Array.isArray(p?.publicSignals) || p.publicSignals.length !== (statementKey.nPublic as number)) {
    throw new ZkaiError('BAD_BUNDLE', `expected ${statementKey.nPublic as number} statement signals`);
  }
  const c = checkLookupCommitments(statementKey, p.publicSignals, p.commitment, p.weights);
  if (!c.ok) return c;
  const bound = bindCommitments(statementKey, c.points);
  return verifyGroth16Noble(bound, p.proof, p.publicSignals) ? { ok: true } : { ok: false, reason: 'PROOF_INVALID' };
}
