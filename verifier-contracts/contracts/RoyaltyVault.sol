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
 * Claims come one record per proof (`claim`) or up to `batchSlots` records of one root and epoch per proof
 * (`claimBatch`, against the batch circuit's verifier); both share one nullifier set, so a record is paid once
 * whichever way it is claimed.
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
    /// @notice The most slots a batch circuit may have (circuits/membership.ts MAX_BATCH_SLOTS).
    uint256 public constant MAX_BATCH_SLOTS = 64;

    /// @notice The BN254 scalar field order; roots, epochs and public signals are elements of this field.
    uint256 public constant SNARK_SCALAR_FIELD = BN254_SCALAR_FIELD;

    /// @notice The membership verifier, fixed at deployment.
    IMembershipVerifier public immutable verifier;

    /// @notice Seconds an epoch accepts funding after its first funding.
    uint64 public immutable fundingPeriod;

    /// @notice Seconds claims stay open after funding closes.
    uint64 public immutable claimPeriod;

    /// @notice The Groth16 verifier of the batch membership circuit, fixed at deployment; zero: no batch claims.
    address public immutable batchVerifier;

    /// @notice Slots of the batch circuit: the most records one `claimBatch` proof covers.
    uint256 public immutable batchSlots;

    /// @notice Selector of the batch verifier's verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[3 + 2 * slots]).
    bytes4 public immutable batchVerifySelector;

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
     * @param batchVerifier_ The Groth16 verifier of the batch membership circuit (snarkjs's template), or zero.
     * @param batchSlots_ Its number of slots (1..64; 0 with a zero batchVerifier_).
     */
    constructor(
        IMembershipVerifier verifier_,
        uint64 fundingPeriod_,
        uint64 claimPeriod_,
        address batchVerifier_,
        uint256 batchSlots_
    ) {
        if (address(verifier_) == address(0)) revert ZeroVerifier();
        if (fundingPeriod_ == 0 || claimPeriod_ == 0 || uint256(fundingPeriod_) + claimPeriod_ > type(uint32).max) {
            revert InvalidPeriods(fundingPeriod_, claimPeriod_);
        }
        verifier = verifier_;
        fundingPeriod = fundingPeriod_;
        claimPeriod = claimPeriod_;
        if ((batchVerifier_ == address(0)) != (batchSlots_ == 0) || batchSlots_ > MAX_BATCH_SLOTS) {
            revert InvalidBatchSlots(batchSlots_);
        }
        batchVerifier = batchVerifier_;
        batchSlots = batchSlots_;
        // snarkjs verifiers take their public signals as a fixed-size array, so the selector depends on the count.
        batchVerifySelector = bytes4(
            keccak256(
                abi.encodePacked(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _decimal(3 + 2 * batchSlots_), "])"
                )
            )
        );
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
    function claimBatch(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256 root,
        uint256 total,
        uint256 epoch,
        BatchClaim[] calldata claims
    ) external returns (uint256 amount) {
        if (batchSlots == 0) revert BatchClaimsDisabled();
        if (claims.length == 0 || claims.length > batchSlots) revert BadBatchSize(claims.length, batchSlots);
        // The same checks as claim, in the same order: the schedule first, nothing consumed outside the window.
        Epoch storage e = epochs[root][epoch];
        uint256 pot = e.pot;
        if (pot == 0) revert EmptyEpoch(root, epoch);
        if (block.timestamp < e.fundingEnds) revert ClaimsNotOpen(root, epoch, e.fundingEnds);
        if (block.timestamp >= e.claimsEnd) revert ClaimsClosed(root, epoch, e.claimsEnd);
        if (!_verifyBatch(a, b, c, _batchSignals(root, total, epoch, claims))) revert InvalidProof();

        amount = _creditBatch(root, epoch, total, pot, claims);
        uint256 remaining = pot - e.paid;
        if (amount > remaining) revert PotExhausted(root, epoch, amount, remaining);
        e.paid += uint128(amount);
    }

    /**
     * @dev The batch circuit's public signals [root, total, epoch, claimant[slots], nullifier[slots]] for `claims`;
     * the slots past claims.length stay 0, which the circuit accepts only for an unused slot (flag 0), paying nothing.
     */
    function _batchSignals(uint256 root, uint256 total, uint256 epoch, BatchClaim[] calldata claims)
        private
        view
        returns (uint256[] memory pub)
    {
        uint256 slots = batchSlots;
        pub = new uint256[](3 + 2 * slots);
        pub[0] = root;
        pub[1] = total;
        pub[2] = epoch;
        for (uint256 i; i < claims.length; ++i) {
            BatchClaim calldata cl = claims[i];
            if (cl.weight > total) revert WeightExceedsTotal(cl.weight, total);
            // claimant = contributor * 2^64 + weight: the circuit range-checks both halves, so it splits one way only.
            pub[3 + i] = (uint256(uint160(cl.contributor)) << 64) | cl.weight;
            pub[3 + slots + i] = cl.nullifier;
        }
    }

    /**
     * @dev Effects of a verified batch: marks each nullifier, pays each record pot * weight / total (rounded down per
     * record, exactly as claim pays it: batching changes no payout) and returns the sum. Credits are summed per
     * recipient in memory, so a recipient named in several slots has its balance written once.
     */
    function _creditBatch(uint256 root, uint256 epoch, uint256 total, uint256 pot, BatchClaim[] calldata claims)
        private
        returns (uint256 amount)
    {
        uint256 n = claims.length;
        address[] memory payees = new address[](n);
        uint256[] memory credits = new uint256[](n);
        uint256 nPayees;
        for (uint256 i; i < n; ++i) {
            BatchClaim calldata cl = claims[i];
            // Marked as it is checked: a record named twice in this batch fails here at its second slot.
            if (nullifierUsed[root][cl.nullifier]) revert NullifierUsed(root, cl.nullifier);
            nullifierUsed[root][cl.nullifier] = true;
            uint256 share = (pot * cl.weight) / total;
            if (share == 0) revert ZeroPayout(root, epoch);
            amount += share;
            emit RoyaltyClaimed(root, epoch, cl.nullifier, cl.contributor, share);
            uint256 j;
            while (j < nPayees && payees[j] != cl.contributor) ++j;
            if (j == nPayees) {
                payees[j] = cl.contributor;
                ++nPayees;
            }
            credits[j] += share;
        }
        for (uint256 j; j < nPayees; ++j) {
            balanceOf[payees[j]] += credits[j];
        }
    }

    /// @dev `x` (below 1000) in decimal. OpenZeppelin's Strings needs Cancun's mcopy; this vault targets Paris.
    function _decimal(uint256 x) private pure returns (bytes memory) {
        if (x < 10) return abi.encodePacked(bytes1(uint8(48 + x)));
        if (x < 100) return abi.encodePacked(bytes1(uint8(48 + x / 10)), bytes1(uint8(48 + (x % 10))));
        return abi.encodePacked(bytes1(uint8(48 + x / 100)), bytes1(uint8(48 + (x / 10) % 10)), bytes1(uint8(48 + (x % 10))));
    }

    /**
     * @dev Calls the batch verifier's verifyProof (snarkjs's `public view` function, fixed-size public signals) with
     * staticcall: the ABI encoding of static arrays is their words in order, so the call data is the selector and the
     * words of a, b, c and pub. A verifier that reverts or answers anything but true is a rejection.
     */
    function _verifyBatch(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] memory pub
    ) private view returns (bool) {
        (bool ok, bytes memory ret) =
            batchVerifier.staticcall(abi.encodePacked(batchVerifySelector, a, b[0], b[1], c, pub));
        return ok && ret.length == 32 && abi.decode(ret, (uint256)) == 1;
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
