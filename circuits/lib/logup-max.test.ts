/**
 * LogUpMax (circuits/lib/logup-quant.circom): the maximum of signed b-bit values with its range checks by LogUp limbs,
 * as the model compiler emits it for max pooling (circuits/model/ops/maxpool.ts). Honest maxima over extremes and ties;
 * two forged witnesses, each refused by exactly one constraint: an out above the maximum (every difference in range, so
 * every lookup holds; the product of the differences is not 0) and an out that is an input but not the maximum (the
 * product holds; a negative difference is no table row, so only the lookup's sum fails, even with the multiplicities,
 * D, α = H(D) and every inverse wire recomputed for the forgery).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BN254_R, mod } from '../../common/bn254.ts';
import { commitPublicInputs, randomScalar } from '../../prover/commitment.ts';
import { logupChallenge } from '../../prover/lookup/challenge.ts';
import { proveLookupWitness, proveWithLookups } from '../../prover/lookup/prove.ts';
import type { LookupSetup } from '../../prover/lookup/setup.ts';
import { verifyLookupProof } from '../../prover/lookup/verify.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import type { BuiltCircuit } from '../build.ts';
import { maxOf } from '../model/int-reference.ts';
import { emitLogUpMain, emptyWidthCounts, groupStarts, type LogUpMain, signedRangeCounts } from '../model/logup-emit.ts';
import { type R1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols, witnessIgnoringAsserts } from '../witness.ts';
import { buildHarnessCircuit, lookupHarness, recountMultiplicities, setTableInverses } from './test-harness.ts';

const B = 8;
/** [b, values]: widths with one limb (4, 8) and two (9: 8 + 1, 12: 8 + 4); extremes, ties; the last is forged below. */
const WINDOWS: [number, bigint[]][] = [
  [4, [-8n, 7n]],
  [8, [-128n, 127n, 5n, 127n]],
  [9, [-256n, 255n, -1n, 0n, 17n, 254n, -200n, 3n, 255n]],
  [12, [-2048n, -2048n, -2047n]],
  [8, [3n, 10n, 7n, 1n]],
];
const FORGED = WINDOWS.length - 1;

interface Harness {
  circuit: BuiltCircuit;
  main: LogUpMain;
  /** Per window, where its 8-bit limbs sit among the main template's 8-bit limbs. */
  limbs8: number[][];
}

async function buildHarness(): Promise<Harness> {
  const counts = emptyWidthCounts(B);
  for (const [b, v] of WINDOWS) for (const [k, n] of signedRangeCounts(v.length, b, B).entries()) counts[k]! += n;
  const at = groupStarts(counts);
  const inputs = WINDOWS.flatMap(([, v]) => v);
  const lines: string[] = [];
  const limbs8: number[][] = [];
  let offset = 0;
  for (const [k, [b, v]] of WINDOWS.entries()) {
    lines.push(`    m[${k}] = LogUpMax(${v.length}, ${b}, ${B});`);
    for (let j = 0; j < v.length; j++) lines.push(`    m[${k}].in[${j}] <== v[${offset + j}];`);
    lines.push(`    out[${k}] <== m[${k}].out;`);
    const own = signedRangeCounts(v.length, b, B);
    const ownAt = groupStarts(own);
    limbs8.push(Array.from({ length: own[B - 1]! }, (_, i) => at[B - 1]! - groupStarts(counts)[B - 1]! + i));
    for (const [w, n] of own.entries()) {
      if (n === 0) continue;
      lines.push(`    for (var i = 0; i < ${n}; i++) lk[${at[w]!} + i] <== m[${k}].lk[${ownAt[w]!} + i];`);
      at[w]! += n;
    }
    offset += v.length;
  }
  const main = emitLogUpMain([{ component: 'group', counts }], B);
  const source = [
    'pragma circom 2.1.6;',
    'include "logup.circom";',
    'include "logup-quant.circom";',
    'template MaxGroup() {',
    `    signal input v[${inputs.length}];`,
    `    signal output out[${WINDOWS.length}];`,
    `    signal output lk[${counts.reduce((a, n) => a + n, 0)}];`,
    `    component m[${WINDOWS.length}];`,
    ...lines,
    '}',
    'template LogUpMaxHarness() {',
    `    signal input v[${inputs.length}];`,
    '    signal input logupAlpha;',
    `    signal output out[${WINDOWS.length}];`,
    '    component group = MaxGroup();',
    `    for (var i = 0; i < ${inputs.length}; i++) group.v[i] <== v[i];`,
    `    for (var i = 0; i < ${WINDOWS.length}; i++) out[i] <== group.out[i];`,
    ...main.lines,
    '}',
    '',
  ].join('\n');
  const circuit = await buildHarnessCircuit('logup-max-harness', 'LogUpMaxHarness', source, ['logupAlpha', 'logupBlind']);
  return { circuit, main, limbs8 };
}

const input = () => ({ v: WINDOWS.flatMap(([, v]) => v).map(String) });

describe('LogUpMax: maximum with LogUp range checks', () => {
  let h: Harness;
  let ls: LookupSetup;
  let r1cs: R1cs;
  before(async () => {
    ({ h, ls, r1cs } = await lookupHarness(buildHarness));
  });
  after(releaseVerifierResources);

  it('outputs the maximum (maxOf), ties and extremes included; a two-round proof verifies', async () => {
    const expected = WINDOWS.map(([b, v]) => mod(maxOf(v, b), BN254_R));
    const w = await calculateWitness(h.circuit.wasmPath, { ...input(), logupAlpha: String(randomScalar()), logupBlind: '7' });
    assert.deepEqual(w.slice(1, WINDOWS.length + 1), expected);
    assert.deepEqual(unsatisfiedConstraints(r1cs, w), []);
    const p = await proveWithLookups(ls, input());
    assert.deepEqual(verifyLookupProof(ls.statementKey, p), { ok: true });
    assert.deepEqual(
      p.publicSignals.slice(0, WINDOWS.length),
      expected.map((x) => x.toString()),
    );
  });

  /**
   * The last window's out set to `out`, its 8-bit limbs (one per input, b = 8) to out − in[i] as field elements, every
   * table's multiplicities recounted from the forged limbs, D committed and α = H(D) drawn as the prover must, and the
   * tables' inverse wires recomputed at that α. Returns the constraints the forged witness leaves unsatisfied.
   */
  async function forge(out: bigint): Promise<{ bad: number[]; w: bigint[] }> {
    const sym = await readSymbols(h.circuit.symPath);
    const honest = await calculateWitness(h.circuit.wasmPath, { ...input(), logupAlpha: '5', logupBlind: '7' });
    const values = ls.layout.committedIndices.map((i) => honest[i + 1]!);
    const t8 = h.main.tables.find((t) => t.width === B)!;
    const [, v] = WINDOWS[FORGED]!;
    const diffs = v.map((x) => mod(out - x, BN254_R));
    for (const [i, l] of h.limbs8[FORGED]!.entries()) values[t8.limbs[l]!] = diffs[i]!;
    recountMultiplicities(h.main, values);
    const blind = randomScalar();
    values[values.length - 1] = blind;
    const commitment = await commitPublicInputs(ls.key, values);
    const alpha = logupChallenge(commitment.point);
    const { w } = await witnessIgnoringAsserts(h.circuit.wasmPath, {
      ...input(),
      logupAlpha: alpha.toString(),
      logupBlind: blind.toString(),
    });
    for (const [k, x] of values.entries()) w[ls.layout.committedIndices[k]! + 1] = x;
    const set = (name: string, x: bigint) => {
      const wire = sym.get(name);
      if (wire !== undefined && wire >= 0) w[wire] = mod(x, BN254_R);
    };
    const g = `main.group.m[${FORGED}]`;
    for (const name of [`${g}.out`, `main.group.out[${FORGED}]`, `main.out[${FORGED}]`]) set(name, out);
    for (const [i, d] of diffs.entries()) {
      set(`${g}.range.in[${i}]`, d - 128n);
      set(`${g}.range.range[${i}].in`, d);
      set(`${g}.range.range[${i}].lk[0]`, d);
      set(`${g}.range.lk[${i}]`, d);
      set(`${g}.lk[${i}]`, d);
    }
    let prod = mod((out - v[0]!) * (out - v[1]!), BN254_R);
    set(`${g}.prod[0]`, prod);
    for (let i = 2; i < v.length; i++) {
      prod = mod(prod * (out - v[i]!), BN254_R);
      set(`${g}.prod[${i - 1}]`, prod);
    }
    setTableInverses(h.main, values, alpha, set);
    return { bad: unsatisfiedConstraints(r1cs, w), w };
  }

  it('an out above the maximum: every lookup holds, the product of the differences alone is refused', async () => {
    const { bad, w } = await forge(11n);
    assert.equal(bad.length, 1, `failing: ${bad.join(', ')}`);
    const p = await proveLookupWitness(ls, w);
    assert.deepEqual(verifyLookupProof(ls.statementKey, p), { ok: false, reason: 'PROOF_INVALID' });
  });

  it('an input that is not the maximum: the product holds, only the 8-bit table sum is refused', async () => {
    // out = 7 against the maximum 10: 7 − 10 is the field element r − 3, which no 8-bit table row matches.
    const { bad, w } = await forge(7n);
    assert.equal(bad.length, 1, `failing: ${bad.join(', ')}`);
    const p = await proveLookupWitness(ls, w);
    assert.deepEqual(verifyLookupProof(ls.statementKey, p), { ok: false, reason: 'PROOF_INVALID' });
    // The honest witness at the same forged limbs' check: with out = 10, nothing fails (the forgery is all it changed).
    assert.deepEqual((await forge(10n)).bad, []);
  });
});
