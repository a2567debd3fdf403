// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title MockInferenceVerifier
 * @notice TEST ONLY. Stands in for a snarkjs verifier with 4 public signals. It answers true only when the
 * settable result is true AND the call carries exactly the expected proof points and public signals, so a test
 * proves that InferenceAttestor's generic calldata encoding puts every word where a real verifier reads it.
 * After `expectLookup` it stands in for a lookup verifier instead (lookup-verifier.ts's ABI, D and K after the
 * signals): then only that function can answer true, as a real lookup verifier has no other.
 */
contract MockInferenceVerifier {
    /// @notice What `verifyProof` answers when the arguments match the expected ones.
    bool public result = true;

    uint256[2] private expectedA;
    uint256[2][2] private expectedB;
    uint256[2] private expectedC;
    uint256[4] private expectedSignals;
    bool public lookupMode;
    uint256[2] private expectedD;
    uint256[2] private expectedK;

    /**
     * @notice Sets what `verifyProof` answers for the expected arguments (it always answers false otherwise).
     * @param result_ The answer.
     */
    function setResult(bool result_) external {
        result = result_;
    }

    /**
     * @notice Sets the only arguments for which `verifyProof` can answer true.
     * @param a Expected proof point A.
     * @param b Expected proof point B.
     * @param c Expected proof point C.
     * @param pubSignals Expected public signals.
     */
    function expect(uint[2] calldata a, uint[2][2] calldata b, uint[2] calldata c, uint[4] calldata pubSignals)
        external
    {
        expectedA = a;
        expectedB = b;
        expectedC = c;
        expectedSignals = pubSignals;
    }

    /**
     * @notice Makes this a lookup verifier expecting lookup commitment `d` and proof of knowledge `k`.
     * @param d Expected D.
     * @param k Expected K.
     */
    function expectLookup(uint256[2] calldata d, uint256[2] calldata k) external {
        lookupMode = true;
        expectedD = d;
        expectedK = k;
    }

    /**
     * @notice The lookup verifier ABI for 4 public signals.
     * @return `result` in lookup mode if every argument equals the expected one, else false.
     */
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[4] calldata pubSignals,
        uint256[2] calldata d,
        uint256[2] calldata k
    ) external view returns (bool) {
        if (!lookupMode) return false;
        if (keccak256(abi.encode(d, k)) != keccak256(abi.encode(expectedD, expectedK))) return false;
        return _matches(a, b, c, pubSignals);
    }

    /**
     * @notice The snarkjs verifier ABI for 4 public signals.
     * @param _pA Proof point A.
     * @param _pB Proof point B.
     * @param _pC Proof point C.
     * @param _pubSignals Public signals.
     * @return `result` if every argument equals the expected one, else false.
     */
    function verifyProof(
        uint[2] calldata _pA,
        uint[2][2] calldata _pB,
        uint[2] calldata _pC,
        uint[4] calldata _pubSignals
    ) external view returns (bool) {
        return !lookupMode && _matches(_pA, _pB, _pC, _pubSignals);
    }

    function _matches(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256[4] calldata s)
        private
        view
        returns (bool)
    {
        if (keccak256(abi.encode(a, b, c)) != keccak256(abi.encode(expectedA, expectedB, expectedC))) return false;
        if (keccak256(abi.encode(s)) != keccak256(abi.encode(expectedSignals))) return false;
        return result;
    }
}
