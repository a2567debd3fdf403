// The batch membership circuit checked at the R1CS level (our own evaluator, not the witness generator): honest
// witnesses satisfy it, and forged witnesses — a forger's (circom's code with its asserts ignored, or every signal
// recomputed consistently for a false statement) — fail exactly the constraint family that guards them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BuiltCircuit, buildCircuit } from './build.ts';
import {
  commitDataset,
  type Dataset,
  type DatasetRecord,
  getPoseidon,
  leafHash,
  type MembershipBatchInput,
  membershipBatchInput,
  membershipInput,
  nullifierFor,
  type PoseidonHasher,
  SNARK_FIELD,
} from './dataset/index.ts';
import { membershipBatchCircuitSpec, membershipBatchSignalNames, packClaimant } from './membership.ts';
import { type R1cs, readR1cs, unsatisfiedConstraints } from './r1cs.ts';
import { calculateWitness, readSymbols, witnessIgnoringAsserts } from './witness.ts';

const SLOTS = 2;
const DEPTH = 4;
// Public wires: root 1, total 2, epoch 3, claimant[s] 4 + s, nullifier[s] 4 + SLOTS + s.
const WIRE = { root: 1, total: 2, epoch: 3, claimant: (s: number) => 4 + s, nullifier: (s: number) => 4 + SLOTS + s };
const mod = (x: bigint) => ((x % SNARK_FIELD) + SNARK_FIELD) % SNARK_FIELD;

describe(`batch membership circuit (${SLOTS} slots, depth ${DEPTH})`, () => {
  let circuit: BuiltCircuit;
  let r1cs: R1cs;
  let poseidon: PoseidonHasher;
  let dataset: Dataset;
  let dir: string;

  before(async () => {
    circuit = await buildCircuit(membershipBatchCircuitSpec(SLOTS, DEPTH));
    r1cs = await readR1cs(circuit.r1csPath);
    poseidon = await getPoseidon();
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-batch-circuit-'));
    const records: DatasetRecord[] = Array.from({ length: 11 }, (_, i) => ({
      id: `rec-${i}`,
      contributor: `0x${randomBytes(20).toString('hex')}`,
      contentHash: `0x${randomBytes(32).toString('hex')}`,
      weight: BigInt(3 + i),
    }));
    dataset = await commitDataset(records, path.join(dir, 'dataset.json'), { depth: DEPTH });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /**
   * Recomputes slot `s`'s leaf, nullifier, claimant and path fold after its private inputs were altered, the way the
   * circuit computes them (sums in the field), and returns the root and total that slot now proves.
   */
  function recompute(input: MembershipBatchInput, s: number): { root: bigint; total: bigint } {
    const f = {
      recordId: BigInt(input.recordId[s]!),
      contributor: BigInt(input.contributor[s]!),
      contentHi: BigInt(input.contentHi[s]!),
      contentLo: BigInt(input.contentLo[s]!),
      weight: BigInt(input.weight[s]!),
    };
    const leaf = leafHash(poseidon, f);
    const used = BigInt(input.used[s]!);
    input.nullifier[s] = String(mod(used * nullifierFor(poseidon, leaf, BigInt(input.epoch))));
    input.claimant[s] = String(mod(used * (f.contributor * (1n << 64n) + f.weight)));
    let cur = { hash: leaf, sum: f.weight };
    for (let l = 0; l < DEPTH; l++) {
      const sib = { hash: BigInt(input.pathElements[s]![l]!), sum: BigInt(input.pathSums[s]![l]!) };
      const bit = BigInt(input.pathIndices[s]![l]!);
      const dh = mod(bit * (sib.hash - cur.hash));
      const ds = mod(bit * (sib.sum - cur.sum));
      const hash = poseidon.hash([mod(cur.hash + dh), mod(cur.sum + ds), mod(sib.hash - dh), mod(sib.sum - ds)]);
      cur = { hash, sum: mod(cur.sum + sib.sum) };
    }
    return { root: cur.hash, total: cur.sum };
  }

  /** The witness of a statement made consistent (root and total set to what the slots prove): it must satisfy the R1CS. */
  async function consistent(input: MembershipBatchInput): Promise<bigint[]> {
    const w = await calculateWitness(circuit.wasmPath, { ...input });
    assert.deepEqual(unsatisfiedConstraints(r1cs, w), [], 'consistent for the forged statement');
    return w;
  }

  async function wire(name: string): Promise<number> {
    const n = (await readSymbols(circuit.symPath)).get(`main.${name}`);
    assert.ok(n !== undefined, name);
    return n;
  }

  it('has 3 + 2 × slots public signals in the documented order', () => {
    assert.equal(circuit.nPublic, 3 + 2 * SLOTS);
    assert.deepEqual(membershipBatchSignalNames(SLOTS), [
      'root',
      'total',
      'epoch',
      'claimant[0]',
      'claimant[1]',
      'nullifier[0]',
      'nullifier[1]',
    ]);
  });

  it('an honest full batch satisfies the R1CS; each slot carries the single claim’s nullifier and its packed claimant', async () => {
    const ids = ['rec-3', 'rec-9'];
    const w = await calculateWitness(circuit.wasmPath, { ...(await membershipBatchInput(dataset, ids, 7n, SLOTS)) });
    assert.deepEqual(unsatisfiedConstraints(r1cs, w), []);
    assert.equal(w[WIRE.root], dataset.tree.root);
    assert.equal(w[WIRE.total], dataset.tree.total);
    for (const [s, id] of ids.entries()) {
      const single = await membershipInput(dataset, id, 7n);
      assert.equal(w[WIRE.nullifier(s)], BigInt(single.nullifier), 'the same nullifier as a single claim of the record');
      assert.equal(w[WIRE.claimant(s)], packClaimant(BigInt(single.contributor), BigInt(single.weight)));
    }
  });

  it('a partial batch satisfies the R1CS with 0 for the unused slot’s claimant and nullifier', async () => {
    const w = await calculateWitness(circuit.wasmPath, { ...(await membershipBatchInput(dataset, ['rec-5'], 2n, SLOTS)) });
    assert.deepEqual(unsatisfiedConstraints(r1cs, w), []);
    assert.equal(w[WIRE.claimant(1)], 0n);
    assert.equal(w[WIRE.nullifier(1)], 0n);
  });

  it('wrong path: a flipped path bit, every hash recomputed, the real root put back, fails the root equality', async () => {
    for (const level of [0, DEPTH - 1]) {
      const input = await membershipBatchInput(dataset, ['rec-6'], 3n, SLOTS);
      input.pathIndices[0]![level] = String(1n - BigInt(input.pathIndices[0]![level]!));
      const fake = recompute(input, 0);
      assert.notEqual(fake.root, dataset.tree.root);
      assert.equal(fake.total, dataset.tree.total, 'the sum does not depend on the order of the children');
      input.root = String(fake.root);
      const w = await consistent(input);
      w[WIRE.root] = dataset.tree.root;
      // Exactly one: used * (tree.root - root) === 0.
      assert.equal(unsatisfiedConstraints(r1cs, w).length, 1);
    }
  });

  it('inflated weight: the leaf and path recomputed for a larger weight, the real root and total put back, is rejected', async () => {
    const input = await membershipBatchInput(dataset, ['rec-2'], 3n, SLOTS);
    input.weight[0] = String(BigInt(input.weight[0]!) * 1000n);
    const fake = recompute(input, 0);
    input.root = String(fake.root);
    input.total = String(fake.total);
    const w = await consistent(input);
    assert.equal(w[WIRE.claimant(0)], packClaimant(BigInt(input.contributor[0]!), BigInt(input.weight[0]!)));
    w[WIRE.root] = dataset.tree.root;
    w[WIRE.total] = dataset.tree.total;
    // Exactly the root and total equalities of slot 0.
    assert.equal(unsatisfiedConstraints(r1cs, w).length, 2);
    // A consistent statement with the inflated weight cannot include a real record: the fake root is another tree.
    assert.notEqual(fake.root, dataset.tree.root);
  });

  it('dummy slot with weight: an unused slot (flag 0) cannot name a recipient, a weight or a nullifier, nor turn used', async () => {
    const input = await membershipBatchInput(dataset, ['rec-4'], 3n, SLOTS);
    // Slot 1: a record that is in no tree, unused (its claimant and nullifier 0): a harmless, satisfied witness.
    input.recordId[1] = '77';
    input.contributor[1] = BigInt(`0x${randomBytes(20).toString('hex')}`).toString();
    input.weight[1] = '1000000';
    recompute(input, 1);
    const honest = await consistent(input);
    input.used[1] = '1';
    recompute(input, 1); // what the slot would carry if it were used
    const forgedClaim = honest.slice();
    forgedClaim[WIRE.claimant(1)] = BigInt(input.claimant[1]!);
    forgedClaim[WIRE.nullifier(1)] = BigInt(input.nullifier[1]!);
    // Exactly two: claimant === used * (...) and nullifier === used * Poseidon(leaf, epoch).
    assert.equal(unsatisfiedConstraints(r1cs, forgedClaim).length, 2);
    // Flipping its flag as well makes those hold, and then its membership is checked: the root and total equalities fail.
    forgedClaim[await wire('used[1]')] = 1n;
    assert.equal(unsatisfiedConstraints(r1cs, forgedClaim).length, 2);
  });

  it('a non-boolean flag (used = 2 doubles the claimant: contributor × 2, weight × 2) fails exactly the boolean check', async () => {
    const input = await membershipBatchInput(dataset, ['rec-0', 'rec-7'], 3n, SLOTS);
    const w = await consistent(input);
    w[await wire('used[1]')] = 2n;
    w[WIRE.claimant(1)] = 2n * w[WIRE.claimant(1)]!;
    w[WIRE.nullifier(1)] = mod(2n * w[WIRE.nullifier(1)]!);
    assert.equal(unsatisfiedConstraints(r1cs, w).length, 1);
  });

  it('duplicated record: two slots naming one record carry the same nullifier, and cannot carry another', async () => {
    const one = await membershipBatchInput(dataset, ['rec-10'], 9n, SLOTS);
    const input = await membershipBatchInput(dataset, ['rec-10', 'rec-1'], 9n, SLOTS);
    for (const k of ['claimant', 'nullifier', 'recordId', 'contributor', 'contentHi', 'contentLo', 'weight'] as const)
      input[k][1] = one[k][0]!;
    for (const k of ['pathElements', 'pathSums', 'pathIndices'] as const) input[k][1] = one[k][0]!;
    const w = await consistent(input);
    assert.equal(w[WIRE.nullifier(0)], w[WIRE.nullifier(1)], 'the vault sees the same nullifier twice and refuses the batch');
    w[WIRE.nullifier(1)] = w[WIRE.nullifier(1)]! + 1n;
    assert.equal(unsatisfiedConstraints(r1cs, w).length, 1, 'a second nullifier for the same record breaks the nullifier equation');
    await assert.rejects(membershipBatchInput(dataset, ['rec-10', 'rec-10'], 9n, SLOTS), { code: 'BAD_INPUT' });
  });

  it('a contributor outside 160 bits (which could alias another address in the claimant) fails exactly its range check', async () => {
    // The last slot, so that circom's generated code (which stops at the failed check) has computed everything else.
    const input = await membershipBatchInput(dataset, ['rec-3'], 3n, SLOTS);
    for (const k of ['claimant', 'nullifier', 'used', 'recordId', 'contributor', 'contentHi', 'contentLo', 'weight'] as const) {
      input[k][1] = input[k][0]!;
      input[k][0] = '0';
    }
    for (const k of ['pathElements', 'pathSums', 'pathIndices'] as const) {
      input[k][1] = input[k][0]!;
      input[k][0] = input[k][0]!.map(() => '0');
    }
    input.contributor[1] = String(SNARK_FIELD - 1n);
    const fake = recompute(input, 1);
    input.root = String(fake.root);
    input.total = String(fake.total);
    const { w, failedAsserts } = await witnessIgnoringAsserts(circuit.wasmPath, input as unknown as Record<string, unknown>);
    assert.equal(failedAsserts, 1);
    // Fill the range check's bits as Num2Bits computes them (the low 160 bits), as a forger would. circom --O2 keeps
    // the top bit as a linear combination of the input and the others (no wire of its own); its boolean check fails.
    const sym = await readSymbols(circuit.symPath);
    for (let i = 0; i < 160; i++) {
      const n = sym.get(`main.contributorRange[1].out[${i}]`);
      if (n !== undefined) w[n] = ((SNARK_FIELD - 1n) >> BigInt(i)) & 1n;
    }
    assert.equal(unsatisfiedConstraints(r1cs, w).length, 1);
  });

  it('changing any public signal of an honest witness breaks it', async () => {
    const honest = await calculateWitness(circuit.wasmPath, { ...(await membershipBatchInput(dataset, ['rec-1', 'rec-2'], 4n, SLOTS)) });
    for (let wire = 1; wire <= 3 + 2 * SLOTS; wire++) {
      const w = honest.slice();
      w[wire] = w[wire]! + 1n;
      assert.ok(unsatisfiedConstraints(r1cs, w).length > 0, `changing wire ${wire} must break a constraint`);
    }
  });
});
