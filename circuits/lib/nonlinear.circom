pragma circom 2.1.6;

// Gadgets for the non-linear ops of quantized networks (sigmoid, tanh, erf, GELU, exp, softmax …): an exact table
// lookup of any integer function of a small integer, a floor division of two signals, and a softmax row built on
// both. Included by quant.circom (it uses quant.circom's RangeCheck); the integer semantics are mirrored in
// circuits/model/lookup.ts. Signed values are field elements v mod p, as in quant.circom.

// out = T[in] for an unsigned in ∈ [0, 2^b) (other inputs have no witness); T is a table of 2^b constants (a
// template parameter: the code generator passes one var array per model node, computed once at quantize time).
// How: in = hi·2^l + lo with one-hot selectors selL (2^l of them) for lo and selH (2^h, h = b - l) for hi, each
// boolean (one constraint each), each summing to 1 and tied to in by one linear equation (Σ_k k·selH_k·2^l +
// Σ_j j·selL_j = in). Booleanity and Σ = 1 make each a one-hot vector, so the sums are digits hi < 2^h and
// lo < 2^l, and the linear equation is an integer identity in [0, 2^b) ⊂ [0, p) that cannot wrap (b <= 16): (hi,
// lo) is the unique pair of digits of in, and in ∈ [0, 2^b). Then out = Σ_k selH_k · row_k with
// row_k = Σ_j selL_j·T[k·2^l + j], a linear combination of the selL: exactly one selH and one selL are 1, so
// out = T[hi·2^l + lo] = T[in]. A row whose entries are all equal is the constant T[k·2^l] (Σ selL = 1), so its
// term is linear; every other row costs one product.
// Cost (--O2 folds the linear equations): 2^l + 2^h booleanity + one product per non-constant row, ≈ 3·2^(b/2)
// (48 at b = 8) instead of the 2^b of a selector over the whole table.
template Lookup(b, l, T) {
    assert(l >= 2 && b - l >= 2 && b <= 16);
    var nL = pow2(l);
    var nH = pow2(b - l);
    signal input in;
    signal output out;
    signal selL[nL];
    signal selH[nH];
    var sumL = 0;
    var digL = 0;
    for (var j = 0; j < nL; j++) {
        selL[j] <-- (in % nL) == j ? 1 : 0;
        selL[j] * (selL[j] - 1) === 0;
        sumL += selL[j];
        digL += j * selL[j];
    }
    var sumH = 0;
    var digH = 0;
    for (var k = 0; k < nH; k++) {
        selH[k] <-- (in \ nL) == k ? 1 : 0;
        selH[k] * (selH[k] - 1) === 0;
        sumH += selH[k];
        digH += k * selH[k];
    }
    sumL === 1;
    sumH === 1;
    in === digH * nL + digL;
    signal term[nH];
    var acc = 0;
    for (var k = 0; k < nH; k++) {
        var flat = 1;
        for (var j = 1; j < nL; j++) {
            if (T[k * nL + j] != T[k * nL]) flat = 0;
        }
        if (flat == 1) {
            term[k] <== T[k * nL] * selH[k];
        } else {
            var row = 0;
            for (var j = 0; j < nL; j++) row += selL[j] * T[k * nL + j];
            term[k] <== selH[k] * row;
        }
        acc += term[k];
    }
    out <== acc;
}

// q = floor(num / den) for num >= 0 and a positive den, both signals; bQ bounds the quotient (q ∈ [0, 2^bQ)) and bD
// the divisor (den ∈ [1, 2^bD]). Constraints: num = q·den + r (one product), r ∈ [0, 2^bD), den - 1 - r ∈ [0, 2^bD)
// and q ∈ [0, 2^bQ). The last two give r < den and, with r >= 0, den = r + 1 + t for small t: den is a positive
// integer below 2^(bD+1) (a den of 0 has no witness). So q·den + r < 2^(bQ+bD+1) + 2^bD < p cannot wrap: num must
// be that integer, and (q, r) is its unique floor division by den. Inputs outside the bounds have no witness.
// Cost: 1 + 2·bD + bQ constraints.
template FloorDiv(bQ, bD) {
    assert(bQ >= 1 && bD >= 1 && bQ + bD <= 250);
    signal input num;
    signal input den;
    signal output q;
    signal r;
    q <-- num \ den;
    r <-- num % den;
    num === q * den + r;
    component rLow = RangeCheck(bD);
    rLow.in <== r;
    component rHigh = RangeCheck(bD);
    rHigh.in <== den - 1 - r;
    component qRange = RangeCheck(bQ);
    qRange.in <== q;
}

// One softmax row: out[i] = round(e_i·2^F / S), e_i = T[m - in[i]], S = Σ e_i, m = max(in), for n signed b-bit
// inputs (already constrained to b bits upstream: outputs of range-checked gadgets). T[u] is the exp table at the
// input's scale (T[0] > 0, so S >= 1); the rounding is floor((e·2^(F+1) + S) / 2S) by FloorDiv(F + 1, bD), bD
// bounding 2S. Why m is the maximum: each Lookup proves m - in[i] ∈ [0, 2^b) (m >= every input), and the product
// Π (m - in[i]) = 0 proves m is one of them; so the prover cannot shift the exponents. Everything else is a function
// of the inputs (Lookup, linear sums, FloorDiv), so out is. n >= 2 (a row of one is the constant 2^F). Cost: n Lookups, n - 1 products, n FloorDivs.
template SoftmaxRow(n, b, l, T, F, bD) {
    assert(n >= 2 && b <= 16);
    signal input in[n];
    signal output out[n];
    signal m;
    var half = pow2(b - 1);
    var best = in[0] + half;
    for (var i = 1; i < n; i++) {
        if (in[i] + half > best) best = in[i] + half;
    }
    m <-- best - half;
    component e[n];
    var S = 0;
    for (var i = 0; i < n; i++) {
        e[i] = Lookup(b, l, T);
        e[i].in <== m - in[i];
        S += e[i].out;
    }
    signal prod[n - 1];
    prod[0] <== (m - in[0]) * (m - in[1]);
    for (var i = 2; i < n; i++) prod[i - 1] <== prod[i - 2] * (m - in[i]);
    prod[n - 2] === 0;
    component div[n];
    for (var i = 0; i < n; i++) {
        div[i] = FloorDiv(F + 1, bD);
        div[i].num <== e[i].out * pow2(F + 1) + S;
        div[i].den <== 2 * S;
        out[i] <== div[i].q;
    }
}
