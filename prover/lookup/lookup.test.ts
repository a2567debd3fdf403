import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bn254 } from '@noble/curves/bn254.js';
import { type BuiltCircuit, buildCircuit } from '../../circuits/build.ts';
import { type R1cs, readR1cs, unsatisfiedConstraints } from '../../circuits/r1cs.ts';
import { BN254_R } from '../../common/bn254.ts';
import { cacheDir } from '../../common/config.ts';
import { writeFileAtomic } from '../../common/fs.ts';
import { bindCommitment, g1Json } from '../commitment.ts';
import { releaseVerifierResources } from '../verify.ts';
import { g1, verifyGroth16Noble } from '../verify-noble.ts';
import { logupChallenge } from './challenge.ts';
import { checkLookupShape } from './circuit.ts';
import { proveLookupWitness, proveWithLookups } from './prove.ts';
import { ensureLookupSetup, type LookupSetup } from './setup.ts';
import { countsOf, DEMO, type DemoFixture, demoFixture, forgeChosenAlpha, forgeDemoWitness, limbsOf } from './test-forge.ts';
import { type LookupProof, verifyLookupProof } from './verify.ts';

const { N, L, T } = DEMO;

describe('LogUp range checks in Groth16 with a committed first round (prover/lookup)', () => {
  let ls: LookupSetup;
  let circuit: BuiltCircuit;
  let r1cs: R1cs;
  let fx: DemoFixture;
  let SUM_ROW: number;

  before(async () => {
    fx = await demoFixture();
    ({ circuit, ls } = fx);
    r1cs = await readR1cs(circuit.r1csPath);
    // circom --O2 folds the sum Σ invF = Σ invT into one table row (the one whose inverse it substitutes): the row
    // with more than one term in its inverse side.
    SUM_ROW = r1cs.constraints.findIndex(({ a, b }) => Math.max(a.size, b.size) > 2);
    assert.ok(SUM_ROW >= 0);
  });
  after(releaseVerifierResources);

  it('setup finds the committed signals, checks the α rows and keeps the committed IC points out of the statement key', () => {
    assert.equal(ls.alphaRows, N * L + T, 'one α row per lookup and per table row');
    assert.equal(circuit.nConstraints, N * L + T + 1);
    assert.equal(ls.layout.committedIndices.length, N * L + T + 1);
    assert.equal(ls.statementKey.nPublic, 2, 'statement: sum and α');
    assert.equal((ls.statementKey.IC as unknown[]).length, 3);
  });

  it('proves and verifies in range values; the statement is (sum, α = H(D))', async () => {
    const x = [1n, 65535n, 300n, 0n];
    const p = await proveWithLookups(ls, { x: x.map(String) });
    assert.deepEqual(verifyLookupProof(ls.statementKey, p), { ok: true });
    assert.equal(p.publicSignals[0], String(x.reduce((s, v) => s + v, 0n)));
    assert.equal(p.publicSignals[1], logupChallenge(p.commitment.point).toString());
  });

  it('an out-of-range value has no honest witness, and a forged one cannot be proven', async () => {
    await assert.rejects(proveWithLookups(ls, { x: ['65536', '1', '2', '3'] }), { code: 'WITNESS_FAILED' });
    // 65536 = 16·2^12: limbs (0, 0, 0, 16) recompose it, and 16 is outside the table {0..15}.
    const x = [65536n, 1n, 2n, 3n];
    const f = limbsOf(x);
    f[3] = 16n;
    const { w } = await forgeDemoWitness(fx, x, f, countsOf(f));
    assert.deepEqual(unsatisfiedConstraints(r1cs, w), [SUM_ROW], 'only the LogUp sum fails at α = H(D)');
    const p = await proveLookupWitness(ls, w);
    assert.deepEqual(verifyLookupProof(ls.statementKey, p), { ok: false, reason: 'PROOF_INVALID' });
  });

  it('a wrong multiplicity cannot be proven', async () => {
    const x = [5n, 6n, 7n, 8n];
    const f = limbsOf(x);
    const m = countsOf(f);
    m[5] = m[5]! + 1n;
    m[0] = m[0]! - 1n; // the counts still add up to N·L
    const { w } = await forgeDemoWitness(fx, x, f, m);
    assert.deepEqual(unsatisfiedConstraints(r1cs, w), [SUM_ROW]);
    const p = await proveLookupWitness(ls, w);
    assert.deepEqual(verifyLookupProof(ls.statementKey, p), { ok: false, reason: 'PROOF_INVALID' });
  });

  it('a witness satisfying every constraint at an α of the prover’s choosing is refused: α ≠ H(D)', async () => {
    const { w, commitment } = await forgeChosenAlpha(fx);
    assert.deepEqual(unsatisfiedConstraints(r1cs, w), [], 'the R1CS alone is satisfied');
    const p = await proveLookupWitness(ls, w);
    const { zkai_lookup: _, ...plain } = ls.statementKey;
    assert.ok(verifyGroth16Noble(bindCommitment(plain, commitment.point), p.proof, p.publicSignals), 'Groth16 alone accepts');
    assert.deepEqual(verifyLookupProof(ls.statementKey, p), { ok: false, reason: 'CHALLENGE_MISMATCH' });
  });

  it('a proof with a swapped or altered D is refused', async () => {
    const [p1, p2] = [await proveWithLookups(ls, { x: ['1', '2', '3', '4'] }), await proveWithLookups(ls, { x: ['9', '8', '7', '6'] })];
    assert.deepEqual(verifyLookupProof(ls.statementKey, p2), { ok: true });
    const swapped: LookupProof = { ...p1, commitment: p2.commitment };
    assert.deepEqual(verifyLookupProof(ls.statementKey, swapped), { ok: false, reason: 'CHALLENGE_MISMATCH' });
    // ...also with the α signal that goes with the swapped D.
    const withAlpha: LookupProof = { ...swapped, publicSignals: [p1.publicSignals[0]!, p2.publicSignals[1]!] };
    assert.deepEqual(verifyLookupProof(ls.statementKey, withAlpha), { ok: false, reason: 'PROOF_INVALID' });
    // D shifted by a point whose κ-multiple the prover cannot form: the proof of knowledge fails.
    const shifted = g1Json(g1(p1.commitment.point, 'D').add(bn254.G1.Point.BASE));
    assert.deepEqual(verifyLookupProof(ls.statementKey, { ...p1, commitment: { ...p1.commitment, point: shifted } }), {
      ok: false,
      reason: 'COMMITMENT_INVALID',
    });
  });

  it('setup refuses a circuit whose looked-up values are not committed', async () => {
    const file = cacheDir('test-circuits', 'logup-uncommitted.circom');
    await writeFileAtomic(
      file,
      `pragma circom 2.1.6;
include "logup.circom";
template Uncommitted(N, B) {
    signal input x[N];
    signal input logupAlpha;
    signal input logupBlind;
    signal output logupCommitted[1 << B];
    component count = LogUpCount(N, B);
    component table = LogUpRangeTable(N, B);
    for (var i = 0; i < N; i++) {
        count.f[i] <== x[i];
        table.logupF[i] <== x[i];
    }
    for (var j = 0; j < (1 << B); j++) {
        logupCommitted[j] <== count.m[j];
        table.logupM[j] <== logupCommitted[j];
    }
    table.alpha <== logupAlpha;
}
`,
    );
    const bad = await buildCircuit({
      name: 'logup-uncommitted',
      include: path.basename(file),
      instance: 'Uncommitted(2, 2)',
      publicInputs: ['logupAlpha', 'logupBlind'],
      extraSources: [file],
    });
    await assert.rejects(ensureLookupSetup(bad), { code: 'BAD_INPUT', message: /not committed before α/ });
  });

  it('the shape check refuses α in a numerator or on both sides', () => {
    const layout = { committedIndices: [0], alphaIndex: 1 }; // wire 1 committed, wire 2 = α
    const lc = (...e: [number, bigint][]) => new Map(e);
    const r = (a: Map<number, bigint>, b: Map<number, bigint>, c: Map<number, bigint>): R1cs => ({
      prime: BN254_R,
      nWires: 4,
      nPubOut: 2,
      nPubIn: 0,
      nPrvIn: 1,
      nConstraints: 1,
      constraints: [{ a, b, c }],
    });
    assert.equal(checkLookupShape(r(lc([3, 1n]), lc([2, 1n], [1, -1n]), lc([0, 1n])), layout), 1);
    assert.throws(() => checkLookupShape(r(lc([3, 1n]), lc([1, 1n]), lc([2, 1n])), layout), { code: 'BAD_INPUT' });
    assert.throws(() => checkLookupShape(r(lc([2, 1n]), lc([2, 1n]), lc([0, 1n])), layout), { code: 'BAD_INPUT' });
    assert.throws(() => checkLookupShape(r(lc([3, 1n]), lc([2, 1n], [3, 1n]), lc([0, 1n])), layout), { code: 'BAD_INPUT' });
  });
});
