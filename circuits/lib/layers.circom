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
    var half = pow2(b - 1);
    var step = pow2(b);
    var pw = 1; // 2^(b·(i % k))
    for (var i = 0; i < n; i++) {
        if (i % k == 0) pw = 1;
        range[i] = SignedRange(b);
        range[i].in <== in[i];
        acc[i \ k] += (in[i] + half) * pw;
        pw = pw * step;
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

// Poseidon sponge over n field elements: width t = 17 (circomlib PoseidonEx(16, 17)), capacity 1, rate 16.
//   state = [n, 0, ..., 0]; for each block of 16 elements (the last one zero-padded): state[1 + j] += block[j],
//   state = permutation(state); out = state[0].
// The capacity word starts at n, so the zero padding cannot make two inputs of different lengths collide.
// Why not PoseidonChain: a chain call spends one of its 16 inputs on the running hash and absorbs 15 elements per
// permutation; the sponge absorbs 16 (≈ 38 instead of ≈ 41 constraints per element). Mirrored by poseidonSponge in
// circuits/model/commit.ts. Cost: 612 constraints per permutation, minus 3 for every S-box of the first round that
// --O2 folds because its word is a constant (the initial capacity, and in a single-block sponge the padding).
template PoseidonSponge(n) {
    assert(n >= 1);
    var blocks = (n + 15) \ 16;
    signal input in[n];
    signal output out;
    component perm[blocks];
    for (var c = 0; c < blocks; c++) {
        perm[c] = PoseidonEx(16, 17);
        if (c == 0) {
            perm[c].initialState <== n;
        } else {
            perm[c].initialState <== perm[c - 1].out[0];
        }
        for (var j = 0; j < 16; j++) {
            var at = 16 * c + j;
            if (c == 0) {
                if (at < n) {
                    perm[c].inputs[j] <== in[at];
                } else {
                    perm[c].inputs[j] <== 0;
                }
            } else {
                if (at < n) {
                    perm[c].inputs[j] <== perm[c - 1].out[1 + j] + in[at];
                } else {
                    perm[c].inputs[j] <== perm[c - 1].out[1 + j];
                }
            }
        }
    }
    out <== perm[blocks - 1].out[0];
}

// k dot products sharing one input vector, one multiplication constraint per input ("packed dot products").
// Each p[i] packs the weights of k outputs for input i in b-bit slots, and bias packs their biases:
//   p[i] = Σ_{m<k} w[m][i] · 2^(b·m),   bias = Σ_{m<k} bias[m] · 2^(b·m)      (integers taken mod p)
// so  bias + Σ_i p[i]·x[i] ≡ Σ_m acc[m] · 2^(b·m)  with acc[m] = bias[m] + Σ_i w[m][i]·x[i].
// The template constrains t[i] = p[i]·x[i] (n constraints) and the linear relation
//   bias + Σ_i t[i] = Σ_m acc[m] · 2^(b·m),
// and outputs acc[] WITHOUT range-checking it.
// PRECONDITION (soundness): every acc[m] must be constrained to signed b bits by its consumer; the model circuits
// feed each one to Requantize(b, ...), whose constraints pin its input to [-2^(b-1), 2^(b-1)). Given that and
// k·b <= 252, acc[] is unique: two solutions differ by d[m] ∈ (-2^b, 2^b) with Σ d[m]·2^(b·m) ≡ 0 (mod p), and
// |Σ d[m]·2^(b·m)| < 2^(k·b) <= 2^252 < p, so the sum is 0 as an integer, and then every d[m] is 0 (its lowest
// non-zero digit would leave a remainder mod 2^(b·(m+1))). So acc[] — and everything computed from it — is a
// function of (p, bias, x): whoever commits to p and bias commits to one function, whatever field elements they
// chose. For p built from weights with |acc[m]| < 2^(b-1) (what quantize.ts's accBits bound guarantees), the
// unique solution is the true accumulators.
// Cost: n constraints (the linear relation folds into them).
template PackedDot(n, k, b) {
    assert(n >= 1 && k >= 1 && b >= 2 && k * b <= 252);
    signal input p[n];
    signal input x[n];
    signal input bias;
    signal output acc[k];
    signal t[n];
    var s = bias;
    for (var i = 0; i < n; i++) {
        t[i] <== p[i] * x[i];
        s += t[i];
    }
    // Witness: the balanced base-2^b digits of s (offset to non-negative digits first).
    var half = pow2(b - 1);
    var step = pow2(b);
    var off = 0;
    var pw = 1; // 2^(b·m)
    for (var m = 0; m < k; m++) {
        off += half * pw;
        pw = pw * step;
    }
    var u = s + off;
    var lin = 0;
    pw = 1;
    for (var m = 0; m < k; m++) {
        acc[m] <-- ((u >> (b * m)) & (step - 1)) - half;
        lin += acc[m] * pw;
        pw = pw * step;
    }
    s === lin;
}
