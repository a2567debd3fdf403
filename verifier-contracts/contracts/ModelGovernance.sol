// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BN254_SCALAR_FIELD} from "./Field.sol";
import {IModelGovernance} from "./IModelGovernance.sol";
import {IModelRegistry} from "./IModelRegistry.sol";

/**
 * @title ModelGovernance
 * @notice Who owns a model registered for paid inference, how its fees divide, where it comes from, and how its
 * owners decide. InferenceMarket sells inferences of the models listed here.
 *
 * Listing. The registrant of a ModelRegistry model first hands the model's registry ownership to this contract
 * (ModelRegistry.transferModelOwnership), then calls `list`. From then on only a majority of its owners can retire
 * it (this contract calls deactivateModel): a single account can no longer switch off a model others co-own.
 *
 * Immutable per version: the owners' part of each fee (`ownersBps`), each training dataset root's part and each
 * parent model's part (basis points summing to 10,000 with the owners'), the parents themselves, the setup identity
 * and the predecessor. Only the fee and who holds the shares change.
 *
 * Lineage. Parents must already be listed when a model is listed, and a listing never changes, so every parent was
 * listed strictly before its child: the parent relation follows listing order and a cycle cannot exist (a model
 * cannot even name itself: it is not listed yet). Depth (MAX_DEPTH) and the number of listings in a fee tree
 * (MAX_LINEAGE) are bounded, so paying a fee up the lineage has bounded gas.
 *
 * Owners and majority. Shares are fixed in total and transferable (at most MAX_HOLDERS holders at once, which bounds
 * the gas of crediting them). A change of fee, a retirement or the approval of a new version is a proposal that
 * passes when the shares *currently* held by its approvers are more than half of the total; it executes in the
 * approving call. Weight is counted at that moment, not at approval, so shares moved after approving stop counting
 * for the old holder and count again only if the new holder approves: no share is ever counted twice. Proposals
 * expire after PROPOSAL_TTL.
 *
 * A new version is a separate registered model. Its listing names this model as `predecessor`, and is accepted
 * only if this model's owners approved exactly that listing (listingHash over its id and every parameter); once
 * listed, the predecessor is superseded and takes no new requests.
 */
contract ModelGovernance is IModelGovernance {
    uint256 public constant SNARK_SCALAR_FIELD = BN254_SCALAR_FIELD;
    uint16 public constant TOTAL_BPS = 10_000;
    uint256 public constant MAX_HOLDERS = 16;
    uint256 public constant MAX_DATASETS = 4;
    uint256 public constant MAX_PARENTS = 4;
    uint256 public constant MAX_DEPTH = 4;
    uint256 public constant MAX_LINEAGE = 16;
    uint256 public constant MAX_APPROVERS = 32;
    uint256 public constant MAX_CONTRIBUTIONS = 64;
    uint64 public constant PROPOSAL_TTL = 7 days;

    IModelRegistry public immutable registry;

    mapping(bytes32 modelId => Listing) private _listings;
    mapping(bytes32 modelId => uint256[]) private _datasetRoots;
    mapping(bytes32 modelId => uint16[]) private _datasetBps;
    mapping(bytes32 modelId => bytes32[]) private _parents;
    mapping(bytes32 modelId => uint16[]) private _parentBps;
    mapping(bytes32 modelId => SetupIdentity) private _setups;
    mapping(bytes32 modelId => address[]) private _holders;
    mapping(bytes32 modelId => mapping(address holder => uint96)) private _shares;
    /// Position + 1 of each holder in _holders (0: not a holder).
    mapping(bytes32 modelId => mapping(address holder => uint256)) private _holderSlot;
    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(address approver => bool)) private _approved;

    uint256 public proposalCount;

    constructor(IModelRegistry registry_) {
        if (address(registry_) == address(0)) revert ZeroRegistry();
        registry = registry_;
    }

    /// @inheritdoc IModelGovernance
    function list(bytes32 modelId, ListingParams calldata p) external {
        IModelRegistry.Model memory m = registry.getModel(modelId);
        if (m.owner == address(0)) revert UnknownModel(modelId);
        if (m.registrant != msg.sender) revert NotRegistrant(modelId, msg.sender);
        if (m.owner != address(this)) revert RegistryOwnershipNotHeld(modelId);
        if (!m.active) revert ModelRetiredAlready(modelId);
        Listing storage l = _listings[modelId];
        if (l.listed) revert AlreadyListed(modelId);

        uint256 bps = _storeLineage(modelId, p);
        _storeOwners(modelId, p.owners, p.shares);
        _storeSetup(modelId, p.setup);
        if (p.predecessor != bytes32(0)) _supersede(modelId, p);
        l.fee = p.fee;
        l.ownersBps = uint16(TOTAL_BPS - bps);
        l.listed = true;
        l.predecessor = p.predecessor;
        emit ModelListed(modelId, p.predecessor, p.fee, l.ownersBps, p.datasetRoots, p.datasetBps, p.parents, p.parentBps);
    }

    /// @inheritdoc IModelGovernance
    function transferShares(bytes32 modelId, address to, uint96 amount) external {
        if (!_listings[modelId].listed) revert NotListed(modelId);
        if (to == address(0)) revert ZeroOwner();
        if (amount == 0) revert ZeroShares();
        uint96 held = _shares[modelId][msg.sender];
        if (held < amount) revert InsufficientShares(modelId, msg.sender, held, amount);
        emit SharesTransferred(modelId, msg.sender, to, amount);
        if (to == msg.sender) return;
        _shares[modelId][msg.sender] = held - amount;
        if (held == amount) _removeHolder(modelId, msg.sender);
        if (_holderSlot[modelId][to] == 0) _addHolder(modelId, to);
        _shares[modelId][to] += amount;
    }

    /// @inheritdoc IModelGovernance
    function propose(bytes32 modelId, Action action, uint256 value) external returns (uint256 proposalId) {
        Listing storage l = _listings[modelId];
        if (!l.listed) revert NotListed(modelId);
        if (l.retired) revert ModelRetiredAlready(modelId);
        if (_shares[modelId][msg.sender] == 0) revert NotHolder(modelId, msg.sender);
        proposalId = ++proposalCount;
        Proposal storage prop = _proposals[proposalId];
        prop.modelId = modelId;
        prop.action = action;
        prop.value = value;
        prop.expiresAt = uint64(block.timestamp) + PROPOSAL_TTL;
        emit ProposalCreated(proposalId, modelId, action, value, msg.sender);
        _approve(proposalId, prop);
    }

    /// @inheritdoc IModelGovernance
    function approve(uint256 proposalId) external {
        Proposal storage prop = _proposals[proposalId];
        if (prop.modelId == bytes32(0)) revert UnknownProposal(proposalId);
        if (prop.executed || block.timestamp >= prop.expiresAt) revert ProposalClosed(proposalId);
        if (_listings[prop.modelId].retired) revert ModelRetiredAlready(prop.modelId);
        if (_shares[prop.modelId][msg.sender] == 0) revert NotHolder(prop.modelId, msg.sender);
        _approve(proposalId, prop);
    }

    /// @inheritdoc IModelGovernance
    function listingHash(bytes32 modelId, ListingParams calldata params) external pure returns (bytes32) {
        return keccak256(abi.encode(modelId, params));
    }

    /// @inheritdoc IModelGovernance
    function getListing(bytes32 modelId) external view returns (Listing memory) {
        return _listings[modelId];
    }

    /// @inheritdoc IModelGovernance
    function splitOf(bytes32 modelId) external view returns (Split memory s) {
        Listing storage l = _listings[modelId];
        if (!l.listed) revert NotListed(modelId);
        s.datasetRoots = _datasetRoots[modelId];
        s.datasetBps = _datasetBps[modelId];
        s.parents = _parents[modelId];
        s.parentBps = _parentBps[modelId];
        s.ownersBps = l.ownersBps;
        s.holders = _holders[modelId];
        s.shares = new uint96[](s.holders.length);
        for (uint256 i = 0; i < s.holders.length; ++i) s.shares[i] = _shares[modelId][s.holders[i]];
        s.totalShares = l.totalShares;
    }

    /// @inheritdoc IModelGovernance
    function setupIdentity(bytes32 modelId) external view returns (SetupIdentity memory) {
        if (!_listings[modelId].listed) revert NotListed(modelId);
        return _setups[modelId];
    }

    /// @inheritdoc IModelGovernance
    function sharesOf(bytes32 modelId, address holder) external view returns (uint96) {
        return _shares[modelId][holder];
    }

    /// @inheritdoc IModelGovernance
    function holders(bytes32 modelId) external view returns (address[] memory) {
        return _holders[modelId];
    }

    /// @inheritdoc IModelGovernance
    function getProposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposals[proposalId];
    }

    /// @inheritdoc IModelGovernance
    function approvedShares(uint256 proposalId) public view returns (uint256 sum) {
        Proposal storage prop = _proposals[proposalId];
        for (uint256 i = 0; i < prop.approvers.length; ++i) sum += _shares[prop.modelId][prop.approvers[i]];
    }

    /// @inheritdoc IModelGovernance
    function serves(bytes32 modelId) external view returns (bool) {
        Listing storage l = _listings[modelId];
        return l.listed && !l.retired && !l.superseded;
    }

    /// Records the caller's approval, then executes the proposal if its approvers now hold a strict majority.
    function _approve(uint256 proposalId, Proposal storage prop) private {
        if (_approved[proposalId][msg.sender]) revert AlreadyApproved(proposalId, msg.sender);
        if (prop.approvers.length >= MAX_APPROVERS) revert TooManyApprovals(proposalId);
        _approved[proposalId][msg.sender] = true;
        prop.approvers.push(msg.sender);
        uint256 approved = approvedShares(proposalId);
        emit ProposalApproved(proposalId, msg.sender, approved);
        Listing storage l = _listings[prop.modelId];
        if (approved * 2 <= l.totalShares) return;

        prop.executed = true;
        emit ProposalExecuted(proposalId, prop.modelId, prop.action, prop.value);
        if (prop.action == Action.SetFee) {
            l.fee = prop.value;
            emit FeeChanged(prop.modelId, prop.value);
        } else if (prop.action == Action.Retire) {
            l.retired = true;
            emit ModelRetired(prop.modelId);
            // This contract holds the registry ownership of every listed model (checked by list).
            registry.deactivateModel(prop.modelId);
        } else {
            l.approvedVersion = bytes32(prop.value);
        }
    }

    /// Stores datasets and parents with the lineage's depth and size; returns their basis points (< TOTAL_BPS).
    function _storeLineage(bytes32 modelId, ListingParams calldata p) private returns (uint256 bps) {
        bps = _storeDatasets(modelId, p.datasetRoots, p.datasetBps);
        (uint256 parentBps, uint256 depth, uint256 size) = _storeParents(modelId, p.parents, p.parentBps);
        bps += parentBps;
        if (bps >= TOTAL_BPS) revert BadSplit(bps);
        Listing storage l = _listings[modelId];
        l.depth = uint8(depth);
        l.lineageSize = uint8(size);
    }

    /// The new version `modelId` takes over from p.predecessor, whose owners must have approved exactly this listing.
    function _supersede(bytes32 modelId, ListingParams calldata p) private {
        Listing storage pred = _listings[p.predecessor];
        bytes32 h = keccak256(abi.encode(modelId, p));
        if (!pred.listed || pred.retired || pred.superseded || pred.approvedVersion != h) {
            revert VersionNotApproved(p.predecessor, h);
        }
        pred.superseded = true;
        emit ModelSuperseded(p.predecessor, modelId);
    }

    function _storeDatasets(bytes32 modelId, uint256[] calldata roots, uint16[] calldata bps)
        private
        returns (uint256 sum)
    {
        if (roots.length != bps.length) revert LengthMismatch();
        if (roots.length > MAX_DATASETS) revert TooManyDatasets(roots.length);
        for (uint256 i = 0; i < roots.length; ++i) {
            if (roots[i] == 0 || roots[i] >= SNARK_SCALAR_FIELD) revert DatasetRootOutOfField(roots[i]);
            if (bps[i] == 0) revert BadSplit(0);
            sum += bps[i];
        }
        _datasetRoots[modelId] = roots;
        _datasetBps[modelId] = bps;
    }

    function _storeParents(bytes32 modelId, bytes32[] calldata parents, uint16[] calldata bps)
        private
        returns (uint256 sum, uint256 depth, uint256 size)
    {
        if (parents.length != bps.length) revert LengthMismatch();
        if (parents.length > MAX_PARENTS) revert TooManyParents(parents.length);
        depth = 1;
        size = 1;
        for (uint256 i = 0; i < parents.length; ++i) {
            // Listed before this model, hence never this model or one of its descendants: no cycle.
            Listing storage parent = _listings[parents[i]];
            if (!parent.listed) revert NotListed(parents[i]);
            for (uint256 j = 0; j < i; ++j) if (parents[j] == parents[i]) revert DuplicateParent(parents[i]);
            if (bps[i] == 0) revert BadSplit(0);
            sum += bps[i];
            if (parent.depth + 1 > depth) depth = parent.depth + 1;
            size += parent.lineageSize;
        }
        if (depth > MAX_DEPTH) revert LineageTooDeep(depth);
        if (size > MAX_LINEAGE) revert LineageTooLarge(size);
        _parents[modelId] = parents;
        _parentBps[modelId] = bps;
    }

    function _storeOwners(bytes32 modelId, address[] calldata owners, uint96[] calldata shares) private {
        if (owners.length != shares.length) revert LengthMismatch();
        if (owners.length == 0) revert NoOwners();
        uint256 total;
        for (uint256 i = 0; i < owners.length; ++i) {
            if (owners[i] == address(0)) revert ZeroOwner();
            if (shares[i] == 0) revert ZeroShares();
            if (_holderSlot[modelId][owners[i]] != 0) revert DuplicateOwner(owners[i]);
            _addHolder(modelId, owners[i]);
            _shares[modelId][owners[i]] = shares[i];
            total += shares[i];
        }
        if (total > type(uint96).max) revert TooManyShares(total);
        _listings[modelId].totalShares = uint96(total);
    }

    function _storeSetup(bytes32 modelId, SetupIdentity calldata s) private {
        uint256 n = s.zkeyContributions.length;
        if (
            n > MAX_CONTRIBUTIONS || s.kappaContributions.length > MAX_CONTRIBUTIONS
                || s.lookupKappaContributions.length > MAX_CONTRIBUTIONS
        ) {
            revert TooManyContributions(n + s.kappaContributions.length + s.lookupKappaContributions.length);
        }
        SetupIdentity storage stored = _setups[modelId];
        stored.ceremony = s.ceremony;
        for (uint256 i = 0; i < n; ++i) {
            // snarkjs's contribution hashes are blake2b-512.
            if (s.zkeyContributions[i].length != 64) revert BadContributionHash(i);
            stored.zkeyContributions.push(s.zkeyContributions[i]);
        }
        stored.kappaContributions = s.kappaContributions;
        stored.lookupKappaContributions = s.lookupKappaContributions;
        emit SetupRecorded(modelId, s.ceremony, s.zkeyContributions, s.kappaContributions, s.lookupKappaContributions);
    }

    function _addHolder(bytes32 modelId, address holder) private {
        address[] storage list_ = _holders[modelId];
        if (list_.length >= MAX_HOLDERS) revert TooManyOwners(list_.length + 1);
        list_.push(holder);
        _holderSlot[modelId][holder] = list_.length;
    }

    /// Swap-and-pop: the last holder takes the removed one's place.
    function _removeHolder(bytes32 modelId, address holder) private {
        address[] storage list_ = _holders[modelId];
        uint256 slot = _holderSlot[modelId][holder];
        address last = list_[list_.length - 1];
        list_[slot - 1] = last;
        _holderSlot[modelId][last] = slot;
        list_.pop();
        delete _holderSlot[modelId][holder];
    }
}
