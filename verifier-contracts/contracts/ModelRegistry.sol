// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BN254_SCALAR_FIELD} from "./Field.sol";
import {IModelRegistry} from "./IModelRegistry.sol";

/**
 * @title ModelRegistry
 * @notice Registers committed models: a commitment of the quantized weights, the circuit that proves inferences of
 * that model, and the Groth16 verifier of that circuit. InferenceAttestor accepts inference proofs only for models
 * registered here.
 *
 * Two kinds of weight commitment:
 * - Poseidon (`registerModel`): a field element the circuit computes and exposes as public signal 0.
 * - Point (`registerCommittedModel`, commit-and-prove): the weights and a random blind are public inputs of the
 *   circuit that are never revealed; the registry stores instead their Pedersen commitment W, a G1 point over the
 *   verification key's own IC points, after the verifier checked W's proof of knowledge (without which W could be
 *   forged to cancel or shift the statement). Such a model's verifier has the committed ABI
 *   (verifier-contracts/committed-verifier.ts): verifyProof(a, b, c, statement[N - 1], W) and
 *   verifyCommitment(W, K). Its `weightCommitment` is the point's id, `uint256(keccak256(abi.encode(W.x, W.y))) mod r`,
 *   and it stands in signal 0 of the attested signals exactly like a Poseidon commitment.
 * In both cases the verifier is chosen by the registrant and is part of the model's id: its code is what gives an
 * attestation (and the proof-of-knowledge check) its meaning, so whoever relies on a model checks its verifier.
 *
 * A model's id is `keccak256(abi.encode(registrant, weightCommitment, circuitId, verifier))`, computable off chain
 * before registering (see `computeModelId`). The registrant is part of the id so nobody can squat or front-run
 * another provider's id; the verifier is part of it so a new trusted setup of the same circuit (a new verifier)
 * gets a new id instead of silently changing what old attestations meant.
 *
 * Every inference proof is bound to its registrant: the model circuit's last public signal, `binding`, is a field
 * element the prover sets to the registrant's address (constrained in the circuit, so a proof cannot be re-bound),
 * and InferenceAttestor accepts a proof only under a model whose `registrant` equals it. Since W and K (or a Poseidon
 * weightsHash) and the verifier are public, anyone can register a copy of a model under their own id; the copy's
 * registrant is the copier, so the provider's proofs do not attest under it (BindingMismatch), before or after the
 * provider retires the original. The registrant, not the current owner, is what proofs name: it is part of the
 * model id and never changes, so a transfer of ownership does not invalidate proofs already made.
 *
 * Everything that gives an attestation its meaning (commitment, circuit, verifier, registrant, public-signal count,
 * dataset root) is immutable once registered. The owner may only transfer ownership or retire the model for good
 * (`deactivateModel`): a retired model accepts no new attestations; its existing attestations stay on record.
 */
contract ModelRegistry is IModelRegistry {
    /// @notice The BN254 scalar field order; weight commitments and dataset roots are elements of this field.
    uint256 public constant SNARK_SCALAR_FIELD = BN254_SCALAR_FIELD;

    /// @notice Fewest public signals an inference circuit can have: [weightCommitment, inputHash, output_0, binding].
    uint256 public constant MIN_PUBLIC_SIGNALS = 4;

    /// @notice Most public signals accepted: a sanity bound that keeps an attestation's calldata and gas bounded.
    uint256 public constant MAX_PUBLIC_SIGNALS = 1024;

    mapping(bytes32 modelId => Model) private _models;

    /// Commitment points of point-committed models, [x, y] as the BN254 precompiles take them.
    mapping(bytes32 modelId => uint256[2]) private _commitmentPoints;

    /// @notice Number of models ever registered.
    uint256 public modelCount;

    /// @inheritdoc IModelRegistry
    function computeModelId(address registrant, uint256 weightCommitment, bytes32 circuitId, address verifier)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(registrant, weightCommitment, circuitId, verifier));
    }

    /// @inheritdoc IModelRegistry
    function registerModel(
        uint256 weightCommitment,
        bytes32 circuitId,
        address verifier,
        uint256 numPublicSignals,
        uint256 datasetRoot
    ) external returns (bytes32 modelId) {
        if (weightCommitment >= SNARK_SCALAR_FIELD) revert CommitmentOutOfField(weightCommitment);
        _validate(circuitId, verifier, numPublicSignals, datasetRoot);
        modelId = _store(weightCommitment, circuitId, verifier, numPublicSignals, datasetRoot, false);
    }

    /// @inheritdoc IModelRegistry
    function registerCommittedModel(
        uint256[2] calldata commitment,
        uint256[2] calldata knowledge,
        bytes32 circuitId,
        address verifier,
        uint256 numPublicSignals,
        uint256 datasetRoot
    ) external returns (bytes32 modelId) {
        _validate(circuitId, verifier, numPublicSignals, datasetRoot);
        // A staticcall cannot change state; the verifier was checked to be a contract above.
        if (!_verifyCommitment(verifier, commitment, knowledge)) revert InvalidCommitmentProof();
        modelId = _store(commitmentPointId(commitment), circuitId, verifier, numPublicSignals, datasetRoot, true);
        _commitmentPoints[modelId] = commitment;
        emit CommitmentPointRegistered(modelId, commitment);
    }

    /// @inheritdoc IModelRegistry
    function commitmentPointId(uint256[2] calldata commitment) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(commitment[0], commitment[1]))) % SNARK_SCALAR_FIELD;
    }

    /// @inheritdoc IModelRegistry
    function getCommitmentPoint(bytes32 modelId) external view returns (uint256[2] memory) {
        if (!_models[modelId].pointCommitted) revert NotPointCommitted(modelId);
        return _commitmentPoints[modelId];
    }

    /// @inheritdoc IModelRegistry
    function deactivateModel(bytes32 modelId) external {
        Model storage m = _ownedModel(modelId);
        if (!m.active) revert ModelInactive(modelId);
        m.active = false;
        emit ModelDeactivated(modelId, msg.sender);
    }

    /// @inheritdoc IModelRegistry
    function transferModelOwnership(bytes32 modelId, address newOwner) external {
        Model storage m = _ownedModel(modelId);
        if (newOwner == address(0)) revert ZeroOwner();
        m.owner = newOwner;
        emit ModelOwnershipTransferred(modelId, msg.sender, newOwner);
    }

    /// @inheritdoc IModelRegistry
    function getModel(bytes32 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /// @inheritdoc IModelRegistry
    function isRegistered(bytes32 modelId) external view returns (bool) {
        return _models[modelId].owner != address(0);
    }

    /// The checks both registrations share (besides the commitment's own).
    function _validate(bytes32 circuitId, address verifier, uint256 numPublicSignals, uint256 datasetRoot) private view {
        if (circuitId == bytes32(0)) revert ZeroCircuitId();
        if (verifier == address(0)) revert ZeroVerifier();
        // An address without code would answer every staticcall with success and empty data; refuse it up front.
        if (verifier.code.length == 0) revert VerifierNotContract(verifier);
        if (numPublicSignals < MIN_PUBLIC_SIGNALS || numPublicSignals > MAX_PUBLIC_SIGNALS) {
            revert InvalidSignalCount(numPublicSignals);
        }
        if (datasetRoot >= SNARK_SCALAR_FIELD) revert DatasetRootOutOfField(datasetRoot);
    }

    /// Records a validated model under computeModelId(msg.sender, …); ModelExists if that id is taken.
    function _store(
        uint256 weightCommitment,
        bytes32 circuitId,
        address verifier,
        uint256 numPublicSignals,
        uint256 datasetRoot,
        bool pointCommitted
    ) private returns (bytes32 modelId) {
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
            active: true,
            pointCommitted: pointCommitted,
            registrant: msg.sender
        });
        modelCount += 1;
        emit ModelRegistered(modelId, msg.sender, weightCommitment, circuitId, verifier, numPublicSignals, datasetRoot);
    }

    /// True iff the verifier's verifyCommitment(commitment, knowledge) answers exactly one word equal to 1; a
    /// revert, a missing function or any other answer is false.
    function _verifyCommitment(address verifier, uint256[2] calldata commitment, uint256[2] calldata knowledge)
        private
        view
        returns (bool valid)
    {
        bytes memory data = abi.encodeWithSignature("verifyCommitment(uint256[2],uint256[2])", commitment, knowledge);
        assembly ("memory-safe") {
            // Copy back at most one word, so an odd verifier cannot make us pay for a huge return.
            let ok := staticcall(gas(), verifier, add(data, 0x20), mload(data), 0x00, 0x20)
            valid := and(ok, and(eq(returndatasize(), 0x20), eq(mload(0x00), 1)))
        }
    }

    function _ownedModel(bytes32 modelId) private view returns (Model storage m) {
        m = _models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
        if (m.owner != msg.sender) revert NotOwner(modelId, msg.sender);
    }
}
