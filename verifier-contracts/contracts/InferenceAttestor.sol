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
 * A model compiled with LogUp lookups (zkai docs/lookups.md) is attested with attestWithLookup: the same signals,
 * one of which is the lookup challenge alpha, plus the proof's lookup commitment D and its proof of knowledge. Its
 * verifier (verifier-contracts/lookup-verifier.ts) checks alpha = H(D), the proof of knowledge and the proof, and
 * takes D, K after the statement (and after W for a point-committed model). A lookup model's verifier has no
 * function with attest's selectors and a plain one none with attestWithLookup's, so calling the wrong one fails:
 * InvalidProof. D is not part of the attestation id: alpha, a signal, is its hash.
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
        IModelRegistry.Model memory m;
        (m, attestationId) = _checkStatement(modelId, publicSignals);
        // A staticcall cannot change state, so calling the (owner-chosen) verifier before the effects is safe.
        bytes memory data = _verifierCalldata(modelId, m.pointCommitted, abi.encodePacked(a, b[0], b[1], c), publicSignals, "");
        if (!_answersTrue(m.verifier, data)) revert InvalidProof();
        _record(attestationId, modelId, publicSignals);
    }

    /// @inheritdoc IInferenceAttestor
    function attestWithLookup(
        bytes32 modelId,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals,
        uint256[2] calldata lookupCommitment,
        uint256[2] calldata lookupKnowledge
    ) external returns (bytes32 attestationId) {
        IModelRegistry.Model memory m;
        (m, attestationId) = _checkStatement(modelId, publicSignals);
        // The verifier checks the challenge signal against H(D), D's proof of knowledge and the proof; a verifier
        // without lookups has no function with this selector, so its call fails: InvalidProof. (The proof and the
        // lookup words are packed first, in a helper, to stay within the EVM's stack.)
        bytes memory data = _verifierCalldata(
            modelId,
            m.pointCommitted,
            abi.encodePacked(a, b[0], b[1], c),
            publicSignals,
            abi.encodePacked(lookupCommitment, lookupKnowledge)
        );
        if (!_answersTrue(m.verifier, data)) revert InvalidProof();
        _record(attestationId, modelId, publicSignals);
    }

    /// The verifier call: the selector, the proof's words, the statement (all signals, or for a point-committed
    /// model the signals after signal 0 and then W from the registry), then for a lookup proof D and K (`lookup`,
    /// empty for none). Static arrays are encoded in place, word by word, which is what encodePacked does for
    /// uint256 arrays; the proof comes packed (a, b's rows, c) from the caller, which keeps both within the stack.
    function _verifierCalldata(
        bytes32 modelId,
        bool pointCommitted,
        bytes memory proof,
        uint256[] calldata publicSignals,
        bytes memory lookup
    ) private view returns (bytes memory) {
        bool lookups = lookup.length != 0;
        if (!pointCommitted) {
            uint256 n = publicSignals.length;
            return abi.encodePacked(lookups ? verifyLookupSelector(n) : verifySelector(n), proof, publicSignals, lookup);
        }
        uint256 statement = publicSignals.length - 1;
        return abi.encodePacked(
            lookups ? verifyCommittedLookupSelector(statement) : verifyCommittedSelector(statement),
            proof,
            publicSignals[1:],
            registry.getCommitmentPoint(modelId),
            lookup
        );
    }

    /// The checks every attestation makes before its verifier is asked: the model serves, the signals are its
    /// commitment's, bound to its registrant, in the field, and not attested before. Returns the model and the id.
    function _checkStatement(bytes32 modelId, uint256[] calldata publicSignals)
        private
        view
        returns (IModelRegistry.Model memory m, bytes32 attestationId)
    {
        m = registry.getModel(modelId);
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
    }

    /// Records a verified statement and emits InferenceAttested.
    function _record(bytes32 attestationId, bytes32 modelId, uint256[] calldata publicSignals) private {
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

    /// True iff a staticcall of `verifier` with `data` answers exactly one 32-byte word equal to 1.
    function _answersTrue(address verifier, bytes memory data) private view returns (bool valid) {
        assembly ("memory-safe") {
            // Copy back at most one word, so an odd verifier cannot make us pay for a huge return.
            let ok := staticcall(gas(), verifier, add(data, 0x20), mload(data), 0x00, 0x20)
            valid := and(ok, and(eq(returndatasize(), 0x20), eq(mload(0x00), 1)))
        }
    }

    /// @inheritdoc IInferenceAttestor
    function verifyLookupSelector(uint256 n) public pure returns (bytes4) {
        return bytes4(
            keccak256(
                abi.encodePacked(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _decimal(n), "],uint256[2],uint256[2])"
                )
            )
        );
    }

    /// @inheritdoc IInferenceAttestor
    function verifyCommittedLookupSelector(uint256 n) public pure returns (bytes4) {
        return bytes4(
            keccak256(
                abi.encodePacked(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[",
                    _decimal(n),
                    "],uint256[2],uint256[2],uint256[2])"
                )
            )
        );
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
