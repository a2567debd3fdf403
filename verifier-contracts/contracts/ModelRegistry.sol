// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title ModelRegistry
 * @notice Registers committed models: a Poseidon commitment of the quantized weights, the circuit that proves
 * inferences of that model, and the Groth16 verifier of that circuit. InferenceAttestor accepts inference proofs
 * only for models registered here.
 *
 * A model's id is `keccak256(abi.encode(registrant, weightCommitment, circuitId, verifier))`, computable off chain
 * before registering (see `computeModelId`). The registrant is part of the id so nobody can squat or front-run
 * another provider's id; the verifier is part of it so a new trusted setup of the same circuit (a new verifier)
 * gets a new id instead of silently changing what old attestations meant.
 *
 * Everything that gives an attestation its meaning (commitment, circuit, verifier, public-signal count, dataset
 * root) is immutable once registered. The owner may only transfer ownership or retire the model for good
 * (`deactivateModel`): a retired model accepts no new attestations; its existing attestations stay on record.
 */
contract ModelRegistry {
    /// @notice The BN254 scalar field order; weight commitments and dataset roots are elements of this field.
    uint256 public constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice Fewest public signals an inference circuit can have: [weightCommitment, inputHash, output_0].
    uint256 public constant MIN_PUBLIC_SIGNALS = 3;

    /// @notice Most public signals accepted: a sanity bound that keeps an attestation's calldata and gas bounded.
    uint256 public constant MAX_PUBLIC_SIGNALS = 1024;

    struct Model {
        /// Poseidon commitment of the quantized weights (public signal 0 of every proof).
        uint256 weightCommitment;
        /// Circuit / quantization id, e.g. sha256 of the circuit id string.
        bytes32 circuitId;
        /// Merkle root of the training dataset; 0 = none declared. Declared by the owner, not proven.
        uint256 datasetRoot;
        /// The circuit's Groth16 verifier: verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N]).
        address verifier;
        /// N, the number of public signals the verifier takes.
        uint32 numPublicSignals;
        /// Block timestamp of registration.
        uint64 registeredAt;
        /// Current owner; address(0) means the model is unknown.
        address owner;
        /// False once the owner retired the model.
        bool active;
    }

    mapping(bytes32 modelId => Model) private _models;

    /// @notice Number of models ever registered.
    uint256 public modelCount;

    event ModelRegistered(
        bytes32 indexed modelId,
        address indexed owner,
        uint256 weightCommitment,
        bytes32 indexed circuitId,
        address verifier,
        uint256 numPublicSignals,
        uint256 datasetRoot
    );
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

    /**
     * @notice The id `registerModel` gives a model registered by `registrant` with these parameters.
     * @param registrant The address that registers (the first owner).
     * @param weightCommitment The weights' Poseidon commitment.
     * @param circuitId The circuit / quantization id.
     * @param verifier The circuit's Groth16 verifier.
     * @return The model id.
     */
    function computeModelId(address registrant, uint256 weightCommitment, bytes32 circuitId, address verifier)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(registrant, weightCommitment, circuitId, verifier));
    }

    /**
     * @notice Registers a model; the caller becomes its owner. Its commitment, circuit, verifier, signal count and
     * dataset root can never change.
     * @param weightCommitment Poseidon commitment of the quantized weights (a field element).
     * @param circuitId The circuit / quantization id (non-zero), e.g. sha256 of the circuit id string.
     * @param verifier The circuit's Groth16 verifier (a deployed contract).
     * @param numPublicSignals N, the verifier's public-signal count (MIN_PUBLIC_SIGNALS ..= MAX_PUBLIC_SIGNALS).
     * @param datasetRoot Merkle root of the training dataset (a field element), or 0 for none.
     * @return modelId The new model's id (see computeModelId).
     */
    function registerModel(
        uint256 weightCommitment,
        bytes32 circuitId,
        address verifier,
        uint256 numPublicSignals,
        uint256 datasetRoot
    ) external returns (bytes32 modelId) {
        if (weightCommitment >= SNARK_SCALAR_FIELD) revert CommitmentOutOfField(weightCommitment);
        if (circuitId == bytes32(0)) revert ZeroCircuitId();
        if (verifier == address(0)) revert ZeroVerifier();
        // An address without code would answer every staticcall with success and empty data; refuse it up front.
        if (verifier.code.length == 0) revert VerifierNotContract(verifier);
        if (numPublicSignals < MIN_PUBLIC_SIGNALS || numPublicSignals > MAX_PUBLIC_SIGNALS) {
            revert InvalidSignalCount(numPublicSignals);
        }
        if (datasetRoot >= SNARK_SCALAR_FIELD) revert DatasetRootOutOfField(datasetRoot);
        modelId = computeModelId(msg.sender, weightCommitment, circuitId, verifier);
        if (_models[modelId].owner != address(0)) revert ModelExists(modelId);

        _models[modelId] = Model({
            weightCommitment: weightCommitment,
            circuitId: circuitId,
            datasetRoot: datasetRoot,
            verifier: verifier,
            numPublicSignals: uint32(numPublicSignals),
            registeredAt: uint64(block.timestamp),
            owner: msg.sender,
            active: true
        });
        modelCount += 1;
        emit ModelRegistered(modelId, msg.sender, weightCommitment, circuitId, verifier, numPublicSignals, datasetRoot);
    }

    /**
     * @notice Retires a model for good: InferenceAttestor accepts no new attestations for it. Existing
     * attestations stay on record. Owner only.
     * @param modelId The model.
     */
    function deactivateModel(bytes32 modelId) external {
        Model storage m = _ownedModel(modelId);
        if (!m.active) revert ModelInactive(modelId);
        m.active = false;
        emit ModelDeactivated(modelId, msg.sender);
    }

    /**
     * @notice Hands a model to a new owner (the model id does not change). Owner only.
     * @param modelId The model.
     * @param newOwner The new owner (non-zero).
     */
    function transferModelOwnership(bytes32 modelId, address newOwner) external {
        Model storage m = _ownedModel(modelId);
        if (newOwner == address(0)) revert ZeroOwner();
        m.owner = newOwner;
        emit ModelOwnershipTransferred(modelId, msg.sender, newOwner);
    }

    /**
     * @notice A model's record. Does not revert: an unknown id returns an all-zero record (owner == address(0)),
     * so callers (InferenceAttestor) can report their own error.
     * @param modelId The model.
     * @return The model's record.
     */
    function getModel(bytes32 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /**
     * @notice Whether a model with this id was ever registered (retired ones included).
     * @param modelId The model.
     * @return True iff registered.
     */
    function isRegistered(bytes32 modelId) external view returns (bool) {
        return _models[modelId].owner != address(0);
    }

    function _ownedModel(bytes32 modelId) private view returns (Model storage m) {
        m = _models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
        if (m.owner != msg.sender) revert NotOwner(modelId, msg.sender);
    }
}
