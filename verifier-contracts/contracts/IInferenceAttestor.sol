// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IInferenceAttestor
 * @notice Attestations of inference proofs of registered models: the record, events, errors and external functions
 * (the implementation and its design notes: InferenceAttestor.sol).
 */
interface IInferenceAttestor {
    struct Attestation {
        bytes32 modelId;
        /// Public signal 1: the hash of the input.
        uint256 inputHash;
        /// keccak256(abi.encodePacked(publicSignals[2:N-1])): the outputs, without the binding.
        bytes32 outputsHash;
        /// Who submitted the proof; address(0) means no such attestation.
        address prover;
        uint48 timestamp;
        uint48 blockNumber;
    }

    event InferenceAttested(
        bytes32 indexed attestationId,
        bytes32 indexed modelId,
        uint256 inputHash,
        bytes32 outputsHash,
        address indexed prover,
        uint256[] outputs
    );

    error ZeroRegistry();
    error UnknownModel(bytes32 modelId);
    error ModelInactive(bytes32 modelId);
    error WrongSignalCount(bytes32 modelId, uint256 expected, uint256 actual);
    error CommitmentMismatch(bytes32 modelId, uint256 expected, uint256 actual);
    error BindingMismatch(bytes32 modelId, address registrant, uint256 binding);
    error SignalOutOfField(uint256 index, uint256 value);
    error AlreadyAttested(bytes32 attestationId);
    error InvalidProof();

    /**
     * @notice Checks an inference proof with the model's verifier and records the attestation. Anyone may submit.
     * @param modelId A registered, active model.
     * @param a Proof point A.
     * @param b Proof point B (EVM G2 encoding: each Fp2 coordinate as [c1, c0]).
     * @param c Proof point C.
     * @param publicSignals The proof's N public signals: [weightCommitment, inputHash, outputs…, binding] (for a
     * point-committed model: [commitment point id, statement signals…], the statement ending with the binding).
     * The binding (signal N - 1) must equal the model's registrant, else BindingMismatch.
     * @return attestationId keccak256(abi.encode(modelId, publicSignals)).
     */
    function attest(
        bytes32 modelId,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals
    ) external returns (bytes32 attestationId);

    /**
     * @notice attest for a model compiled with LogUp lookups: the same checks and record, and the model's verifier
     * also gets the proof's lookup commitment D and its proof of knowledge K (it checks that the challenge signal is
     * H(D) and that K proves knowledge of D's opening). A model without lookups refuses it (InvalidProof), as a
     * lookup model refuses attest.
     * @param lookupCommitment D, [x, y].
     * @param lookupKnowledge K, [x, y].
     * @return attestationId keccak256(abi.encode(modelId, publicSignals)).
     */
    function attestWithLookup(
        bytes32 modelId,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals,
        uint256[2] calldata lookupCommitment,
        uint256[2] calldata lookupKnowledge
    ) external returns (bytes32 attestationId);

    /**
     * @notice An attestation's record. Does not revert: an unknown id returns an all-zero record (prover ==
     * address(0)).
     * @param attestationId The attestation id returned by attest.
     * @return The record.
     */
    function getAttestation(bytes32 attestationId) external view returns (Attestation memory);

    /**
     * @notice Whether this exact statement (model and public signals) has been attested.
     * @param attestationId keccak256(abi.encode(modelId, publicSignals)).
     * @return True iff attested.
     */
    function isAttested(bytes32 attestationId) external view returns (bool);

    /**
     * @notice The selector of a snarkjs Groth16 verifier with `n` public signals:
     * `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[n])` (snarkjs writes `uint`, which is uint256).
     * @param n The number of public signals.
     * @return The function selector.
     */
    function verifySelector(uint256 n) external pure returns (bytes4);

    /**
     * @notice The selector of a committed verifier (committed-verifier.ts) with `n` statement signals:
     * `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[n],uint256[2])`.
     * @param n The number of statement signals (a point-committed model's numPublicSignals - 1).
     * @return The function selector.
     */
    function verifyCommittedSelector(uint256 n) external pure returns (bytes4);

    /**
     * @notice The selector of a lookup verifier (lookup-verifier.ts) with `n` statement signals:
     * `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[n],uint256[2],uint256[2])` (D, then K).
     * @param n The number of public signals.
     * @return The function selector.
     */
    function verifyLookupSelector(uint256 n) external pure returns (bytes4);

    /**
     * @notice The selector of a lookup verifier for a point-committed model with `n` statement signals:
     * `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[n],uint256[2],uint256[2],uint256[2])` (W, D, K).
     * @param n The number of statement signals (numPublicSignals - 1).
     * @return The function selector.
     */
    function verifyCommittedLookupSelector(uint256 n) external pure returns (bytes4);
}
