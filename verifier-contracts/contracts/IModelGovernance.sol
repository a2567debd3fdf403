// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IModelGovernance
 * @notice Listings of registered models for paid inference: their owners and shares, the immutable fee split of each
 * version (owners, training dataset pots, parent models), their lineage, their setup identity, and the owners'
 * majority decisions (fee, retirement, a new version). The implementation and its rules: ModelGovernance.sol.
 */
interface IModelGovernance {
    /// @notice What a passed proposal does.
    enum Action {
        /// Sets the fee of future requests to `value` wei.
        SetFee,
        /// Retires the model for good: no new requests, no new attestations (ModelRegistry.deactivateModel).
        Retire,
        /// Approves a new version: `value` is listingHash(newModelId, its params); that listing may then name this
        /// model as its predecessor, and this model stops taking requests once it is listed.
        ApproveVersion
    }

    /**
     * @notice Who ran the trusted setup of the model's circuit, so a consumer can see who would have to collude to
     * forge its proofs (anyone who knows the toxic waste of every contribution can).
     * @param ceremony sha256 of the powers-of-tau ceremony file the setup used (phase 1).
     * @param zkeyContributions The phase-2 contribution hashes, in order, as snarkjs prints them (blake2b-512, 64 bytes each).
     * @param kappaContributions The weights' commitment key κ's history entry hashes, in order (SHA-256; empty for a
     * Poseidon-committed model, which has no κ).
     * @param lookupKappaContributions The lookup key κ's history entry hashes, in order (SHA-256; empty for a model
     * compiled without lookups). Whoever knows that κ could forge the proof of knowledge of the lookup commitment D.
     */
    struct SetupIdentity {
        bytes32 ceremony;
        bytes[] zkeyContributions;
        bytes32[] kappaContributions;
        bytes32[] lookupKappaContributions;
    }

    /**
     * @notice What a model version declares when it is listed; everything but `fee` is immutable afterwards.
     * @param owners First holders of the model's shares (distinct, non-zero).
     * @param shares Their shares (each > 0); their sum is the model's fixed total.
     * @param datasetRoots Merkle-sum roots of the training dataset(s); their pots get `datasetBps[i]` of every fee.
     * @param datasetBps Basis points of each dataset.
     * @param parents Listed parent models; each gets `parentBps[i]` of every fee, divided by the parent's own split.
     * @param parentBps Basis points of each parent.
     * @param fee Wei per request, until the owners change it.
     * @param predecessor The model this version succeeds (its owners must have approved this listing), or 0.
     * @param setup The setup identity.
     */
    struct ListingParams {
        address[] owners;
        uint96[] shares;
        uint256[] datasetRoots;
        uint16[] datasetBps;
        bytes32[] parents;
        uint16[] parentBps;
        uint256 fee;
        bytes32 predecessor;
        SetupIdentity setup;
    }

    /// @notice A listed model's state besides its split (splitOf) and setup (setupIdentity).
    struct Listing {
        uint256 fee;
        uint96 totalShares;
        /// Basis points left to the owners after datasets and parents.
        uint16 ownersBps;
        /// 1 for a model without parents, else 1 + the deepest parent's depth.
        uint8 depth;
        /// Listed models in this model's fee tree, itself included (each parent counted with its own tree).
        uint8 lineageSize;
        bool listed;
        bool retired;
        /// Set when a new version approved by the owners was listed: no new requests.
        bool superseded;
        bytes32 predecessor;
        /// listingHash of the version the owners approved, or 0.
        bytes32 approvedVersion;
    }

    /// @notice How a fee divides: the market pays datasets, then parents, then owners, in this order.
    struct Split {
        uint256[] datasetRoots;
        uint16[] datasetBps;
        bytes32[] parents;
        uint16[] parentBps;
        uint16 ownersBps;
        address[] holders;
        uint96[] shares;
        uint96 totalShares;
    }

    struct Proposal {
        bytes32 modelId;
        Action action;
        uint256 value;
        uint64 expiresAt;
        bool executed;
        address[] approvers;
    }

    event ModelListed(
        bytes32 indexed modelId,
        bytes32 indexed predecessor,
        uint256 fee,
        uint16 ownersBps,
        uint256[] datasetRoots,
        uint16[] datasetBps,
        bytes32[] parents,
        uint16[] parentBps
    );
    event SetupRecorded(
        bytes32 indexed modelId,
        bytes32 ceremony,
        bytes[] zkeyContributions,
        bytes32[] kappaContributions,
        bytes32[] lookupKappaContributions
    );
    event SharesTransferred(bytes32 indexed modelId, address indexed from, address indexed to, uint96 amount);
    event ProposalCreated(uint256 indexed proposalId, bytes32 indexed modelId, Action action, uint256 value, address proposer);
    event ProposalApproved(uint256 indexed proposalId, address indexed approver, uint256 approvedShares);
    event ProposalExecuted(uint256 indexed proposalId, bytes32 indexed modelId, Action action, uint256 value);
    event FeeChanged(bytes32 indexed modelId, uint256 fee);
    event ModelRetired(bytes32 indexed modelId);
    event ModelSuperseded(bytes32 indexed modelId, bytes32 indexed successor);

    error ZeroRegistry();
    error UnknownModel(bytes32 modelId);
    error NotRegistrant(bytes32 modelId, address caller);
    error RegistryOwnershipNotHeld(bytes32 modelId);
    error AlreadyListed(bytes32 modelId);
    error NotListed(bytes32 modelId);
    error LengthMismatch();
    error NoOwners();
    error TooManyOwners(uint256 count);
    error ZeroOwner();
    error DuplicateOwner(address owner);
    error ZeroShares();
    error TooManyShares(uint256 total);
    error TooManyDatasets(uint256 count);
    error DatasetRootOutOfField(uint256 root);
    error TooManyParents(uint256 count);
    error DuplicateParent(bytes32 parent);
    error BadSplit(uint256 bps);
    error LineageTooDeep(uint256 depth);
    error LineageTooLarge(uint256 size);
    error VersionNotApproved(bytes32 predecessor, bytes32 listingHash);
    error BadContributionHash(uint256 index);
    error TooManyContributions(uint256 count);
    error InsufficientShares(bytes32 modelId, address holder, uint96 held, uint96 amount);
    error NotHolder(bytes32 modelId, address caller);
    error ModelRetiredAlready(bytes32 modelId);
    error UnknownProposal(uint256 proposalId);
    error ProposalClosed(uint256 proposalId);
    error AlreadyApproved(uint256 proposalId, address approver);
    error TooManyApprovals(uint256 proposalId);

    /// @notice Lists a registered model; see ModelGovernance for who may and what it requires.
    function list(bytes32 modelId, ListingParams calldata params) external;

    /// @notice Moves `amount` of the caller's shares of `modelId` to `to`.
    function transferShares(bytes32 modelId, address to, uint96 amount) external;

    /// @notice Opens a proposal (the caller must hold shares, and approves it at once); returns its id.
    function propose(bytes32 modelId, Action action, uint256 value) external returns (uint256 proposalId);

    /// @notice Approves a proposal (the caller must hold shares of its model); executes it once approvers hold a majority.
    function approve(uint256 proposalId) external;

    /// @notice keccak256(abi.encode(modelId, params)): what ApproveVersion approves.
    function listingHash(bytes32 modelId, ListingParams calldata params) external pure returns (bytes32);

    /// @notice A model's listing state (all zero, listed == false, for a model never listed).
    function getListing(bytes32 modelId) external view returns (Listing memory);

    /// @notice How a fee of a listed model divides now, with its current holders (reverts NotListed otherwise).
    function splitOf(bytes32 modelId) external view returns (Split memory);

    /// @notice Who ran the setup of a listed model's circuit (reverts NotListed otherwise).
    function setupIdentity(bytes32 modelId) external view returns (SetupIdentity memory);

    /// @notice Shares of `modelId` that `holder` holds now.
    function sharesOf(bytes32 modelId, address holder) external view returns (uint96);

    /// @notice Current holders of a model's shares, in the order the market credits them.
    function holders(bytes32 modelId) external view returns (address[] memory);

    /// @notice A proposal (all zero for an unknown id).
    function getProposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice Shares currently held by the proposal's approvers (a transfer moves its weight: see ModelGovernance).
    function approvedShares(uint256 proposalId) external view returns (uint256);

    /// @notice Whether the market may take new requests for the model: listed, not retired, not superseded.
    function serves(bytes32 modelId) external view returns (bool);
}
