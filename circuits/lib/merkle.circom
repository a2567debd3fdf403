pragma circom 2.1.6;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";

// Orders (cur, sibling) nodes of a Merkle-sum tree by a path bit: bit = 0 puts cur on the left.
// A node is a (hash, sum) pair; both halves are swapped by the same bit. The bit is constrained
// boolean here; without that, a prover could pick any field value for it and steer the hash
// inputs freely. Each swap is one multiplication: delta = bit * (sibling - cur).
template SumPathSwitch() {
    signal input cur;
    signal input curSum;
    signal input sibling;
    signal input siblingSum;
    signal input bit;
    signal output left;
    signal output leftSum;
    signal output right;
    signal output rightSum;

    bit * (bit - 1) === 0;
    signal delta;
    delta <== bit * (sibling - cur);
    left <== cur + delta;
    right <== sibling - delta;
    signal deltaSum;
    deltaSum <== bit * (siblingSum - curSum);
    leftSum <== curSum + deltaSum;
    rightSum <== siblingSum - deltaSum;
}

// Root of a Poseidon binary Merkle-sum tree from a leaf (hash, weight) and its authentication path.
//   parent = (Poseidon(leftHash, leftSum, rightHash, rightSum), leftSum + rightSum)
// pathIndices[i] is bit i of the leaf index (least significant bit at the leaf level).
//
// Sums are field elements, so an unchecked "negative" (p - x) or huge sibling sum could make the
// total wrap around and come out smaller than the weights it covers. Every sum is therefore
// range-checked as an integer: the leaf weight below 2^weightBits, the sibling sum at level i
// (a subtree of 2^i leaves) below 2^(weightBits + i). By induction the running sum at level i is
// below 2^(weightBits + i), and the root sum below 2^(weightBits + depth), far below the field
// order, so every addition is an integer addition and `sum` is the true total.
template MerkleSumRoot(depth, weightBits) {
    assert(depth >= 1);
    assert(weightBits + depth <= 252);
    signal input leaf;
    signal input leafSum;
    signal input pathElements[depth];
    signal input pathSums[depth];
    signal input pathIndices[depth];
    signal output root;
    signal output sum;

    component switches[depth];
    component hashers[depth];
    signal levels[depth + 1];
    signal sums[depth + 1];
    levels[0] <== leaf;
    sums[0] <== leafSum;
    for (var i = 0; i < depth; i++) {
        switches[i] = SumPathSwitch();
        switches[i].cur <== levels[i];
        switches[i].curSum <== sums[i];
        switches[i].sibling <== pathElements[i];
        switches[i].siblingSum <== pathSums[i];
        switches[i].bit <== pathIndices[i];

        hashers[i] = Poseidon(4);
        hashers[i].inputs[0] <== switches[i].left;
        hashers[i].inputs[1] <== switches[i].leftSum;
        hashers[i].inputs[2] <== switches[i].right;
        hashers[i].inputs[3] <== switches[i].rightSum;
        levels[i + 1] <== hashers[i].out;
        // The sum does not depend on the order of the children.
        sums[i + 1] <== sums[i] + pathSums[i];
    }
    root <== levels[depth];
    sum <== sums[depth];

    // The range checks. Their place does not change the constraints; they come after the hashing so that a
    // witness generator that carries on past a failed assert (as a forger's would) still computes every hash,
    // which is how circuits/membership.test.ts builds its forged witnesses.
    component leafRange = Num2Bits(weightBits);
    leafRange.in <== leafSum;
    component siblingRange[depth];
    for (var i = 0; i < depth; i++) {
        siblingRange[i] = Num2Bits(weightBits + i);
        siblingRange[i].in <== pathSums[i];
    }
}
