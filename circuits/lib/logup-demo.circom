pragma circom 2.1.6;

include "logup.circom";
include "quant.circom";

// A small circuit to test and measure LogUp range checks (prover/lookup/): every x[i] ∈ [0, 2^BITS), and the
// statement is their sum. The convention prover/lookup/ relies on: main's outputs `logupCommitted[k]` carry every
// looked-up value and every multiplicity (committed: folded into D, never revealed), the public input `logupBlind`
// is committed too (a random value that hides D) and the public input `logupAlpha` is the challenge H(D).
template LogUpRangeDemo(N, BITS, B) {
    var L = BITS \ B;
    assert(L * B == BITS);
    var T = 1 << B;
    signal input x[N];
    signal input logupAlpha;
    signal input logupBlind;
    signal output sum;
    signal output logupCommitted[N * L + T];

    component limbs[N];
    component count = LogUpCount(N * L, B);
    component table = LogUpRangeTable(N * L, B);
    var s = 0;
    for (var i = 0; i < N; i++) {
        limbs[i] = LogUpLimbs(L, B);
        limbs[i].in <== x[i];
        for (var k = 0; k < L; k++) {
            logupCommitted[i * L + k] <== limbs[i].limbs[k];
            count.f[i * L + k] <== limbs[i].limbs[k];
            table.logupF[i * L + k] <== logupCommitted[i * L + k];
        }
        s += x[i];
    }
    for (var j = 0; j < T; j++) {
        logupCommitted[N * L + j] <== count.m[j];
        table.logupM[j] <== logupCommitted[N * L + j];
    }
    table.alpha <== logupAlpha;
    sum <== s;
}

// The same statement with bit-decomposition range checks (quant.circom's RangeCheck): the baseline LogUp is
// measured against.
template BitsRangeDemo(N, BITS) {
    signal input x[N];
    signal output sum;
    component rc[N];
    var s = 0;
    for (var i = 0; i < N; i++) {
        rc[i] = RangeCheck(BITS);
        rc[i].in <== x[i];
        s += x[i];
    }
    sum <== s;
}

// N requantizations (LogUpRequantize) with one shared table: the statement is the outputs. Same committed-signal
// convention as LogUpRangeDemo.
template LogUpRequantizeDemo(N, bIn, shift, B) {
    var L = bIn \ B;
    var T = 1 << B;
    signal input acc[N];
    signal input logupAlpha;
    signal input logupBlind;
    signal output out[N];
    signal output logupCommitted[N * L + T];

    component rq[N];
    component count = LogUpCount(N * L, B);
    component table = LogUpRangeTable(N * L, B);
    for (var i = 0; i < N; i++) {
        rq[i] = LogUpRequantize(bIn, shift, B);
        rq[i].in <== acc[i];
        out[i] <== rq[i].out;
        for (var k = 0; k < L; k++) {
            logupCommitted[i * L + k] <== rq[i].limbs[k];
            count.f[i * L + k] <== rq[i].limbs[k];
            table.logupF[i * L + k] <== logupCommitted[i * L + k];
        }
    }
    for (var j = 0; j < T; j++) {
        logupCommitted[N * L + j] <== count.m[j];
        table.logupM[j] <== logupCommitted[N * L + j];
    }
    table.alpha <== logupAlpha;
}

// The same with quant.circom's Requantize (bit decompositions; bOut = bIn − shift, so it never saturates).
template BitsRequantizeDemo(N, bIn, shift) {
    signal input acc[N];
    signal output out[N];
    component rq[N];
    for (var i = 0; i < N; i++) {
        rq[i] = Requantize(bIn, shift, bIn - shift);
        rq[i].in <== acc[i];
        out[i] <== rq[i].out;
    }
}
