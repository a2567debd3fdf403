/**
 * LogSoftmaxRow (circuits/lib/log-softmax.circom) against its integer semantics (model/log-softmax-row.ts), its
 * documented constraint count, and forged witnesses. One circuit holds four rows: A (n = 4 at 2^-2 with the
 * quantizer's scales), B (the same inputs with a small Fe = 3 < M - 1, the case where every shift
 * would be negative: S·2^3 is normalised, sh_0 = 0, so r must be 0 for k = 0), and the long rows C (n = 64) and
 * D (n = 1000). The forging model writes every signal of the normalisation (selector, mantissa, remainder and its
 * bits, the log Lookup, the rounding) and the outputs from a chosen (k, v, R); it first reproduces the honest witness,
 * so each forgery is the only difference. The op around it: circuits/model/ops-logsoftmax.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { forgeRequantize, forgerBits, seededRandom, witnessWriter } from '../../common/test-random.ts';
import { type BuiltCircuit, buildCircuit } from '../build.ts';
import { fromField, toField } from '../model/int-reference.ts';
import { type LogRowParams, logSoftmaxRowCost, logSoftmaxRowRef, logSoftmaxScales, logSoftmaxTables } from '../model/log-softmax-row.ts';
import { bestSplit, varArray } from '../model/lookup.ts';
import { type R1cs, readR1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols } from '../witness.ts';

const { u32 } = seededRandom(0x1095f7);

interface Row {
  id: string;
  n: number;
  b: number;
  f: number;
  T: number[];
  l: number;
  p: LogRowParams;
}
/** A row of n signed b-bit inputs at 2^-f, its exp table at 2^Fe and log tables with mantissa M. */
function rowSpec(id: string, n: number, b: number, f: number, Fe: number, M: number): Row {
  const T = Array.from({ length: 2 ** b }, (_, u) => Math.round(Math.exp(-u * 2 ** -f) * 2 ** Fe));
  return { id, n, b, f, T, l: bestSplit(T, b), p: logSoftmaxTables(f, n, Fe, M) };
}
const sA = logSoftmaxScales(2, 4);
const ROWS = {
  a: rowSpec('a', 4, 5, 2, sA.Fe, sA.M),
  b: rowSpec('b', 4, 5, 2, 3, 7),
  c: rowSpec('c', 64, 6, 3, logSoftmaxScales(3, 64).Fe, logSoftmaxScales(3, 64).M),
  d: rowSpec('d', 1000, 5, 1, logSoftmaxScales(1, 1000).Fe, logSoftmaxScales(1, 1000).M),
};

const SOURCE = [
  'pragma circom 2.1.6;',
  'include "log-softmax.circom";',
  'template TestLogSoftmax() {',
  ...Object.values(ROWS).flatMap((r) => [
    ...varArray(`T_${r.id}`, r.T),
    ...varArray(`LT_${r.id}`, r.p.logTable),
    ...varArray(`C_${r.id}`, r.p.logConst),
    `    signal input ${r.id}[${r.n}];`,
    `    signal output y${r.id}[${r.n}];`,
    `    component g${r.id} = LogSoftmaxRow(${r.n}, ${r.b}, ${r.l}, T_${r.id}, ${r.p.Fe}, ${r.p.M}, ${r.p.lM}, LT_${r.id}, C_${r.id}, ${r.p.G}, ${r.p.RB});`,
    `    g${r.id}.in <== ${r.id};`,
    `    y${r.id} <== g${r.id}.out;`,
  ]),
  '}',
  '',
].join('\n');

/** The row sum as the gadget sees it (S·2^a), its shift base sh_0 and exponent count K. */
function normalised(r: Row, xs: bigint[]): { m: bigint; Sp: bigint; sh0: number; K: number; k: number } {
  let m = xs[0]!;
  for (const x of xs) if (x > m) m = x;
  const S = xs.reduce((acc, x) => acc + BigInt(r.T[Number(m - x)]!), 0n);
  const a = Math.max(0, r.p.M - 1 - r.p.Fe);
  const Fs = r.p.Fe + a;
  const Sp = S << BigInt(a);
  return { m, Sp, sh0: Fs - (r.p.M - 1), K: r.p.logConst.length, k: Sp.toString(2).length - 1 - Fs };
}

describe('LogSoftmaxRow (log-softmax.circom)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zkai-logsoftmax-'));
  const file = path.join(dir, 'logsoftmaxtest.circom');
  let circuit: BuiltCircuit;
  let r1cs: R1cs;
  let sym: Map<string, number>;

  before(async () => {
    writeFileSync(file, SOURCE);
    circuit = await buildCircuit({
      name: 'log-softmax-row',
      publicInputs: [],
      include: 'logsoftmaxtest.circom',
      instance: 'TestLogSoftmax()',
      extraSources: [file],
    });
    r1cs = await readR1cs(circuit.r1csPath);
    sym = await readSymbols(circuit.symPath);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const random = (r: Row) => Array.from({ length: r.n }, () => BigInt((u32() % 2 ** r.b) - 2 ** (r.b - 1)));
  const witness = (input: Record<string, bigint[]>) =>
    calculateWitness(circuit.wasmPath, Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v.map(toField)])));
  const unsat = (w: bigint[]) => unsatisfiedConstraints(r1cs, w);
  const read = (w: bigint[], s: string) => fromField(w[sym.get(`main.${s}`)!]!);
  const outputs = (w: bigint[], r: Row) => Array.from({ length: r.n }, (_, i) => read(w, `y${r.id}[${i}]`));
  /** Inputs for every row: `rows` where given, else random. */
  const inputs = (rows: Partial<Record<keyof typeof ROWS, bigint[]>>) =>
    Object.fromEntries(Object.entries(ROWS).map(([id, r]) => [id, rows[id as keyof typeof ROWS] ?? random(r)]));

  /**
   * Rewrites row r's normalisation to exponent k, mantissa v and rounded log R (the remainder r = S' - v·2^(sh_0 + k)
   * and the rounding's remainder follow), and its outputs to x - m - R. Every linear equation of the gadget holds; a
   * mantissa outside the log table's range gets digits that only the Lookup's one-hot sums refuse. Returns how many
   * signals it wrote.
   */
  function forge(w: bigint[], r: Row, xs: bigint[], k: number, v: bigint, R?: bigint): number {
    const wr = witnessWriter(w, (s) => sym.get(`main.${s}`), toField);
    const set = (s: string, val: bigint) => wr.set(`g${r.id}.${s}`, val);
    const { m, Sp, sh0, K } = normalised(r, xs);
    const { M, lM, G, RB, logTable, logConst } = r.p;
    const rem = Sp - v * 2n ** BigInt(sh0 + k);
    for (let j = 0; j < K; j++) set(`sel[${j}]`, BigInt(j === k));
    set('v', v);
    set('t', v * 2n ** BigInt(sh0 + k));
    for (const s of ['r', 'rb.in']) set(s, rem);
    forgerBits(rem, sh0 + K - 1).forEach((bit, j) => {
      set(`rb.bits[${j}]`, bit);
    });
    const nL = 2 ** lM;
    const nH = 2 ** (M - 1 - lM);
    const idx = Number(v) - 2 ** (M - 1);
    const lo = ((idx % nL) + nL) % nL;
    const hi = (idx - lo) / nL;
    const inTable = idx >= 0 && idx < 2 ** (M - 1);
    set('lg.in', BigInt(idx));
    for (let j = 0; j < nL; j++) set(`lg.selL[${j}]`, BigInt(j === lo));
    for (let h = 0; h < nH; h++) {
      set(`lg.selH[${h}]`, BigInt(h === hi));
      set(`lg.term[${h}]`, h === hi && inTable ? BigInt(logTable[idx]!) : 0n);
    }
    const L = BigInt(logConst[k]!) + (inTable ? BigInt(logTable[idx]!) : 0n);
    set('lg.out', inTable ? BigInt(logTable[idx]!) : 0n);
    const rin = L + 2n ** BigInt(G - 1);
    const Rv = R ?? rin >> BigInt(G);
    set('rnd.in', rin);
    forgeRequantize(set, 'rnd', Rv, rin - Rv * 2n ** BigInt(G), G, RB + 1);
    xs.forEach((x, i) => {
      set(`out[${i}]`, x - m - Rv);
      wr.set(`y${r.id}[${i}]`, x - m - Rv);
    });
    return wr.kept();
  }

  it('has the documented constraint count', () => {
    const cost = Object.values(ROWS).reduce((acc, r) => acc + logSoftmaxRowCost(r.b, r.l, r.T, r.p), 0);
    assert.equal(circuit.nConstraints, cost);
  });

  it('equals the integer reference on random rows, ties and extremes (n = 4, 4 with Fe < M - 1, 64, 1000)', async () => {
    const cases: Partial<Record<keyof typeof ROWS, bigint[]>>[] = [
      { a: [0n, 0n, 0n, 0n], b: [0n, 0n, 0n, 0n], c: Array(64).fill(7n), d: Array(1000).fill(-16n) },
      { a: [-16n, 15n, -16n, 15n], b: [15n, -16n, -16n, -16n], d: [15n, ...Array(999).fill(-16n)] },
      { a: [15n, -16n, -16n, -16n], b: [3n, 3n, 2n, -5n], c: [31n, ...Array(63).fill(-32n)] },
    ];
    for (let i = 0; i < 8; i++) cases.push({});
    const ks = new Set<string>();
    for (const c of cases) {
      const input = inputs(c);
      const w = await witness(input);
      for (const r of Object.values(ROWS)) {
        const xs = input[r.id]!;
        assert.deepEqual(outputs(w, r), logSoftmaxRowRef(xs, r.b, r.T, r.p), `row ${r.id}: ${xs.slice(0, 8)}…`);
        ks.add(`${r.id}${normalised(r, xs).k}`);
      }
      assert.deepEqual(unsat(w), []);
    }
    // Both ends of the exponent's range were exercised on every row (all equal: k = K - 1; one maximum: k = 0).
    for (const r of Object.values(ROWS)) for (const k of [0, r.p.logConst.length - 1]) assert.ok(ks.has(`${r.id}${k}`), `${r.id} k = ${k}`);
    await assert.rejects(witness(inputs({ a: [15n, -17n, 0n, 0n] })), { code: 'WITNESS_FAILED' }, 'a spread of 32');
  });

  it('rejects a wrong exponent, a mantissa out of range, a moved remainder, a moved rounding and a moved output', async () => {
    // Row A: S = 2·256 + 2·T[16] = 522 ∈ [2^9, 2^10): k = 1 of K = 3 (so k ± 1 both exist), sh_1 = 3, v = 65, r = 2.
    // S sits just above its binade's bottom, so k - 1 with the largest mantissa leaves r' = 14 < 2^shMax = 16.
    const xs = [3n, 3n, -13n, -13n];
    const honest = await witness(inputs({ a: xs, b: xs }));
    const r = ROWS.a;
    const { Sp, sh0, k } = normalised(r, xs);
    assert.deepEqual([Sp, k], [522n, 1]);
    const v = Sp >> BigInt(sh0 + k);
    const copy = [...honest];
    assert.ok(forge(copy, r, xs, k, v) > 0);
    assert.deepEqual(copy, honest, 'the forging model reproduces the honest witness');
    const top = 2n ** BigInt(r.p.M);
    const forgeries: [string, number, bigint, bigint?][] = [
      // S = v'·2^sh_(k±1) + r' with r' < 2^sh_(k±1): only the mantissa's range (the log Lookup) can object.
      ['exponent k + 1, v = ⌊S / 2^sh_(k+1)⌋ < 2^(M-1)', k + 1, Sp >> BigInt(sh0 + k + 1)],
      ['exponent k - 1, v = ⌊S / 2^sh_(k-1)⌋ >= 2^M', k - 1, Sp >> BigInt(sh0 + k - 1)],
      // v' in range, the rest in r' >= 2^sh_(k-1) (below 2^shMax): only r's mask can object.
      ['exponent k - 1, v = 2^M - 1, r above the shift', k - 1, top - 1n],
      // The mantissa outside its range with the exponent kept: r' is negative (bits) or far too large.
      ['mantissa v + 2^(M-1) (>= 2^M)', k, v + top / 2n],
      ['mantissa v - 2^(M-1) (< 2^(M-1))', k, v - top / 2n],
      // The remainder moved by one step of 2^sh_k (v ∓ 1 keeps S = v·2^sh_k + r).
      ['remainder r - 2^sh_k (v + 1)', k, v + 1n],
      ['remainder r + 2^sh_k (v - 1)', k, v - 1n],
    ];
    const Rh = -read(honest, 'ya[0]'); // x_0 = m, so y_0 = -R
    forgeries.push(['rounded log R + 1 (its remainder - 2^G)', k, v, Rh + 1n], ['rounded log R - 1', k, v, Rh - 1n]);
    for (const [what, fk, fv, R] of forgeries) {
      const w = [...honest];
      assert.ok(forge(w, r, xs, fk, fv, R) > 0, what);
      assert.notDeepEqual(w, honest, what);
      assert.ok(unsat(w).length > 0, what);
    }
    const out = [...honest];
    const wr = witnessWriter(out, (s) => sym.get(`main.${s}`), toField);
    wr.set('ya[0]', read(out, 'ya[0]') - 1n);
    wr.set('ga.out[0]', read(out, 'ya[0]'));
    assert.ok(wr.kept() > 0 && unsat(out).length > 0, 'output');
  });

  it('with Fe < M - 1 (S multiplied by 2^a, sh_0 = 0): rejects a remainder for k = 0 and a wrong exponent', async () => {
    const r = ROWS.b;
    const xs = [5n, 4n, -16n, -16n];
    const honest = await witness(inputs({ b: xs }));
    const { Sp, sh0, k } = normalised(r, xs);
    assert.deepEqual([sh0, k], [0, 0]);
    const copy = [...honest];
    forge(copy, r, xs, k, Sp);
    assert.deepEqual(copy, honest, 'the forging model reproduces the honest witness');
    for (const [what, fk, fv] of [
      ['v - 1 with r = 1 at k = 0', 0, Sp - 1n],
      ['exponent 1, v = ⌊S / 2⌋', 1, Sp >> 1n],
    ] as const) {
      const w = [...honest];
      assert.ok(forge(w, r, xs, fk, fv) > 0, what);
      assert.notDeepEqual(w, honest, what);
      assert.ok(unsat(w).length > 0, what);
    }
  });
});
