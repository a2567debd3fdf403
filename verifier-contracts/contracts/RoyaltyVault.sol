// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {BN254_SCALAR_FIELD} from "./Field.sol";
import {IMembershipVerifier} from "./IMembershipVerifier.sol";
import {IRoyaltyDeposits} from "./IRoyaltyDeposits.sol";
import {IRoyaltyVault} from "./IRoyaltyVault.sol";

/**
 * @title RoyaltyVault
 * @notice Pays dataset contributors their share of per-epoch royalty pots, against Groth16 membership proofs.
 *
 * A dataset is committed as the root of a Poseidon Merkle-sum tree: every node hashes its children together with
 * their weight sums, so the root commits to the dataset's total weight, and the membership circuit (which
 * range-checks every sum) proves that total as a public signal. Nothing is registered and nothing declared is
 * trusted: the payout `pot * weight / total` uses only values the proof binds to the root, so nobody can squat a
 * root with a false total, and a proof with any other total than the root's does not verify.
 *
 * Schedule of an epoch (per root and epoch label), fixed by its first funding:
 *   [opened, fundingEnds)      anyone adds ETH to the pot; no claims yet, so nobody can freeze a half-funded pot
 *   [fundingEnds, claimsEnd)   claims, each paid from the final pot, at most once per nullifier (per root)
 *   [claimsEnd, ...)           funders reclaim, pro rata to what they funded, what the claims left (unclaimed
 *                              records and rounding dust); the last funder to reclaim gets the exact rest
 * Payouts and reclaims are credited to `balanceOf` and withdrawn with `withdraw()` (pull payments).
 *
 * Royalty epochs (IRoyaltyDeposits): InferenceMarket deposits a dataset's part of each paid inference with
 * `depositRoyalty(root)` into the root's current royalty epoch, labelled royaltyEpochLabel(root, index); the first
 * deposit opens it with the schedule above, and once its funding window has closed the next deposit opens index + 1.
 * Deposited money has no funder to return to: it was paid for the use of the contributors' data. So after
 * `claimsEnd` its pro-rata share of what was left unclaimed rolls over (`rollOver`) into the root's current royalty
 * epoch, where the same contributors can claim it again; hand funders of the same epoch still reclaim their own share.
 * A label is predictable, so someone could fund a future one early to close its window early; the next deposit then
 * skips it (each skip costs the griefer a funding and the depositor one storage read).
 */
contract RoyaltyVault is IRoyaltyVault, IRoyaltyDeposits, ReentrancyGuard {
    /// @notice The BN254 scalar field order; roots, epochs and public signals are elements of this field.
    uint256 public constant SNARK_SCALAR_FIELD = BN254_SCALAR_FIELD;

    /// @notice The membership verifier, fixed at deployment.
    IMembershipVerifier public immutable verifier;

    /// @notice Seconds an epoch accepts funding after its first funding.
    uint64 public immutable fundingPeriod;

    /// @notice Seconds claims stay open after funding closes.
    uint64 public immutable claimPeriod;

    /// @notice Pot, payouts, schedule and reclaims of each epoch of each root.
    mapping(uint256 root => mapping(uint256 epoch => Epoch)) public epochs;

    /// @notice Wei each funder put into each epoch and has not reclaimed.
    mapping(uint256 root => mapping(uint256 epoch => mapping(address funder => uint256))) public funded;

    /// @notice Nullifiers already paid, per root (a record in two datasets may be paid by both).
    mapping(uint256 root => mapping(uint256 nullifier => bool)) public nullifierUsed;

    /// @notice ETH credited to each account and not yet withdrawn.
    mapping(address account => uint256) public balanceOf;

    /// @inheritdoc IRoyaltyDeposits
    mapping(uint256 root => uint256) public royaltyEpochIndex;

    /// @inheritdoc IRoyaltyDeposits
    mapping(uint256 root => mapping(uint256 epoch => uint256)) public rolling;

    /**
     * @param verifier_ The Groth16 verifier of the membership circuit.
     * @param fundingPeriod_ Seconds an epoch accepts funding after it is opened (> 0).
     * @param claimPeriod_ Seconds claims stay open after funding closes (> 0).
     */
    constructor(IMembershipVerifier verifier_, uint64 fundingPeriod_, uint64 claimPeriod_) {
        if (address(verifier_) == address(0)) revert ZeroVerifier();
        if (fundingPeriod_ == 0 || claimPeriod_ == 0 || uint256(fundingPeriod_) + claimPeriod_ > type(uint32).max) {
            revert InvalidPeriods(fundingPeriod_, claimPeriod_);
        }
        verifier = verifier_;
        fundingPeriod = fundingPeriod_;
        claimPeriod = claimPeriod_;
    }

    /// @inheritdoc IRoyaltyVault
    function fundEpoch(uint256 root, uint256 epoch) external payable {
        if (root >= SNARK_SCALAR_FIELD) revert RootOutOfField(root);
        if (epoch >= SNARK_SCALAR_FIELD) revert EpochOutOfField(epoch);
        if (msg.value == 0) revert ZeroFunding();
        Epoch storage e = epochs[root][epoch];
        if (e.fundingEnds == 0) {
            uint64 fundingEnds = uint64(block.timestamp) + fundingPeriod;
            e.fundingEnds = fundingEnds;
            e.claimsEnd = fundingEnds + claimPeriod;
            emit EpochOpened(root, epoch, fundingEnds, fundingEnds + claimPeriod);
        } else if (block.timestamp >= e.fundingEnds) {
            revert FundingClosed(root, epoch, e.fundingEnds);
        }
        uint256 pot = uint256(e.pot) + msg.value;
        if (pot > type(uint128).max) revert PotOverflow(root, epoch);
        e.pot = uint128(pot);
        funded[root][epoch][msg.sender] += msg.value;
        emit EpochFunded(root, epoch, msg.sender, msg.value, pot);
    }

    /// @inheritdoc IRoyaltyVault
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
    ) external returns (uint256 amount) {
        // Checks. The schedule first: cheap, and a claim outside its window must not consume anything.
        Epoch storage e = epochs[root][epoch];
        uint256 pot = e.pot;
        if (pot == 0) revert EmptyEpoch(root, epoch);
        if (block.timestamp < e.fundingEnds) revert ClaimsNotOpen(root, epoch, e.fundingEnds);
        if (block.timestamp >= e.claimsEnd) revert ClaimsClosed(root, epoch, e.claimsEnd);
        // The circuit proves total = weight + the other weights (no wrap-around); this only keeps the division
        // meaningful whatever a verifier says.
        if (weight > total) revert WeightExceedsTotal(weight, total);
        if (nullifierUsed[root][nullifier]) revert NullifierUsed(root, nullifier);
        // The verifier is fixed at deployment and called with staticcall (view), so calling it before the
        // effects cannot re-enter.
        uint256[6] memory pub = [root, total, uint256(uint160(contributor)), weight, epoch, nullifier];
        if (!verifier.verifyProof(a, b, c, pub)) revert InvalidProof();
        amount = (pot * weight) / total;
        if (amount == 0) revert ZeroPayout(root, epoch);
        // Every proof for a root carries the same total and distinct records have distinct nullifiers, so the
        // payouts of an epoch sum to at most its pot; this check holds that line even against a broken verifier.
        uint256 remaining = pot - e.paid;
        if (amount > remaining) revert PotExhausted(root, epoch, amount, remaining);

        // Effects (no interactions: the payout is pulled later with withdraw()).
        nullifierUsed[root][nullifier] = true;
        e.paid += uint128(amount);
        balanceOf[contributor] += amount;
        emit RoyaltyClaimed(root, epoch, nullifier, contributor, amount);
    }

    /// @inheritdoc IRoyaltyVault
    function reclaim(uint256 root, uint256 epoch) external returns (uint256 amount) {
        Epoch storage e = epochs[root][epoch];
        if (e.claimsEnd == 0 || block.timestamp < e.claimsEnd) revert ReclaimNotOpen(root, epoch, e.claimsEnd);
        uint256 contribution = funded[root][epoch][msg.sender];
        if (contribution == 0) revert NothingToReclaim(root, epoch, msg.sender);
        // Cumulative pro rata: after this reclaim, funders holding `reclaimed` of the pot have been credited
        // floor(reclaimed * unclaimed / pot) in total. When the last funder reclaims, reclaimed == pot and the
        // credits sum to exactly `unclaimed`: no dust is left behind.
        uint256 reclaimed = uint256(e.reclaimedFunding) + contribution;
        uint256 unclaimed = uint256(e.pot) - e.paid;
        amount = (reclaimed * unclaimed) / e.pot - e.refunded;

        funded[root][epoch][msg.sender] = 0;
        e.reclaimedFunding = uint128(reclaimed);
        e.refunded += uint128(amount);
        balanceOf[msg.sender] += amount;
        emit FundingReclaimed(root, epoch, msg.sender, amount);
    }

    /// @inheritdoc IRoyaltyDeposits
    function depositRoyalty(uint256 root) external payable returns (uint256 epoch) {
        if (root >= SNARK_SCALAR_FIELD) revert RootOutOfField(root);
        if (msg.value == 0) revert ZeroFunding();
        epoch = _depositRoyalty(root, msg.value, msg.sender);
    }

    /// @inheritdoc IRoyaltyDeposits
    function rollOver(uint256 root, uint256 epoch) external returns (uint256 amount) {
        Epoch storage e = epochs[root][epoch];
        if (e.claimsEnd == 0 || block.timestamp < e.claimsEnd) revert ReclaimNotOpen(root, epoch, e.claimsEnd);
        uint256 contribution = rolling[root][epoch];
        if (contribution == 0) revert NothingToRollOver(root, epoch);
        // The same cumulative pro rata as reclaim, with the deposits as one more funder: whoever of them comes
        // last takes the exact rest, so funders' reclaims and the roll-over sum to exactly what was unclaimed.
        uint256 reclaimed = uint256(e.reclaimedFunding) + contribution;
        amount = (reclaimed * (uint256(e.pot) - e.paid)) / e.pot - e.refunded;
        rolling[root][epoch] = 0;
        e.reclaimedFunding = uint128(reclaimed);
        e.refunded += uint128(amount);
        // The epoch's claims are over, so its funding window is too: the money lands in a later epoch.
        uint256 toEpoch = amount == 0 ? epoch : _depositRoyalty(root, amount, address(this));
        emit RoyaltyRolledOver(root, epoch, toEpoch, amount);
    }

    /// @inheritdoc IRoyaltyDeposits
    function royaltyEpochLabel(uint256 root, uint256 index) public pure returns (uint256) {
        return uint256(keccak256(abi.encode("zkai.royalty-epoch", root, index))) % SNARK_SCALAR_FIELD;
    }

    /// Adds `amount` (already held by the vault) to the current royalty epoch of `root`, opening it if needed;
    /// `depositor` is the vault itself for a roll-over.
    function _depositRoyalty(uint256 root, uint256 amount, address depositor) private returns (uint256 epoch) {
        uint256 index = royaltyEpochIndex[root];
        epoch = royaltyEpochLabel(root, index);
        Epoch storage e = epochs[root][epoch];
        while (e.fundingEnds != 0 && block.timestamp >= e.fundingEnds) {
            epoch = royaltyEpochLabel(root, ++index);
            e = epochs[root][epoch];
        }
        royaltyEpochIndex[root] = index;
        if (e.fundingEnds == 0) {
            uint64 fundingEnds = uint64(block.timestamp) + fundingPeriod;
            e.fundingEnds = fundingEnds;
            e.claimsEnd = fundingEnds + claimPeriod;
            emit EpochOpened(root, epoch, fundingEnds, fundingEnds + claimPeriod);
        }
        uint256 pot = uint256(e.pot) + amount;
        if (pot > type(uint128).max) revert PotOverflow(root, epoch);
        e.pot = uint128(pot);
        rolling[root][epoch] += amount;
        emit RoyaltyDeposited(root, epoch, depositor, amount, pot);
    }

    /// @inheritdoc IRoyaltyVault
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = balanceOf[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        balanceOf[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert WithdrawFailed(msg.sender, amount);
    }
}
