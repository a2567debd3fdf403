import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { type BuiltCircuit, buildCircuit } from './build.ts';
import {
  type DatasetRecord,
  getPoseidon,
  leafFields,
  leafHash,
  nullifierFor,
  type PoseidonHasher,
  PoseidonMerkleTree,
  SNARK_FIELD,
} from './dataset/index.ts';
import { membershipCircuitSpec } from './membership.ts';
import { type R1cs, readR1cs, unsatisfiedConstraints } from './r1cs.ts';
import { calculateWitness, readSymbols } from './witness.ts';

// Wires 1..5 are the public inputs, in the order of MEMBERSHIP_PUBLIC_SIGNALS.
const WIRE = { root: 1, contributor: 2, weight: 3, epoch: 4, nullifier: 5 } as const;
const DEPTH = 20;
const mod = (x: bigint) => ((x % SNARK_FIELD) + SNARK_FIELD) % SNARK_FIELD;

function randomRecord(i: number): DatasetRecord {
  return {
    id: `rec-${i}`,
    contributor: `0x${randomBytes(20).toString('hex')}`,
    contentHash: `0x${randomBytes(32).toString('hex')}`,
    weight: BigInt(1 + (i % 50)),
  };
}

describe('membership circuit (depth 20)', () => {
  let circuit: BuiltCircuit;
  let r1cs: R1cs;
  let poseidon: PoseidonHasher;
  let records: DatasetRecord[];
  let tree: PoseidonMerkleTree;

  before(async () => {
    circuit = await buildCircuit(membershipCircuitSpec(DEPTH));
    r1cs = await readR1cs(circuit.r1csPath);
    poseidon = await getPoseidon();
    records = Array.from({ length: 37 }, (_, i) => randomRecord(i));
    tree = await PoseidonMerkleTree.build(
      poseidon,
      DEPTH,
      records.map((r) => leafHash(poseidon, leafFields(r))),
    );
  });

  /** Circuit input for record `index`, optionally with fields overridden (root/nullifier recomputed to match). */
  function inputFor(
    index: number,
    epoch: bigint,
    override: { weight?: bigint; contributor?: bigint; flipBit?: number; bitValue?: bigint } = {},
  ) {
    const f = { ...leafFields(records[index]!) };
    if (override.weight !== undefined) f.weight = override.weight;
    if (override.contributor !== undefined) f.contributor = override.contributor;
    const path = tree.path(index);
    const indices: bigint[] = path.pathIndices.map(BigInt);
    if (override.flipBit !== undefined) indices[override.flipBit] = override.bitValue ?? 1n - indices[override.flipBit]!;
    const leaf = leafHash(poseidon, f);
    // The root this (possibly altered) leaf and path lead to, computed the way the circuit does.
    let cur = leaf;
    for (let l = 0; l < DEPTH; l++) {
      const sib = path.pathElements[l]!;
      const delta = mod(indices[l]! * (sib - cur));
      cur = poseidon.hash([mod(cur + delta), mod(sib - delta)]);
    }
    return {
      input: {
        root: cur,
        contributor: f.contributor,
        weight: f.weight,
        epoch,
        nullifier: nullifierFor(poseidon, leaf, epoch),
        recordId: f.recordId,
        contentHi: f.contentHi,
        contentLo: f.contentLo,
        pathElements: path.pathElements,
        pathIndices: indices,
      },
      leaf,
    };
  }

  it('reports its constraint count', () => {
    assert.ok(circuit.nConstraints > 5000 && circuit.nConstraints < 6000, `unexpected size ${circuit.nConstraints}`);
    assert.equal(circuit.nPublic, 5);
  });

  it('agrees with the TypeScript tree on every record position tried, and the honest witness satisfies the R1CS', async () => {
    for (const index of [0, 1, 17, 36]) {
      const { input } = inputFor(index, 7n);
      assert.equal(input.root, tree.root, 'TS path recomputation equals the tree root');
      const w = await calculateWitness(circuit.wasmPath, input);
      assert.equal(w[WIRE.root], tree.root);
      assert.deepEqual(unsatisfiedConstraints(r1cs, w), []);
    }
  });

  it('the witness generator refuses a statement that is false', async () => {
    const { input } = inputFor(3, 1n);
    await assert.rejects(calculateWitness(circuit.wasmPath, { ...input, weight: input.weight + 1n }), { code: 'WITNESS_FAILED' });
  });

  /**
   * A forged witness: all helper signals computed consistently for the altered statement (so
   * every Poseidon and path-switch constraint holds), then the public root set back to the real
   * dataset root. The R1CS must reject it.
   */
  async function forge(index: number, override: Parameters<typeof inputFor>[2]) {
    const { input } = inputFor(index, 5n, override);
    assert.notEqual(input.root, tree.root, 'the alteration changes the computed root');
    const w = await calculateWitness(circuit.wasmPath, input);
    assert.deepEqual(unsatisfiedConstraints(r1cs, w), [], 'consistent for the fake root');
    w[WIRE.root] = tree.root;
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
    for (const bit of [0, 9, 19]) {
      const w = await forge(6, { flipBit: bit });
      assert.ok(unsatisfiedConstraints(r1cs, w).length > 0);
    }
  });

  it('PathSwitch rejects a non-boolean bit even when its other equations hold', async () => {
    const sw = await buildCircuit({ name: 'pathswitch', include: 'merkle.circom', instance: 'PathSwitch()', publicInputs: [] });
    const sym = await readSymbols(sw.symPath);
    const wire = (n: string) => sym.get(`main.${n}`)!;
    const swR1cs = await readR1cs(sw.r1csPath);
    const cur = 11n;
    const sibling = 29n;
    const w = await calculateWitness(sw.wasmPath, { cur, sibling, bit: 1n });
    assert.deepEqual(unsatisfiedConstraints(swR1cs, w), []);
    // bit = 2 with delta/left/right recomputed: the mux equations hold, only the boolean check can catch it.
    const p = swR1cs.prime;
    const bit = 2n;
    const delta = (((bit * (sibling - cur)) % p) + p) % p;
    w[wire('bit')] = bit;
    w[wire('delta')] = delta;
    w[wire('left')] = (cur + delta) % p;
    w[wire('right')] = (((sibling - delta) % p) + p) % p;
    assert.deepEqual(unsatisfiedConstraints(swR1cs, w).length, 1, 'exactly the bit*(bit-1) constraint fails');
  });

  it('rejects a changed public signal without recomputation (recipient, weight, epoch, nullifier)', async () => {
    const { input } = inputFor(9, 11n);
    const honest = await calculateWitness(circuit.wasmPath, input);
    for (const wire of [WIRE.contributor, WIRE.weight, WIRE.epoch, WIRE.nullifier]) {
      const w = honest.slice();
      w[wire] = w[wire]! + 1n;
      assert.ok(unsatisfiedConstraints(r1cs, w).length > 0, `changing wire ${wire} must break a constraint`);
    }
  });
});
