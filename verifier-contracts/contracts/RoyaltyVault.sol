// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMembershipVerifier} from "./IMembershipVerifier.sol";

/**
 * @title RoyaltyVault
 * @notice Pays dataset contributors their share of per-epoch royalty pots, against Groth16 membership proofs.
 *
 * A dataset is committed as a Poseidon Merkle root. Its owner registers the root with the total weight of all its
 * leaves; anyone funds an epoch of that dataset with ETH. A contributor (or anyone on their behalf) then claims with
 * a proof that a leaf of weight `weight` belonging to `contributor` is in the tree, for that epoch, with a nullifier.
 * The proof's public signals are [root, contributor, weight, epoch, nullifier], so a proof can neither be
 * redirected to another recipient nor replayed (each nullifier pays once per root).
 *
 * Payout: `pot * weight / totalWeight`, rounded down (the remainder stays in the vault). The pot is frozen at its
 * first claim, so every claimant of an epoch is paid from the same pot; funding a frozen epoch reverts with
 * `EpochClosed`. Payouts are credited to `balanceOf` and withdrawn separately (pull payment).
 *
 * `totalWeight` is the owner's declaration, not proven. If the leaves' weights in fact sum to more, the epoch's
 * pot would be over-subscribed; `PotExhausted` stops payouts at the pot, so one dataset can never spend another's
 * funds.
 */
contract RoyaltyVault {
    /// @notice The BN254 scalar field order; roots and public signals are elements of this field.
    uint256 public constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice Upper bound on a dataset's total weight, so `pot * weight` can never overflow.
    uint256 public constant MAX_TOTAL_WEIGHT = type(uint128).max;

    struct Dataset {
        address owner;
        uint256 totalWeight;
    }

    struct Epoch {
        uint256 pot; // total funded
        uint256 paid; // total credited to claimants
        bool frozen; // true once the first claim was paid
    }

    /// @notice The membership verifier, fixed at deployment.
    IMembershipVerifier public immutable verifier;

    /// @notice Registered datasets by Merkle root (owner == address(0) means unknown).
    mapping(uint256 root => Dataset) public datasets;

    /// @notice Pot and payouts of each epoch of each dataset.
    mapping(uint256 root => mapping(uint256 epoch => Epoch)) public epochs;

    /// @notice Nullifiers already paid, per dataset root.
    mapping(uint256 root => mapping(uint256 nullifier => bool)) public nullifierUsed;

    /// @notice ETH credited to each account and not yet withdrawn.
    mapping(address account => uint256) public balanceOf;

    uint256 private _reentrancyStatus = 1;

    event DatasetRegistered(uint256 indexed root, address indexed owner, uint256 totalWeight);
    event EpochFunded(uint256 indexed root, uint256 indexed epoch, address indexed funder, uint256 amount, uint256 pot);
    event RoyaltyClaimed(
        uint256 indexed root, uint256 indexed epoch, uint256 nullifier, address indexed contributor, uint256 amount
    );
    event Withdrawn(address indexed account, uint256 amount);

    error ZeroVerifier();
    error DatasetExists(uint256 root);
    error RootOutOfField(uint256 root);
    error InvalidTotalWeight(uint256 totalWeight);
    error UnknownRoot(uint256 root);
    error EpochOutOfField(uint256 epoch);
    error ZeroFunding();
    error EpochClosed(uint256 root, uint256 epoch);
    error WeightExceedsTotal(uint256 weight, uint256 totalWeight);
    error NullifierUsed(uint256 root, uint256 nullifier);
    error InvalidProof();
    error EmptyEpoch(uint256 root, uint256 epoch);
    error ZeroPayout(uint256 root, uint256 epoch);
    error PotExhausted(uint256 root, uint256 epoch, uint256 amount, uint256 remaining);
    error NothingToWithdraw(address account);
    error WithdrawFailed(address account, uint256 amount);
    error ReentrantCall();

    modifier nonReentrant() {
        if (_reentrancyStatus != 1) revert ReentrantCall();
        _reentrancyStatus = 2;
        _;
        _reentrancyStatus = 1;
    }

    /**
     * @param verifier_ The Groth16 verifier of the membership circuit.
     */
    constructor(IMembershipVerifier verifier_) {
        if (address(verifier_) == address(0)) revert ZeroVerifier();
        verifier = verifier_;
    }

    /**
     * @notice Registers a dataset by its Merkle root; the caller becomes its owner.
     * @param root The Poseidon Merkle root (must be a field element).
     * @param totalWeight Sum of all leaves' weights: the denominator of every payout (1 ..= MAX_TOTAL_WEIGHT).
     */
    function registerDataset(uint256 root, uint256 totalWeight) external {
        if (root >= SNARK_SCALAR_FIELD) revert RootOutOfField(root);
        if (totalWeight == 0 || totalWeight > MAX_TOTAL_WEIGHT) revert InvalidTotalWeight(totalWeight);
        if (datasets[root].owner != address(0)) revert DatasetExists(root);
        datasets[root] = Dataset({owner: msg.sender, totalWeight: totalWeight});
        emit DatasetRegistered(root, msg.sender, totalWeight);
    }

    /**
     * @notice Adds the sent ETH to an epoch's pot. Anyone may fund, any number of times, until the first claim.
     * @param root A registered dataset root.
     * @param epoch The epoch (must be a field element, or no proof could ever claim it).
     */
    function fundEpoch(uint256 root, uint256 epoch) external payable {
        if (datasets[root].owner == address(0)) revert UnknownRoot(root);
        if (epoch >= SNARK_SCALAR_FIELD) revert EpochOutOfField(epoch);
        if (msg.value == 0) revert ZeroFunding();
        Epoch storage e = epochs[root][epoch];
        if (e.frozen) revert EpochClosed(root, epoch);
        e.pot += msg.value;
        emit EpochFunded(root, epoch, msg.sender, msg.value, e.pot);
    }

    /**
     * @notice Credits `contributor` with `pot * weight / totalWeight` (rounded down) of the epoch's pot, given a
     * membership proof. Freezes the epoch's pot. Anyone may submit; the payout goes to `contributor` only.
     * @param a Proof point A.
     * @param b Proof point B (EVM G2 encoding, see IMembershipVerifier).
     * @param c Proof point C.
     * @param root The dataset root the proof is for.
     * @param contributor The recipient bound by the proof.
     * @param weight The contributor's leaf weight bound by the proof.
     * @param epoch The epoch bound by the proof.
     * @param nullifier The proof's nullifier; each pays at most once per root.
     * @return amount The wei credited to `contributor`.
     */
    function claim(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256 root,
        address contributor,
        uint256 weight,
        uint256 epoch,
        uint256 nullifier
    ) external returns (uint256 amount) {
        // Checks.
        uint256 totalWeight = datasets[root].totalWeight;
        if (totalWeight == 0) revert UnknownRoot(root);
        if (weight > totalWeight) revert WeightExceedsTotal(weight, totalWeight);
        if (nullifierUsed[root][nullifier]) revert NullifierUsed(root, nullifier);
        // The verifier is fixed at deployment and called with staticcall (view), so calling it before the
        // effects cannot re-enter.
        uint256[5] memory pub = [root, uint256(uint160(contributor)), weight, epoch, nullifier];
        if (!verifier.verifyProof(a, b, c, pub)) revert InvalidProof();
        Epoch storage e = epochs[root][epoch];
        if (e.pot == 0) revert EmptyEpoch(root, epoch);
        amount = (e.pot * weight) / totalWeight;
        if (amount == 0) revert ZeroPayout(root, epoch);
        uint256 remaining = e.pot - e.paid;
        if (amount > remaining) revert PotExhausted(root, epoch, amount, remaining);

        // Effects (no interactions: the payout is pulled later with withdraw()).
        nullifierUsed[root][nullifier] = true;
        e.frozen = true;
        e.paid += amount;
        balanceOf[contributor] += amount;
        emit RoyaltyClaimed(root, epoch, nullifier, contributor, amount);
    }

    /**
     * @notice Sends the caller all ETH credited to them.
     * @return amount The wei sent.
     */
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = balanceOf[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        balanceOf[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert WithdrawFailed(msg.sender, amount);
    }
}
