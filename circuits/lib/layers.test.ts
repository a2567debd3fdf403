import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type BuiltCircuit, buildCircuit } from '../build.ts';
import { getPoseidon } from '../dataset/poseidon.ts';
import { packSigned, poseidonChain } from '../model/commit.ts';
import { toField } from '../model/int-reference.ts';
import { type R1cs, readR1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols } from '../witness.ts';

// SignedPack and PoseidonChain (layers.circom) against their TypeScript mirrors in circuits/model/commit.ts,
// plus the packing alias attack that SignedPack's range checks exist to stop.

interface Gadget {
  circuit: BuiltCircuit;
  r1cs: R1cs;
  sym: Map<string, number>;
}

async function gadget(name: string, instance: string): Promise<Gadget> {
  const circuit = await buildCircuit({ name, include: 'layers.circom', instance, publicInputs: [] });
  return { circuit, r1cs: await readR1cs(circuit.r1csPath), sym: await readSymbols(circuit.symPath) };
}

/** Bits (LSB first) as a forger writes them: the true bits when v ∈ [0, 2^b), else v in bit 0 (the sum still equals v). */
function bitsFor(v: bigint, b: number): bigint[] {
  if (v >= 0n && v < 1n << BigInt(b)) return Array.from({ length: b }, (_, i) => (v >> BigInt(i)) & 1n);
  return [v, ...Array<bigint>(b - 1).fill(0n)];
}

describe('model commitment gadgets (layers.circom)', () => {
  let pack: Gadget;
  let chain: Gadget;
  const values = Array.from({ length: 33 }, (_, i) => BigInt(((i * 37) % 256) - 128));

  before(async () => {
    pack = await gadget('layers-pack', 'SignedPack(33, 8)');
    chain = await gadget('layers-chain', 'PoseidonChain(20)');
  });

  it('SignedPack(33, 8) packs 31 values per element exactly like packSigned, at 8 constraints per value', async () => {
    assert.equal(pack.circuit.nConstraints, 33 * 8);
    const w = await calculateWitness(pack.circuit.wasmPath, { in: values.map(toField) });
    const expected = packSigned(values, 8);
    assert.equal(expected.length, 2);
    assert.deepEqual([w[pack.sym.get('main.out[0]')!], w[pack.sym.get('main.out[1]')!]], expected);
    assert.deepEqual(unsatisfiedConstraints(pack.r1cs, w), []);
    await assert.rejects(calculateWitness(pack.circuit.wasmPath, { in: values.map((v, i) => toField(i === 3 ? 128n : v)) }), {
      code: 'WITNESS_FAILED',
    });
  });

  it('rejects the packing alias: in[0] + 256 and in[1] - 1 give the same packed element, but in[0] fails its range check', async () => {
    const honest = [...values];
    honest[1] = 5n; // so that in[1] - 1 stays in range and only in[0] is out of range
    const w = await calculateWitness(pack.circuit.wasmPath, { in: honest.map(toField) });
    const forged = [honest[0]! + 256n, honest[1]! - 1n];
    let kept = 0;
    const set = (signal: string, v: bigint) => {
      const at = pack.sym.get(`main.${signal}`);
      if (at !== undefined) {
        w[at] = toField(v);
        kept++;
      }
    };
    for (const [i, v] of forged.entries()) {
      set(`in[${i}]`, v);
      for (const prefix of [`range[${i}].in`, `range[${i}].bits.in`]) set(prefix, v);
      set(`range[${i}].bits.dec.in`, v + 128n);
      for (const [j, bit] of bitsFor(v + 128n, 8).entries()) {
        set(`range[${i}].bits.dec.bits[${j}]`, bit);
        set(`range[${i}].bits.bits[${j}]`, bit);
      }
    }
    assert.ok(kept >= 10, `forged signals not found (${kept}): naming changed?`);
    // The packed output is unchanged: (v0 + 256 + 128) + 256·(v1 - 1 + 128) = (v0 + 128) + 256·(v1 + 128).
    assert.equal(w[pack.sym.get('main.out[0]')!], packSigned(honest, 8)[0]);
    assert.equal(unsatisfiedConstraints(pack.r1cs, w).length, 1, 'exactly the bit constraint of in[0] fails');
  });

  it('PoseidonChain(20) equals poseidonChain (h = n, then Poseidon over chunks of 15)', async () => {
    const elems = Array.from({ length: 20 }, (_, i) => BigInt(i) * 0x1234567890abcdefn + 7n);
    const w = await calculateWitness(chain.circuit.wasmPath, { in: elems });
    assert.equal(w[chain.sym.get('main.out')!], poseidonChain(elems, await getPoseidon()));
    assert.deepEqual(unsatisfiedConstraints(chain.r1cs, w), []);
  });
});
