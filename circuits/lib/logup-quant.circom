pragma circom 2.1.6;

include "circomlib/circuits/comparators.circom";
include "pow2.circom";
include "layers.circom"; // packPerElement (LogUpSignedPack)

// Requantization with LogUp range checks, for model circuits (docs/lookups.md, "In the model compiler"): exactly the
// integers of quant.circom's Requantize and RequantizeRelu, with their bit decompositions replaced by limbs that the
// caller looks up; and the input range (SignedRange / layers.circom's SignedPack) the same way, at the end of the file.
//
// Limbs of any width. A range [0, 2^w) is split into B-bit limbs, least significant first, and one last limb of
// w mod B bits when B does not divide w. A limb of width k must be looked up in the table {0, …, 2^k − 1}: the caller
// keeps one LogUpRangeTable(N_k, k) per width k in use (each is its own rational identity at the same α, each sound
// on its own; docs/lookups.md), so a narrow limb costs one lookup, not the two of a scaled check. lurLimbWidth names
// each limb's width, in the order `lk` carries them.
//
// Soundness of a decomposition: with every limb an integer below 2^(its width), Σ limb·2^offset is an integer in
// [0, 2^w) with w <= 252 < log2 p, so it cannot wrap mod p, and the value it equals is that integer.

// ceil(w / B): the limbs of a w-bit range.
function lurLimbs(w, B) {
    return (w + B - 1) \ B;
}

// Width of limb j of a w-bit range.
function lurWidth(w, B, j) {
    var rest = w - j * B;
    return rest < B ? rest : B;
}

// The ranges LogUpRequant looks up, as widths: r (shift bits), then the quotient's parts (see LogUpRequant):
//   case 0 (no clamp, no ReLU):   t (bY bits)
//   case 1 (ReLU, no clamp):      t' (bY − 1 bits)
//   case 2 (clamp, ReLU or not):  L (bOut − 1 bits), then H' (bY − bOut bits)
// (One `return` per function, declarations before loops: circom2's wasm generator panics on early returns from
// branches and on a `var` declared inside a function's loop.)
function lurCase(bIn, shift, bOut, relu) {
    var c = 2;
    if (bIn - shift <= bOut) c = relu;
    return c;
}
function lurRange(bIn, shift, bOut, relu, part) {
    var c = lurCase(bIn, shift, bOut, relu);
    var bY = bIn - shift;
    var w = 0;
    if (part == 0) {
        w = shift;
    } else if (c == 0) {
        if (part == 1) w = bY;
    } else if (c == 1) {
        if (part == 1) w = bY - 1;
    } else {
        if (part == 1) w = bOut - 1;
        if (part == 2) w = bY - bOut;
    }
    return w;
}
function lurLimbCount(bIn, shift, bOut, relu, B) {
    var n = 0;
    for (var part = 0; part < 3; part++) n += lurLimbs(lurRange(bIn, shift, bOut, relu, part), B);
    return n;
}
function lurLimbWidth(bIn, shift, bOut, relu, B, j) {
    var k = j;
    var w = 0;
    var n = 0;
    var found = 0;
    for (var part = 0; part < 3; part++) {
        w = lurRange(bIn, shift, bOut, relu, part);
        n = lurLimbs(w, B);
        if (found == 0 && k < n) found = lurWidth(w, B, k);
        k -= n;
    }
    return found;
}

// in ∈ [0, 2^w) by limbs the caller looks up (lk[j] in the table of width lurWidth(w, B, j)). One linear constraint,
// which circom --O2 folds into its neighbours.
template LogUpRange(w, B) {
    assert(w >= 1 && w <= 252 && B >= 1);
    var n = lurLimbs(w, B);
    signal input in;
    signal output lk[n];
    var acc = 0;
    var e = 1;
    for (var j = 0; j < n; j++) {
        var k = lurWidth(w, B, j);
        lk[j] <-- (in \ e) % pow2(k);
        acc += lk[j] * e;
        e *= pow2(k);
    }
    acc === in;
}

// out = clamp(floor(in / 2^shift), lo, hi) for a signed bIn-bit accumulator `in`, with lo = −2^(bOut−1) and
// hi = 2^(bOut−1) − 1, or lo = 0 when relu = 1: Requantize(bIn, shift, bOut), or RequantizeRelu(bIn, shift, bOut)
// (quant.circom), value for value and accepting exactly the same inputs.
// Division: in + 2^(bIn−1) = t·2^shift + r with r ∈ [0, 2^shift) and t ∈ [0, 2^bY), bY = bIn − shift, both by limbs;
// y = t − 2^(bY−1) is the floor quotient (unique: y·2^shift + r is an integer in [−2^(bIn−1), 2^(bIn−1)), far from
// wrapping), and `in` is thereby range-checked to signed bIn bits, which PackedDot's slot uniqueness relies on.
// The clamp, by case (lurCase):
//   0: bY <= bOut, no ReLU: y already fits; out = y. Lookups only.
//   1: bY <= bOut, ReLU: t = pos·2^(bY−1) + t' with pos a bit (1 constraint) and t' ∈ [0, 2^(bY−1)) by limbs;
//      pos = 1 iff y >= 0, and then y = t'; out = pos·t' (1 constraint).
//   2: bY > bOut: t = (top·M + H')·2^(bOut−1) + L with M = 2^(bY−bOut), top a bit, H' ∈ [0, M), L ∈ [0, 2^(bOut−1))
//      (limbs). Since 2^(bY−1) = M·2^(bOut−1): top = 1, H' = 0 means y = L ∈ [0, hi]; top = 0, H' = M − 1 means
//      y = L − 2^(bOut−1) ∈ [−2^(bOut−1), −1]; any other top = 1 is y > hi, any other top = 0 is y < −2^(bOut−1).
//      Without ReLU: z = top·(M − 1) + H' − (M − 1), which is H' when top = 1 and −(M − 1 − H') when top = 0
//      (z ∈ (−M, M), never ≡ 0 mod p unless 0), fits = IsZero(z), out = fits·(y − sat) + sat with
//      sat = top ? hi : −2^(bOut−1). 4 constraints (bit, IsZero's 2, out).
//      With ReLU (y < 0 gives 0 whether it fits or not): keep = IsZero(top·M + H' − M), which is 1 exactly when
//      top = 1 and H' = 0 (the term lies in [−M, M), far from wrapping), out = top·hi + keep·(L − hi).
//      4 constraints (bit, IsZero's 2, out).
// Cost: one lookup per limb (lurLimbCount), plus 0 / 2 / 4 constraints (cases 0 / 1 / 2).
template LogUpRequant(bIn, shift, bOut, relu, B) {
    var bY = bIn - shift;
    assert(shift >= 1 && bY >= 2 && bIn <= 252 && bOut >= 2 && (relu == 0 || relu == 1));
    var c = lurCase(bIn, shift, bOut, relu);
    var nR = lurLimbs(shift, B);
    var n = lurLimbCount(bIn, shift, bOut, relu, B);
    signal input in;
    signal output out;
    signal output lk[n];

    var scale = pow2(shift);
    var half = pow2(bY - 1);
    var off = pow2(bIn - 1); // divisible by 2^shift, so floor division commutes with the offset
    signal r;
    signal t;
    r <-- (in + off) % scale;
    t <-- (in + off) \ scale;
    in + off === t * scale + r;
    component rR = LogUpRange(shift, B);
    rR.in <== r;
    for (var j = 0; j < nR; j++) lk[j] <== rR.lk[j];

    if (c == 0) {
        component tR = LogUpRange(bY, B);
        tR.in <== t;
        for (var j = nR; j < n; j++) lk[j] <== tR.lk[j - nR];
        out <== t - half;
    } else if (c == 1) {
        signal pos;
        pos <-- t \ half;
        pos * (pos - 1) === 0;
        component tR = LogUpRange(bY - 1, B);
        tR.in <== t - pos * half;
        for (var j = nR; j < n; j++) lk[j] <== tR.lk[j - nR];
        out <== pos * tR.in;
    } else {
        var lowW = pow2(bOut - 1);
        var M = pow2(bY - bOut);
        var nL = lurLimbs(bOut - 1, B);
        signal top;
        top <-- t \ half;
        top * (top - 1) === 0;
        signal low;
        signal high;
        low <-- t % lowW;
        high <-- (t \ lowW) % M;
        t === (top * M + high) * lowW + low;
        component lR = LogUpRange(bOut - 1, B);
        lR.in <== low;
        component hR = LogUpRange(bY - bOut, B);
        hR.in <== high;
        for (var j = 0; j < nL; j++) lk[nR + j] <== lR.lk[j];
        for (var j = nR + nL; j < n; j++) lk[j] <== hR.lk[j - nR - nL];
        var hi = lowW - 1;
        if (relu == 0) {
            // z = top·(M − 1) + high − (M − 1): high when top = 1, −(M − 1 − high) when top = 0 (linear, no product)
            component fits = IsZero();
            fits.in <== top * (M - 1) + high - (M - 1);
            var y = t - half;
            var sat = top * (hi + lowW) - lowW;
            out <== fits.out * (y - sat) + sat;
        } else {
            // keep = 1 iff y fits: V = top·M + H' − M ∈ [−M, M) is 0 exactly when (top, H') = (1, 0), so one IsZero
            // on that linear term gives top·[H' = 0] without a product of its own.
            component keep = IsZero();
            keep.in <== top * M + high - M;
            out <== top * hi + keep.out * (low - hi);
        }
    }
}

// in[i] ∈ [−2^(b−1), 2^(b−1)) for every i < n (a model's input range), by the limbs of in[i] + 2^(b−1)
// (LogUpRange(b, B)), which the caller looks up: quant.circom's SignedRange without its b bit constraints. `lk` holds
// every input's limbs grouped by width, narrowest first (the layout of logup-emit.ts's groupStarts: a B-bit limb per
// full B bits, then one of b mod B bits). The recompositions are linear: 0 constraints of their own when `in` is a
// private signal (circom --O2 substitutes it), one each when it is public (an equality between two public signals).
template LogUpSignedRange(n, b, B) {
    assert(n >= 1 && b >= 2 && b <= 252);
    var L = lurLimbs(b, B);
    signal input in[n];
    signal output lk[n * L];
    var lkAt[B];
    for (var k = 0; k < B; k++) lkAt[k] = 0;
    // Group sizes (n limbs per limb position of that width), then their starts.
    for (var j = 0; j < L; j++) lkAt[lurWidth(b, B, j) - 1] += n;
    var at = 0;
    for (var k = 0; k < B; k++) {
        var size = lkAt[k];
        lkAt[k] = at;
        at += size;
    }
    component range[n];
    for (var i = 0; i < n; i++) {
        range[i] = LogUpRange(b, B);
        range[i].in <== in[i] + pow2(b - 1);
        for (var j = 0; j < L; j++) {
            var k = lurWidth(b, B, j);
            lk[lkAt[k - 1]] <== range[i].lk[j];
            lkAt[k - 1] += 1;
        }
    }
}

// layers.circom's SignedPack with the range checks by lookups (LogUpSignedRange): the same packed elements,
// out[j] = Σ_t (in[j·k + t] + 2^(b−1))·2^(b·t) with k = packPerElement(b) (layers.circom, which the caller includes),
// injective because every digit is proven to lie in [0, 2^b). The packing is linear: 0 constraints besides the lookups.
template LogUpSignedPack(n, b, B) {
    assert(n >= 1 && b >= 2 && b <= 124);
    var k = packPerElement(b);
    var m = (n + k - 1) \ k;
    signal input in[n];
    signal output out[m];
    signal output lk[n * lurLimbs(b, B)];
    component range = LogUpSignedRange(n, b, B);
    range.in <== in;
    lk <== range.lk;
    var acc[m];
    for (var j = 0; j < m; j++) acc[j] = 0;
    var half = pow2(b - 1);
    var step = pow2(b);
    var pw = 1; // 2^(b·(i % k))
    for (var i = 0; i < n; i++) {
        if (i % k == 0) pw = 1;
        acc[i \ k] += (in[i] + half) * pw;
        pw = pw * step;
    }
    for (var j = 0; j < m; j++) out[j] <== acc[j];
}

// out = max(in[0..n)) for n signed b-bit values: quant.circom's Max(n, b) with its range checks by lookups. Each
// out − in[i] ∈ [0, 2^b) by the limbs of LogUpSignedRange (fed out − in[i] − 2^(b−1)), which the caller looks up, so
// out >= every input (the differences are integers far from wrapping: inputs and out are signed b-bit, b <= 251);
// Π (out − in[i]) = 0 makes out one of the inputs. So out is their maximum, and the only witness. `lk`: LogUpSignedRange's
// layout (n inputs' limbs grouped by width, narrowest first). Constraints: n − 1 products; each recomposition is a
// linear row over out, in[i] and committed limbs, which circom --O2 folds while it can solve it for out or in[i] (the
// model compiler uses this gadget only where it can: circuits/model/ops/maxpool.ts).
template LogUpMax(n, b, B) {
    assert(n >= 2 && b >= 2 && b <= 251);
    signal input in[n];
    signal output out;
    signal output lk[n * lurLimbs(b, B)];
    var half = pow2(b - 1);
    var best = in[0] + half;
    for (var i = 1; i < n; i++) {
        if (in[i] + half > best) best = in[i] + half;
    }
    out <-- best - half;
    component range = LogUpSignedRange(n, b, B);
    for (var i = 0; i < n; i++) range.in[i] <== out - in[i] - half;
    lk <== range.lk;
    signal prod[n - 1];
    prod[0] <== (out - in[0]) * (out - in[1]);
    for (var i = 2; i < n; i++) prod[i - 1] <== prod[i - 2] * (out - in[i]);
    prod[n - 2] === 0;
}
