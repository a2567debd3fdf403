/**
 * Solidity verifiers for circuits with committed public inputs (prover/commitment.ts): our own template, not
 * snarkjs's, because the verification key is split — the committed inputs' IC points are folded into a Pedersen
 * commitment W that the caller passes in, and the contract also checks W's proof of knowledge against κ·G2.
 *
 * The generated contract holds the *statement* verification key (IC₀ and the statement ICs only) and exposes
 *   verifyProof(a, b, c, pubSignals[N], commitment) — Groth16 against vk_x = IC₀ + W + Σ pubᵢ·IC_{i+1};
 *   verifyCommitment(commitment, knowledge)     — e(K, G2)·e(−W, κ·G2) = 1.
 * Both answer false, never revert, on any bad input (signals ≥ r, coordinates ≥ q, G1 points off the curve, a
 * precompile that fails), so a caller can treat "not exactly true" as "invalid" without decoding reverts.
 *
 * Encoding (the same as snarkjs's verifier and vault.ts toSolidityCalldata): G1 as [x, y], infinity as [0, 0]; G2
 * as EIP-197 wants it, each Fp2 coordinate [c1, c0] (imaginary part first), while snarkjs JSON writes [c0, c1].
 */
import { bn254 } from '@noble/curves/bn254.js';
import { BN254_Q, BN254_R } from '../common/bn254.ts';
import { ZkaiError } from '../common/errors.ts';
import { assertSafeGeneratedSource } from '../common/source-guard.ts';
import { commitmentInfo, g2Json } from '../prover/commitment.ts';
import { g1, g2 } from '../prover/verify-noble.ts';
import { type InstalledVerifier, installContractSource, SOLIDITY_GUARD } from './generated.ts';

const CONTRACT_NAME = /^[A-Z][A-Za-z0-9_]*$/;

/**
 * Solidity helpers of the generated verifiers (this one and lookup-verifier.ts): the G1 point check, a word of
 * calldata, and point addition and multiply-add through the precompiles. One text, so a fix reaches every verifier.
 */
export const EC_HELPERS_SOL = `    /// True iff (x, y) is a G1 point in the precompiles' encoding: on y^2 = x^3 + 3 with canonical coordinates, or
    /// (0, 0) for infinity. Checked here so that a bad point is a plain false, not a failed precompile call.
    function _isG1(uint256 x, uint256 y) private pure returns (bool) {
        if (x >= Q || y >= Q) return false;
        if (x == 0 && y == 0) return true;
        return mulmod(y, y, Q) == addmod(mulmod(mulmod(x, x, Q), x, Q), 3, Q);
    }

    /// The i-th 32-byte word of \`data\`.
    function _word(bytes memory data, uint256 i) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(add(data, 0x20), mul(i, 0x20)))
        }
    }

    /// (x1, y1) + (x2, y2) with precompile 0x06; ok is false if the call fails.
    function _ecAdd(uint256 x1, uint256 y1, uint256 x2, uint256 y2) private view returns (bool ok, uint256 x, uint256 y) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, x1)
            mstore(add(m, 0x20), y1)
            mstore(add(m, 0x40), x2)
            mstore(add(m, 0x60), y2)
            ok := staticcall(gas(), 0x06, m, 0x80, m, 0x40)
            // A separate statement: Yul evaluates arguments right to left, so returndatasize() inside and(…) with
            // the call would be read before the call.
            ok := and(ok, eq(returndatasize(), 0x40))
            x := mload(m)
            y := mload(add(m, 0x20))
        }
    }

    /// (accX, accY) + s * (px, py) with precompiles 0x07 and 0x06; ok is false if either call fails.
    function _ecMulAdd(uint256 accX, uint256 accY, uint256 px, uint256 py, uint256 s)
        private
        view
        returns (bool ok, uint256 x, uint256 y)
    {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, px)
            mstore(add(m, 0x20), py)
            mstore(add(m, 0x40), s)
            // The product lands at m + 0x40 so that (acc, product) is the addition's input.
            ok := staticcall(gas(), 0x07, m, 0x60, add(m, 0x40), 0x40)
            ok := and(ok, eq(returndatasize(), 0x40))
            mstore(m, accX)
            mstore(add(m, 0x20), accY)
            let added := staticcall(gas(), 0x06, m, 0x80, m, 0x40)
            ok := and(ok, and(added, eq(returndatasize(), 0x40)))
            x := mload(m)
            y := mload(add(m, 0x20))
        }
    }
`;

/**
 * Solidity of verifyCommitment, a commitment's proof of knowledge e(K, G2)·e(−W, κ·G2) = 1 against the contract's κ·G2
 * constants named `kappa` (KAPPA here, KAPPA_W in lookup-verifier.ts's template for Pedersen weights), and of the
 * two-pair pairing helper it calls (PAIRING_2_SOL): one text for every generated verifier that takes W.
 */
export function verifyCommitmentSol(kappa: 'KAPPA' | 'KAPPA_W'): string {
  return `    /**
     * @notice Checks a commitment's proof of knowledge: e(knowledge, G2) * e(-commitment, kappa * G2) == 1, which
     * only a committer who knows the commitment's opening in the committed inputs' bases can satisfy.
     * @param commitment The Pedersen commitment W.
     * @param knowledge Its proof of knowledge K = kappa * W.
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
        p[8] = ${kappa}_X_C1;
        p[9] = ${kappa}_X_C0;
        p[10] = ${kappa}_Y_C1;
        p[11] = ${kappa}_Y_C0;
        return _pairing(p);
    }
`;
}

/** The two-pair pairing check verifyCommitmentSol calls. */
export const PAIRING_2_SOL = `    /// True iff the pairing precompile 0x08 succeeds on \`input\` (two pairs) and answers 1.
    function _pairing(uint256[12] memory input) private view returns (bool valid) {
        assembly ("memory-safe") {
            let ok := staticcall(gas(), 0x08, input, 384, 0x00, 0x20)
            valid := and(ok, and(eq(returndatasize(), 0x20), eq(mload(0x00), 1)))
        }
    }
`;

/**
 * Most statement signals a generated verifier can take: its IC points live in its code (64 bytes each, ~2.7 kB of
 * code besides), and EIP-170 caps deployed code at 24,576 bytes.
 */
export const MAX_COMMITTED_STATEMENT_SIGNALS = 320;

function bad(message: string): never {
  throw new ZkaiError('BAD_INPUT', `committed verifier: ${message}`);
}

/** A G1 point of the key as EVM words [x, y] (infinity [0, 0]); parsing checks it is on the curve. */
export function g1Words(v: unknown, where: string): [bigint, bigint] {
  const p = g1(v, where);
  if (p.is0()) return [0n, 0n];
  const { x, y } = p.toAffine();
  return [x, y];
}

/** A G2 point of the key as EIP-197 words [x.c1, x.c0, y.c1, y.c0]; parsing checks curve and subgroup. */
export function g2Words(v: unknown, where: string): [bigint, bigint, bigint, bigint] {
  const p = g2(v, where);
  if (p.is0()) bad(`${where} is the point at infinity`);
  const { x, y } = p.toAffine();
  return [x.c1, x.c0, y.c1, y.c0];
}

export const word = (v: bigint) => v.toString(16).padStart(64, '0');

export function constants(prefix: string, words: readonly bigint[], names: readonly string[]): string {
  return words.map((w, i) => `    uint256 private constant ${prefix}_${names[i]} = ${w};`).join('\n');
}

export const G1_NAMES = ['X', 'Y'];
export const G2_NAMES = ['X_C1', 'X_C0', 'Y_C1', 'Y_C0'];

/**
 * Solidity 0.8.28 source of a verifier for a statement verification key (prover/commitment.ts statementVkey): a
 * snarkjs Groth16 BN254 key whose IC holds IC₀ and the statement ICs, with `zkai_commitment.kappa_2`. Every point is
 * checked (on the curve, G2 in the subgroup) before it is written into the contract.
 */
export function committedVerifierSolidity(statementVkey: Record<string, unknown>, contractName: string): string {
  if (!CONTRACT_NAME.test(contractName)) bad(`invalid Solidity contract name ${JSON.stringify(contractName)}`);
  if (statementVkey?.protocol !== 'groth16' || statementVkey.curve !== 'bn128') bad('expected a Groth16 BN254 (bn128) verification key');
  if (statementVkey.zkai_lookup !== undefined) bad('the key has LogUp lookups (zkai_lookup): its verifier is lookup-verifier.ts');
  const info = commitmentInfo(statementVkey);
  if (!info) bad('the key has no zkai_commitment: it is not a statement verification key');
  const n = statementVkey.nPublic;
  const ic = statementVkey.IC;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || !Array.isArray(ic) || ic.length !== n + 1) {
    bad('expected nPublic ≥ 1 and nPublic + 1 IC points');
  }
  if (n > MAX_COMMITTED_STATEMENT_SIGNALS) {
    bad(`${n} statement signals: at most ${MAX_COMMITTED_STATEMENT_SIGNALS} fit in a contract (EIP-170 code size limit)`);
  }
  const icWords = ic.flatMap((p, i) => g1Words(p, `IC[${i}]`));
  const alpha = g1Words(statementVkey.vk_alpha_1, 'vk_alpha_1');
  const beta = g2Words(statementVkey.vk_beta_2, 'vk_beta_2');
  const gamma = g2Words(statementVkey.vk_gamma_2, 'vk_gamma_2');
  const delta = g2Words(statementVkey.vk_delta_2, 'vk_delta_2');
  const kappa = g2Words(info.kappa_2, 'zkai_commitment.kappa_2');
  const g2Gen = g2Words(g2Json(bn254.G2.Point.BASE), 'G2');
  // Everything interpolated below is a number checked above or the contract name (CONTRACT_NAME): no string from the
  // key reaches the source, and the guard says so before anyone writes it.
  const source = `// SPDX-License-Identifier: MIT
// Generated by zkai (verifier-contracts/committed-verifier.ts). Do not edit.
pragma solidity 0.8.28;

/**
 * @title ${contractName}
 * @notice Groth16 (BN254) verifier for a circuit whose weights are committed public inputs: the proof is checked
 * against vk_x = IC_0 + commitment + sum(pubSignals[i] * IC_{i+1}), where commitment is the Pedersen commitment of
 * the committed inputs over the circuit's own IC points, and verifyCommitment checks that commitment's proof of
 * knowledge, e(knowledge, G2) = e(commitment, kappa * G2). Every function answers false, never reverts, on bad input.
 */
contract ${contractName} {
    /// @notice Number of statement public signals verifyProof takes.
    uint256 public constant NUM_PUBLIC_SIGNALS = ${n};

    uint256 private constant R = ${BN254_R};
    uint256 private constant Q = ${BN254_Q};

${constants('ALPHA', alpha, G1_NAMES)}
${constants('BETA', beta, G2_NAMES)}
${constants('GAMMA', gamma, G2_NAMES)}
${constants('DELTA', delta, G2_NAMES)}
${constants('G2', g2Gen, G2_NAMES)}
${constants('KAPPA', kappa, G2_NAMES)}

    /// IC_0 … IC_N of the statement verification key, each as two big-endian words x, y (infinity: 0, 0).
    bytes private constant IC =
        hex"${icWords.map(word).join('')}";

    /**
     * @notice Verifies a Groth16 proof for the statement \`pubSignals\` under the commitment \`commitment\`.
     * @param a Proof point A.
     * @param b Proof point B (EIP-197: each Fp2 coordinate as [c1, c0]).
     * @param c Proof point C.
     * @param pubSignals The statement public signals (each below the scalar field order).
     * @param commitment The committed inputs' Pedersen commitment W.
     * @return True iff the proof is valid.
     */
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[${n}] calldata pubSignals,
        uint256[2] calldata commitment
    ) external view returns (bool) {
        for (uint256 i = 0; i < ${n}; ++i) {
            if (pubSignals[i] >= R) return false;
        }
        if (!_isG1(a[0], a[1]) || !_isG1(c[0], c[1]) || !_isG1(commitment[0], commitment[1])) return false;
        if (b[0][0] >= Q || b[0][1] >= Q || b[1][0] >= Q || b[1][1] >= Q) return false;

        bytes memory ic = IC;
        (bool ok, uint256 x, uint256 y) = _ecAdd(_word(ic, 0), _word(ic, 1), commitment[0], commitment[1]);
        for (uint256 i = 0; ok && i < ${n}; ++i) {
            (ok, x, y) = _ecMulAdd(x, y, _word(ic, 2 * i + 2), _word(ic, 2 * i + 3), pubSignals[i]);
        }
        if (!ok) return false;

        // e(-A, B) * e(alpha, beta) * e(vk_x, gamma) * e(C, delta) == 1
        uint256[24] memory p;
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
        p[12] = x;
        p[13] = y;
        p[14] = GAMMA_X_C1;
        p[15] = GAMMA_X_C0;
        p[16] = GAMMA_Y_C1;
        p[17] = GAMMA_Y_C0;
        p[18] = c[0];
        p[19] = c[1];
        p[20] = DELTA_X_C1;
        p[21] = DELTA_X_C0;
        p[22] = DELTA_Y_C1;
        p[23] = DELTA_Y_C0;
        return _pairing(p);
    }

${verifyCommitmentSol('KAPPA')}
${EC_HELPERS_SOL}
    /// True iff the pairing precompile 0x08 succeeds on \`input\` (pairs of G1, G2 points) and answers 1.
    function _pairing(uint256[24] memory input) private view returns (bool valid) {
        assembly ("memory-safe") {
            let ok := staticcall(gas(), 0x08, input, 768, 0x00, 0x20)
            valid := and(ok, and(eq(returndatasize(), 0x20), eq(mload(0x00), 1)))
        }
    }

${PAIRING_2_SOL}}
`;
  assertSafeGeneratedSource(source, SOLIDITY_GUARD);
  return source;
}

export interface InstallCommittedVerifierOptions {
  /** Name the contract gets, e.g. "MlpDigitsCommittedVerifier"; also the file name (contracts/generated/<name>.sol). */
  contractName: string;
  /** The statement verification key (prover/commitment.ts statementVkey). */
  statementVkey: Record<string, unknown>;
  log?: (msg: string) => void;
}

/**
 * Generates the committed verifier for `statementVkey`, writes it to contracts/generated/<contractName>.sol and
 * compiles, under the compile lock (see installGeneratedVerifier). Deploy from the returned artifact.
 */
export async function installCommittedVerifier(opts: InstallCommittedVerifierOptions): Promise<InstalledVerifier> {
  const source = committedVerifierSolidity(opts.statementVkey, opts.contractName);
  return installContractSource({ contractName: opts.contractName, source, log: opts.log });
}
