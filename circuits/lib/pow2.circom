pragma circom 2.1.6;

// 2^k as a field element (0 <= k <= 253), by doubling. Why not `2 ** k`: circom's witness calculator evaluates `**`
// at run time as a full modular exponentiation (about 256 squarings in the field, whatever k is), even when k is a
// template parameter, and the gadgets evaluate their powers of two per instance and per loop step: in LeNet-5 that
// was three quarters of the witness time. k additions cost far less; loops keep a running power instead.
// Constraints are unchanged: circom evaluates the function at compile time wherever a constraint needs the value.
// Never call it in a `while` condition: `while (pow2(c) < k) c++;` compiled to a witness calculator that looped for
// ever (DivByConst; circuits/lib/quant.test.ts caught it), so such loops keep their own running power.
function pow2(k) {
    var r = 1;
    for (var i = 0; i < k; i++) r += r;
    return r;
}
