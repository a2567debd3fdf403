// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IRoyaltyDeposits
 * @notice RoyaltyVault's royalty stream, beside its hand-funded epochs (IRoyaltyVault): InferenceMarket deposits each
 * dataset's part of every paid inference into the root's *current royalty epoch*, and what contributors leave
 * unclaimed there rolls over into the root's next royalty epoch instead of going back to a funder. See RoyaltyVault.
 */
interface IRoyaltyDeposits {
    /// @notice `depositor` added `amount` wei to the royalty epoch `epoch` of `root`; the pot is now `pot`.
    event RoyaltyDeposited(uint256 indexed root, uint256 indexed epoch, address indexed depositor, uint256 amount, uint256 pot);
    /// @notice `amount` wei that epoch `fromEpoch` of `root` left unclaimed moved to royalty epoch `toEpoch`.
    event RoyaltyRolledOver(uint256 indexed root, uint256 indexed fromEpoch, uint256 indexed toEpoch, uint256 amount);

    error NothingToRollOver(uint256 root, uint256 epoch);

    /**
     * @notice Adds the sent ETH to the current royalty epoch of `root` (opening a new one when the current one's
     * funding window has closed). The money is not reclaimable by the depositor: it belongs to the dataset's
     * contributors and, if unclaimed, rolls over (rollOver).
     * @param root A Merkle-sum root (a field element).
     * @return epoch The epoch label it went to.
     */
    function depositRoyalty(uint256 root) external payable returns (uint256 epoch);

    /**
     * @notice After `claimsEnd` of an epoch, moves the deposited money's pro-rata share of what was left unclaimed
     * (unclaimed records and rounding dust) into the root's current royalty epoch. Anyone may call; once per epoch.
     * @return amount The wei moved (may be 0 when everything was claimed).
     */
    function rollOver(uint256 root, uint256 epoch) external returns (uint256 amount);

    /**
     * @notice The label of a root's `index`-th royalty epoch: uint256(keccak256(abi.encode("zkai.royalty-epoch",
     * root, index))) mod r. Contributors prove membership for this label to claim.
     */
    function royaltyEpochLabel(uint256 root, uint256 index) external pure returns (uint256);

    /// @notice Index of the royalty epoch deposits to `root` currently go to (or went to last).
    function royaltyEpochIndex(uint256 root) external view returns (uint256);

    /// @notice Wei deposited (or rolled) into an epoch through this interface and not yet rolled over.
    function rolling(uint256 root, uint256 epoch) external view returns (uint256);
}
