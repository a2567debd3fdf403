pragma circom 2.1.6;

include "circomlib/circuits/poseidon.circom";

// Orders (cur, sibling) by a path bit: bit = 0 puts cur on the left.
// The bit is constrained boolean here; without that, a prover could pick any
// field value for it and steer the hash inputs freely.
template PathSwitch() {
    signal input cur;
    signal input sibling;
    signal input bit;
    signal output left;
    signal output right;

    bit * (bit - 1) === 0;
    signal delta;
    delta <== bit * (sibling - cur);
    left <== cur + delta;
    right <== sibling - delta;
}

// Root of a Poseidon binary Merkle tree from a leaf and its authentication path.
// pathIndices[i] is bit i of the leaf index (least significant bit at the leaf level).
template MerkleRoot(depth) {
    signal input leaf;
    signal input pathElements[depth];
    signal input pathIndices[depth];
    signal output root;

    component switches[depth];
    component hashers[depth];
    signal levels[depth + 1];
    levels[0] <== leaf;
    for (var i = 0; i < depth; i++) {
        switches[i] = PathSwitch();
        switches[i].cur <== levels[i];
        switches[i].sibling <== pathElements[i];
        switches[i].bit <== pathIndices[i];
        hashers[i] = Poseidon(2);
        hashers[i].inputs[0] <== switches[i].left;
        hashers[i].inputs[1] <== switches[i].right;
        levels[i + 1] <== hashers[i].out;
    }
    root <== levels[depth];
}
