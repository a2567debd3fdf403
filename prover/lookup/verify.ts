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
import { bindCommitment, checkCommitmentKnowledge, type G2Json, type PublicInputCommitment } from '../commitment-verify.ts';
import { verifyGroth16Noble } from '../verify-noble.ts';
import { logupChallenge } from './challenge.ts';

/** `zkai_lookup` of a LogUp statement key. */
export interface LookupStatementInfo {
  /** κ·G2 of the lookup commitment key. */
  kappa_2: G2Json;
  /** The circuit's committed public signals (their IC points are folded into D, so absent from IC). */
  publicIndices: number[];
  /** The circuit's nPublic (statement + committed). */
  circuitPublic: number;
  /** Position of α among the statement signals. */
  alphaIndex: number;
}

/** A LogUp proof: the Groth16 proof, the statement signals (the circuit's public signals less the committed ones) and D. */
export interface LookupProof {
  proof: unknown;
  publicSignals: string[];
  commitment: PublicInputCommitment;
}

export type LookupVerdict = { ok: true } | { ok: false; reason: 'COMMITMENT_INVALID' | 'CHALLENGE_MISMATCH' | 'PROOF_INVALID' };

function info(statementKey: Record<string, unknown>): LookupStatementInfo {
  const i = statementKey.zkai_lookup as LookupStatementInfo | undefined;
  const nPublic = statementKey.nPublic as number;
  if (
    typeof i !== 'object' ||
    i === null ||
    !Array.isArray(i.publicIndices) ||
    i.circuitPublic !== nPublic + i.publicIndices.length ||
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

/** Checks 1–3 above. Throws BAD_BUNDLE for malformed keys, points or signals; a false claim is a verdict. */
export function verifyLookupProof(statementKey: Record<string, unknown>, p: LookupProof): LookupVerdict {
  const lookup = info(statementKey);
  if (!Array.isArray(p?.publicSignals) || p.publicSignals.length !== (statementKey.nPublic as number)) {
    throw new ZkaiError('BAD_BUNDLE', `expected ${statementKey.nPublic as number} statement signals`);
  }
  if (!checkCommitmentKnowledge(lookup.kappa_2, p.commitment)) return { ok: false, reason: 'COMMITMENT_INVALID' };
  if (p.publicSignals[lookup.alphaIndex] !== logupChallenge(p.commitment.point).toString()) {
    return { ok: false, reason: 'CHALLENGE_MISMATCH' };
  }
  const { zkai_lookup: _lookup, ...plain } = statementKey;
  const bound = bindCommitment(plain, p.commitment.point);
  return verifyGroth16Noble(bound, p.proof, p.publicSignals) ? { ok: true } : { ok: false, reason: 'PROOF_INVALID' };
}
