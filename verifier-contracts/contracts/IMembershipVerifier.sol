// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IMembershipVerifier
 * @notice The ABI of the Groth16 verifier that snarkjs (`zkey export solidityverifier`) generates for the dataset
 * membership circuit, which has 6 public signals, in this order: [root, total, contributor, weight, epoch, nullifier]
 * (circuits/membership.ts MEMBERSHIP_PUBLIC_SIGNALS).
 * @dev The generated contract declares `verifyProof` as `public view`; calling it through this `external`
 * declaration is ABI-identical. `_pB` uses the EVM's G2 encoding: each Fp2 coordinate as [c1, c0], i.e. swapped
 * relative to the snarkjs proof JSON. The generated verifier returns false (never reverts) on a bad proof or on a
 * public signal outside the scalar field.
 */
interface IMembershipVerifier {
    /**
     * @notice Checks a Groth16 proof against the membership circuit's verification key.
     * @param _pA Proof point A (G1).
     * @param _pB Proof point B (G2, EVM encoding).
     * @param _pC Proof point C (G1).
     * @param _pubSignals [root, total, contributor, weight, epoch, nullifier].
     * @return True iff the proof is valid for these public signals.
     */
    function verifyProof(
        uint[2] calldata _pA,
        uint[2][2] calldata _pB,
        uint[2] calldata _pC,
        uint[6] calldata _pubSignals
    ) external view returns (bool);
}
