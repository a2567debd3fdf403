// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {BN254_SCALAR_FIELD} from "./Field.sol";
import {IInferenceMarket} from "./IInferenceMarket.sol";
import {IModelGovernance} from "./IModelGovernance.sol";
import {IRoyaltyDeposits} from "./IRoyaltyDeposits.sol";
import {InferenceAttestor} from "./InferenceAttestor.sol";
import {ModelGovernance} from "./ModelGovernance.sol";

/**
 * @title InferenceMarket
 * @notice Sells inferences of the models listed in ModelGovernance, and pays everyone the model owes.
 *
 * A consumer requests (model, input hash, deadline) and pays exactly the model's fee at that moment; the request
 * records that fee, so a fee change mined before the request makes it revert (WrongFee: the consumer never pays
 * more than it sent) and one mined after does not touch it. Until the deadline anyone may fulfil the request with a
 * proof: its public signal 1 must be the request's input hash, and InferenceAttestor must attest it under the
 * request's model id, which checks the model's commitment, its binding to the registrant and the proof itself with
 * the model's own verifier. A proof of another input is InputMismatch, one of another model fails the attestor
 * (CommitmentMismatch, BindingMismatch or InvalidProof). If the same statement was attested before (for free, or for
 * another request on the same input) that attestation fulfils the request: it is the same checked statement. An
 * attestation made here names this market as its `prover`; InferenceFulfilled names who submitted the proof. After
 * the deadline the consumer can take the fee back, once. Attesting without a request stays free (InferenceAttestor).
 *
 * Splitting a fee F of model M (exact to the wei). M's split lists, in this order, its dataset roots, its parents
 * and its owners, with basis points summing to 10,000. Entry k gets floor(F·B_k / 10,000) − floor(F·B_{k−1} /
 * 10,000), B_k being the cumulative basis points of entries 1..k: every part is its exact share rounded down or up,
 * and the parts sum to F exactly (the owners, last, take the rest). A dataset's part is deposited in the vault for
 * its root (RoyaltyVault.depositRoyalty); a parent's part is split again, the same way, by the parent's own split
 * (depth and size bounded by ModelGovernance); the owners' part is divided among the current holders of M's shares
 * by the same cumulative rule over their shares, in the order of ModelGovernance.holders(M). So nothing is held
 * back as dust: every wei of F is credited to a holder or deposited for a dataset, and at any time this contract's
 * balance equals `escrowed` (pending requests) plus `owed` (credited, not yet withdrawn).
 *
 * Pull payments: shares and refunds are credited to `balanceOf` and sent by `withdraw()`, which is nonReentrant.
 */
contract InferenceMarket is IInferenceMarket, ReentrancyGuard {
    uint256 public constant SNARK_SCALAR_FIELD = BN254_SCALAR_FIELD;
    uint256 public constant TOTAL_BPS = 10_000;
    /// @notice Longest a request may wait for its proof (and its consumer for a refund).
    uint64 public constant MAX_DEADLINE = 30 days;

    InferenceAttestor public immutable attestor;
    ModelGovernance public immutable governance;
    IRoyaltyDeposits public immutable vault;

    mapping(uint256 requestId => Request) private _requests;
    uint256 public requestCount;

    /// @notice Wei credited to each account and not yet withdrawn.
    mapping(address account => uint256) public balanceOf;
    /// @notice Fees of pending requests.
    uint256 public escrowed;
    /// @notice Sum of balanceOf.
    uint256 public owed;

    constructor(InferenceAttestor attestor_, ModelGovernance governance_, IRoyaltyDeposits vault_) {
        if (address(attestor_) == address(0) || address(governance_) == address(0) || address(vault_) == address(0)) {
            revert ZeroAddress();
        }
        // The attestor must check proofs against the very models the governance lists.
        if (address(attestor_.registry()) != address(governance_.registry())) revert RegistryMismatch();
        attestor = attestor_;
        governance = governance_;
        vault = vault_;
    }

    /// @inheritdoc IInferenceMarket
    function request(bytes32 modelId, uint256 inputHash, uint64 deadline) external payable returns (uint256 requestId) {
        if (!governance.serves(modelId)) revert ModelNotServing(modelId);
        uint256 fee = governance.getListing(modelId).fee;
        if (msg.value != fee) revert WrongFee(modelId, fee, msg.value);
        if (deadline <= block.timestamp || deadline > block.timestamp + MAX_DEADLINE) revert BadDeadline(deadline);
        if (inputHash >= SNARK_SCALAR_FIELD) revert InputOutOfField(inputHash);
        requestId = ++requestCount;
        _requests[requestId] = Request({
            modelId: modelId,
            inputHash: inputHash,
            consumer: msg.sender,
            deadline: deadline,
            status: Status.Pending,
            fee: fee,
            attestationId: bytes32(0)
        });
        escrowed += fee;
        emit InferenceRequested(requestId, modelId, msg.sender, inputHash, fee, deadline);
    }

    /// @inheritdoc IInferenceMarket
    function fulfil(
        uint256 requestId,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals
    ) external nonReentrant returns (bytes32 attestationId) {
        bytes32 modelId;
        bool attested;
        (modelId, attestationId, attested) = _settle(requestId, publicSignals);
        if (!attested) attestor.attest(modelId, a, b, c, publicSignals);
        _pay(requestId, modelId, attestationId);
    }

    /// @inheritdoc IInferenceMarket
    function fulfilWithLookup(
        uint256 requestId,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals,
        uint256[2] calldata lookupCommitment,
        uint256[2] calldata lookupKnowledge
    ) external nonReentrant returns (bytes32 attestationId) {
        bytes32 modelId;
        bool attested;
        (modelId, attestationId, attested) = _settle(requestId, publicSignals);
        if (!attested) attestor.attestWithLookup(modelId, a, b, c, publicSignals, lookupCommitment, lookupKnowledge);
        _pay(requestId, modelId, attestationId);
    }

    /// The checks and effects of a fulfilment, before the proof is attested: a pending request within its deadline,
    /// on this input. Marks it fulfilled and releases its escrow; `attested` says whether the statement already is.
    function _settle(uint256 requestId, uint256[] calldata publicSignals)
        private
        returns (bytes32 modelId, bytes32 attestationId, bool attested)
    {
        Request storage r = _pending(requestId);
        if (block.timestamp > r.deadline) revert RequestExpired(requestId, r.deadline);
        uint256 input = publicSignals.length > 1 ? publicSignals[1] : 0;
        if (publicSignals.length < 2 || input != r.inputHash) revert InputMismatch(requestId, r.inputHash, input);

        // Effects first; the calls that follow go to contracts fixed at deployment (attestor, governance, vault).
        r.status = Status.Fulfilled;
        escrowed -= r.fee;
        modelId = r.modelId;
        attestationId = keccak256(abi.encode(modelId, publicSignals));
        r.attestationId = attestationId;
        // The id binds the model and every signal, so an earlier attestation of it is this exact statement.
        attested = attestor.isAttested(attestationId);
    }

    /// After the attestation: the event and the fee's split.
    function _pay(uint256 requestId, bytes32 modelId, bytes32 attestationId) private {
        uint256 fee = _requests[requestId].fee;
        emit InferenceFulfilled(requestId, modelId, attestationId, fee, msg.sender);
        _split(requestId, modelId, fee);
    }

    /// @inheritdoc IInferenceMarket
    function refund(uint256 requestId) external {
        Request storage r = _pending(requestId);
        if (block.timestamp <= r.deadline) revert RefundNotOpen(requestId, r.deadline);
        r.status = Status.Refunded;
        escrowed -= r.fee;
        _credit(r.consumer, r.fee);
        emit RequestRefunded(requestId, r.consumer, r.fee);
    }

    /// @inheritdoc IInferenceMarket
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = balanceOf[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        balanceOf[msg.sender] = 0;
        owed -= amount;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert WithdrawFailed(msg.sender, amount);
    }

    /// @inheritdoc IInferenceMarket
    function getRequest(uint256 requestId) external view returns (Request memory) {
        return _requests[requestId];
    }

    function _pending(uint256 requestId) private view returns (Request storage r) {
        r = _requests[requestId];
        if (r.status == Status.None) revert UnknownRequest(requestId);
        if (r.status != Status.Pending) revert NotPending(requestId);
    }

    /// Splits `amount` by `modelId`'s split (see the contract's notice); recursion depth is bounded by the lineage.
    function _split(uint256 requestId, bytes32 modelId, uint256 amount) private {
        IModelGovernance.Split memory s = governance.splitOf(modelId);
        uint256 cumBps;
        uint256 done;
        for (uint256 i = 0; i < s.datasetRoots.length; ++i) {
            cumBps += s.datasetBps[i];
            uint256 part = (amount * cumBps) / TOTAL_BPS - done;
            done += part;
            if (part == 0) continue;
            uint256 epoch = vault.depositRoyalty{value: part}(s.datasetRoots[i]);
            emit DatasetPaid(requestId, modelId, s.datasetRoots[i], epoch, part);
        }
        for (uint256 i = 0; i < s.parents.length; ++i) {
            cumBps += s.parentBps[i];
            uint256 part = (amount * cumBps) / TOTAL_BPS - done;
            done += part;
            if (part == 0) continue;
            emit ParentPaid(requestId, modelId, s.parents[i], part);
            _split(requestId, s.parents[i], part);
        }
        // The owners take the rest: cumBps + ownersBps == TOTAL_BPS, so this is their cumulative part.
        uint256 owners = amount - done;
        uint256 cumShares;
        uint256 given;
        for (uint256 i = 0; i < s.holders.length; ++i) {
            cumShares += s.shares[i];
            uint256 part = (owners * cumShares) / s.totalShares - given;
            given += part;
            if (part == 0) continue;
            _credit(s.holders[i], part);
            emit OwnerPaid(requestId, modelId, s.holders[i], part);
        }
    }

    function _credit(address account, uint256 amount) private {
        balanceOf[account] += amount;
        owed += amount;
    }
}
