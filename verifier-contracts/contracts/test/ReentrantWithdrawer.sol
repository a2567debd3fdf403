// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

interface IWithdrawable {
    function withdraw() external returns (uint256);
}

/**
 * @title ReentrantWithdrawer
 * @notice TEST ONLY. A payee whose receive() calls back into the vault's withdraw(), to show the re-entrant call
 * is refused and the whole withdrawal reverts (WithdrawFailed) with the balance intact.
 */
contract ReentrantWithdrawer {
    /**
     * @notice Withdraws this contract's balance from `vault`.
     * @param vault The RoyaltyVault.
     */
    function withdrawFrom(IWithdrawable vault) external {
        vault.withdraw();
    }

    receive() external payable {
        IWithdrawable(msg.sender).withdraw();
    }
}
