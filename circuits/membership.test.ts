import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { type BuiltCircuit, buildCircuit } from './build.ts';
import {
  commitDataset,
  type DatasetRecord,
  getPoseidon,
  leafFields,
  leafHash,
  MerkleSumTree,
  membershipInput,
  nullifierFor,
  type PoseidonHasher,
  SNARK_FIELD,
  type SumNode,
} from './dataset/index.ts';
import { KAT_NULLIFIER_1_E7, KAT_RECORDS, KAT_ROOT_D2, KAT_TOTAL } from './dataset/kat-vectors.ts';
import { MEMBERSHIP_PUBLIC_SIGNALS, membershipCircuitSpec, WEIGHT_BITS } from './membership.ts';
import { type R1cs, readR1cs, unsatisfiedConstraints } from './r1cs.ts';
import { calculateWitness, readSymbols, witnessIgnoringAsserts } from './witness.ts';

// Wires 1..6 are the public inputs, in the order of MEMBERSHIP_PUBLIC_SIGNALS.
const WIRE = { root: 1, total: 2, contributor: 3, weight: 4, epoch: 5, nullifier: 6 } as const;
const DEPTH = 8;
const mod = (x: bigint) => ((x % SNARK_FIELD) + SNARK_FIELD) % SNARK_FIELD;

function randomRecord(i: number): DatasetRecord {
  return {
    id: `rec-${i}`,
    contributor: `0x${randomBytes(20).toString('hex')}`,
    contentHash: `0x${randomBytes(32).toString('hex')}`,
    weight: BigInt(1 + (i % 50)),
  };
}

describe(`membership circuit (Merkle-sum tree, depth ${DEPTH})`, () => {
  let circuit: BuiltCircuit;
  let r1cs: R1cs;
  let poseidon: PoseidonHasher;
  let records: DatasetRecord[];
  let tree: MerkleSumTree;

  before(async () => {
    circuit = await buildCircuit(membershipCircuitSpec(DEPTH));
    r1cs = await readR1cs(circuit.r1csPath);
    poseidon = await getPoseidon();
    records = Array.from({ length: 37 }, (_, i) => randomRecord(i));
    tree = await MerkleSumTree.build(
      poseidon,
      DEPTH,
      records.map((r) => ({ hash: leafHash(poseidon, leafFields(r)), sum: r.weight })),
    );
  });

  /** Field-arithmetic parent (sums mod p, as the circuit adds them), so forged out-of-range sums can be hashed. */
  const fieldParent = (l: SumNode, r: SumNode): SumNode => ({
    hash: poseidon.hash([l.hash, l.sum, r.hash, r.sum]),
    sum: mod(l.sum + r.sum),
  });

  /**
   * Circuit input for record `index`, optionally altered (root and total recomputed the way the circuit does, so the
   * input is consistent for the altered statement).
   */
  function inputFor(
    index: number,
    epoch: bigint,
    override: { weight?: bigint; contributor?: bigint; flipBit?: number; bitValue?: bigint; siblingSum?: [number, bigint] } = {},
  ) {
    const f = { ...leafFields(records[index]!) };
    if (override.weight !== undefined) f.weight = override.weight;
    if (override.contributor !== undefined) f.contributor = override.contributor;
    const authPath = tree.path(index);
    const sums = authPath.pathSums.slice();
    if (override.siblingSum) sums[override.siblingSum[0]] = override.siblingSum[1];
    const indices: bigint[] = authPath.pathIndices.map(BigInt);
    if (override.flipBit !== undefined) indices[override.flipBit] = override.bitValue ?? 1n - indices[override.flipBit]!;
    const leaf = leafHash(poseidon, f);
    let cur: SumNode = { hash: leaf, sum: f.weight };
    for (let l = 0; l < DEPTH; l++) {
      const sib: SumNode = { hash: authPath.pathElements[l]!, sum: sums[l]! };
      const bit = indices[l]!;
      const dh = mod(bit * (sib.hash - cur.hash));
      const ds = mod(bit * (sib.sum - cur.sum));
      const left = { hash: mod(cur.hash + dh), sum: mod(cur.sum + ds) };
      const right = { hash: mod(sib.hash - dh), sum: mod(sib.sum - ds) };
      cur = { hash: fieldParent(left, right).hash, sum: mod(cur.sum + sib.sum) };
    }
    return {
      root: cur.hash,
      total: cur.sum,
      contributor: f.contributor,
      weight: f.weight,
      epoch,
      nullifier: nullifierFor(poseidon, leaf, epoch),
      recordId: f.recordId,
      contentHi: f.contentHi,
      contentLo: f.contentLo,
      pathElements: authPath.pathElements,
      pathSums: sums,
      pathIndices: indices,
    };
  }

  it('has the public signals in the documented order and reports its constraint count', () => {
    assert.deepEqual(circuit.publicInputs, [...MEMBERSHIP_PUBLIC_SIGNALS]);
    assert.equal(circuit.nPublic, 6);
    assert.ok(circuit.nConstraints > 3000 && circuit.nConstraints < 6000, `unexpected size ${circuit.nConstraints}`);
  });

  it('agrees with the TypeScript tree (root and total) on every record position tried; the honest witness satisfies the R1CS', async () => {
    for (const index of [0, 1, 17, 36]) {
      const input = inputFor(index, 7n);
      assert.equal(input.root, tree.root, 'TS path recomputation equals the tree root');
      assert.equal(input.total, tree.total);
      const w = await calculateWitness(circuit.wasmPath, input);
      assert.equal(w[WIRE.root], tree.root);
      assert.equal(
        w[WIRE.total],
        records.reduce((s, r) => s + r.weight, 0n),
      );
      assert.deepEqual(unsatisfiedConstraints(r1cs, w), []);
    }
  });

  it('the witness generator refuses a statement that is false (weight, total)', async () => {
    const input = inputFor(3, 1n);
    await assert.rejects(calculateWitness(circuit.wasmPath, { ...input, weight: input.weight + 1n }), { code: 'WITNESS_FAILED' });
    await assert.rejects(calculateWitness(circuit.wasmPath, { ...input, total: input.total - 1n }), { code: 'WITNESS_FAILED' });
  });

  /**
   * A forged witness: all helper signals computed consistently for the altered statement (so every Poseidon and
   * path-switch constraint holds), then the public root (and total) set back to the real dataset's. The R1CS must
   * reject it.
   */
  async function forge(index: number, override: Parameters<typeof inputFor>[2]) {
    const input = inputFor(index, 5n, override);
    assert.notEqual(input.root, tree.root, 'the alteration changes the computed root');
    const w = await calculateWitness(circuit.wasmPath, input);
    assert.deepEqual(unsatisfiedConstraints(r1cs, w), [], 'consistent for the fake root');
    w[WIRE.root] = tree.root;
    w[WIRE.total] = tree.total;
    return w;
  }

  it('rejects a forged witness with a changed weight', async () => {
    const w = await forge(4, { weight: 1_000_000n });
    assert.ok(unsatisfiedConstraints(r1cs, w).length > 0);
  });

  it('rejects a forged witness with a changed recipient', async () => {
    const w = await forge(5, { contributor: BigInt(`0x${randomBytes(20).toString('hex')}`) });
    assert.ok(unsatisfiedConstraints(r1cs, w).length > 0);
  });

  it('rejects a forged witness with a flipped path bit', async () => {
    for (const bit of [0, 3, DEPTH - 1]) {
      const w = await forge(6, { flipBit: bit });
      assert.ok(unsatisfiedConstraints(r1cs, w).length > 0);
    }
  });

  it('rejects a changed public signal without recomputation (total, recipient, weight, epoch, nullifier)', async () => {
    const honest = await calculateWitness(circuit.wasmPath, inputFor(9, 11n));
    for (const wire of [WIRE.total, WIRE.contributor, WIRE.weight, WIRE.epoch, WIRE.nullifier]) {
      const w = honest.slice();
      w[wire] = w[wire]! + 1n;
      assert.ok(unsatisfiedConstraints(r1cs, w).length > 0, `changing wire ${wire} must break a constraint`);
    }
  });

  /**
   * The squat the range checks stop: a dataset owner builds a tree whose sums wrap around the field, so the root
   * proves a total far below the weights it holds (here: a "negative" subtree of sum p - x, making the total equal
   * the attacker's own weight, so one record would take the whole pot). The root and every hash are consistent;
   * only a range check can object, and exactly one constraint (that check's recomposition) fails.
   */
  async function assertOnlyRangeCheckFails(input: ReturnType<typeof inputFor>) {
    await assert.rejects(calculateWitness(circuit.wasmPath, input), { code: 'WITNESS_FAILED' });
    const { w, failedAsserts } = await witnessIgnoringAsserts(circuit.wasmPath, input);
    assert.equal(failedAsserts, 1, 'the generated code objects once (the range check)');
    // The generated code stops at the failed check, so the range checks after it are left blank: fill every
    // range check's bits the way Num2Bits computes them (the low bits of its input), as a forger would.
    const sym = await readSymbols(circuit.symPath);
    for (const [name, wire] of sym) {
      const m = /^main\.tree\.(leafRange|siblingRange\[(\d+)\])\.out\[(\d+)\]$/.exec(name);
      if (!m) continue;
      const value = m[2] === undefined ? input.weight : input.pathSums[Number(m[2])]!;
      w[wire] = (value >> BigInt(m[3]!)) & 1n;
    }
    assert.equal(w[WIRE.root], input.root);
    assert.equal(w[WIRE.total], input.total);
    assert.equal(unsatisfiedConstraints(r1cs, w).length, 1, 'exactly the range-check recomposition fails');
  }

  it('rejects a forged witness with a negative sibling sum (wrapped total)', async () => {
    const index = 2;
    const real = tree.path(index);
    const own = records[index]!.weight;
    // Level 2's sibling carries p - (everything else): the total becomes the attacker's own weight.
    const others = tree.total - own;
    const forgedSibling = mod(real.pathSums[2]! - others);
    const input = inputFor(index, 3n, { siblingSum: [2, forgedSibling] });
    assert.equal(input.total, own, 'the forged root proves total = own weight');
    await assertOnlyRangeCheckFails(input);
  });

  it('rejects a forged witness with a negative weight, and with a sibling sum just past its range', async () => {
    await assertOnlyRangeCheckFails(inputFor(7, 3n, { weight: SNARK_FIELD - 5n }));
    // At level 0 a sibling is one leaf: its sum must be below 2^WEIGHT_BITS.
    await assertOnlyRangeCheckFails(inputFor(7, 3n, { siblingSum: [0, 1n << BigInt(WEIGHT_BITS)] }));
    // ...while 2^WEIGHT_BITS - 1 at level 0 and 2^(WEIGHT_BITS + 4) - 1 at level 4 are in range.
    for (const [level, sum] of [
      [0, (1n << BigInt(WEIGHT_BITS)) - 1n],
      [4, (1n << BigInt(WEIGHT_BITS + 4)) - 1n],
    ] as const) {
      const w = await calculateWitness(circuit.wasmPath, inputFor(7, 3n, { siblingSum: [level, sum] }));
      assert.deepEqual(unsatisfiedConstraints(r1cs, w), []);
    }
  });

  it('computes the frozen known-answer vectors (circuits/dataset/dataset.test.ts) in the circuit itself', async (t) => {
    const kat = await buildCircuit(membershipCircuitSpec(2));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-kat-circuit-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const dataset = await commitDataset(KAT_RECORDS, path.join(dir, 'dataset.json'), { depth: 2 });
    const w = await calculateWitness(kat.wasmPath, { ...(await membershipInput(dataset, 'kat-1', 7n)) });
    assert.equal(w[WIRE.root], KAT_ROOT_D2);
    assert.equal(w[WIRE.total], KAT_TOTAL);
    assert.equal(w[WIRE.nullifier], KAT_NULLIFIER_1_E7);
    assert.deepEqual(unsatisfiedConstraints(await readR1cs(kat.r1csPath), w), []);
  });

  it('SumPathSwitch rejects a non-boolean bit even when its other equations hold', async () => {
    const sw = await buildCircuit({ name: 'sumpathswitch', include: 'merkle.circom', instance: 'SumPathSwitch()', publicInputs: [] });
    const sym = await readSymbols(sw.symPath);
    const wire = (n: string) => sym.get(`main.${n}`)!;
    const swR1cs = await readR1cs(sw.r1csPath);
    const [cur, curSum, sibling, siblingSum] = [11n, 3n, 29n, 4n];
    const w = await calculateWitness(sw.wasmPath, { cur, curSum, sibling, siblingSum, bit: 1n });
    assert.deepEqual(unsatisfiedConstraints(swR1cs, w), []);
    // bit = 2 with both swaps recomputed: the mux equations hold, only the boolean check can catch it.
    const bit = 2n;
    const delta = mod(bit * (sibling - cur));
    const deltaSum = mod(bit * (siblingSum - curSum));
    Object.entries({
      bit,
      delta,
      left: mod(cur + delta),
      right: mod(sibling - delta),
      deltaSum,
      leftSum: mod(curSum + deltaSum),
      rightSum: mod(siblingSum - deltaSum),
    }).forEach(([name, v]) => {
      w[wire(name)] = v;
    });
    assert.deepEqual(unsatisfiedConstraints(swR1cs, w).length, 1, 'exactly the bit*(bit-1) constraint fails');
  });
});
