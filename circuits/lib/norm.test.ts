/**
 * The normalization gadgets (norm.circom): IntSqrt and DivFloorSignal against their integer semantics
 * (circuits/model/ops/layernorm.ts), their documented constraint counts, and forged witnesses rejected: a square root
 * one off, a quotient one off with its product and remainder decompositions rewritten to match, a zero divisor.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forgerBits, seededRandom, witnessWriter } from '../../common/test-random.ts';
import { type BuiltCircuit, buildCircuit } from '../build.ts';
import { fromField, toField } from '../model/int-reference.ts';
import { isqrt } from '../model/ops/layernorm.ts';
import { type R1cs, readR1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols } from '../witness.ts';

const GADGETS = {
  sqrt: { instance: 'IntSqrt(20, 11)', cost: 1 + 11 + 2 * 20 },
  div: { instance: 'DivFloorSignal(12, 10)', cost: 1 + 2 * 10 + 12 },
} as const;
type Name = keyof typeof GADGETS;
const { u32, signed } = seededRandom(0x6e6f726d);

const floorDiv = (n: bigint, d: bigint) => (n % d !== 0n && n < 0n ? n / d - 1n : n / d);

describe('normalization gadgets (norm.circom)', () => {
  const g = {} as Record<Name, { circuit: BuiltCircuit; r1cs: R1cs; sym: Map<string, number> }>;
  before(async () => {
    for (const [name, { instance }] of Object.entries(GADGETS)) {
      const circuit = await buildCircuit({ name: `norm-${name}`, include: 'norm.circom', instance, publicInputs: [] });
      g[name as Name] = { circuit, r1cs: await readR1cs(circuit.r1csPath), sym: await readSymbols(circuit.symPath) };
    }
  });
  const witness = (name: Name, input: Record<string, bigint>) =>
    calculateWitness(g[name].circuit.wasmPath, Object.fromEntries(Object.entries(input).map(([k, v]) => [k, toField(v)])));
  const read = (name: Name, w: bigint[], s: string) => fromField(w[g[name].sym.get(`main.${s}`)!]!);
  const unsat = (name: Name, w: bigint[]) => unsatisfiedConstraints(g[name].r1cs, w);
  const writer = (name: Name, w: bigint[]) => witnessWriter(w, (s) => g[name].sym.get(`main.${s}`), toField);
  const setBits = (set: (s: string, v: bigint) => void, prefix: string, v: bigint, b: number) => {
    for (const [i, bit] of forgerBits(v, b).entries()) set(`${prefix}[${i}]`, bit);
  };

  it('has the documented constraint counts', () => {
    for (const [name, { instance, cost }] of Object.entries(GADGETS))
      assert.equal(g[name as Name].circuit.nConstraints, cost, `${instance}: documented cost ${cost}`);
  });

  it('IntSqrt = floor(sqrt(in)) on edges and random inputs; inputs beyond its range have no witness', async () => {
    const xs = [
      0n,
      1n,
      2n,
      3n,
      4n,
      8n,
      9n,
      10n,
      1023n * 1023n,
      1024n * 1024n - 1n,
      ...Array.from({ length: 20 }, () => BigInt(u32() % (1 << 20))),
    ];
    for (const x of xs) {
      const w = await witness('sqrt', { in: x });
      assert.equal(read('sqrt', w, 'sq'), isqrt(x) ** 2n, `isqrt(${x})²`);
      assert.deepEqual(unsat('sqrt', w), [], `isqrt(${x})`);
    }
    // sqrt(2^22) = 2^11 needs 12 bits of s.
    await assert.rejects(witness('sqrt', { in: 1n << 22n }), { code: 'WITNESS_FAILED' });
  });

  it('IntSqrt rejects a root one off, with its square and every decomposition rewritten to match', async () => {
    for (const x of [17n, 1000n, 99_999n, 0n]) {
      for (const delta of [1n, -1n]) {
        const s = isqrt(x) + delta;
        if (s < 0n) continue;
        const w = await witness('sqrt', { in: x });
        const { set, kept } = writer('sqrt', w);
        set('out', s);
        set('sq', s * s);
        setBits(set, 'sRange.bits.bits', s, 11);
        setBits(set, 'lo.bits.bits', x - s * s, 20);
        setBits(set, 'hi.bits.bits', s * s + 2n * s - x, 20);
        assert.ok(kept() > 0);
        assert.ok(unsat('sqrt', w).length > 0, `isqrt(${x}) forged as ${s}`);
      }
    }
  });

  it('DivFloorSignal = floor(num / d) on edges and random inputs', async () => {
    const cases: [bigint, bigint][] = [
      [0n, 1n],
      [-1n, 7n],
      [-7n, 7n],
      [-8n, 7n],
      [2047n * 1023n, 1023n],
      [-2048n * 1023n, 1023n],
    ];
    for (let i = 0; i < 20; i++) {
      const d = BigInt(1 + (u32() % 1023));
      cases.push([signed(11) * d + (BigInt(u32()) % d), d]);
    }
    for (const [num, d] of cases) {
      const w = await witness('div', { num, d });
      assert.equal(read('div', w, 'out'), floorDiv(num, d), `${num} / ${d}`);
      assert.deepEqual(unsat('div', w), []);
    }
    await assert.rejects(witness('div', { num: 2048n * 5n, d: 5n }), { code: 'WITNESS_FAILED' });
  });

  it('DivFloorSignal rejects a quotient one off (product and remainder rewritten) and a zero divisor', async () => {
    for (const [num, d] of [
      [100n, 7n],
      [-100n, 7n],
      [0n, 1n],
    ] as [bigint, bigint][]) {
      for (const delta of [1n, -1n]) {
        const q = floorDiv(num, d) + delta;
        const w = await witness('div', { num, d });
        const { set } = writer('div', w);
        set('out', q);
        set('qd', q * d);
        setBits(set, 'rLo.bits.bits', num - q * d, 10);
        setBits(set, 'rHi.bits.bits', d - 1n - num + q * d, 10);
        setBits(set, 'qRange.bits.dec.bits', q + 2048n, 12);
        assert.ok(unsat('div', w).length > 0, `${num} / ${d} forged as ${q}`);
      }
    }
    // d = 0 with q = 0: r = num, d - 1 - r < 0.
    const w = await witness('div', { num: 5n, d: 1n });
    const { set } = writer('div', w);
    set('d', 0n);
    set('out', 0n);
    set('qd', 0n);
    setBits(set, 'rLo.bits.bits', 5n, 10);
    setBits(set, 'rHi.bits.bits', -6n, 10);
    assert.ok(unsat('div', w).length > 0, 'zero divisor');
  });
});
