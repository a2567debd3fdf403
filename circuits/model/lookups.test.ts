/**
 * Issue 17: model circuits whose dense/conv requantizations range-check by LogUp lookups (codegen option
 * `lookups: 'logup'`, logup-emit.ts). Each case: circom's count equals the generator's (the compile checks it), the
 * logits equal the integer reference bit for bit, every constraint holds, fewer constraints than bit decompositions,
 * and a two-round proof (prover/lookup) verifies with the logits as its statement. The lookup gadget's own
 * forged-witness tests are in circuits/lib/logup-quant.test.ts. With Pedersen weights a proof carries two commitments,
 * and its bundle verifies through verify-core like any other (Node: snarkjs and noble).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { writeLenetModel } from '../../bench/lenet-model.ts';
import { prng, writeMlpModel } from '../../bench/mlp-model.ts';
import { BN254_R, mod } from '../../common/bn254.ts';
import { makeBundle } from '../../prover/bundle.ts';
import { commitPublicInputs, randomScalar } from '../../prover/commitment.ts';
import { readCalibrationCsv } from '../../prover/inference.ts';
import { proveWithLookups } from '../../prover/lookup/prove.ts';
import { ensureLookupSetup, lookupStatementKey } from '../../prover/lookup/setup.ts';
import { verifyLookupProof } from '../../prover/lookup/verify.ts';
import { ensureCommitmentKey } from '../../prover/setup/index.ts';
import { releaseVerifierResources, verifyBundle } from '../../prover/verify.ts';
import { committedVerifierSolidity } from '../../verifier-contracts/committed-verifier.ts';
import { lookupVerifierSolidity } from '../../verifier-contracts/lookup-verifier.ts';
import { readR1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols } from '../witness.ts';
import { buildModelCircuit, type CodegenOptions, generateCircom, modelCircuitInput } from './codegen.ts';
import { weightElements } from './commit.ts';
import { importOnnx } from './import.ts';
import { quantizeInput, runInt } from './int-exec.ts';
import { fromField } from './int-reference.ts';
import { linearRowsLeft, lurCase } from './logup-emit.ts';
import { encodeOnnx } from './onnx.ts';
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

/** `fewer`: also check that LogUp costs fewer constraints than bits (not for a width forced on a small model). */
async function check(files: { onnx: string; csv: string }, opts: CodegenOptions, fewer = true) {
  const { qm, rows } = await quantized(files);
  const model = await buildModelCircuit(qm, { ...opts, lookups: 'logup' });
  assert.equal(model.circuit.nConstraints, model.generated.totalConstraints);
  const bits = generateCircom(qm, opts);
  assert.ok(
    !fewer || model.circuit.nConstraints < bits.totalConstraints,
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
  return { model, bits };
}

/** Writes a test model's ONNX file and 8 calibration rows of `inputs` values in [0, 1). */
async function writeModelFiles(dir: string, name: string, onnx: Uint8Array, inputs: number, rand: () => number) {
  await mkdir(dir, { recursive: true });
  const files = { onnx: path.join(dir, `${name}.onnx`), csv: path.join(dir, 'calibration.csv') };
  const lines = [Array.from({ length: inputs }, (_, i) => `x${i}`).join(',')];
  for (let r = 0; r < 8; r++) lines.push(Array.from({ length: inputs }, () => rand().toFixed(3)).join(','));
  await writeFile(files.onnx, onnx);
  await writeFile(files.csv, `${lines.join('\n')}\n`);
  return files;
}

/**
 * A model whose logits are a convolution's outputs: 5×5 input, conv 3×3 → c1 channels, ReLU, conv 2×2 → c2 channels
 * in `group` groups, flattened (c2·4 logits read from c1·9 values).
 */
async function writeConvHead(dir: string, c1: number, c2: number, group: number) {
  const rand = prng(9);
  const initializers: Parameters<typeof encodeOnnx>[0]['initializers'] = [];
  const param = (name: string, dims: number[]) =>
    initializers.push({ name, dims, floats: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (rand() * 2 - 1) * 0.6) });
  param('c1w', [c1, 1, 3, 3]);
  param('c1b', [c1]);
  param('c2w', [c2, c1 / group, 2, 2]);
  param('c2b', [c2]);
  const onnx = encodeOnnx({
    inputs: [{ name: 'x', shape: [1, 1, 5, 5] }],
    outputs: [{ name: 'y' }],
    initializers,
    nodes: [
      { name: 'conv1', opType: 'Conv', input: ['x', 'c1w', 'c1b'], output: ['a1'], ints: { kernel_shape: [3, 3] } },
      { name: 'relu1', opType: 'Relu', input: ['a1'], output: ['r1'] },
      { name: 'conv2', opType: 'Conv', input: ['r1', 'c2w', 'c2b'], output: ['a2'], ints: { kernel_shape: [2, 2] }, int: { group } },
      { name: 'flat', opType: 'Flatten', input: ['a2'], output: ['y'], int: { axis: 1 } },
    ],
  });
  return writeModelFiles(dir, 'conv', onnx, 25, rand);
}

/**
 * A model with max pooling: 6×6 input, conv 3×3 → 4 channels (padding 1), ReLU, MaxPool(kernel, stride), flattened,
 * dense → 10 logits.
 */
async function writePoolModel(dir: string, kernel: number, stride: number) {
  const rand = prng(11);
  const initializers: Parameters<typeof encodeOnnx>[0]['initializers'] = [];
  const param = (name: string, dims: number[]) =>
    initializers.push({ name, dims, floats: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (rand() * 2 - 1) * 0.6) });
  const pooled = Math.floor((6 - kernel) / stride) + 1;
  param('cw', [4, 1, 3, 3]);
  param('cb', [4]);
  param('fw', [10, 4 * pooled * pooled]);
  param('fb', [10]);
  const onnx = encodeOnnx({
    inputs: [{ name: 'x', shape: [1, 1, 6, 6] }],
    outputs: [{ name: 'y' }],
    initializers,
    nodes: [
      { name: 'conv', opType: 'Conv', input: ['x', 'cw', 'cb'], output: ['a'], ints: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { name: 'relu', opType: 'Relu', input: ['a'], output: ['r'] },
      { name: 'pool', opType: 'MaxPool', input: ['r'], output: ['p'], ints: { kernel_shape: [kernel, kernel], strides: [stride, stride] } },
      { name: 'flat', opType: 'Flatten', input: ['p'], output: ['f'], int: { axis: 1 } },
      { name: 'fc', opType: 'Gemm', input: ['f', 'fw', 'fb'], output: ['y'], int: { transB: 1 } },
    ],
  });
  return writeModelFiles(dir, 'pool', onnx, 36, rand);
}

/** α rows from the emitted tables: Σ over `LogUpRangeTable(n, k)` of n + 2^k. */
function alphaRowsOf(source: string): number {
  let rows = 0;
  for (const m of source.matchAll(/LogUpRangeTable\((\d+), (\d+)\)/g)) rows += Number(m[1]) + 2 ** Number(m[2]);
  return rows;
}

describe('model circuits with LogUp range checks (issue 17)', () => {
  it('an MLP with Poseidon-committed weights: fewer constraints, the same logits, every constraint holds', async () => {
    const files = await writeMlpModel(path.join(dir, 'mlp-poseidon'), [64, 24, 10], 8);
    await check(files, { name: 'logup-mlp64-poseidon', weights: 'private-committed', input: 'private-hashed' });
  });

  it('limbs of up to 10 bits: the same logits; the generator keeps the width with the fewest constraints', async () => {
    const files = await writeMlpModel(path.join(dir, 'mlp-b10'), [64, 24, 10], 8);
    const opts: CodegenOptions = { name: 'logup-mlp64-b10', weights: 'public-constants', input: 'public' };
    // At this size the 10-bit tables (2,046 rows) cost more than they save: the generator itself picks a narrower B.
    const { model } = await check(files, { ...opts, limbBits: 10 }, false);
    assert.match(model.generated.source, /LogUpRequant\(\d+, shift\[c\], \d+, \d, 10\)/);
    assert.match(model.generated.source, /LogUpSignedRange\(64, \d+, 10\)/);
    const { qm } = await quantized(files);
    const counts = [8, 9, 10].map((limbBits) => generateCircom(qm, { ...opts, lookups: 'logup', limbBits }).totalConstraints);
    assert.equal(generateCircom(qm, { ...opts, lookups: 'logup' }).totalConstraints, Math.min(...counts));
    assert.throws(() => generateCircom(qm, { ...opts, lookups: 'logup', limbBits: 12 }), { code: 'BAD_INPUT' });
    // Setup accepts its 9- and 10-bit tables (the α-row shape check), and a two-round proof verifies with the logits.
    const ls = await ensureLookupSetup(model.circuit);
    assert.equal(ls.alphaRows, alphaRowsOf(model.generated.source));
    assert.match(model.generated.source, /LogUpRangeTable\(\d+, 10\)/);
    const input = quantizeInput(qm, (await quantized(files)).rows[0]!.input);
    const p = await proveWithLookups(ls, modelCircuitInput(qm, input, opts));
    assert.deepEqual(verifyLookupProof(ls.statementKey, p), { ok: true });
    assert.deepEqual(
      runInt(qm, input).logits.map((v) => mod(v, BN254_R).toString()),
      p.publicSignals.slice(0, 10),
    );
  });

  it('max pooling by LogUpMax where windows do not overlap: circom counts what the generator does, the same logits', async () => {
    // 2×2 windows, stride 2: each window's recomposition rows are solved for its own cells, so a window costs its
    // products alone (3) and 4 lookups; with committed weights and with public ones (whose logits' division rows also
    // look for free inputs among the pooled values).
    const files = await writePoolModel(path.join(dir, 'pool2'), 2, 2);
    for (const weights of ['private-committed', 'public-constants'] as const) {
      const opts: CodegenOptions = { name: `logup-maxpool2-${weights}`, weights, input: 'private-hashed' };
      const { model, bits } = await check(files, opts);
      assert.match(model.generated.source, /LogUpMax\(4, \d+, \d+\)/);
      assert.doesNotMatch(model.generated.source, / = Max\(/);
      const pool = model.generated.layerCosts.find((c) => c.kind === 'maxpool2d (LogUp)');
      assert.equal(pool?.constraints, 4 * 9 * 3, 'four channels of 9 windows, 3 products each');
      const bitsPool = bits.layerCosts.find((c) => c.kind === 'maxpool2d');
      assert.ok(bitsPool && bitsPool.constraints > 4 * pool.constraints, `bits ${bitsPool?.constraints}`);
    }
  });

  it('max pooling over overlapping windows keeps Max with bit decompositions, and its count', async () => {
    const files = await writePoolModel(path.join(dir, 'pool3'), 3, 2);
    const { model } = await check(files, { name: 'logup-maxpool3', weights: 'private-committed', input: 'private-hashed' });
    assert.match(model.generated.source, / = Max\(9, /);
    assert.doesNotMatch(model.generated.source, /LogUpMax/);
  });

  it("LeNet-5 on 28×28 with Pedersen weights: at least 2× fewer constraints than bit decompositions (issue 17's target)", async () => {
    // The generator's counts (every compile checks circom's against them; docs/lookups.md has LeNet-5's compiled).
    const fixtures = path.join(import.meta.dirname, 'fixtures');
    const ir = importOnnx(path.join(fixtures, 'lenet5_28.onnx'));
    const rows = (await readCalibrationCsv(path.join(fixtures, 'digits28_test.csv'), 784)).slice(0, 100);
    const qm = quantizeModel(
      ir,
      rows.map((r) => r.input),
    );
    const opts: CodegenOptions = { name: 'lenet5', weights: 'private-pedersen', input: 'private-hashed' };
    const bits = generateCircom(qm, opts).totalConstraints;
    const logup = generateCircom(qm, { ...opts, lookups: 'logup' }).totalConstraints;
    assert.ok(2 * logup <= bits, `LogUp ${logup}, bits ${bits}`);
  });

  it('public weights, logits read from fewer free values than there are logits: the division rows that stay are counted', async () => {
    // A case-0 LogUpRequant (no clamp, no ReLU: the logits) divides by a linear row that circom --O2 removes only by
    // solving it for one of the layer's inputs not already fixed by public signals: 10 logits from 4 hidden values
    // leave 6 rows; from the input itself (public, or private and substituted by its limbs) all 10 stay; from a
    // hidden layer that is itself case 0 (linear, no ReLU, small weights) all 10 stay, and that layer's 3 too.
    const cases = [
      { widths: [16, 4, 10], input: 'private-hashed', rows: [16, 6] },
      { widths: [16, 10], input: 'public', rows: [10] },
      { widths: [4, 3, 10], input: 'public', rows: [3, 10], linear: true },
    ] as const;
    for (const { widths, input, rows, ...c } of cases) {
      const name = `logup-pub-${widths.join('-')}`;
      const files = await writeMlpModel(path.join(dir, name), [...widths], 8, 'linear' in c ? { relu: false, weightScale: 0.02 } : {});
      const { qm } = await quantized(files);
      const dense = qm.layers.filter((l) => l.kind === 'dense');
      if ('linear' in c) assert.ok(dense[0]!.shift.every((s) => lurCase(dense[0]!.accBits, s, dense[0]!.outBits, false) === 0));
      const { model } = await check(files, { name, weights: 'public-constants', input }, false);
      // The rows that stay are all a case-0 layer costs besides its lookups (the ReLU hidden layer: 4 per value, case 2).
      assert.deepEqual(
        model.generated.layerCosts.filter((l) => l.kind === 'dense').map((l) => l.constraints),
        [...rows],
      );
    }
  });

  it('public weights, convolution logits: the rows that stay, per conv group', async () => {
    // 16 logits from 9 values keep 7 rows; 24 in 2 groups, each 12 from its group's 9 values, keep 3 + 3.
    for (const [c1, c2, group, rows] of [
      [1, 4, 1, 7],
      [2, 6, 2, 6],
    ] as const) {
      const name = `logup-convhead-${c1}-${c2}-${group}`;
      const { model } = await check(
        await writeConvHead(path.join(dir, name), c1, c2, group),
        {
          name,
          weights: 'public-constants',
          input: 'private-hashed',
        },
        false,
      );
      assert.equal(model.generated.layerCosts.filter((l) => l.kind === 'conv2d').at(-1)!.constraints, rows);
    }
  });

  it('linearRowsLeft: the rank over the substitutable signals, mod r', () => {
    const row = (o: Record<string, bigint>) => new Map(Object.entries(o));
    // Independent rows: each solved for a signal of its own.
    assert.equal(linearRowsLeft([row({ a: 3n, b: 1n }), row({ a: 1n, b: 2n })]), 0);
    // Equal weights (or a row that is a combination of others) leave a row; a row with no such signal stays.
    assert.equal(linearRowsLeft([row({ a: 2n, b: -1n }), row({ a: 2n, b: -1n }), row({})]), 2);
    assert.equal(linearRowsLeft([row({ a: 1n }), row({ b: 1n }), row({ a: 5n, b: -7n })]), 1);
    // More signals than rows: every row substituted.
    assert.equal(linearRowsLeft([row({ a: 1n, b: 1n, c: 1n })]), 0);
    // Dependence mod r counts, not over the integers: r·a is 0 in the field.
    assert.equal(linearRowsLeft([row({ a: BN254_R, b: 0n })]), 1);
    // Past the work budget the rank is taken as min(rows, signals): here 0 rows left where the rank says 1.
    const equal = [row({ a: 1n, b: 1n }), row({ a: 1n, b: 1n })];
    assert.equal(linearRowsLeft(equal), 1);
    assert.equal(linearRowsLeft(equal, 0), 0);
  });

  it('784-input neurons with public weights, split over part templates: the parts route their limbs by width', async () => {
    const files = await writeMlpModel(path.join(dir, 'mlp'), [784, 24, 10], 8);
    const { model } = await check(files, { name: 'logup-mlp784', weights: 'public-constants', input: 'public' });
    assert.match(model.generated.source, /^template Layer0Part1\(\)/m);
    assert.match(model.generated.source, /lk\[\d+ \+ i\] <== part1\.lk\[/);
  });

  it('Pedersen weights and lookups: one proof, two commitments (W and D), a bundle that verifies and refuses tampering', async () => {
    const files = await writeLenetModel(path.join(dir, 'lenet-p'), { side: 12, c1: 3, c2: 4, hidden: [8] }, 8);
    const opts: CodegenOptions = { name: 'logup-lenet12-p', weights: 'private-pedersen', input: 'private-hashed' };
    const { qm, rows } = await quantized(files);
    const model = await buildModelCircuit(qm, { ...opts, lookups: 'logup' });
    const ls = await ensureLookupSetup(model.circuit);
    assert.equal(ls.alphaRows, alphaRowsOf(model.generated.source), 'one α row per limb and per table row');
    const names = model.generated.publicSignals;
    const wIdx = model.generated.committedSignals.map((n) => names.indexOf(n));
    const wKey = await ensureCommitmentKey(ls.setup, wIdx);
    const blind = randomScalar();
    const w = await commitPublicInputs(wKey, [...weightElements(qm), blind]);
    const vkey = lookupStatementKey(ls.setup.vkey, ls.key, ls.layout, wKey);
    const input = quantizeInput(qm, rows[0]!.input);
    const ref = runInt(qm, input);
    const p = await proveWithLookups(ls, modelCircuitInput(qm, input, { ...opts, blind }), { publicIndices: wIdx, commitment: w });
    assert.deepEqual(verifyLookupProof(vkey, p), { ok: true });
    const hidden = new Set([...wIdx, ...ls.layout.committedIndices]);
    const signalNames = names.filter((_, i) => !hidden.has(i));
    assert.deepEqual(signalNames.slice(-2), ['logupAlpha', 'binding'], 'the binding stays the last statement signal');
    const bundle = makeBundle({
      kind: 'inference',
      circuitId: model.circuit.id,
      vkey,
      proof: p.proof as object,
      publicSignals: p.publicSignals,
      signalNames,
      commitment: w,
      lookupCommitment: p.commitment,
      metadata: { engine: 'test', insecureSetup: true },
    });
    assert.deepEqual(
      ref.logits.map((_, i) => fromField(BigInt(bundle.public[`logits[${i}]`]!))),
      ref.logits,
    );
    const pin = { expectedVkeyHash: bundle.vkeyHash };
    const ok = await verifyBundle(bundle, pin);
    assert.equal(ok.valid, true, ok.reason);
    assert.deepEqual(ok.checks, { snarkjs: true, noble: true, vkeyHash: true, commitment: true, challenge: true });
    // D from another proof of the same model (its own valid proof of knowledge): α no longer equals H(D).
    const other = await proveWithLookups(ls, modelCircuitInput(qm, input, { ...opts, blind }), { publicIndices: wIdx, commitment: w });
    const swapped = await verifyBundle({ ...bundle, lookupCommitment: other.commitment }, pin);
    assert.equal(swapped.reasonCode, 'CHALLENGE_MISMATCH');
    // D without its proof of knowledge (K of the other D).
    const noKnowledge = await verifyBundle(
      { ...bundle, lookupCommitment: { ...p.commitment, knowledge: other.commitment.knowledge } },
      pin,
    );
    assert.equal(noKnowledge.reasonCode, 'COMMITMENT_INVALID');
    // Other weights' W (a valid commitment under the same key): the proof does not hold for it.
    const w2 = await commitPublicInputs(wKey, [...weightElements(qm), blind + 1n]);
    const otherWeights = await verifyBundle({ ...bundle, commitment: w2 }, pin);
    assert.equal(otherWeights.reasonCode, 'PROOF_INVALID');
    // A bundle without D is malformed (parseBundle: D is there exactly when the key has zkai_lookup).
    const { lookupCommitment: _d, ...noD } = bundle;
    await assert.rejects(verifyBundle(noD, pin), { code: 'BAD_BUNDLE' });
    // On chain: the committed template alone would ignore D and α, so it refuses the key; the lookup template takes
    // W, D and K, and keeps W's proof of knowledge for the registry (cli/model-chain.test.ts runs it on a dev chain).
    assert.throws(() => committedVerifierSolidity(vkey, 'LookupModelVerifier'), { code: 'BAD_INPUT' });
    const solidity = lookupVerifierSolidity(vkey, 'LookupModelVerifier');
    assert.match(solidity, /uint256\[2\] calldata weightCommitment,\s+uint256\[2\] calldata commitment,\s+uint256\[2\] calldata knowledge/);
    assert.match(solidity, /function verifyCommitment\(/);
  });
});
