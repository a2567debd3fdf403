pragma circom 2.1.6;

include "circomlib/circuits/poseidon.circom";
include "./merkle.circom";

// Dataset membership for royalties, against a Merkle-sum tree whose root commits to the total weight.
//
// Leaf = Poseidon(recordId, contributor, contentHi, contentLo, weight)  (see circuits/dataset/leaf.ts),
// placed in the tree as the node (leaf, weight); parent = (Poseidon(lH, lS, rH, rS), lS + rS).
// Public, in this order (circuits/membership.ts MEMBERSHIP_PUBLIC_SIGNALS):
//   root, total, contributor (royalty recipient), weight, epoch, nullifier.
// Private: recordId, content hash limbs, the Merkle-sum path.
//
// Binding: contributor and weight are inside the leaf, the leaf is under root, so a proof cannot
// be redirected to another recipient or claim another weight. `total` is the root node's sum,
// every sum range-checked (weights < 2^weightBits), so a root proves exactly one total: nobody can
// declare a smaller one. The nullifier is Poseidon(leaf, epoch): one claim per record per epoch;
// it is computed in-circuit and checked equal to the public input, so it cannot be chosen freely.
template DatasetMembership(depth, weightBits) {
    signal input root;
    signal input total;
    signal input contributor;
    signal input weight;
    signal input epoch;
    signal input nullifier;

    signal input recordId;
    signal input contentHi;
    signal input contentLo;
    signal input pathElements[depth];
    signal input pathSums[depth];
    signal input pathIndices[depth];

    component leafHasher = Poseidon(5);
    leafHasher.inputs[0] <== recordId;
    leafHasher.inputs[1] <== contributor;
    leafHasher.inputs[2] <== contentHi;
    leafHasher.inputs[3] <== contentLo;
    leafHasher.inputs[4] <== weight;

    // Before the tree, so that the nullifier is computed even when a range check in the tree fails (see merkle.circom).
    component nullifierHasher = Poseidon(2);
    nullifierHasher.inputs[0] <== leafHasher.out;
    nullifierHasher.inputs[1] <== epoch;
    nullifier === nullifierHasher.out;

    component tree = MerkleSumRoot(depth, weightBits);
    tree.leaf <== leafHasher.out;
    tree.leafSum <== weight;
    for (var i = 0; i < depth; i++) {
        tree.pathElements[i] <== pathElements[i];
        tree.pathSums[i] <== pathSums[i];
        tree.pathIndices[i] <== pathIndices[i];
    }
    root === tree.root;
    total === tree.sum;
}
