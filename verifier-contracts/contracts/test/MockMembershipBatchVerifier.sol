// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title MockMembershipBatchVerifier
 * @notice TEST ONLY. Stands in for the snarkjs verifier of a 4-slot batch membership circuit (11 public signals) so
 * RoyaltyVault.claimBatch's bookkeeping can be unit-tested without proofs. It accepts exactly the public signals the
 * test declares "proven" (as a real proof binds them), so a tampered recipient, weight, root or epoch is rejected
 * as it would be by the real verifier. Never deploy it next to real funds.
 */
contract MockMembershipBatchVerifier {
    /// @notice keccak256(abi.encode(signals)) of the public signals a proof exists for; zero: none.
    bytes32 public proven;

    /**
     * @notice Declares the public signals the next claims are "proven" for.
     * @param signals [root, total, epoch, claimant[4], nullifier[4]].
     */
    function setProven(uint256[11] calldata signals) external {
        proven = keccak256(abi.encode(signals));
    }

    /// @notice The snarkjs verifier's signature for 11 public signals: true iff `_pubSignals` are the proven ones.
    function verifyProof(
        uint256[2] calldata,
        uint256[2][2] calldata,
        uint256[2] calldata,
        uint256[11] calldata _pubSignals
    ) external view returns (bool) {
        return proven != bytes32(0) && keccak256(abi.encode(_pubSignals)) == proven;
    }
}
