/**
 * Solidity verifiers for LogUp circuits (docs/lookups.md, prover/lookup/). The contract holds the statement key
 * (IC₀ and the statement ICs; the committed signals' IC points stay with the prover) and κ·G2, and
 *   verifyProof(a, b, c, pubSignals[N], commitment, knowledge)
 * checks, answering false (never reverting) on any bad input:
 *   - pubSignals[ALPHA_SIGNAL] = uint256(keccak256(abi.encode(TAG, D.x, D.y))) mod r   (prover/lookup/challenge.ts);
 *   - Groth16 against vk_x = IC₀ + D + Σ pubᵢ·IC_{i+1}, and D's proof of knowledge e(K, G2) = e(D, κ·G2), in ONE
 *     pairing call: with ρ = keccak256(everything the caller sent) mod r,
 *         e(−A, B)·e(α, β)·e(vk_x + ρ·K, G2)·e(C, δ)·e(−ρ·D, κ·G2) = 1.
 *     The γ pair and the G2 pair of the proof of knowledge merge because γ₂ is the G2 generator (snarkjs and zkai
 *     key generation use γ = 1; the generator refuses another key). If either check fails, the product is 1 for at
 *     most one ρ mod r, and ρ is drawn by the hash after every point is fixed: probability ~2^-254 per attempt.
 * For a model whose weights are also committed (a statement key with zkai_commitment as well: Pedersen weights and
 * lookups), the weights' commitment W comes before D and K, vk_x = IC₀ + W + D + Σ pubᵢ·IC_{i+1}, ρ hashes W too, and
 *   verifyCommitment(W, K_W)   — e(K_W, G2)·e(−W, κ_W·G2) = 1, as committed-verifier.ts's,
 * which ModelRegistry.registerCommittedModel calls once; InferenceAttestor.attestWithLookup then passes the
 * registered W with every proof (verifyCommittedLookupSelector).
 * The helpers _isG1/_word/_ecAdd/_ecMulAdd are the same as committed-verifier.ts's.
 */
import { bn254 } from '@noble/curves/bn254.js';
import { BN254_Q, BN254_R } from '../common/bn254.ts';
import { ZkaiError } from '../common/errors.ts';
import { assertSafeGeneratedSource } from '../common/source-guard.ts';
import { commitmentInfo, g2Json } from '../prover/commitment.ts';
import { LOGUP_CHALLENGE_TAG } from '../prover/lookup/challenge.ts';
import type { LookupStatementInfo } from '../prover/lookup/verify.ts';
import { g2 } from '../prover/verify-noble.ts';
import { constants, EC_HELPERS_SOL, G1_NAMES, G2_NAMES, g1Words, g2Words, word } from './committed-verifier.ts';
import { type InstalledVerifier, installContractSource, SOLIDITY_GUARD } from './generated.ts';

const CONTRACT_NAME = /^[A-Z][A-Za-z0-9_]*$/;
/** As for committed verifiers: the IC points live in the contract's code (EIP-170). */
export const MAX_LOOKUP_STATEMENT_SIGNALS = 320;

function bad(message: string): never {
  throw new ZkaiError('BAD_INPUT', `lookup verifier: ${message}`);
}

/** verifyCommitment for W (as committed-verifier.ts's): what ModelRegistry.registerCommittedModel asks. */
const WEIGHTS_KNOWLEDGE_SOL = `
    /**
     * @notice Checks the weights' commitment's proof of knowledge: e(knowledge, G2) * e(-commitment, kappa_W * G2)
     * == 1 (the registry asks it once, at registration).
     * @return True iff the proof of knowledge is valid.
     */
    function verifyCommitment(uint256[2] calldata commitment, uint256[2] calldata knowledge) external view returns (bool) {
        if (!_isG1(commitment[0], commitment[1]) || !_isG1(knowledge[0], knowledge[1])) return false;
        uint256[12] memory p;
        p[0] = knowledge[0];
        p[1] = knowledge[1];
        p[2] = G2_X_C1;
        p[3] = G2_X_C0;
        p[4] = G2_Y_C1;
        p[5] = G2_Y_C0;
        p[6] = commitment[0];
        p[7] = (Q - commitment[1]) % Q;
        p[8] = KAPPA_W_X_C1;
        p[9] = KAPPA_W_X_C0;
        p[10] = KAPPA_W_Y_C1;
        p[11] = KAPPA_W_Y_C0;
        bool valid;
        assembly ("memory-safe") {
            let called := staticcall(gas(), 0x08, p, 384, 0x00, 0x20)
            valid := and(called, and(eq(returndatasize(), 0x20), eq(mload(0x00), 1)))
        }
        return valid;
    }
`;

/** Solidity 0.8.28 source of the verifier for a LogUp statement key (prover/lookup/setup.ts lookupStatementKey). */
export function lookupVerifierSolidity(statementKey: Record<string, unknown>, contractName: string): string {
  if (!CONTRACT_NAME.test(contractName)) bad(`invalid Solidity contract name ${JSON.stringify(contractName)}`);
  if (statementKey?.protocol !== 'groth16' || statementKey.curve !== 'bn128') bad('expected a Groth16 BN254 (bn128) verification key');
  const info = statementKey.zkai_lookup as LookupStatementInfo | undefined;
  const n = statementKey.nPublic;
  const ic = statementKey.IC;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || !Array.isArray(ic) || ic.length !== n + 1) {
    bad('expected nPublic ≥ 1 and nPublic + 1 IC points');
  }
  if (n > MAX_LOOKUP_STATEMENT_SIGNALS) bad(`${n} statement signals: at most ${MAX_LOOKUP_STATEMENT_SIGNALS} fit in a contract`);
  if (!info || !Number.isSafeInteger(info.alphaIndex) || info.alphaIndex < 0 || info.alphaIndex >= n) {
    bad('the key has no valid zkai_lookup: it is not a LogUp statement key');
  }
  if (!g2(statementKey.vk_gamma_2, 'vk_gamma_2').equals(bn254.G2.Point.BASE)) {
    bad('γ₂ is not the G2 generator: the merged pairing check does not apply to this key');
  }
  const icWords = ic.flatMap((p, i) => g1Words(p, `IC[${i}]`));
  const alpha = g1Words(statementKey.vk_alpha_1, 'vk_alpha_1');
  const beta = g2Words(statementKey.vk_beta_2, 'vk_beta_2');
  const delta = g2Words(statementKey.vk_delta_2, 'vk_delta_2');
  const kappa = g2Words(info.kappa_2, 'zkai_lookup.kappa_2');
  // Pedersen weights as well: W is a second commitment, whose proof of knowledge the registry checks once.
  const weights = commitmentInfo(statementKey);
  const kappaW = weights ? g2Words(weights.kappa_2, 'zkai_commitment.kappa_2') : undefined;
  const g2Gen = g2Words(g2Json(bn254.G2.Point.BASE), 'G2');
  // Only numbers checked above and the contract name (CONTRACT_NAME) are interpolated.
  const source = `// SPDX-License-Identifier: MIT
// Generated by zkai (verifier-contracts/lookup-verifier.ts). Do not edit.
pragma solidity 0.8.28;

/**
 * @title ${contractName}
 * @notice Groth16 (BN254) verifier for a circuit with LogUp lookups (zkai docs/lookups.md): the looked-up values and
 * multiplicities are committed in the Pedersen commitment D (with proof of knowledge K under kappa), and the lookup
 * challenge, statement signal ALPHA_SIGNAL, must be keccak256(abi.encode(TAG, D.x, D.y)) mod r. Answers false, never
 * reverts, on bad input.
 */
contract ${contractName} {
    /// @notice Number of statement public signals verifyProof takes.
    uint256 public constant NUM_PUBLIC_SIGNALS = ${n};
    /// @notice Position of the lookup challenge among the statement signals.
    uint256 public constant ALPHA_SIGNAL = ${info.alphaIndex};
    /// @notice uint256(keccak256("zkai.logup.challenge.v1")): the challenge hash's domain tag.
    uint256 public constant TAG = ${LOGUP_CHALLENGE_TAG};

    uint256 private constant R = ${BN254_R};
    uint256 private constant Q = ${BN254_Q};

${constants('ALPHA', alpha, G1_NAMES)}
${constants('BETA', beta, G2_NAMES)}
${constants('DELTA', delta, G2_NAMES)}
${constants('G2', g2Gen, G2_NAMES)}
${constants('KAPPA', kappa, G2_NAMES)}${kappaW ? `\n${constants('KAPPA_W', kappaW, G2_NAMES)}` : ''}

    /// IC_0 … IC_N of the statement key, each as two big-endian words x, y (infinity: 0, 0).
    bytes private constant IC =
        hex"${icWords.map(word).join('')}";

    /**
     * @notice Verifies a proof for \`pubSignals\`${kappaW ? " under the weights' commitment `weightCommitment` (W)" : ''} with lookup commitment \`commitment\` (D) and
     * its proof of knowledge \`knowledge\` (K).
     * @return True iff the challenge is H(D), the proof of knowledge holds and the Groth16 proof is valid.
     */
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[${n}] calldata pubSignals,${kappaW ? '\n        uint256[2] calldata weightCommitment,' : ''}
        uint256[2] calldata commitment,
        uint256[2] calldata knowledge
    ) external view returns (bool) {
        for (uint256 i = 0; i < ${n}; ++i) {
            if (pubSignals[i] >= R) return false;
        }
        if (!_isG1(a[0], a[1]) || !_isG1(c[0], c[1])) return false;
        if (!_isG1(commitment[0], commitment[1]) || !_isG1(knowledge[0], knowledge[1])) return false;${
          kappaW ? '\n        if (!_isG1(weightCommitment[0], weightCommitment[1])) return false;' : ''
        }
        if (b[0][0] >= Q || b[0][1] >= Q || b[1][0] >= Q || b[1][1] >= Q) return false;
        // Fiat-Shamir: the lookup identity was checked at the point the commitment fixes.
        if (pubSignals[ALPHA_SIGNAL] != uint256(keccak256(abi.encode(TAG, commitment[0], commitment[1]))) % R) return false;

        // e(-A, B) * e(alpha, beta) * e(vk_x + rho K, G2) * e(C, delta) * e(-rho D, kappa G2) == 1
        uint256[30] memory p;
        {
            bytes memory ic = IC;
            (bool ok, uint256 x, uint256 y) = _ecAdd(_word(ic, 0), _word(ic, 1), commitment[0], commitment[1]);${
              kappaW ? '\n            if (ok) (ok, x, y) = _ecAdd(x, y, weightCommitment[0], weightCommitment[1]);' : ''
            }
            for (uint256 i = 0; ok && i < ${n}; ++i) {
                (ok, x, y) = _ecMulAdd(x, y, _word(ic, 2 * i + 2), _word(ic, 2 * i + 3), pubSignals[i]);
            }
            if (!ok) return false;
            // rho batches the proof of knowledge into the Groth16 pairing check.
            uint256 rho = uint256(keccak256(abi.encode(a, b, c, pubSignals, ${kappaW ? 'weightCommitment, ' : ''}commitment, knowledge))) % R;
            (ok, x, y) = _ecMulAdd(x, y, knowledge[0], knowledge[1], rho);
            if (!ok) return false;
            p[12] = x;
            p[13] = y;
            (ok, x, y) = _ecMulAdd(0, 0, commitment[0], commitment[1], rho);
            if (!ok) return false;
            p[24] = x;
            p[25] = (Q - y) % Q;
        }
        p[0] = a[0];
        p[1] = (Q - a[1]) % Q;
        p[2] = b[0][0];
        p[3] = b[0][1];
        p[4] = b[1][0];
        p[5] = b[1][1];
        p[6] = ALPHA_X;
        p[7] = ALPHA_Y;
        p[8] = BETA_X_C1;
        p[9] = BETA_X_C0;
        p[10] = BETA_Y_C1;
        p[11] = BETA_Y_C0;
        p[14] = G2_X_C1;
        p[15] = G2_X_C0;
        p[16] = G2_Y_C1;
        p[17] = G2_Y_C0;
        p[18] = c[0];
        p[19] = c[1];
        p[20] = DELTA_X_C1;
        p[21] = DELTA_X_C0;
        p[22] = DELTA_Y_C1;
        p[23] = DELTA_Y_C0;
        p[26] = KAPPA_X_C1;
        p[27] = KAPPA_X_C0;
        p[28] = KAPPA_Y_C1;
        p[29] = KAPPA_Y_C0;
        bool valid;
        assembly ("memory-safe") {
            let called := staticcall(gas(), 0x08, p, 960, 0x00, 0x20)
            valid := and(called, and(eq(returndatasize(), 0x20), eq(mload(0x00), 1)))
        }
        return valid;
    }
${kappaW ? WEIGHTS_KNOWLEDGE_SOL : ''}
${EC_HELPERS_SOL}}
`;
  assertSafeGeneratedSource(source, SOLIDITY_GUARD);
  return source;
}

/** Generates, writes to contracts/generated/<contractName>.sol and compiles the verifier for `statementKey`. */
export async function installLookupVerifier(opts: {
  contractName: string;
  statementKey: Record<string, unknown>;
  log?: (msg: string) => void;
}): Promise<InstalledVerifier> {
  const source = lookupVerifierSolidity(opts.statementKey, opts.contractName);
  return installContractSource({ contractName: opts.contractName, source, log: opts.log });
}
