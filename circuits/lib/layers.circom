pragma circom 2.1.6;

include "circomlib/circuits/poseidon.circom";
include "quant.circom";

// Commitment helpers for model circuits with private weights / hashed inputs (used by the code generated
// in circuits/model/codegen.ts; mirrored in circuits/model/commit.ts).

// Number of signed b-bit values packed into one field element: k·b <= 248 bits, so a packed element is an
// integer below 2^248 < p and the packing cannot wrap the field.
function packPerElement(b) {
    return 248 \ b;
}

// Packs n signed b-bit values into ceil(n / k) field elements, k = packPerElement(b):
//   out[j] = Σ_{t < k} (in[j·k + t] + 2^(b-1)) · 2^(b·t)     (offset binary, least significant value first).
// Each input is range-checked to signed b bits (SignedRange), so each digit lies in [0, 2^b) and the packing is
// injective: distinct value vectors give distinct elements, so a hash of the elements binds the values.
// Cost: n·b constraints (the packing itself is linear).
template SignedPack(n, b) {
    assert(n >= 1 && b >= 2 && b <= 124);
    var k = packPerElement(b);
    var m = (n + k - 1) \ k;
    signal input in[n];
    signal output out[m];
    component range[n];
    var acc[m];
    for (var j = 0; j < m; j++) acc[j] = 0;
    for (var i = 0; i < n; i++) {
        range[i] = SignedRange(b);
        range[i].in <== in[i];
        acc[i \ k] += (in[i] + 2 ** (b - 1)) * 2 ** (b * (i % k));
    }
    for (var j = 0; j < m; j++) out[j] <== acc[j];
}

// Sequential Poseidon hash of n field elements, binding their count:
//   h = n; for each chunk c of up to 15 elements (in order): h = Poseidon(1 + |c|)([h, ...c]); out = h.
// Cost: ceil(n / 15) Poseidon calls.
template PoseidonChain(n) {
    assert(n >= 1);
    var chunks = (n + 14) \ 15;
    signal input in[n];
    signal output out;
    component h[chunks];
    signal state[chunks + 1];
    state[0] <== n;
    for (var c = 0; c < chunks; c++) {
        var len = n - 15 * c;
        if (len > 15) len = 15;
        h[c] = Poseidon(1 + len);
        h[c].inputs[0] <== state[c];
        for (var t = 0; t < len; t++) h[c].inputs[1 + t] <== in[15 * c + t];
        state[c + 1] <== h[c].out;
    }
    out <== state[chunks];
}
