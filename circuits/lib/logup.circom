pragma circom 2.1.6;

// Range checks by a log-derivative (LogUp) lookup into the table {0, …, 2^B − 1}, for Groth16 with a committed
// first round (docs/lookups.md; prover/lookup/).
//
// The argument: values f[0..N) all lie in the table T = {0..2^B−1} iff there are multiplicities m[0..2^B) with
//     Σ_i 1/(α − f_i)  =  Σ_j m_j/(α − j)
// as rational functions of α. The circuit checks it at ONE point α, which is sound only when α is chosen after f
// and m are fixed: f and m must be COMMITTED wires (public signals of main named `logupCommitted[k]`, folded into
// the Pedersen commitment D with a proof of knowledge), and α = H(D) a public input the verifier recomputes.
// prover/lookup/circuit.ts refuses a circuit whose `logupF`/`logupM` signals are not committed wires.
//
// Cost: one constraint per looked-up value, one per table row, and one for the sum (N + 2^B + 1), against B per
// value for a bit decomposition.

// How often each table entry occurs among f: m[j] = #{i : f[i] = j}. Witness code only (no constraint): the
// multiplicities are committed and LogUpRangeTable checks them through the sum. Out-of-table values are not counted
// (the sum then fails, which is the point).
template LogUpCount(N, B) {
    var T = 1 << B;
    signal input f[N];
    signal output m[T];
    var cnt[T];
    for (var j = 0; j < T; j++) cnt[j] = 0;
    for (var i = 0; i < N; i++) {
        var v = f[i];
        if (v < T) cnt[v] += 1;
    }
    for (var j = 0; j < T; j++) m[j] <-- cnt[j];
}

// The LogUp identity at the challenge alpha: every logupF[i] ∈ {0..2^B−1}, given committed logupF and logupM.
// invF[i]·(α − f_i) = 1 and invT[j]·(α − j) = m_j define the terms (an α equal to some f_i or j has no witness:
// probability (N + 2^B)/p for α = H(D)); the last constraint is the sum.
// Why N < p matters: a value outside the table is a pole of the left side that the right side lacks unless its
// count is ≡ 0 mod p, impossible for a count in [1, N].
template LogUpRangeTable(N, B) {
    assert(B >= 1 && B <= 20);
    var T = 1 << B;
    signal input alpha;
    signal input logupF[N];
    signal input logupM[T];
    signal invF[N];
    signal invT[T];
    var lhs = 0;
    var rhs = 0;
    // Witness code only: 1/(α − j) once per table row, which every in-table f_i then reads, instead of one field
    // inversion per looked-up value (in circom's wasm an inversion costs ~20 µs: LeNet-5's ~24,000 lookups spent
    // ~0.3 s of each witness pass on them). A value outside the table (no honest witness has one) is inverted
    // directly, as before; the constraints are unchanged. The rows' inverses come from one inversion (Montgomery's
    // trick: prefix products, one inverse, back-substitution, three products a row): one inversion a row was still
    // 2,046 of them for LeNet-5's tables, ~40 ms of its first witness pass.
    // An α equal to a row j (no honest proof has one; tests read committed values with a small α) leaves that row's
    // entry 0, as 1/0 gives in circom, and the others exact.
    var invTab[T];
    var acc = 1;
    var d = 0;
    for (var j = 0; j < T; j++) {
        invTab[j] = acc;
        d = alpha - j;
        if (d != 0) acc = acc * d;
    }
    var inv = 1 / acc;
    var prefix = 0;
    for (var j = T - 1; j >= 0; j--) {
        d = alpha - j;
        if (d == 0) {
            invTab[j] = 0;
        } else {
            prefix = invTab[j];
            invTab[j] = prefix * inv;
            inv = inv * d;
        }
    }
    for (var i = 0; i < N; i++) {
        var v = logupF[i];
        if (v >= 0 && v < T) {
            invF[i] <-- invTab[v];
        } else {
            invF[i] <-- 1 / (alpha - v);
        }
        invF[i] * (alpha - logupF[i]) === 1;
        lhs += invF[i];
    }
    for (var j = 0; j < T; j++) {
        invT[j] <-- logupM[j] * invTab[j];
        invT[j] * (alpha - j) === logupM[j];
        rhs += invT[j];
    }
    lhs === rhs;
}

// Limbs of in ∈ [0, 2^(L·B)): in = Σ limbs[k]·2^(B·k). The limbs are NOT range-checked here: each must be looked up
// (fed to LogUpRangeTable through a committed wire). With every limb < 2^B the sum is an integer below 2^(L·B) ≤ 2^252
// < p, so it cannot wrap and `in` is that integer. One linear constraint (circom folds it into its neighbours).
template LogUpLimbs(L, B) {
    assert(L * B <= 252);
    signal input in;
    signal output limbs[L];
    var acc = 0;
    for (var k = 0; k < L; k++) {
        limbs[k] <-- (in >> (B * k)) & ((1 << B) - 1);
        acc += limbs[k] * (1 << (B * k));
    }
    acc === in;
}

// Requantization with LogUp range checks: out = floor(in / 2^shift) for a signed bIn-bit accumulator `in`, rounding
// toward −∞ like Requantize in quant.circom, without saturation (the output keeps bIn − shift bits: use it where
// bOut >= bIn − shift, or saturate separately).
// in = y·2^shift + r with r ∈ [0, 2^shift) and t = y + 2^(bY−1) ∈ [0, 2^bY), bY = bIn − shift, both proven by
// B-bit limbs that the caller must look up (`limbs` = r's shift/B limbs, then t's bY/B limbs; feed them to
// LogUpRangeTable through committed wires). Those ranges make y·2^shift + r an integer in [−2^(bIn−1), 2^(bIn−1)),
// far from wrapping (bIn ≤ 252), so (y, r) is the unique floor division and `in` is range-checked to signed bIn bits.
// Cost: 1 linear constraint plus (bIn / B) lookups, against bIn constraints for Requantize's bit decompositions.
template LogUpRequantize(bIn, shift, B) {
    var bY = bIn - shift;
    assert(shift >= 1 && bY >= 2 && bIn <= 252 && shift % B == 0 && bY % B == 0);
    var Lr = shift \ B;
    var Ly = bY \ B;
    signal input in;
    signal output out;
    signal output limbs[Lr + Ly];
    var off = 2 ** (bIn - 1); // divisible by 2^shift, so floor division commutes with the offset
    var mask = (1 << B) - 1;
    var rv = (in + off) % (2 ** shift);
    var tv = (in + off) \ (2 ** shift);
    var r = 0;
    var t = 0;
    for (var k = 0; k < Lr; k++) {
        limbs[k] <-- (rv >> (B * k)) & mask;
        r += limbs[k] * 2 ** (B * k);
    }
    for (var k = 0; k < Ly; k++) {
        limbs[Lr + k] <-- (tv >> (B * k)) & mask;
        t += limbs[Lr + k] * 2 ** (B * k);
    }
    // y = t − 2^(bY−1); in = y·2^shift + r.
    in === (t - 2 ** (bY - 1)) * 2 ** shift + r;
    out <== t - 2 ** (bY - 1);
}
