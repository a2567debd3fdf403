// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IRoyaltyVault
 * @notice Structs, events, errors and functions of RoyaltyVault: per-(dataset root, epoch) royalty pots paid to
 * contributors against Groth16 membership proofs over a Merkle-sum tree. See RoyaltyVault for the rules.
 */
interface IRoyaltyVault {
    /**
     * @notice One epoch of one dataset. Opened by its first funding, which fixes its schedule:
     * funding until `fundingEnds`, claims from `fundingEnds` until `claimsEnd`, reclaims by funders from `claimsEnd`.
     * @param pot Wei funded in total.
     * @param paid Wei credited to claimants.
     * @param fundingEnds Timestamp at which funding closes and claims open.
     * @param claimsEnd Timestamp at which claims close and funders may reclaim what is unclaimed.
     * @param reclaimedFunding Sum of the contributions of funders who have reclaimed.
     * @param refunded Wei credited back to those funders.
     */
    struct Epoch {
        uint128 pot;
        uint128 paid;
        uint64 fundingEnds;
        uint64 claimsEnd;
        uint128 reclaimedFunding;
        uint128 refunded;
    }

    /**
     * @notice One record of a batch claim: the values the batch proof binds in its slot.
     * @param contributor The royalty recipient (inside the record's leaf).
     * @param weight The record's weight (below 2^64, as the circuit range-checks it).
     * @param nullifier Poseidon(leaf, epoch), the same as a single claim of the record.
     */
    struct BatchClaim {
        address contributor;
        uint64 weight;
        uint256 nullifier;
    }

    /// @notice An epoch was funded for the first time; its schedule is now fixed.
    event EpochOpened(uint256 indexed root, uint256 indexed epoch, uint64 fundingEnds, uint64 claimsEnd);
    /// @notice `funder` added `amount` wei; the pot is now `pot`.
    event EpochFunded(uint256 indexed root, uint256 indexed epoch, address indexed funder, uint256 amount, uint256 pot);
    /// @notice `contributor` was credited `amount` wei for the record whose nullifier is `nullifier`.
    event RoyaltyClaimed(
        uint256 indexed root, uint256 indexed epoch, uint256 nullifier, address indexed contributor, uint256 amount
    );
    /// @notice `funder` was credited `amount` wei, its pro-rata share of what the epoch left unclaimed.
    event FundingReclaimed(uint256 indexed root, uint256 indexed epoch, address indexed funder, uint256 amount);
    /// @notice `account` withdrew `amount` wei.
    event Withdrawn(address indexed account, uint256 amount);

    error ZeroVerifier();
    error InvalidPeriods(uint64 fundingPeriod, uint64 claimPeriod);
    error RootOutOfField(uint256 root);
    error EpochOutOfField(uint256 epoch);
    error ZeroFunding();
    error PotOverflow(uint256 root, uint256 epoch);
    error FundingClosed(uint256 root, uint256 epoch, uint64 fundingEnds);
    error EmptyEpoch(uint256 root, uint256 epoch);
    error ClaimsNotOpen(uint256 root, uint256 epoch, uint64 opensAt);
    error ClaimsClosed(uint256 root, uint256 epoch, uint64 closedAt);
    error WeightExceedsTotal(uint256 weight, uint256 total);
    error NullifierUsed(uint256 root, uint256 nullifier);
    error InvalidProof();
    error ZeroPayout(uint256 root, uint256 epoch);
    error PotExhausted(uint256 root, uint256 epoch, uint256 amount, uint256 remaining);
    error InvalidBatchSlots(uint256 slots);
    error BatchClaimsDisabled();
    error BadBatchSize(uint256 count, uint256 slots);
    error ReclaimNotOpen(uint256 root, uint256 epoch, uint64 opensAt);
    error NothingToReclaim(uint256 root, uint256 epoch, address funder);
    error NothingToWithdraw(address account);
    error WithdrawFailed(address account, uint256 amount);

    /**
     * @notice Adds the sent ETH to the pot of (root, epoch). The first funding opens the epoch and fixes its
     * schedule; anyone may add more until `fundingEnds`.
     * @param root A Merkle-sum root (any field element: no registration is needed or possible).
     * @param epoch The epoch label (a field element).
     */
    function fundEpoch(uint256 root, uint256 epoch) external payable;

    /**
     * @notice Credits `contributor` with `pot * weight / total` (rounded down), given a membership proof whose public
     * signals are [root, total, contributor, weight, epoch, nullifier]. Open from `fundingEnds` until `claimsEnd`.
     * @return amount The wei credited to `contributor`.
     */
    function claim(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256 root,
        uint256 total,
        address contributor,
        uint256 weight,
        uint256 epoch,
        uint256 nullifier
    ) external returns (uint256 amount);

    /**
     * @notice Credits each record of `claims` (1..batchSlots records of one root and epoch) exactly what `claim`
     * would, given one proof of the batch membership circuit whose public signals are [root, total, epoch,
     * claimant[batchSlots], nullifier[batchSlots]], claimant = contributor * 2^64 + weight, the slots past
     * `claims.length` being 0 (unused). Shares `claim`'s nullifier set: a record already claimed either way, or named
     * twice, reverts `NullifierUsed` and nothing of the batch is paid. Open from `fundingEnds` until `claimsEnd`.
     * @return amount The wei credited in total (one `RoyaltyClaimed` event per record).
     */
    function claimBatch(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256 root,
        uint256 total,
        uint256 epoch,
        BatchClaim[] calldata claims
    ) external returns (uint256 amount);

    /**
     * @notice After `claimsEnd`, credits the caller its pro-rata share of what the epoch left unclaimed.
     * @return amount The wei credited to the caller.
     */
    function reclaim(uint256 root, uint256 epoch) external returns (uint256 amount);

    /**
     * @notice Sends the caller all ETH credited to it (payouts and reclaims).
     * @return amount The wei sent.
     */
    function withdraw() external returns (uint256 amount);
}
