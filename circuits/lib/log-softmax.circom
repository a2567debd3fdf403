pragma circom 2.1.6;

include "quant.circom";

// The log-softmax row (circuits/model/ops/log-softmax.ts), in its own file because its log S is a small floating-point
// evaluation: the row sum S is normalised to an exponent k and an M-bit mantissa v before the log table, so the
// error no longer grows with the row length n. Integer semantics mirrored in circuits/model/log-softmax-row.ts.

// Bit length of n (n >= 1), by a running power (pow2 must not sit in a while condition: pow2.circom).
function bitLen(n) {
    var k = 0;
    var p = 1;
    while (p <= n) {
        k++;
        p += p;
    }
    return k;
}

// out[i] = in[i] - m - R for n signed b-bit inputs (range-checked upstream), m = max(in), at the input's scale 2^-f:
//   S  = Σ T[m - in[j]] ∈ [2^Fe, n·2^Fe]        (T the exp table at 2^Fe: T[0] = 2^Fe >= every entry),
//   S' = S·2^a, a = max(0, M - 1 - Fe), Fs = Fe + a (the multiply that keeps every shift below >= 0 when Fe is small),
//   k  = ⌊log2(S' / 2^Fs)⌋ ∈ [0, K), K = bitLength(n) (S <= n·2^Fe < 2^(Fe+K)),
//   S' = v·2^sh_k + r,  sh_k = Fs + k - (M - 1) >= 0,  v ∈ [2^(M-1), 2^M) (the mantissa),  r ∈ [0, 2^sh_k),
//   L  = C[k] + LT[v - 2^(M-1)],  R = ⌊(L + 2^(G-1)) / 2^G⌋ (round half up, once),
// with, at the finer scale 2^(f+G), C[k] = round(k·ln2·2^(f+G)) and LT[w] = round(log((w + 2^(M-1) + ½) / 2^(M-1))
// ·2^(f+G)): S'/2^Fs ≈ 2^k·(v + ½)/2^(M-1), the midpoint of v's interval. LT has 2^(M-1) live entries only.
// Error of R against log(S*/2^Fe)·2^f, S* = Σ exp(-(m - in[j])·2^-f)·2^Fe the exact sum (in LSBs 2^-f), by
// |log a - log b| <= |a - b| / min(a, b):
//   ½ (the final rounding) + 2^-G (C[k] and LT each round by ½ at 2^(f+G)) + 2^(f-M) (S'/2^sh_k ∈ [v, v + 1), so
//   |log((v + ½)·2^sh_k / S')| <= log(1 + 1/(2v)) <= 2^-M, v >= 2^(M-1)) + (n - 1)·2^(f-Fe-1) (each of the n - 1
//   entries besides T[0] rounds by ½, and S, S* >= 2^Fe).
// ops/log-softmax.ts picks Fe = max(f, 0) + K + 3, M = max(f, 0) + 5, G = 5 and f <= 8 (a finer input is floor-shifted
// first), so the bound is ½ + 1/32 + 1/32 + 1/16 = 0.625 LSB whatever n (n < 2^K makes the last term < 2^-4).
// Why out is a function of the inputs: m is proven the maximum as in SoftmaxRow (each exp Lookup range-checks
// m - in[i] >= 0, Π (m - in[i]) = 0), so S and S' are fixed. sel is one-hot (booleanity, Σ = 1), so B = 2^sh_k and
// C[k] for one k. The log Lookup proves v - 2^(M-1) ∈ [0, 2^(M-1)), i.e. v ∈ [2^(M-1), 2^M); Bits proves
// r ∈ [0, 2^shMax), and r's bits at positions sh_0 + j (j < K - 1) are 0 when the selected k <= j (bit·Σ_{k'<=j} sel
// = 0), so r < 2^sh_k. Then v·2^sh_k + r < 2^(M + shMax) < p cannot wrap: S' = v·2^sh_k + r is an integer identity,
// which puts S' in [2^(Fs+k), 2^(Fs+k+1)): k is S''s binade (unique), and (v, r) the unique floor division by 2^sh_k.
// Requantize range-checks R·2^G + ρ = L + 2^(G-1) (ρ < 2^G, R signed RB + 1 bits): R is unique; out is linear.
// n >= 2 (a row of one is 0). Cost: n exp Lookups + n - 1 (m) + K (sel) + 1 (v·B) + shMax (r's bits) + K - 1 (r's
// mask) + one Lookup(M - 1) + RB + G + 1 (the rounding); shMax = sh_0 + K - 1.
template LogSoftmaxRow(n, b, l, T, Fe, M, lM, LT, C, G, RB) {
    var K = bitLen(n);
    var a = M - 1 > Fe ? M - 1 - Fe : 0;
    var Fs = Fe + a;
    var sh0 = Fs - (M - 1);
    var shMax = sh0 + K - 1;
    assert(n >= 2 && b <= 16 && M >= 5 && M <= 17 && G >= 1 && RB >= 1 && M + shMax <= 240);
    assert(T[0] == pow2(Fe));
    var nT = pow2(b);
    for (var u = 1; u < nT; u++) assert(T[u] <= T[0]);
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

    // The exponent (witness: S''s binade) as a one-hot selector over the K possible values.
    var Sp = S * pow2(a);
    var kk = 0;
    var vv = Sp \ pow2(sh0);
    for (var k = 1; k < K; k++) {
        if (Sp >= pow2(Fs + k)) {
            kk = k;
            vv = Sp \ pow2(sh0 + k);
        }
    }
    signal sel[K];
    var one = 0;
    var B = 0;
    var Ck = 0;
    for (var k = 0; k < K; k++) {
        sel[k] <-- kk == k ? 1 : 0;
        sel[k] * (sel[k] - 1) === 0;
        one += sel[k];
        B += sel[k] * pow2(sh0 + k);
        Ck += sel[k] * C[k];
    }
    one === 1;

    // The mantissa and the remainder: S' = v·2^sh_k + r, r < 2^sh_k.
    signal v;
    v <-- vv;
    signal t <== v * B;
    signal r <== Sp - t;
    component rb = Bits(shMax);
    rb.in <== r;
    var below = 0;
    for (var j = 0; j < K - 1; j++) {
        below += sel[j];
        rb.bits[sh0 + j] * below === 0;
    }

    // log S = k·ln2 + log(mantissa), summed at 2^(f+G) and rounded once to 2^-f.
    component lg = Lookup(M - 1, lM, LT);
    lg.in <== v - pow2(M - 1);
    component rnd = Requantize(RB + G + 1, G, RB + 1);
    rnd.in <== Ck + lg.out + pow2(G - 1);
    for (var i = 0; i < n; i++) out[i] <== in[i] - m - rnd.out;
}
