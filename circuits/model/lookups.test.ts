/**
 * Issue 17: model circuits whose dense/conv requantizations range-check by LogUp lookups (codegen option
 * `lookups: 'logup'`, logup-emit.ts). Each case: circom's count equals the generator's (the compile checks it), the
 * logits equal the integer reference bit for bit, every constraint holds, fewer constraints than bit decompositions,
 * and a two-round proof (prover/lookup) verifies with the logits as its statement. The lookup gadget's own
 * forged-witness tests are in circuits/lib/logup-quant.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { writeLenetModel } from '../../bench/lenet-model.ts';
import { writeMlpModel } from '../../bench/mlp-model.ts';
import { BN254_R, mod } from '../../common/bn254.ts';
import { readCalibrationCsv } from '../../prover/inference.ts';
import { proveWithLookups } from '../../prover/lookup/prove.ts';
import { ensureLookupSetup } from '../../prover/lookup/setup.ts';
import { verifyLookupProof } from '../../prover/lookup/verify.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import { readR1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols } from '../witness.ts';
import { buildModelCircuit, type CodegenOptions, generateCircom, modelCircuitInput } from './codegen.ts';
import { importOnnx } from './import.ts';
import { quantizeInput, runInt } from './int-exec.ts';
import { fromField } from './int-reference.ts';
import { quantizeModel } from './quantize.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-lookups-'));
after(() => rm(dir, { recursive: true, force: true }));
after(releaseVerifierResources);

async function quantized(files: { onnx: string; csv: string }) {
  const ir = importOnnx(files.onnx);
  const rows = await readCalibrationCsv(
    files.csv,
    ir.inputShape.reduce((a, b) => a * b, 1),
  );
  return {
    qm: quantizeModel(
      ir,
      rows.map((r) => r.input),
    ),
    rows,
  };
}

async function check(files: { onnx: string; csv: string }, opts: CodegenOptions, prove: boolean) {
  const { qm, rows } = await quantized(files);
  const model = await buildModelCircuit(qm, { ...opts, lookups: 'logup' });
  assert.equal(model.circuit.nConstraints, model.generated.totalConstraints);
  const bits = generateCircom(qm, opts);
  assert.ok(
    model.circuit.nConstraints < bits.totalConstraints,
    `LogUp ${model.circuit.nConstraints} constraints, bit decompositions ${bits.totalConstraints}`,
  );
  const input = quantizeInput(qm, rows[0]!.input);
  const ref = runInt(qm, input);
  const witnessInput = { ...modelCircuitInput(qm, input, opts), logupAlpha: 12345n, logupBlind: 7n };
  const w = await calculateWitness(model.circuit.wasmPath, witnessInput);
  const sym = await readSymbols(model.circuit.symPath);
  assert.deepEqual(
    ref.logits.map((_, i) => fromField(w[sym.get(`main.logits[${i}]`)!]!)),
    ref.logits,
  );
  assert.deepEqual(unsatisfiedConstraints(await readR1cs(model.circuit.r1csPath), w), []);
  if (prove) {
    const ls = await ensureLookupSetup(model.circuit);
    assert.equal(ls.alphaRows, alphaRowsOf(model.generated.source), 'one α row per limb and per table row');
    const { logupAlpha: _a, logupBlind: _b, ...plain } = witnessInput;
    const p = await proveWithLookups(ls, plain);
    assert.deepEqual(verifyLookupProof(ls.statementKey, p), { ok: true });
    // The statement: the public signals without the committed ones, in order; the logits are among them.
    const names = model.generated.publicSignals.filter((n) => !n.startsWith('logupCommitted[') && n !== 'logupBlind');
    assert.deepEqual(
      ref.logits.map((_, i) => p.publicSignals[names.indexOf(`logits[${i}]`)]),
      ref.logits.map((v) => mod(v, BN254_R).toString()),
    );
  }
  return { model, bits };
}

/** α rows from the emitted tables: Σ over `LogUpRangeTable(n, k)` of n + 2^k. */
function alphaRowsOf(source: string): number {
  let rows = 0;
  for (const m of source.matchAll(/LogUpRangeTable\((\d+), (\d+)\)/g)) rows += Number(m[1]) + 2 ** Number(m[2]);
  return rows;
}

describe('model circuits with LogUp range checks (issue 17)', () => {
  it('a small LeNet with Poseidon-committed weights: fewer constraints, same logits, a proof that verifies', async () => {
    const files = await writeLenetModel(path.join(dir, 'lenet'), { side: 12, c1: 3, c2: 4, hidden: [8] }, 8);
    await check(files, { name: 'logup-lenet12', weights: 'private-committed', input: 'private-hashed' }, true);
  });

  it('784-input neurons with public weights, split over part templates: the parts route their limbs by width', async () => {
    const files = await writeMlpModel(path.join(dir, 'mlp'), [784, 24, 10], 8);
    const { model } = await check(files, { name: 'logup-mlp784', weights: 'public-constants', input: 'public' }, false);
    assert.match(model.generated.source, /^template Layer0Part1\(\)/m);
    assert.match(model.generated.source, /lk\[\d+ \+ i\] <== part1\.lk\[/);
  });

  it('refuses lookups with Pedersen weights (two commitments in one proof are not built yet)', async () => {
    const files = await writeMlpModel(path.join(dir, 'mlp-small'), [16, 8, 4], 8);
    const { qm } = await quantized(files);
    assert.throws(() => generateCircom(qm, { name: 'x', weights: 'private-pedersen', input: 'public', lookups: 'logup' }), {
      code: 'BAD_INPUT',
    });
  });
});
