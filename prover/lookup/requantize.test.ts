/**
 * LogUpRequantize (circuits/lib/logup.circom): floor division by 2^shift with its remainder and quotient range-checked
 * by LogUp limbs, against quant.circom's Requantize (bit decompositions) on the same statement. The exact integer
 * rule is BigInt's `>>` (floor toward −∞), as in circuits/model/int-reference.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildCircuit } from '../../circuits/build.ts';
import { type R1cs, readR1cs, unsatisfiedConstraints } from '../../circuits/r1cs.ts';
import { calculateWitness, readSymbols } from '../../circuits/witness.ts';
import { BN254_R, mod } from '../../common/bn254.ts';
import { releaseVerifierResources } from '../verify.ts';
import { proveLookupWitness, proveWithLookups } from './prove.ts';
import { ensureLookupSetup } from './setup.ts';
import { countsOf, type DemoFixture, forgeLookupWitness } from './test-forge.ts';
import { verifyLookupProof } from './verify.ts';

const N = 4;
const B_IN = 32;
const SHIFT = 16;
const B = 8;
const T = 1 << B;
const LIMBS = B_IN / B;

/** The limbs LogUpRequantize looks up: r's, then t = y + 2^(bY−1)'s, B bits each. */
function limbsOf(acc: bigint, y: bigint, r: bigint): bigint[] {
  const t = y + (1n << BigInt(B_IN - SHIFT - 1));
  const split = (v: bigint, n: number) => Array.from({ length: n }, (_, k) => (v >> BigInt(B * k)) & BigInt(T - 1));
  assert.equal(y * (1n << BigInt(SHIFT)) + r, acc);
  return [...split(r, SHIFT / B), ...split(t, (B_IN - SHIFT) / B)];
}

describe('LogUpRequantize: requantization with LogUp range checks', () => {
  let fx: DemoFixture;
  let r1cs: R1cs;
  const acc = [123456789n, -123456789n, -(1n << 31n), (1n << 31n) - 1n];

  before(async () => {
    const circuit = await buildCircuit({
      name: 'logup-requantize-demo',
      include: 'logup-demo.circom',
      instance: `LogUpRequantizeDemo(${N}, ${B_IN}, ${SHIFT}, ${B})`,
      publicInputs: ['logupAlpha', 'logupBlind'],
    });
    fx = { circuit, ls: await ensureLookupSetup(circuit), sym: await readSymbols(circuit.symPath) };
    r1cs = await readR1cs(circuit.r1csPath);
  });
  after(releaseVerifierResources);

  it('computes floor(acc / 2^shift) exactly, with fewer constraints than bit decomposition', async (t) => {
    const bits = await buildCircuit({
      name: 'bits-requantize-demo',
      include: 'logup-demo.circom',
      instance: `BitsRequantizeDemo(${N}, ${B_IN}, ${SHIFT})`,
      publicInputs: [],
    });
    const w = await calculateWitness(bits.wasmPath, { acc: acc.map(String) });
    assert.deepEqual(
      w.slice(1, N + 1),
      acc.map((a) => mod(a >> BigInt(SHIFT), BN254_R)),
      'the bit version agrees',
    );
    const p = await proveWithLookups(fx.ls, { acc: acc.map(String) });
    assert.deepEqual(verifyLookupProof(fx.ls.statementKey, p), { ok: true });
    assert.deepEqual(
      p.publicSignals.slice(0, N),
      acc.map((a) => mod(a >> BigInt(SHIFT), BN254_R).toString()),
    );
    t.diagnostic(
      `${N} requantizations ${B_IN}→${B_IN - SHIFT} bits: LogUp ${fx.circuit.nConstraints} constraints (table ${T + 1}), bits ${bits.nConstraints}`,
    );
    assert.equal(fx.ls.alphaRows, N * LIMBS + T, 'one α row per limb and per table row');
    // Besides: the sum, and at most one linear row per value (circom --O2 folds some into their neighbours).
    assert.ok(fx.circuit.nConstraints <= N * LIMBS + T + 1 + N);
    // Per value, LIMBS lookups against B_IN constraints: the table pays for itself from T / (B_IN - LIMBS) values.
    assert.equal(bits.nConstraints, N * B_IN);
  });

  it('refuses an accumulator outside signed 32 bits', async () => {
    await assert.rejects(proveWithLookups(fx.ls, { acc: [String(1n << 31n), '0', '0', '0'] }), { code: 'WITNESS_FAILED' });
  });

  it('a forged quotient (one more, remainder made negative) cannot be proven', async () => {
    const ys = acc.map((a) => a >> BigInt(SHIFT));
    const rs = acc.map((a, i) => a - ys[i]! * (1n << BigInt(SHIFT)));
    const f = acc.flatMap((a, i) => limbsOf(a, ys[i]!, rs[i]!));
    // Claim y₀ + 1: then r₀ must be r₀ − 2^shift < 0. Its first limb carries all of it (a field element far outside
    // the table), so the recomposition still holds and only the lookup can object.
    const forgedR = rs[0]! - (1n << BigInt(SHIFT));
    const t0 = ys[0]! + 1n + (1n << BigInt(B_IN - SHIFT - 1));
    f[0] = mod(forgedR, BN254_R);
    f[1] = 0n;
    f[2] = t0 & BigInt(T - 1);
    f[3] = t0 >> BigInt(B);
    const m = countsOf(
      f.filter((v) => v < BigInt(T)),
      T,
    );
    const outs = Object.fromEntries(ys.map((y, i) => [`main.out[${i}]`, i === 0 ? y + 1n : y]));
    const { w } = await forgeLookupWitness(fx, { acc: acc.map(String) }, f, m, outs);
    assert.deepEqual(unsatisfiedConstraints(r1cs, w).length, 1, 'only the LogUp sum fails');
    const p = await proveLookupWitness(fx.ls, w);
    assert.equal(p.publicSignals[0], mod(ys[0]! + 1n, BN254_R).toString(), 'the proof claims the forged quotient');
    assert.deepEqual(verifyLookupProof(fx.ls.statementKey, p), { ok: false, reason: 'PROOF_INVALID' });
  });
});
