// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BN254_SCALAR_FIELD} from "./Field.sol";

import {IInferenceAttestor} from "./IInferenceAttestor.sol";
import {IModelRegistry} from "./IModelRegistry.sol";

/**
 * @title InferenceAttestor
 * @notice Records on chain that a registered model produced given outputs on a given input, against a Groth16
 * inference proof checked by the model's own verifier.
 *
 * An inference proof's public signals are [weightCommitment, inputHash, output_0 … output_{k-1}, …, binding]: the
 * model's registered commitment, a hash of the input, then the outputs (logits as field elements: a negative logit v
 * is r − |v|) and whatever else the circuit exposes, and last the proof's binding. Every signal between the input
 * hash and the binding is called an "output" here: `outputsHash = keccak256(abi.encodePacked(publicSignals[2:N-1]))`,
 * and the event carries them in full.
 *
 * The binding is the address of the model's registrant (ModelRegistry.Model.registrant, as a uint160 field element),
 * which the prover chose and the circuit constrains: a proof is attested only under a model registered by that
 * address, else BindingMismatch. A copy of someone else's model (same public W/K or weightsHash, same verifier)
 * registered by another address therefore attests none of the original provider's proofs, and a retired model's
 * proofs cannot be moved to a copy. Since the binding is a proven public signal, changing it in the calldata makes
 * the proof invalid (InvalidProof).
 *
 * Each model has its own verifier with the fixed-size ABI `verifyProof(uint256[2],uint256[2][2],uint256[2],
 * uint256[N])`, so the call is built generically: the selector from the signature with the model's N, and the
 * static arrays encoded in place (a uint256[N] is N words, no offset, no length).
 *
 * A point-committed model (ModelRegistry.registerCommittedModel: its weights are committed public inputs the proof
 * never reveals) is attested with the same signals and the same meaning: signal 0 is the id of its registered
 * commitment point W. Its verifier takes the statement — the signals after signal 0 — and W itself:
 * `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N-1],uint256[2])`, W read from the registry. A proof made
 * for other weights (another W) fails that check: InvalidProof.
 *
 * An attestation is keyed by its statement, `keccak256(abi.encode(modelId, publicSignals))`, not by the proof:
 * Groth16 proofs can be re-randomized, so keying by proof bytes would let one statement be recorded many times.
 * Attesting a statement a second time reverts with `AlreadyAttested`. `prover` is whoever submitted first; the
 * proof does not bind it (anyone who sees a proof can submit it).
 */
contract InferenceAttestor is IInferenceAttestor {
    /// @notice The BN254 scalar field order; every public signal must be below it.
    uint256 public constant SNARK_SCALAR_FIELD = BN254_SCALAR_FIELD;

    /// @notice The registry whose models this contract attests, fixed at deployment.
    IModelRegistry public immutable registry;

    mapping(bytes32 attestationId => Attestation) private _attestations;

    /// @notice Number of attestations recorded.
    uint256 public attestationCount;

    /**
     * @param registry_ The model registry.
     */
    constructor(IModelRegistry registry_) {
        if (address(registry_) == address(0)) revert ZeroRegistry();
        registry = registry_;
    }

    /// @inheritdoc IInferenceAttestor
    function attest(
        bytes32 modelId,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals
    ) external returns (bytes32 attestationId) {
        IModelRegistry.Model memory m = registry.getModel(modelId);
        if (m.owner == address(0)) revert UnknownModel(modelId);
        if (!m.active) revert ModelInactive(modelId);
        if (publicSignals.length != m.numPublicSignals) {
            revert WrongSignalCount(modelId, m.numPublicSignals, publicSignals.length);
        }
        if (publicSignals[0] != m.weightCommitment) revert CommitmentMismatch(modelId, m.weightCommitment, publicSignals[0]);
        // numPublicSignals >= MIN_PUBLIC_SIGNALS (4), so the binding is a signal of its own after the first output.
        uint256 binding = publicSignals[publicSignals.length - 1];
        if (binding != uint256(uint160(m.registrant))) revert BindingMismatch(modelId, m.registrant, binding);
        for (uint256 i = 0; i < publicSignals.length; ++i) {
            if (publicSignals[i] >= SNARK_SCALAR_FIELD) revert SignalOutOfField(i, publicSignals[i]);
        }
        attestationId = keccak256(abi.encode(modelId, publicSignals));
        if (_attestations[attestationId].prover != address(0)) revert AlreadyAttested(attestationId);
        // A staticcall cannot change state, so calling the (owner-chosen) verifier before the effects is safe.
        bool valid = m.pointCommitted
            ? _verifyCommitted(modelId, m.verifier, a, b, c, publicSignals)
            : _verify(m.verifier, a, b, c, publicSignals);
        if (!valid) revert InvalidProof();

        uint256[] calldata outputs = publicSignals[2:publicSignals.length - 1];
        bytes32 outputsHash = keccak256(abi.encodePacked(outputs));
        _attestations[attestationId] = Attestation({
            modelId: modelId,
            inputHash: publicSignals[1],
            outputsHash: outputsHash,
            prover: msg.sender,
            timestamp: uint48(block.timestamp),
            blockNumber: uint48(block.number)
        });
        attestationCount += 1;
        emit InferenceAttested(attestationId, modelId, publicSignals[1], outputsHash, msg.sender, outputs);
    }

    /// @inheritdoc IInferenceAttestor
    function getAttestation(bytes32 attestationId) external view returns (Attestation memory) {
        return _attestations[attestationId];
    }

    /// @inheritdoc IInferenceAttestor
    function isAttested(bytes32 attestationId) external view returns (bool) {
        return _attestations[attestationId].prover != address(0);
    }

    /// @inheritdoc IInferenceAttestor
    function verifySelector(uint256 n) public pure returns (bytes4) {
        return bytes4(
            keccak256(
                abi.encodePacked("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _decimal(n), "])")
            )
        );
    }

    /// @inheritdoc IInferenceAttestor
    function verifyCommittedSelector(uint256 n) public pure returns (bytes4) {
        return bytes4(
            keccak256(
                abi.encodePacked(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _decimal(n), "],uint256[2])"
                )
            )
        );
    }

    /// True iff the verifier's verifyProof answers exactly true. A revert, a missing contract or a return value
    /// other than one 32-byte word equal to 1 counts as an invalid proof.
    function _verify(
        address verifier,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals
    ) private view returns (bool valid) {
        // Static arrays are encoded in place, word by word, which is exactly what encodePacked does for uint256
        // arrays (nested ones are not supported by encodePacked, hence b's rows one by one).
        bytes memory data = abi.encodePacked(verifySelector(publicSignals.length), a, b[0], b[1], c, publicSignals);
        return _answersTrue(verifier, data);
    }

    /// True iff a staticcall of `verifier` with `data` answers exactly one 32-byte word equal to 1.
    function _answersTrue(address verifier, bytes memory data) private view returns (bool valid) {
        assembly ("memory-safe") {
            // Copy back at most one word, so an odd verifier cannot make us pay for a huge return.
            let ok := staticcall(gas(), verifier, add(data, 0x20), mload(data), 0x00, 0x20)
            valid := and(ok, and(eq(returndatasize(), 0x20), eq(mload(0x00), 1)))
        }
    }

    /// _verify for a point-committed model: the statement (publicSignals[1:]) and then the model's registered
    /// commitment point, all encoded in place.
    function _verifyCommitted(
        bytes32 modelId,
        address verifier,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals
    ) private view returns (bool valid) {
        uint256[2] memory commitment = registry.getCommitmentPoint(modelId);
        bytes memory data = abi.encodePacked(
            verifyCommittedSelector(publicSignals.length - 1), a, b[0], b[1], c, publicSignals[1:], commitment
        );
        return _answersTrue(verifier, data);
    }

    /// `n` in decimal ASCII.
    function _decimal(uint256 n) private pure returns (bytes memory out) {
        if (n == 0) return "0";
        uint256 len;
        for (uint256 t = n; t != 0; t /= 10) ++len;
        out = new bytes(len);
        for (; n != 0; n /= 10) out[--len] = bytes1(uint8(48 + (n % 10)));
    }
}
