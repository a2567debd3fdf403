pragma circom 2.1.6;

include "circomlib/circuits/poseidon.circom";
include "./merkle.circom";

// Dataset membership for royalties.
//
// Leaf = Poseidon(recordId, contributor, contentHi, contentLo, weight)  (see circuits/dataset/leaf.ts)
// Public: root, contributor (royalty recipient), weight, epoch, nullifier.
// Private: recordId, content hash limbs, the Merkle path.
//
// Binding: contributor and weight are inside the leaf, the leaf is under root, so a
// proof cannot be redirected to another recipient or claim another weight. The
// nullifier is Poseidon(leaf, epoch): one claim per record per epoch; it is computed
// in-circuit and checked equal to the public input, so it cannot be chosen freely.
template DatasetMembership(depth) {
    signal input root;
    signal input contributor;
    signal input weight;
    signal input epoch;
    signal input nullifier;

    signal input recordId;
    signal input contentHi;
    signal input contentLo;
    signal input pathElements[depth];
    signal input pathIndices[depth];

    component leafHasher = Poseidon(5);
    leafHasher.inputs[0] <== recordId;
    leafHasher.inputs[1] <== contributor;
    leafHasher.inputs[2] <== contentHi;
    leafHasher.inputs[3] <== contentLo;
    leafHasher.inputs[4] <== weight;

    component tree = MerkleRoot(depth);
    tree.leaf <== leafHasher.out;
    for (var i = 0; i < depth; i++) {
        tree.pathElements[i] <== pathElements[i];
        tree.pathIndices[i] <== pathIndices[i];
    }
    root === tree.root;

    component nullifierHasher = Poseidon(2);
    nullifierHasher.inputs[0] <== leafHasher.out;
    nullifierHasher.inputs[1] <== epoch;
    nullifier === nullifierHasher.out;
}
