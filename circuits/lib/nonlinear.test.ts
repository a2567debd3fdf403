/**
 * circuits/lib/nonlinear.circom: Lookup, FloorDiv and SoftmaxRow against their integer semantics (model/lookup.ts),
 * their documented constraint counts, and forged witnesses (non-boolean selectors, remainders out of range, a shifted
 * softmax maximum), each keeping every linear equation so that only the gadget's own checks can object.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { forgerBits, seededRandom } from '../../common/test-random.ts';
import { type BuiltCircuit, buildCircuit } from '../build.ts';
import { SNARK_FIELD } from '../dataset/poseidon.ts';
import { fromField, toField } from '../model/int-reference.ts';
import {
  floorDivCost,
  floorDivRef,
  lookupCost,
  lookupRef,
  softmaxDivBits,
  softmaxRowCost,
  softmaxRowRef,
  varArray,
} from '../model/lookup.ts';
import { type R1cs, readR1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols } from '../witness.ts';

const { u32 } = seededRandom(0x100c0b);

// Lookup(6, 3, T): a random table with two constant rows (rows 2 and 5), so both kinds of term are exercised.
const LB = 6;
const LL = 3;
const TABLE = Array.from({ length: 64 }, (_, i) => (Math.floor(i / 8) === 2 ? -7 : Math.floor(i / 8) === 5 ? 0 : (u32() % 401) - 200));
// SoftmaxRow(4, 5, 2, EXP, F, bD): a 5-bit input at scale 2^-2, e = round(exp(-u/4)·2^7).
const SN = 4;
const SB = 5;
const SL = 2;
const F = 6;
const EXP = Array.from({ length: 32 }, (_, u) => Math.round(Math.exp(-u / 4) * 2 ** 7));
const BD = softmaxDivBits(SN, EXP[0]!);
const FQ = 4;
const FD = 6;

const SOURCE = [
  'pragma circom 2.1.6;',
  'include "quant.circom";',
  'template TestLookup() {',
  ...varArray('T', TABLE),
  '    signal input in;',
  '    signal output out;',
  `    component g = Lookup(${LB}, ${LL}, T);`,
  '    g.in <== in;',
  '    out <== g.out;',
  '}',
  'template TestSoftmax() {',
  ...varArray('T', EXP),
  `    signal input in[${SN}];`,
  `    signal output out[${SN}];`,
  `    component g = SoftmaxRow(${SN}, ${SB}, ${SL}, T, ${F}, ${BD});`,
  '    g.in <== in;',
  '    out <== g.out;',
  '}',
  '',
].join('\n');

interface Gadget {
  circuit: BuiltCircuit;
  r1cs: R1cs;
  sym: Map<string, number>;
}

describe('non-linear gadgets (nonlinear.circom)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zkai-nonlinear-'));
  const file = path.join(dir, 'nonlineartest.circom');
  const g: Record<'lookup' | 'div' | 'softmax', Gadget> = {} as never;

  before(async () => {
    writeFileSync(file, SOURCE);
    const specs = {
      lookup: { include: 'nonlineartest.circom', instance: 'TestLookup()', extraSources: [file] },
      div: { include: 'quant.circom', instance: `FloorDiv(${FQ}, ${FD})` },
      softmax: { include: 'nonlineartest.circom', instance: 'TestSoftmax()', extraSources: [file] },
    };
    for (const [name, spec] of Object.entries(specs)) {
      const circuit = await buildCircuit({ name: `nonlinear-${name}`, publicInputs: [], ...spec });
      g[name as keyof typeof g] = { circuit, r1cs: await readR1cs(circuit.r1csPath), sym: await readSymbols(circuit.symPath) };
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const witness = (name: keyof typeof g, input: Record<string, bigint | bigint[]>) =>
    calculateWitness(
      g[name].circuit.wasmPath,
      Object.fromEntries(Object.entries(input).map(([k, v]) => [k, Array.isArray(v) ? v.map(toField) : toField(v)])),
    );
  const unsat = (name: keyof typeof g, w: bigint[]) => unsatisfiedConstraints(g[name].r1cs, w);
  const read = (name: keyof typeof g, w: bigint[], s: string) => fromField(w[g[name].sym.get(`main.${s}`)!]!);
  /** Writes main.<s> where --O2 kept it; returns whether it did. */
  const set = (name: keyof typeof g, w: bigint[], s: string, v: bigint): boolean => {
    const at = g[name].sym.get(`main.${s}`);
    if (at !== undefined) w[at] = toField(v);
    return at !== undefined;
  };

  it('have the documented constraint counts', () => {
    // Rows 2 and 5 are constant: 8 + 8 booleanity, 6 products.
    assert.equal(lookupCost(TABLE, LB, LL), 8 + 8 + 6);
    assert.equal(g.lookup.circuit.nConstraints, lookupCost(TABLE, LB, LL));
    assert.equal(g.div.circuit.nConstraints, floorDivCost(FQ, FD));
    assert.equal(g.softmax.circuit.nConstraints, softmaxRowCost(SN, SB, SL, EXP, F, BD));
    console.log(
      `nonlinear gadget sizes: Lookup(6, 3) ${g.lookup.circuit.nConstraints}, FloorDiv(${FQ}, ${FD}) ${g.div.circuit.nConstraints}, ` +
        `SoftmaxRow(${SN}, ${SB}) ${g.softmax.circuit.nConstraints}`,
    );
  });

  describe('Lookup', () => {
    it('outputs T[in] for every in ∈ [0, 2^b); other inputs have no witness', async () => {
      for (let u = 0n; u < 64n; u++) {
        const w = await witness('lookup', { in: u });
        assert.equal(read('lookup', w, 'out'), lookupRef(TABLE, LB, u), `T[${u}]`);
        assert.deepEqual(unsat('lookup', w), []);
      }
      for (const u of [-1n, 64n, 1000n]) await assert.rejects(witness('lookup', { in: u }), { code: 'WITNESS_FAILED' });
    });

    /**
     * The witness for selector values selL, selH (a forger's choice) with every linear equation kept: in from the
     * digits, each term selH_k·row_k, out their sum. Honest selectors reproduce the honest witness.
     */
    function assign(w: bigint[], selL: bigint[], selH: bigint[]): bigint {
      const f = (v: bigint) => toField(v);
      selL.forEach((v, j) => {
        set('lookup', w, `g.selL[${j}]`, v);
      });
      selH.forEach((v, k) => {
        set('lookup', w, `g.selH[${k}]`, v);
      });
      const digit = (sel: bigint[]) => sel.reduce((a, v, j) => (a + f(v) * BigInt(j)) % SNARK_FIELD, 0n);
      const u = (digit(selH) * 8n + digit(selL)) % SNARK_FIELD;
      set('lookup', w, 'in', u);
      set('lookup', w, 'g.in', u);
      let out = 0n;
      selH.forEach((h, k) => {
        const row = selL.reduce((a, v, j) => (a + f(v) * f(BigInt(TABLE[k * 8 + j]!))) % SNARK_FIELD, 0n);
        const term = (f(h) * row) % SNARK_FIELD;
        set('lookup', w, `g.term[${k}]`, term);
        out = (out + term) % SNARK_FIELD;
      });
      set('lookup', w, 'g.out', out);
      set('lookup', w, 'out', out);
      return out;
    }
    const oneHot = (n: number, at: number) => Array.from({ length: n }, (_, i) => (i === at ? 1n : 0n));

    it('the forging model reproduces the honest witness', async () => {
      const w = await witness('lookup', { in: 29n });
      const copy = [...w];
      assign(copy, oneHot(8, 5), oneHot(8, 3));
      assert.deepEqual(copy, w);
    });

    it('rejects non-boolean selectors that keep Σ = 1 and the digit (a blend of two entries)', async () => {
      const half = (SNARK_FIELD + 1n) / 2n;
      // in = 3·8 + 5: lo = 5 written as ½·4 + ½·6, so out = (T[28] + T[30]) / 2.
      const w = await witness('lookup', { in: 29n });
      const selL = oneHot(8, 0).map((_, j) => (j === 4 || j === 6 ? half : 0n));
      const out = assign(w, selL, oneHot(8, 3));
      assert.notEqual(out, toField(BigInt(TABLE[29]!)), 'the forgery changes the output');
      assert.ok(unsat('lookup', w).length > 0);
      // The same on the high digit: hi = 3 as ½·1 + ½·5.
      const w2 = await witness('lookup', { in: 29n });
      assign(
        w2,
        oneHot(8, 5),
        oneHot(8, 0).map((_, k) => (k === 1 || k === 5 ? half : 0n)),
      );
      assert.ok(unsat('lookup', w2).length > 0);
    });

    it('rejects a wrong output and a second hot selector', async () => {
      const w = await witness('lookup', { in: 29n });
      set('lookup', w, 'out', fromField(w[g.lookup.sym.get('main.out')!]!) + 1n);
      assert.ok(unsat('lookup', w).length > 0);
      // Two hot low selectors (Σ = 2), the digit kept by moving the high digit: only Σ = 1 can object.
      const w2 = await witness('lookup', { in: 29n });
      assign(w2, [1n, 0n, 0n, 0n, 0n, 1n, 0n, 0n], oneHot(8, 3));
      assert.ok(unsat('lookup', w2).length > 0);
    });
  });

  describe('FloorDiv', () => {
    it('equals floor(num / den); no witness for den = 0, a too-large quotient or a negative numerator', async () => {
      for (let k = 0; k < 30; k++) {
        const den = BigInt(1 + (u32() % 64));
        const num = BigInt(u32() % Number(den * 16n));
        const w = await witness('div', { num, den });
        assert.equal(read('div', w, 'q'), floorDivRef(num, den, FQ, FD));
        assert.deepEqual(unsat('div', w), []);
      }
      for (const [num, den] of [
        [5n, 0n],
        [16n * 3n, 3n],
        [-1n, 3n],
        [0n, 65n],
      ]) {
        await assert.rejects(witness('div', { num: num!, den: den! }), { code: 'WITNESS_FAILED' }, `${num} / ${den}`);
      }
    });

    it('rejects a quotient moved by one with the remainder compensated (r < 0, or r >= den)', async () => {
      const [num, den] = [100n, 9n];
      for (const k of [1n, -1n]) {
        const w = await witness('div', { num, den });
        const q = num / den + k;
        const r = num - q * den;
        set('div', w, 'q', q);
        set('div', w, 'qRange.in', q);
        forgerBits(q, FQ).forEach((bit, i) => {
          set('div', w, `qRange.bits.bits[${i}]`, bit);
        });
        set('div', w, 'qRange.bits.in', q);
        for (const s of ['r', 'rLow.in', 'rLow.bits.in']) set('div', w, s, r);
        forgerBits(r, FD).forEach((bit, i) => {
          set('div', w, `rLow.bits.bits[${i}]`, bit);
        });
        set('div', w, 'rHigh.in', den - 1n - r);
        set('div', w, 'rHigh.bits.in', den - 1n - r);
        forgerBits(den - 1n - r, FD).forEach((bit, i) => {
          set('div', w, `rHigh.bits.bits[${i}]`, bit);
        });
        assert.ok(unsat('div', w).length > 0, `q + ${k}`);
      }
    });

    it('rejects a divisor <= 0 (den = 0, -1, -9) with q, r and the range checks chosen to keep every linear equation', async () => {
      // What ops/div.ts relies on to prove a Div's divisor positive: den - 1 - r >= 0 with r >= 0.
      const num = 40n;
      for (const den of [0n, -1n, -9n]) {
        const w = await witness('div', { num, den: 5n });
        const q = den === 0n ? 0n : num / den;
        const r = num - q * den;
        for (const [s, v] of [
          ['den', den],
          ['q', q],
          ['qRange.in', q],
          ['qRange.bits.in', q],
          ['r', r],
          ['rLow.in', r],
          ['rLow.bits.in', r],
          ['rHigh.in', den - 1n - r],
          ['rHigh.bits.in', den - 1n - r],
        ] as const)
          set('div', w, s, v);
        for (const [pre, v, b] of [
          ['qRange', q, FQ],
          ['rLow', r, FD],
          ['rHigh', den - 1n - r, FD],
        ] as const)
          forgerBits(v, b).forEach((bit, i) => {
            set('div', w, `${pre}.bits.bits[${i}]`, bit);
          });
        assert.ok(unsat('div', w).length > 0, `den ${den}`);
      }
    });
  });

  describe('SoftmaxRow', () => {
    it('equals the integer reference (round(e·2^F / S)) on random rows, ties and extremes', async () => {
      const rows: bigint[][] = [
        [0n, 0n, 0n, 0n],
        [-16n, 15n, -16n, 15n],
        [15n, -16n, -16n, -16n],
      ];
      for (let k = 0; k < 12; k++) rows.push(Array.from({ length: SN }, () => BigInt((u32() % 32) - 16)));
      for (const row of rows) {
        const w = await witness('softmax', { in: row });
        const ref = softmaxRowRef(row, SB, EXP, F, BD);
        assert.deepEqual(
          Array.from({ length: SN }, (_, i) => read('softmax', w, `out[${i}]`)),
          ref,
          `row ${row}`,
        );
        assert.deepEqual(unsat('softmax', w), []);
      }
      assert.deepEqual(softmaxRowRef([15n, -16n, -16n, -16n], SB, EXP, F, BD), [64n, 0n, 0n, 0n]);
      // Inputs are signed 5-bit upstream; a spread of 2^5 is beyond the table: no witness (and BAD_INPUT in the reference).
      assert.throws(() => softmaxRowRef([15n, -17n, 0n, 0n], SB, EXP, F, BD), { code: 'BAD_INPUT' });
      await assert.rejects(witness('softmax', { in: [15n, -17n, 0n, 0n] }), { code: 'WITNESS_FAILED' }, 'a spread of 32');
    });

    /** Every signal of the row for inputs `row` and a claimed maximum m, each computed as the gadget would. */
    function assignSoftmax(w: bigint[], row: bigint[], m: bigint): bigint[] {
      const put = (s: string, v: bigint) => set('softmax', w, s, v);
      const range = (prefix: string, v: bigint, bits: number) => {
        put(`${prefix}.in`, v);
        put(`${prefix}.bits.in`, v);
        forgerBits(v, bits).forEach((bit, j) => {
          put(`${prefix}.bits.bits[${j}]`, bit);
        });
      };
      row.forEach((x, i) => {
        put(`in[${i}]`, x);
        put(`g.in[${i}]`, x);
      });
      put('g.m', m);
      const e = row.map((x, i) => {
        const u = m - x;
        put(`g.e[${i}].in`, u);
        for (let j = 0; j < 2 ** SL; j++) put(`g.e[${i}].selL[${j}]`, BigInt(Number(u) % 2 ** SL === j));
        for (let k = 0; k < 2 ** (SB - SL); k++) {
          const hot = Math.floor(Number(u) / 2 ** SL) === k;
          put(`g.e[${i}].selH[${k}]`, BigInt(hot));
          put(`g.e[${i}].term[${k}]`, hot ? BigInt(EXP[Number(u)]!) : 0n);
        }
        const v = BigInt(EXP[Number(u)]!);
        put(`g.e[${i}].out`, v);
        return v;
      });
      let p = (m - row[0]!) * (m - row[1]!);
      put('g.prod[0]', p);
      for (let i = 2; i < SN; i++) {
        p *= m - row[i]!;
        put(`g.prod[${i - 1}]`, p);
      }
      const S = e.reduce((a, v) => a + v, 0n);
      return e.map((v, i) => {
        const [num, den] = [(v << BigInt(F + 1)) + S, 2n * S];
        const [q, r] = [num / den, num % den];
        put(`g.div[${i}].num`, num);
        put(`g.div[${i}].den`, den);
        put(`g.div[${i}].q`, q);
        put(`g.div[${i}].r`, r);
        range(`g.div[${i}].rLow`, r, BD);
        range(`g.div[${i}].rHigh`, den - 1n - r, BD);
        range(`g.div[${i}].qRange`, q, F + 1);
        put(`g.out[${i}]`, q);
        put(`out[${i}]`, q);
        return q;
      });
    }

    it('rejects a forged maximum m + 1 (every exponent shifted, sums and divisions recomputed consistently)', async () => {
      const row = [3n, 2n, 1n, 0n];
      const honest = await witness('softmax', { in: row });
      const copy = [...honest];
      // 2^-2 input scale: one step of m scales every e by exp(-1/4), which rounding alone does not always undo.
      assert.deepEqual(assignSoftmax(copy, row, 3n), softmaxRowRef(row, SB, EXP, F, BD));
      assert.deepEqual(copy, honest, 'the forging model reproduces the honest witness');
      const w = [...honest];
      const out = assignSoftmax(w, row, 4n);
      assert.notDeepEqual(out, softmaxRowRef(row, SB, EXP, F, BD), 'the forgery changes the outputs');
      assert.ok(unsat('softmax', w).length > 0);
    });

    it('rejects a forged output (a quotient moved by one)', async () => {
      const w = await witness('softmax', { in: [3n, -2n, 1n, -5n] });
      set('softmax', w, 'out[0]', read('softmax', w, 'out[0]') + 1n);
      set('softmax', w, 'g.out[0]', read('softmax', w, 'out[0]'));
      set('softmax', w, 'g.div[0].q', read('softmax', w, 'out[0]'));
      assert.ok(unsat('softmax', w).length > 0);
    });
  });
});
