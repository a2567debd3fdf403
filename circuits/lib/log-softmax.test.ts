/**
 * LogSoftmaxRow (circuits/lib/nonlinear.circom) against its integer semantics (model/lookup.ts logSoftmaxRowRef), its
 * documented constraint count, and forged witnesses: an output moved, and the log table's index moved by one with the
 * row sum's decomposition S = v·2^s + r kept (only r's range check can object). The forging model first reproduces the
 * honest witness, so the forgery is the only difference. The op around it: circuits/model/ops-logsoftmax.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { forgerBits, seededRandom } from '../../common/test-random.ts';
import { type BuiltCircuit, buildCircuit } from '../build.ts';
import { fromField, toField } from '../model/int-reference.ts';
import { logSoftmaxRowCost, logSoftmaxRowRef, varArray } from '../model/lookup.ts';
import { type R1cs, readR1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols } from '../witness.ts';

const { u32 } = seededRandom(0x1095f7);

// LogSoftmaxRow(4, 5, 2, EXP, LS_BITS, LTB, LL2, LOG): 5-bit inputs at 2^-2, the exp table e = round(exp(-u/4)·2^7)
// (Fe = 7 = f + bitLength(4) + 2 at f = 2), the row sum S < 2^10 floor-shifted by 4 to a 6-bit log table
// (ops/log-softmax.ts's construction with tb = 6, not 12, so that the shift is exercised on a small gadget).
const SN = 4;
const SB = 5;
const SL = 2;
const EXP = Array.from({ length: 32 }, (_, u) => Math.round(Math.exp(-u / 4) * 2 ** 7));
const LS_BITS = 10;
const LTB = 6;
const LL2 = 3;
const LOG = Array.from({ length: 2 ** LTB }, (_, v) => Math.round(Math.log(Math.max((v + 0.5) * 2 ** (LS_BITS - LTB), 128) / 128) * 4));

const SOURCE = [
  'pragma circom 2.1.6;',
  'include "quant.circom";',
  'template TestLogSoftmax() {',
  ...varArray('T', EXP),
  ...varArray('LT', LOG),
  `    signal input in[${SN}];`,
  `    signal output out[${SN}];`,
  `    component g = LogSoftmaxRow(${SN}, ${SB}, ${SL}, T, ${LS_BITS}, ${LTB}, ${LL2}, LT);`,
  '    g.in <== in;',
  '    out <== g.out;',
  '}',
  '',
].join('\n');

describe('LogSoftmaxRow (nonlinear.circom)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zkai-logsoftmax-'));
  const file = path.join(dir, 'logsoftmaxtest.circom');
  let circuit: BuiltCircuit;
  let r1cs: R1cs;
  let sym: Map<string, number>;

  before(async () => {
    writeFileSync(file, SOURCE);
    circuit = await buildCircuit({
      name: 'nonlinear-logsoftmax',
      publicInputs: [],
      include: 'logsoftmaxtest.circom',
      instance: 'TestLogSoftmax()',
      extraSources: [file],
    });
    r1cs = await readR1cs(circuit.r1csPath);
    sym = await readSymbols(circuit.symPath);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const witness = (input: Record<string, bigint[]>) =>
    calculateWitness(circuit.wasmPath, Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v.map(toField)])));
  const unsat = (w: bigint[]) => unsatisfiedConstraints(r1cs, w);
  const read = (w: bigint[], s: string) => fromField(w[sym.get(`main.${s}`)!]!);
  /** Writes main.<s> where --O2 kept it; returns whether it did. */
  const set = (w: bigint[], s: string, v: bigint): boolean => {
    const at = sym.get(`main.${s}`);
    if (at !== undefined) w[at] = toField(v);
    return at !== undefined;
  };

  it('has the documented constraint count', () => {
    assert.equal(circuit.nConstraints, logSoftmaxRowCost(SN, SB, SL, EXP, LS_BITS, LTB, LL2, LOG));
  });

  it('equals the integer reference (x - m - LT[floor(S / 2^4)]) on random rows, ties and extremes', async () => {
    const rows: bigint[][] = [
      [0n, 0n, 0n, 0n],
      [-16n, 15n, -16n, 15n],
      [15n, -16n, -16n, -16n],
    ];
    for (let k = 0; k < 12; k++) rows.push(Array.from({ length: SN }, () => BigInt((u32() % 32) - 16)));
    for (const row of rows) {
      const w = await witness({ in: row });
      assert.deepEqual(
        Array.from({ length: SN }, (_, i) => read(w, `out[${i}]`)),
        logSoftmaxRowRef(row, SB, EXP, LS_BITS, LTB, LOG),
        `row ${row}`,
      );
      assert.deepEqual(unsat(w), []);
    }
    await assert.rejects(witness({ in: [15n, -17n, 0n, 0n] }), { code: 'WITNESS_FAILED' }, 'a spread of 32');
  });

  it('rejects a forged output, and a log index moved by one with S = v·16 + r kept (r out of range)', async () => {
    const row = [3n, -2n, 1n, -5n];
    const honest = await witness({ in: row });
    const w1 = [...honest];
    set(w1, 'out[0]', read(w1, 'out[0]') - 1n);
    set(w1, 'g.out[0]', read(w1, 'out[0]'));
    assert.ok(unsat(w1).length > 0, 'output');
    // v + 1 with r - 16: every linear equation holds (S, the Lookup digits, the outputs); r's range check fails.
    // The honest m = 3, S = Σ T[m - x], v = floor(S / 16), r = S mod 16 (computed here: --O2 keeps some of them only
    // inside other wires). assign(v, r) writes every signal of the shift, the log lookup and the outputs.
    const m = 3n;
    const S = row.reduce((acc, x) => acc + BigInt(EXP[Number(m - x)]!), 0n);
    const assign = (w: bigint[], v: bigint, r: bigint): number => {
      const put = (sig: string, val: bigint) => set(w, sig, val);
      let kept = 0;
      for (const sig of ['g.sh.y', 'g.sh.out', 'g.sh.sat.in', 'g.sh.sat.out', 'g.sh.sat.sb.in', 'g.lg.in']) kept += +put(sig, v);
      for (const sig of ['g.sh.r', 'g.sh.rRange.in', 'g.sh.rRange.bits.in']) kept += +put(sig, r);
      forgerBits(r, LS_BITS - LTB).forEach((bit, j) => {
        put(`g.sh.rRange.bits.bits[${j}]`, bit);
      });
      forgerBits(v + 2n ** BigInt(LTB), LTB + 1).forEach((bit, j) => {
        put(`g.sh.sat.sb.bits[${j}]`, bit);
      });
      for (let j = 0; j < 2 ** LL2; j++) put(`g.lg.selL[${j}]`, BigInt(Number(v) % 2 ** LL2 === j));
      for (let k = 0; k < 2 ** (LTB - LL2); k++) {
        const hot = Math.floor(Number(v) / 2 ** LL2) === k;
        put(`g.lg.selH[${k}]`, BigInt(hot));
        put(`g.lg.term[${k}]`, hot ? BigInt(LOG[Number(v)]!) : 0n);
      }
      const L = BigInt(LOG[Number(v)]!);
      put('g.lg.out', L);
      row.forEach((x, i) => {
        put(`g.out[${i}]`, x - m - L);
        put(`out[${i}]`, x - m - L);
      });
      return kept;
    };
    const copy = [...honest];
    assign(copy, S >> 4n, S & 15n);
    assert.deepEqual(copy, honest, 'the forging model reproduces the honest witness');
    const w = [...honest];
    const kept = assign(w, (S >> 4n) + 1n, (S & 15n) - 16n);
    assert.notDeepEqual(w, honest);
    assert.ok(kept > 0, 'the forgery wrote the shift');
    assert.ok(unsat(w).length > 0, 'log index + 1');
  });
});
