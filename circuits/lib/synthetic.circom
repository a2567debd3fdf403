pragma circom 2.1.6;

include "circomlib/circuits/bitify.circom";

// A benchmark workload with the witness shape of real circuits: about half the constraints are a chain of
// multiplications over full-size field elements, the rest are bit decompositions (0/1 witness values, which a
// good MSM treats cheaply). Used by `npm run bench` to size proving and setup at 2^14..2^17 constraints.
template SyntheticWork(nMul, nBlocks) {
  signal input x;
  signal input seed;
  signal output out;

  signal acc[nMul + 1];
  acc[0] <== x;
  for (var i = 0; i < nMul; i++) {
    acc[i + 1] <== acc[i] * acc[i] + i;
  }

  // seed + k must fit 64 bits for every block; Num2Bits constrains it.
  component bits[nBlocks];
  for (var k = 0; k < nBlocks; k++) {
    bits[k] = Num2Bits(64);
    bits[k].in <== seed + k;
  }
  out <== acc[nMul];
}
