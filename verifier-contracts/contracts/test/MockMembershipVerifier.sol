// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMembershipVerifier} from "../IMembershipVerifier.sol";

/**
 * @title MockMembershipVerifier
 * @notice TEST ONLY. Answers every proof with a settable result, so RoyaltyVault's bookkeeping can be unit-tested
 * without generating real proofs. Never deploy it next to real funds.
 */
contract MockMembershipVerifier is IMembershipVerifier {
    /// @notice What `verifyProof` answers.
    bool public result = true;

    /**
     * @notice Sets what every later `verifyProof` call answers.
     * @param result_ The answer.
     */
    function setResult(bool result_) external {
        result = result_;
    }

    /// @inheritdoc IMembershipVerifier
    function verifyProof(
        uint[2] calldata,
        uint[2][2] calldata,
        uint[2] calldata,
        uint[6] calldata
    ) external view returns (bool) {
        return result;
    }
}
