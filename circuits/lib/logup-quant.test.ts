/**
 * LogUpRequant (circuits/lib/logup-quant.circom) against the integer reference of Requantize and RequantizeRelu
 * (circuits/model/int-reference.ts), value for value over every clamp case and limb width; its constraint count
 * against the TypeScript mirror (circuits/model/logup-emit.ts); and forged witnesses that only the lookups can refuse.
 * The harness is generated with the same emitters the model compiler uses (a "layer" template with per-element
 * parameters in var arrays, limbs routed by width, the main template's tables).
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
import { requantize, requantizeRelu } from '../model/int-reference.ts';
import {
  addLimbs,
  emitLimbCursor,
  emitLimbRouting,
  emitLogUpMain,
  emptyWidthCounts,
  groupStarts,
  type LogUpMain,
  lurCase,
  lurConstraints,
  lurLimbWidths,
} from '../model/logup-emit.ts';
import { type R1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols, witnessIgnoringAsserts } from '../witness.ts';
import { buildHarnessCircuit, lookupHarness, recountMultiplicities, setTableInverses } from './test-harness.ts';

/** [bIn, shift, bOut, relu]: every lurCase, full and narrow limbs, a last layer's wide output. */
const CONFIGS: [number, number, number, 0 | 1][] = [
  [20, 9, 8, 0], // case 2: clamp; r = 8 + 1 bits, L 7, H' 3
  [20, 9, 8, 1], // case 2 with ReLU
  [12, 5, 8, 0], // case 0: bY = 7 fits
  [12, 5, 8, 1], // case 1
  [19, 11, 8, 0], // case 0 at bY = bOut
  [19, 11, 8, 1], // case 1 at bY = bOut
  [32, 16, 8, 1], // wide
  [23, 8, 8, 0], // shift one full limb
  [21, 3, 19, 0], // logits-like: no clamp, 18-bit quotient
];

/** Accumulators that hit every branch of a config: both ends, zero, ±1, the clamp edges ± 1 quotient, a few others. */
function valuesFor([bIn, shift, bOut]: (typeof CONFIGS)[number]): bigint[] {
  const min = -(1n << BigInt(bIn - 1));
  const max = -min - 1n;
  const s = 1n << BigInt(shift);
  const hi = (1n << BigInt(bOut - 1)) - 1n;
  const lo = -(1n << BigInt(bOut - 1));
  const cand = [
    min,
    max,
    0n,
    1n,
    -1n,
    hi * s,
    hi * s + s - 1n,
    (hi + 1n) * s,
    lo * s,
    lo * s - 1n,
    (lo - 1n) * s + s - 1n,
    12345n,
    -54321n,
  ];
  return [...new Set(cand.filter((v) => v >= min && v <= max))];
}

interface Harness {
  circuit: BuiltCircuit;
  main: LogUpMain;
  params: (typeof CONFIGS)[number][];
  acc: bigint[];
  gadgetConstraints: number;
}

async function buildHarness(): Promise<Harness> {
  const params: (typeof CONFIGS)[number][] = [];
  const acc: bigint[] = [];
  for (const c of CONFIGS) {
    for (const v of valuesFor(c)) {
      params.push(c);
      acc.push(v);
    }
  }
  const N = acc.length;
  const counts = emptyWidthCounts();
  let gadgetConstraints = 0;
  for (const [bIn, shift, bOut, relu] of params) {
    addLimbs(counts, lurLimbWidths(bIn, shift, bOut, relu === 1));
    gadgetConstraints += lurConstraints(bIn, shift, bOut, relu === 1);
  }
  const col = (k: number) => params.map((p) => p[k]).join(', ');
  const main = emitLogUpMain([{ component: 'group', counts }]);
  const source = [
    'pragma circom 2.1.6;',
    'include "logup.circom";',
    'include "logup-quant.circom";',
    'template RqGroup() {',
    `    signal input acc[${N}];`,
    `    signal output out[${N}];`,
    `    signal output lk[${counts.reduce((a, n) => a + n, 0)}];`,
    `    var bIn[${N}] = [${col(0)}];`,
    `    var shift[${N}] = [${col(1)}];`,
    `    var bOut[${N}] = [${col(2)}];`,
    `    var relu[${N}] = [${col(3)}];`,
    ...emitLimbCursor(groupStarts(counts)),
    `    component rq[${N}];`,
    `    for (var i = 0; i < ${N}; i++) {`,
    '        rq[i] = LogUpRequant(bIn[i], shift[i], bOut[i], relu[i], 8);',
    '        rq[i].in <== acc[i];',
    '        out[i] <== rq[i].out;',
    ...emitLimbRouting('rq[i]', 'bIn[i], shift[i], bOut[i], relu[i]', '        '),
    '    }',
    '}',
    'template LogUpRequantHarness() {',
    `    signal input acc[${N}];`,
    '    signal input logupAlpha;',
    `    signal output out[${N}];`,
    '    component group = RqGroup();',
    `    for (var i = 0; i < ${N}; i++) group.acc[i] <== acc[i];`,
    `    for (var i = 0; i < ${N}; i++) out[i] <== group.out[i];`,
    ...main.lines,
    '}',
    '',
  ].join('\n');
  const circuit = await buildHarnessCircuit('logup-quant-harness', 'LogUpRequantHarness', source, ['logupAlpha', 'logupBlind']);
  return { circuit, main, params, acc, gadgetConstraints };
}

const expected = (h: Harness) =>
  h.acc.map((a, i) => {
    const [bIn, shift, bOut, relu] = h.params[i]!;
    return relu ? requantizeRelu(a, bIn, shift, bOut) : requantize(a, bIn, shift, bOut);
  });

describe('LogUpRequant: requantization with LogUp limbs of any width', () => {
  let h: Harness;
  let ls: LookupSetup;
  let r1cs: R1cs;
  before(async () => {
    ({ h, ls, r1cs } = await lookupHarness(buildHarness));
  });
  after(releaseVerifierResources);

  it('outputs exactly Requantize / RequantizeRelu, in every clamp case', async () => {
    const w = await calculateWitness(h.circuit.wasmPath, {
      acc: h.acc.map(String),
      logupAlpha: String(randomScalar()),
      logupBlind: '7',
    });
    assert.deepEqual(
      w.slice(1, h.acc.length + 1),
      expected(h).map((v) => mod(v, BN254_R)),
    );
  });

  it('costs what logup-emit.ts predicts: the gadgets, one α row per limb and table row', () => {
    // A case-0 output is t − 2^(bY−1), linear in committed limbs; here it is also a public output, so their equality
    // is a row of its own (in a model only the logits are: circuits/model/codegen.ts counts them the same way).
    const publicLinearOutputs = h.params.filter(([bIn, shift, bOut, relu]) => lurCase(bIn, shift, bOut, relu === 1) === 0).length;
    assert.equal(h.circuit.nConstraints, h.gadgetConstraints + h.main.constraints + publicLinearOutputs);
    assert.equal(ls.alphaRows, h.main.constraints);
  });

  it('a forged ReLU clamp (keep flipped, the output changed to match) breaks the IsZero on top·M + H′ − M', async () => {
    const sym = await readSymbols(h.circuit.symPath);
    const wire = (name: string) => {
      const k = sym.get(name);
      assert.ok(k !== undefined && k >= 0, name);
      return k;
    };
    // Config [20, 9, 8, 1]: 2^9 per quotient step, hi = 127. Above hi (y = 128): claim it fits, out = L = 0.
    // In range (12345 >> 9 = 24): claim it does not, out = hi. Each must leave a constraint unsatisfied.
    const forgeries: [bigint, bigint][] = [
      [128n * 512n, 0n],
      [12345n, 127n],
    ];
    for (const [acc, out] of forgeries) {
      const i = h.params.findIndex((p, j) => p.join() === '20,9,8,1' && h.acc[j] === acc);
      assert.ok(i >= 0, `harness has ${acc}`);
      const w = await calculateWitness(h.circuit.wasmPath, { acc: h.acc.map(String), logupAlpha: '5', logupBlind: '7' });
      const keep = wire(`main.group.rq[${i}].keep.out`);
      w[keep] = 1n - w[keep]!;
      w[wire(`main.out[${i}]`)] = out;
      assert.ok(unsatisfiedConstraints(r1cs, w).length > 0, `keep forged at acc ${acc}`);
    }
  });

  it('refuses an accumulator outside its signed bIn bits (no witness)', async () => {
    const acc = [...h.acc];
    acc[0] = 1n << BigInt(h.params[0]![0] - 1);
    await assert.rejects(proveWithLookups(ls, { acc: acc.map(String) }), { code: 'WITNESS_FAILED' });
  });

  it('proves and verifies the honest requantizations', async () => {
    const p = await proveWithLookups(ls, { acc: h.acc.map(String) });
    assert.deepEqual(verifyLookupProof(ls.statementKey, p), { ok: true });
    assert.deepEqual(
      p.publicSignals.slice(0, h.acc.length),
      expected(h).map((v) => mod(v, BN254_R).toString()),
    );
  });

  it('a forged clamp (a quotient one higher, its remainder negative) satisfies all but one table sum and is refused', async () => {
    // Element 0 is config [20, 9, 8, 0] at acc = −2^19: y = −1024, clamped to −128. Claim the quotient −1023 instead
    // (y + 1): then r = −512 + r₀, a negative remainder. The forger puts all of r into r's first (8-bit) limb as a
    // field element p − 512 and keeps the recomposition exact; every gadget constraint still holds (−1023 clamps to
    // −128 as well, so the output is unchanged: the point is that the lookups alone refuse the false division).
    const sym = await readSymbols(h.circuit.symPath);
    const honest = await calculateWitness(h.circuit.wasmPath, {
      acc: h.acc.map(String),
      logupAlpha: '5',
      logupBlind: '7',
    });
    const committedWire = (k: number) => ls.layout.committedIndices[k]! + 1;
    const limbs = h.main.tables.flatMap((t) => t.limbs);
    // Committed values: read from the honest witness, then changed.
    const values = ls.layout.committedIndices.map((i) => honest[i + 1]!);
    // Element 0's limbs are the first of their width groups: r's 8-bit and 1-bit limbs, L's 7-bit, H''s 3-bit.
    const t8 = h.main.tables.find((t) => t.width === 8)!;
    const t1 = h.main.tables.find((t) => t.width === 1)!;
    const t3 = h.main.tables.find((t) => t.width === 3)!;
    assert.equal(values[t8.limbs[0]!], 0n, 'honest r = 0');
    values[t8.limbs[0]!] = mod(-512n, BN254_R);
    values[t1.limbs[0]!] = 0n;
    // t = y + 2^10 goes from 0 to 1: L = 1 (7-bit limb), H' = 0, top = 0.
    const t7 = h.main.tables.find((t) => t.width === 7)!;
    values[t7.limbs[0]!] = 1n;
    assert.equal(values[t3.limbs[0]!], 0n);
    // Multiplicities: recount every table from the forged limbs (the out-of-table value is counted nowhere).
    recountMultiplicities(h.main, values);
    const blind = randomScalar();
    values[values.length - 1] = blind;
    const commitment = await commitPublicInputs(ls.key, values);
    const alpha = logupChallenge(commitment.point);
    const { w } = await witnessIgnoringAsserts(h.circuit.wasmPath, {
      acc: h.acc.map(String),
      logupAlpha: alpha.toString(),
      logupBlind: blind.toString(),
    });
    values.forEach((v, k) => {
      w[committedWire(k)] = v;
    });
    // The gadget's private wires for element 0: r and t, and the bits the clamp uses.
    const set = (name: string, v: bigint) => {
      const wire = sym.get(name);
      if (wire !== undefined && wire >= 0) w[wire] = mod(v, BN254_R);
    };
    set('main.group.rq[0].r', -512n);
    set('main.group.rq[0].t', 1n);
    set('main.group.rq[0].low', 1n);
    set('main.group.rq[0].high', 0n);
    set('main.group.rq[0].top', 0n);
    // Every table's inverse wires at this α, from the (forged) committed values.
    setTableInverses(h.main, values, alpha, set);
    assert.ok(limbs.length > 0);
    const bad = unsatisfiedConstraints(r1cs, w);
    assert.equal(bad.length, 1, `only the 8-bit table's sum fails (failing: ${bad.join(', ')})`);
    const p = await proveLookupWitness(ls, w);
    assert.deepEqual(verifyLookupProof(ls.statementKey, p), { ok: false, reason: 'PROOF_INVALID' });
  });
});
