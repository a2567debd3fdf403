/**
 * Issue 14: generated circom uses one template with loops per dense/conv layer, so the witness calculator has no
 * function that grows with the model (LeNet-5 on 28×28 had a 9.2 MB one, over V8's limit, and failed only at prove)
 * and public weights are no longer one long constant expression per neuron (784 terms crashed circom2). Small models
 * of the same shapes here (a 784-input neuron with public weights; a padded two-conv LeNet); the full-size ones are in
 * `npm run bench -- models`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { writeLenetModel } from '../../bench/lenet-model.ts';
import { writeMlpModel } from '../../bench/mlp-model.ts';
import { readCalibrationCsv } from '../../prover/inference.ts';
import { readR1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols } from '../witness.ts';
import { buildModelCircuit, type CodegenOptions, largestLayer, modelCircuitInput } from './codegen.ts';
import { importOnnx } from './import.ts';
import { quantizeInput, runInt } from './int-exec.ts';
import { fromField } from './int-reference.ts';
import { WEIGHTS_PER_TEMPLATE } from './ops/linear-emit.ts';
import { quantizeModel } from './quantize.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-loops-'));
after(() => rm(dir, { recursive: true, force: true }));

async function check(files: { onnx: string; csv: string }, opts: CodegenOptions) {
  const ir = importOnnx(files.onnx);
  const rows = await readCalibrationCsv(
    files.csv,
    ir.inputShape.reduce((a, b) => a * b, 1),
  );
  const qm = quantizeModel(
    ir,
    rows.map((r) => r.input),
  );
  const model = await buildModelCircuit(qm, opts);
  const src = model.generated.source;
  // circom's count equals the cost model's (the compile checks it; the fixtures' counts are pinned elsewhere).
  assert.equal(model.circuit.nConstraints, model.generated.totalConstraints);
  // One template per linear layer; the main template reads no weight and names no tap.
  const linear = qm.layers.filter((l) => l.kind === 'dense' || l.kind === 'conv2d').length;
  assert.equal(src.match(/^template Layer\d+\(\) \{$/gm)?.length, linear);
  const main = src.slice(src.indexOf('template ZkaiModel()'));
  assert.doesNotMatch(main, /= (Requantize|RequantizeRelu|PackedDot)\(|\d+\*/);
  // The witness calculator loads (build.ts checked it) and no function is anywhere near V8's limit.
  assert.ok(model.circuit.largestWasmFunction! < 1_000_000, `largest function ${model.circuit.largestWasmFunction} bytes`);
  // Bit-exact with the integer reference.
  const r1cs = await readR1cs(model.circuit.r1csPath);
  const sym = await readSymbols(model.circuit.symPath);
  const input = quantizeInput(qm, rows[0]!.input);
  const ref = runInt(qm, input);
  const w = await calculateWitness(model.circuit.wasmPath, modelCircuitInput(qm, input, { ...opts, blind: 7n }));
  assert.deepEqual(
    ref.logits.map((_, i) => fromField(w[sym.get(`main.logits[${i}]`)!]!)),
    ref.logits,
  );
  assert.deepEqual(unsatisfiedConstraints(r1cs, w), []);
  return model;
}

describe('model circuits: one template with loops per layer (issue 14)', () => {
  it('784-input neurons with public weights compile (a loop over a constant array, not a 784-term expression)', async () => {
    const files = await writeMlpModel(path.join(dir, 'mlp'), [784, 24, 10], 8);
    const model = await check(files, { name: 'loops-mlp784', weights: 'public-constants', input: 'public' });
    // 24·784 weights are over WEIGHTS_PER_TEMPLATE: the first layer's channels split over two part templates.
    assert.equal(Math.floor(WEIGHTS_PER_TEMPLATE / 784), 20);
    assert.deepEqual(model.generated.source.match(/^template Layer0Part\d+\(\)/gm), ['template Layer0Part0()', 'template Layer0Part1()']);
    // Were circom2 to crash (it names no template), the error names the largest layer.
    assert.match(largestLayer(model.generated.source), /its largest layer is layer 0 \(\d+ lines/);
  });

  it('a padded two-conv LeNet with Pedersen weights: conv tap tables, PackedDot groups, fused ReLU', async () => {
    const files = await writeLenetModel(path.join(dir, 'lenet'), { side: 12, c1: 3, c2: 4, hidden: [8] }, 8);
    await check(files, { name: 'loops-lenet12', weights: 'private-pedersen', input: 'private-hashed' });
  });
});
