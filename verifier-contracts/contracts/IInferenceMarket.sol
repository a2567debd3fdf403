// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IInferenceMarket
 * @notice Paid, verified inference: requests with escrowed fees, fulfilment by an attested proof of exactly the
 * requested model and input, refunds after the deadline, and the fee split up the model's lineage with pull
 * payments. The implementation and its rules: InferenceMarket.sol.
 */
interface IInferenceMarket {
    enum Status {
        None,
        Pending,
        Fulfilled,
        Refunded
    }

    struct Request {
        bytes32 modelId;
        /// Public signal 1 of the proof that fulfils it.
        uint256 inputHash;
        address consumer;
        /// Last second (block timestamp) at which it can be fulfilled; refundable after it.
        uint64 deadline;
        Status status;
        /// The fee in force when it was requested: what was escrowed and what is split.
        uint256 fee;
        /// The attestation that fulfilled it (InferenceAttestor), once fulfilled.
        bytes32 attestationId;
    }

    event InferenceRequested(
        uint256 indexed requestId, bytes32 indexed modelId, address indexed consumer, uint256 inputHash, uint256 fee, uint64 deadline
    );
    /// @notice `fulfiller` submitted the proof (the attestation's own `prover` is this market when it attested).
    event InferenceFulfilled(
        uint256 indexed requestId, bytes32 indexed modelId, bytes32 indexed attestationId, uint256 fee, address fulfiller
    );
    event RequestRefunded(uint256 indexed requestId, address indexed consumer, uint256 fee);
    /// @notice Part of request `requestId`'s fee went from model `child` to its parent `parent`, to be split by the parent.
    event ParentPaid(uint256 indexed requestId, bytes32 indexed child, bytes32 indexed parent, uint256 amount);
    /// @notice Part of a fee, as model `modelId`'s dataset share, was deposited into the vault for `root`.
    event DatasetPaid(uint256 indexed requestId, bytes32 indexed modelId, uint256 indexed root, uint256 epoch, uint256 amount);
    /// @notice `account`, a holder of model `modelId`'s shares, was credited `amount` wei.
    event OwnerPaid(uint256 indexed requestId, bytes32 indexed modelId, address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);

    error ZeroAddress();
    error RegistryMismatch();
    error ModelNotServing(bytes32 modelId);
    error WrongFee(bytes32 modelId, uint256 fee, uint256 sent);
    error BadDeadline(uint64 deadline);
    error InputOutOfField(uint256 inputHash);
    error UnknownRequest(uint256 requestId);
    error NotPending(uint256 requestId);
    error RequestExpired(uint256 requestId, uint64 deadline);
    error RefundNotOpen(uint256 requestId, uint64 deadline);
    error InputMismatch(uint256 requestId, uint256 expected, uint256 actual);
    error NothingToWithdraw(address account);
    error WithdrawFailed(address account, uint256 amount);

    /**
     * @notice Requests an inference of a listed, serving model on the input whose hash is `inputHash`, paying
     * exactly the model's current fee (msg.value), which the market escrows.
     * @param deadline The last second at which the request can be fulfilled (in the future, at most MAX_DEADLINE away).
     * @return requestId The request's id.
     */
    function request(bytes32 modelId, uint256 inputHash, uint64 deadline) external payable returns (uint256 requestId);

    /**
     * @notice Fulfils a pending request with a proof of its model on its input: publicSignals[1] must be the
     * request's input hash, and InferenceAttestor must accept the proof under the request's model (or have accepted
     * this exact statement before). Anyone may submit; the fee is then split (see InferenceMarket). Until the deadline.
     * @return attestationId The attestation (keccak256(abi.encode(modelId, publicSignals))).
     */
    function fulfil(
        uint256 requestId,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals
    ) external returns (bytes32 attestationId);

    /**
     * @notice fulfil for a model compiled with LogUp lookups: the proof is attested with
     * InferenceAttestor.attestWithLookup, which also takes its lookup commitment D and proof of knowledge K.
     * @return attestationId The attestation (keccak256(abi.encode(modelId, publicSignals))).
     */
    function fulfilWithLookup(
        uint256 requestId,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals,
        uint256[2] calldata lookupCommitment,
        uint256[2] calldata lookupKnowledge
    ) external returns (bytes32 attestationId);

    /// @notice After the deadline, credits an unfulfilled request's fee back to its consumer (once).
    function refund(uint256 requestId) external;

    /// @notice Sends the caller everything credited to it (fee shares and refunds).
    function withdraw() external returns (uint256 amount);

    /// @notice A request (all zero, status None, for an unknown id).
    function getRequest(uint256 requestId) external view returns (Request memory);
}
