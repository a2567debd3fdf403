pragma circom 2.1.6;

include "quant.circom";

// Gadgets for normalization layers (LayerNorm: circuits/model/ops/layernorm.ts). Same conventions as quant.circom:
// every value is pinned to a window far below p by constraints, never by asserts, so integer facts follow from them.
// The integer semantics are mirrored in circuits/model/ops/layernorm.ts (isqrt, the floor division).

// floor(sqrt(u)) for the witness (Newton's method on non-negative integers); IntSqrt's constraints check it.
function isqrtFloor(u) {
    if (u == 0) return 0;
    var x = u;
    var y = (x + 1) \ 2;
    while (y < x) {
        x = y;
        y = (x + u \ x) \ 2;
    }
    return x;
}

// out = floor(sqrt(in)) for an integer 0 <= in with (isqrt(in) + 1)^2 < 2^uBits, and out < 2^sBits.
// Why it is sound: out ∈ [0, 2^sBits) and out² (one product) are integers below 2^(2·sBits) <= 2^252; in - out² ∈
// [0, 2^uBits) proves out² <= in (a negative difference would be p minus something small, far above 2^uBits), and
// out² + 2·out - in ∈ [0, 2^uBits) proves in <= out² + 2·out < (out + 1)². So out is the unique integer square root;
// inputs outside the stated range have no witness. Cost: 1 + sBits + 2·uBits constraints.
template IntSqrt(uBits, sBits) {
    assert(uBits <= 252 && 2 * sBits <= 252);
    signal input in;
    signal output out;
    out <-- isqrtFloor(in);
    signal sq <== out * out;
    component sRange = RangeCheck(sBits);
    sRange.in <== out;
    component lo = RangeCheck(uBits);
    lo.in <== in - sq;
    component hi = RangeCheck(uBits);
    hi.in <== sq + 2 * out - in;
}

// out = floor(num / d) for a divisor SIGNAL d (not a constant: DivByConst is that), signed qBits quotient.
// Constraints: qd = out·d (one product), r = num - qd with r ∈ [0, 2^dBits) and d - 1 - r ∈ [0, 2^dBits) (so
// 0 <= r < d, which also forces 1 <= d < 2^(dBits+1): a d that is 0 or "negative" leaves no remainder), and out ∈
// signed qBits. Then |out·d + r| < 2^(qBits + dBits + 1) << p, so num = out·d + r holds over the integers and (out, r)
// is the unique floor division. Precondition: num is an integer of that range (the caller's construction bounds it).
// Cost: 1 + 2·dBits + qBits constraints.
template DivFloorSignal(qBits, dBits) {
    assert(qBits >= 2 && qBits + dBits <= 250);
    signal input num;
    signal input d;
    signal output out;
    var off = pow2(qBits - 1);
    out <-- (num + d * off) \ d - off;
    signal qd <== out * d;
    component rLo = RangeCheck(dBits);
    rLo.in <== num - qd;
    component rHi = RangeCheck(dBits);
    rHi.in <== d - 1 - num + qd;
    component qRange = SignedRange(qBits);
    qRange.in <== out;
}
