pragma circom 2.1.6;

include "circomlib/circuits/comparators.circom";
// Table lookups, floor division, softmax (they use RangeCheck below).
include "nonlinear.circom";
include "pow2.circom";

// Gadgets for quantized (integer) neural networks.
//
// Representation: a signed integer v lives in the field as v mod p, so -1 is p - 1. Every gadget below
// pins each signed value it handles to a small window [-2^(b-1), 2^(b-1)) with b <= 252 by constraints,
// never by `assert` (circom's asserts run only in the witness generator; a prover writes the witness
// however it likes). Because p > 2^253, a window that small is far from wrapping around the field, so
// each field element in it stands for exactly one integer and integer facts (v >= 0, v < w) follow from
// the constraints. The exact integer semantics are mirrored in circuits/model/int-reference.ts.
//
// Witness code shifts signed values by a positive offset first (v + 2^(b-1) >= 0) so that the
// witness-side `\`, `%` and `>>` only ever see small non-negative representatives.

// Bits of `in`, least significant first, and the proof that in ∈ [0, 2^b).
// Why b <= 252: the constraint Σ bits[i]·2^i = in is an equation mod p. With b <= 252 the left side is an
// integer in [0, 2^252) ⊂ [0, p), so it cannot wrap: the only field elements that satisfy it are the
// integers 0 .. 2^b - 1, each with a unique bit pattern. (At b = 254 a value could have two decompositions,
// the alias problem circomlib's Num2Bits_strict exists for; 252 also leaves headroom for the offsets below.)
// Cost: b constraints (the sum is linear and folds into them).
template Bits(b) {
    assert(b >= 1 && b <= 252);
    signal input in;
    signal output bits[b];

    var acc = 0;
    var e = 1;
    for (var i = 0; i < b; i++) {
        bits[i] <-- (in >> i) & 1;
        bits[i] * (bits[i] - 1) === 0;
        acc += bits[i] * e;
        e = e + e;
    }
    acc === in;
}

// in ∈ [0, 2^b) as an unsigned integer. b constraints.
template RangeCheck(b) {
    signal input in;
    component bits = Bits(b);
    bits.in <== in;
}

// Bits of in + 2^(b-1) ("offset binary"); proves the signed value in ∈ [-2^(b-1), 2^(b-1)).
// bits[b-1] is 1 exactly when in >= 0. b constraints.
template SignedBits(b) {
    assert(b >= 2 && b <= 252);
    signal input in;
    signal output bits[b];
    component dec = Bits(b);
    dec.in <== in + pow2(b - 1);
    bits <== dec.bits;
}

// in ∈ [-2^(b-1), 2^(b-1)) as a signed integer. b constraints.
template SignedRange(b) {
    signal input in;
    component bits = SignedBits(b);
    bits.in <== in;
}

// out = max(in, 0) for a signed b-bit input (which it range-checks: other inputs have no witness).
// The sign comes from the b-bit offset decomposition, not a 254-bit one. Cost: b + 1 constraints.
template ReLU(b) {
    signal input in;
    signal output out;
    component sb = SignedBits(b);
    sb.in <== in;
    // bits[b-1] = 1 iff in >= 0.
    out <== in * sb.bits[b - 1];
}

// Clamp a signed bIn-bit value to the signed bOut-bit range [-2^(bOut-1), 2^(bOut-1) - 1] (saturation).
// Range-checks the input. When bIn <= bOut nothing can overflow and out = in.
// How: in offset binary t = in + 2^(bIn-1), in >= 0 iff bit bIn-1 is set; then in fits iff bits
// bOut-1 .. bIn-2 are all 0 (non-negative) or all 1 (negative). A = their count of ones decides
// with two IsZero tests, so the clamp costs 8 constraints on top of the bIn-bit decomposition.
template Saturate(bIn, bOut) {
    assert(bOut >= 2);
    signal input in;
    signal output out;
    component sb = SignedBits(bIn);
    sb.in <== in;
    if (bIn <= bOut) {
        out <== in;
    } else {
        var m = bIn - bOut;
        var a = 0;
        for (var i = bOut - 1; i <= bIn - 2; i++) a += sb.bits[i];
        signal pos <== sb.bits[bIn - 1];
        component aZero = IsZero();
        aZero.in <== a;
        component aFull = IsZero();
        aFull.in <== a - m;
        // over = 1: positive and too large; under = 1: negative and too small. Never both (pos is a bit).
        signal over <== pos * (1 - aZero.out);
        signal under <== (1 - pos) * (1 - aFull.out);
        var half = pow2(bOut - 1);
        signal toHi <== over * (half - 1 - in);
        signal toLo <== under * (-half - in);
        out <== in + toHi + toLo;
    }
}

// Requantize a signed bIn-bit accumulator: y = floor(in / 2^shift) (arithmetic shift right, rounding
// toward −∞, like BigInt `>>`), then saturate y to signed bOut bits. For round-half-up, add
// 2^(shift-1) to the input first (and size bIn for it).
// Constraints: in = y·2^shift + r with r ∈ [0, 2^shift) and y ∈ signed (bIn - shift) bits, all as constraints.
// Those ranges make y·2^shift + r an integer in [-2^(bIn-1), 2^(bIn-1)), far from wrapping, so (y, r) is the
// unique floor division and the input itself is range-checked to signed bIn bits.
// Cost: bIn constraints, plus 8 when bIn - shift > bOut (saturation).
template Requantize(bIn, shift, bOut) {
    assert(shift >= 1 && shift < bIn - 1 && bIn <= 252);
    signal input in;
    signal output out;
    signal y;
    signal r;
    var scale = pow2(shift);
    var off = pow2(bIn - 1); // divisible by 2^shift, so floor division commutes with the offset
    r <-- (in + off) % scale;
    y <-- (in + off) \ scale - pow2(bIn - 1 - shift);
    in === y * scale + r;
    component rRange = RangeCheck(shift);
    rRange.in <== r;
    component sat = Saturate(bIn - shift, bOut);
    sat.in <== y;
    out <== sat.out;
}

// Requantize fused with the ReLU that follows it: out = clamp(floor(in / 2^shift), 0, 2^(bOut-1) - 1).
// That is exactly ReLU(b)(Requantize(bIn, shift, bOut)(in)) for any b >= bOut: Saturate's lower clamp
// (-2^(bOut-1)) is negative, so the ReLU turns it into 0 like any other negative y, and a saturated value always
// passes the ReLU's signed b-bit range check. So the fused gadget outputs the same integers as the pair (and
// int-reference.ts `requantizeRelu` = relu(requantize(...))); circuits/model/int-exec.ts keeps running the two
// steps. It also accepts exactly the same inputs: signed bIn-bit integers.
// Why it is cheaper: the pair decomposes y = floor(in / 2^shift) in offset binary (in Saturate) and then the
// ReLU decomposes the saturated value a second time just to read a sign the first decomposition already has.
// Here the bits t = y + 2^(bY-1) of the one SignedBits(bY), bY = bIn - shift, give everything:
//   pos = t[bY-1] is 1 iff y >= 0, and then y = Σ_{i < bY-1} t[i]·2^i;
//   for y >= 0: y <= M = 2^(bOut-1) - 1 iff the bits t[bOut-1 .. bY-2] are all 0, i.e. their count a is 0.
// One IsZero on a + m·(1 - pos) (m = bY - bOut, the number of those bits) yields fits = pos AND a = 0 at once:
// for pos = 0 its input lies in [m, 2m], a small nonzero integer, never 0 mod p. Then
//   out = fits·(low - M) + pos·M,  low = Σ_{i < bOut-1} t[i]·2^i,
// which is low (= y) when y ∈ [0, M], M when y > M, and 0 when y < 0. The negative side needs no clamp.
// The division is constrained exactly as in Requantize (r ∈ [0, 2^shift) and y ∈ signed bY bits by
// constraints; the bits are the SignedBits'), so (y, r) is unique and out is a function of in.
// Cost: bIn constraints, plus 3 when bIn - shift > bOut (IsZero: 2, the selection: 1), else plus 1 (out = pos·y:
// y >= 0 then fits signed bY <= bOut bits, so nothing to clamp). Requantize + ReLU(bOut) costs bIn + bOut + 1
// (+8 when it saturates).
template RequantizeRelu(bIn, shift, bOut) {
    assert(shift >= 1 && shift < bIn - 1 && bIn <= 252 && bOut >= 2);
    signal input in;
    signal output out;
    signal y;
    signal r;
    var scale = pow2(shift);
    var off = pow2(bIn - 1); // divisible by 2^shift, so floor division commutes with the offset
    r <-- (in + off) % scale;
    y <-- (in + off) \ scale - pow2(bIn - 1 - shift);
    in === y * scale + r;
    component rRange = RangeCheck(shift);
    rRange.in <== r;
    var bY = bIn - shift;
    component yb = SignedBits(bY);
    yb.in <== y;
    signal pos <== yb.bits[bY - 1];
    if (bY <= bOut) {
        out <== pos * y;
    } else {
        var m = bY - bOut;
        var a = 0;
        for (var i = bOut - 1; i <= bY - 2; i++) a += yb.bits[i];
        var low = 0;
        var e = 1;
        for (var i = 0; i < bOut - 1; i++) {
            low += yb.bits[i] * e;
            e += e;
        }
        var M = e - 1; // e = 2^(bOut - 1)
        component fits = IsZero();
        fits.in <== a + m * (1 - pos);
        out <== fits.out * (low - M) + pos * M;
    }
}

// Maximum of n signed b-bit values.
// Precondition: the inputs are already constrained to signed b bits (outputs of ReLU/Requantize/
// SignedRange); Max does not re-check them. Given that, out - in[i] ∈ (-2^b, 2^b), so the range check
// out - in[i] ∈ [0, 2^b) proves out >= in[i], and Π (out - in[i]) = 0 proves out is one of them.
// Cost: n·b + n - 1 constraints.
template Max(n, b) {
    assert(n >= 2 && b >= 2 && b <= 251);
    signal input in[n];
    signal output out;
    var half = pow2(b - 1);
    var best = in[0] + half;
    for (var i = 1; i < n; i++) {
        if (in[i] + half > best) best = in[i] + half;
    }
    out <-- best - half;
    component ge[n];
    for (var i = 0; i < n; i++) {
        ge[i] = RangeCheck(b);
        ge[i].in <== out - in[i];
    }
    signal prod[n - 1];
    prod[0] <== (out - in[0]) * (out - in[1]);
    for (var i = 2; i < n; i++) prod[i - 1] <== prod[i - 2] * (out - in[i]);
    prod[n - 2] === 0;
}

// Index of the maximum of n signed b-bit values; ties go to the LOWEST index. Also outputs the max.
// Same precondition as Max. A one-hot selector sel picks the winner (index = Σ i·sel[i], max = Σ sel[i]·in[i]);
// every earlier input must be strictly smaller (max - in[i] - 1 >= 0) and every later one no larger
// (max - in[i] >= 0), each a b-bit range check. Cost: n·(b + 2) constraints.
template ArgMax(n, b) {
    assert(n >= 2 && b >= 2 && b <= 251);
    signal input in[n];
    signal output index;
    signal output max;
    var best = 0;
    var half = pow2(b - 1);
    var bestVal = in[0] + half;
    for (var i = 1; i < n; i++) {
        if (in[i] + half > bestVal) {
            best = i;
            bestVal = in[i] + half;
        }
    }
    signal sel[n];
    signal picked[n];
    var total = 0;
    var idx = 0;
    var mx = 0;
    for (var i = 0; i < n; i++) {
        sel[i] <-- i == best ? 1 : 0;
        sel[i] * (sel[i] - 1) === 0;
        picked[i] <== sel[i] * in[i];
        total += sel[i];
        idx += i * sel[i];
        mx += picked[i];
    }
    total === 1;
    index <== idx;
    max <== mx;
    // before = 1 for positions strictly before the winner: 1 - (sel[0] + ... + sel[i]).
    component ge[n];
    var seen = 0;
    for (var i = 0; i < n; i++) {
        seen += sel[i];
        ge[i] = RangeCheck(b);
        ge[i].in <== max - in[i] - (1 - seen);
    }
}

// out = floor(in / k) for a constant k >= 2 (need not be a power of two), for average pooling; b is the
// width of the QUOTIENT: the template accepts exactly the inputs in [-k·2^(b-1), k·2^(b-1)), those whose
// floor quotient is a signed b-bit value. in = out·k + r with r ∈ [0, k) (two range checks: r and k-1-r
// in [0, 2^c), 2^c >= k) and out ∈ signed b bits. That bounds |out·k + r| <= k·2^(b-1) < 2^(b-1+c) ≪ p, so
// (out, r) is the unique floor division of the input's integer value. Cost: b + 2c constraints,
// c = bit length of k - 1.
template DivByConst(b, k) {
    assert(k >= 2 && b >= 2);
    var c = 1;
    var e = 2; // 2^c
    while (e < k) {
        c++;
        e += e;
    }
    assert(b + c <= 250);
    signal input in;
    signal output out;
    signal r;
    var half = pow2(b - 1);
    var off = k * half;
    r <-- (in + off) % k;
    out <-- (in + off) \ k - half;
    in === out * k + r;
    component rLow = RangeCheck(c);
    rLow.in <== r;
    component rHigh = RangeCheck(c);
    rHigh.in <== k - 1 - r;
    component qRange = SignedRange(b);
    qRange.in <== out;
}
