// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IModelRegistry
 * @notice The registry of committed models: its record, events, errors and external functions (the implementation
 * and its design notes: ModelRegistry.sol).
 */
interface IModelRegistry {
    struct Model {
        /// Commitment of the quantized weights (public signal 0 of every attestation): a Poseidon commitment, or
        /// for a point-committed model the id of its commitment point (see commitmentPointId).
        uint256 weightCommitment;
        /// Circuit / quantization id, e.g. sha256 of the circuit id string.
        bytes32 circuitId;
        /// Merkle root of the training dataset; 0 = none declared. Declared by the owner, not proven.
        uint256 datasetRoot;
        /// The circuit's Groth16 verifier: verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N]), or for a
        /// point-committed model verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N-1],uint256[2]).
        address verifier;
        /// N, the number of public signals an attestation carries (for a point-committed model: the statement's
        /// signals plus signal 0, the commitment id).
        uint32 numPublicSignals;
        /// Block timestamp of registration.
        uint64 registeredAt;
        /// Current owner; address(0) means the model is unknown.
        address owner;
        /// False once the owner retired the model.
        bool active;
        /// True for a model registered with registerCommittedModel (its point: getCommitmentPoint).
        bool pointCommitted;
        /// Who registered the model (part of its id, never changes): the value of every attested proof's last
        /// public signal, `binding` (see the contract's notice).
        address registrant;
    }

    event ModelRegistered(
        bytes32 indexed modelId,
        address indexed owner,
        uint256 weightCommitment,
        bytes32 indexed circuitId,
        address verifier,
        uint256 numPublicSignals,
        uint256 datasetRoot
   );
    /// @notice Emitted, after ModelRegistered, for a point-committed model: its Pedersen commitment of the weights.
    event CommitmentPointRegistered(bytes32 indexed modelId, uint256[2] commitment);
    event ModelDeactivated(bytes32 indexed modelId, address indexed owner);
    event ModelOwnershipTransferred(bytes32 indexed modelId, address indexed previousOwner, address indexed newOwner);

    error UnknownModel(bytes32 modelId);
    error ModelExists(bytes32 modelId);
    error NotOwner(bytes32 modelId, address caller);
    error ZeroVerifier();
    error VerifierNotContract(address verifier);
    error ZeroCircuitId();
    error ZeroOwner();
    error CommitmentOutOfField(uint256 weightCommitment);
    error DatasetRootOutOfField(uint256 datasetRoot);
    error InvalidSignalCount(uint256 numPublicSignals);
    error ModelInactive(bytes32 modelId);
    error InvalidCommitmentProof();
    error NotPointCommitted(bytes32 modelId);

    /**
     * @notice The id `registerModel` (or `registerCommittedModel`) gives a model registered by `registrant` with these parameters.
     * @param registrant The address that registers (the first owner).
     * @param weightCommitment The weights' Poseidon commitment, or for a point-committed model commitmentPointId.
     * @param circuitId The circuit / quantization id.
     * @param verifier The circuit's Groth16 verifier.
     * @return The model id.
     */
    function computeModelId(
        address registrant,
        uint256 weightCommitment,
        bytes32 circuitId,
        address verifier
    ) external pure returns (bytes32);

    /**
     * @notice Registers a model; the caller becomes its owner. Its commitment, circuit, verifier, signal count and
     * dataset root can never change.
     * @param weightCommitment Poseidon commitment of the quantized weights (a field element).
     * @param circuitId The circuit / quantization id (non-zero), e.g. sha256 of the circuit id string.
     * @param verifier The circuit's Groth16 verifier (a deployed contract).
     * @param numPublicSignals N, the verifier's public-signal count (MIN_PUBLIC_SIGNALS ..= MAX_PUBLIC_SIGNALS); the
     * last signal is the proof's binding, which InferenceAttestor requires to equal the caller's address.
     * @param datasetRoot Merkle root of the training dataset (a field element), or 0 for none.
     * @return modelId The new model's id (see computeModelId).
     */
    function registerModel(
        uint256 weightCommitment,
        bytes32 circuitId,
        address verifier,
        uint256 numPublicSignals,
        uint256 datasetRoot
    ) external returns (bytes32 modelId);

    /**
     * @notice Registers a point-committed (commit-and-prove) model; the caller becomes its owner. The verifier must
     * accept the commitment's proof of knowledge (`verifyCommitment(commitment, knowledge)` answers exactly true).
     * The model's weightCommitment is commitmentPointId(commitment), and its id is computeModelId with it.
     * @param commitment The Pedersen commitment W of the weights and blind, [x, y] ([0, 0] for infinity).
     * @param knowledge Its proof of knowledge K, [x, y].
     * @param circuitId The circuit / quantization id (non-zero).
     * @param verifier The circuit's committed verifier (a deployed contract, see committed-verifier.ts).
     * @param numPublicSignals N, the signals an attestation carries: the statement's signals + 1 (signal 0 is the
     * commitment id), MIN_PUBLIC_SIGNALS ..= MAX_PUBLIC_SIGNALS.
     * @param datasetRoot Merkle root of the training dataset (a field element), or 0 for none.
     * @return modelId The new model's id.
     */
    function registerCommittedModel(
        uint256[2] calldata commitment,
        uint256[2] calldata knowledge,
        bytes32 circuitId,
        address verifier,
        uint256 numPublicSignals,
        uint256 datasetRoot
    ) external returns (bytes32 modelId);

    /**
     * @notice The id of a commitment point, a field element: `uint256(keccak256(abi.encode(x, y))) % SNARK_SCALAR_FIELD`.
     * A point-committed model's weightCommitment (and signal 0 of its attestations).
     * @param commitment The point [x, y].
     * @return The id.
     */
    function commitmentPointId(uint256[2] calldata commitment) external pure returns (uint256);

    /**
     * @notice The commitment point of a point-committed model. Reverts NotPointCommitted for any other id (a
     * Poseidon-committed or unknown model).
     * @param modelId The model.
     * @return The point [x, y].
     */
    function getCommitmentPoint(bytes32 modelId) external view returns (uint256[2] memory);

    /**
     * @notice Retires a model for good: InferenceAttestor accepts no new attestations for it. Existing
     * attestations stay on record. Owner only.
     * @param modelId The model.
     */
    function deactivateModel(bytes32 modelId) external;

    /**
     * @notice Hands a model to a new owner (the model id does not change). Owner only.
     * @param modelId The model.
     * @param newOwner The new owner (non-zero).
     */
    function transferModelOwnership(bytes32 modelId, address newOwner) external;

    /**
     * @notice A model's record. Does not revert: an unknown id returns an all-zero record (owner == address(0)),
     * so callers (InferenceAttestor) can report their own error.
     * @param modelId The model.
     * @return The model's record.
     */
    function getModel(bytes32 modelId) external view returns (Model memory);

    /**
     * @notice Whether a model with this id was ever registered (retired ones included).
     * @param modelId The model.
     * @return True iff registered.
     */
    function isRegistered(bytes32 modelId) external view returns (bool);
}
