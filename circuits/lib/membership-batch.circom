pragma circom 2.1.6;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "./merkle.circom";

// Batch dataset membership: one proof that up to `slots` records are in the same Merkle-sum tree, for one epoch,
// so RoyaltyVault.claimBatch verifies one Groth16 proof (4 pairings) for all of them instead of one per record.
//
// Every used slot is exactly the single-record statement of membership.circom (the same leaf, the same
// Merkle-sum path with its range checks, the same nullifier Poseidon(leaf, epoch)), so a record has one nullifier
// whether it is claimed alone or in a batch, and the vault's nullifier set is shared by both.
//
// Public, in this order (circuits/membership.ts membershipBatchSignalNames):
//   root, total, epoch, claimant[slots], nullifier[slots]
// where claimant = contributor * 2^weightBits + weight for a used slot (the recipient and the weight in one
// signal: one elliptic-curve multiplication on chain instead of two) and 0 for an unused one; nullifier is
// Poseidon(leaf, epoch) for a used slot and 0 for an unused one.
// Private per slot: used (a boolean flag), the leaf fields, the authentication path.
//
// Why the packing is sound: weight < 2^weightBits (MerkleSumRoot range-checks the leaf sum) and
// contributor < 2^160 (range-checked here), so claimant < 2^(160 + weightBits) < p is an integer and splits
// back into exactly one (contributor, weight).
//
// Unused slots: used = 0 forces claimant = 0 and nullifier = 0 and releases the root and total equalities (the
// slot's witness is arbitrary, e.g. all zeros). A slot whose public claimant or nullifier is not 0 therefore has
// used = 1, and then its membership is fully constrained against the public root and total. The vault puts the
// zeros of the unused slots itself and refuses a payout of 0, so a dummy slot can never pay anything.
template DatasetMembershipBatch(slots, depth, weightBits) {
    assert(slots >= 1);
    assert(160 + weightBits <= 252);
    signal input root;
    signal input total;
    signal input epoch;
    signal input claimant[slots];
    signal input nullifier[slots];

    signal input used[slots];
    signal input recordId[slots];
    signal input contributor[slots];
    signal input contentHi[slots];
    signal input contentLo[slots];
    signal input weight[slots];
    signal input pathElements[slots][depth];
    signal input pathSums[slots][depth];
    signal input pathIndices[slots][depth];

    component leafHasher[slots];
    component nullifierHasher[slots];
    component tree[slots];
    component contributorRange[slots];
    for (var s = 0; s < slots; s++) {
        used[s] * (used[s] - 1) === 0;

        leafHasher[s] = Poseidon(5);
        leafHasher[s].inputs[0] <== recordId[s];
        leafHasher[s].inputs[1] <== contributor[s];
        leafHasher[s].inputs[2] <== contentHi[s];
        leafHasher[s].inputs[3] <== contentLo[s];
        leafHasher[s].inputs[4] <== weight[s];

        nullifierHasher[s] = Poseidon(2);
        nullifierHasher[s].inputs[0] <== leafHasher[s].out;
        nullifierHasher[s].inputs[1] <== epoch;
        nullifier[s] === used[s] * nullifierHasher[s].out;

        claimant[s] === used[s] * (contributor[s] * (1 << weightBits) + weight[s]);

        tree[s] = MerkleSumRoot(depth, weightBits);
        tree[s].leaf <== leafHasher[s].out;
        tree[s].leafSum <== weight[s];
        for (var i = 0; i < depth; i++) {
            tree[s].pathElements[i] <== pathElements[s][i];
            tree[s].pathSums[i] <== pathSums[s][i];
            tree[s].pathIndices[i] <== pathIndices[s][i];
        }
        used[s] * (tree[s].root - root) === 0;
        used[s] * (tree[s].sum - total) === 0;

        // After the tree, as in merkle.circom: a forger's witness generator that carries on past a failed range
        // check has still computed every hash.
        contributorRange[s] = Num2Bits(160);
        contributorRange[s].in <== contributor[s];
    }
}
