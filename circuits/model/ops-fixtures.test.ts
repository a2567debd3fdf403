/**
 * The op fixtures (fixtures/ops_*.onnx, exported by PyTorch with seeded random weights: make_fixtures.py
 * `ops_fixtures`): the importer turns each into the expected nodes, the float reference reproduces PyTorch's outputs on
 * its 8 recorded inputs (ops_fixtures.json), the compiled circuit equals the integer executor bit for bit, and the
 * constraint estimate made before quantizing is not above the exact count.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { estimateConstraints } from './cost.ts';
import { runFloat } from './float-exec.ts';
import { importOnnx } from './import.ts';
import { checkCircuit } from './op-harness.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const meta = JSON.parse(readFileSync(path.join(FIXTURES, 'ops_fixtures.json'), 'utf8')) as {
  models: Record<string, { file: string; inputs: number[][]; outputs: number[][] }>;
};

/** Fixture → the node kinds it imports to (activations by their function). */
const EXPECTED: Record<string, string[]> = {
  ops_pool_ceil: ['conv2d', 'relu', 'maxpool2d', 'avgpool2d', 'avgpool2d', 'reshape', 'dense'],
  ops_gelu_tanh_op13: ['dense', 'gelu-tanh', 'dense'],
  ops_gelu_tanh_op17: ['dense', 'gelu-tanh', 'dense'],
  ops_logsoftmax: ['dense', 'reshape', 'log-softmax', 'reshape', 'dense', 'log-softmax', 'dense'],
  ops_div: ['dense', 'dense', 'relu', 'div', 'sigmoid', 'reduce-sum', 'div', 'concat', 'dense'],
};

describe('op fixtures: PyTorch exports', () => {
  for (const [key, kinds] of Object.entries(EXPECTED)) {
    const m = meta.models[key]!;
    it(`${m.file}: imports as ${kinds.join(', ')}; float = PyTorch; circuit = integer executor`, async () => {
      const ir = importOnnx(path.join(FIXTURES, m.file));
      assert.deepEqual(
        ir.layers.map((l) => (l.kind === 'activation' ? l.fn : l.kind)),
        kinds,
      );
      m.inputs.forEach((x, i) => {
        const y = runFloat(ir, x);
        const want = m.outputs[i]!;
        assert.equal(y.length, want.length);
        for (const [j, v] of want.entries()) assert.ok(Math.abs(y[j]! - v) < 1e-4, `row ${i} output ${j}: ${y[j]} vs PyTorch ${v}`);
      });
      const { m: built } = await checkCircuit(key, ir, [[['logits[0]', (v) => v + 1n]]], 2);
      // The size estimate made before quantizing (cost.ts, MODEL_TOO_LARGE) never exceeds the exact count.
      const estimate = estimateConstraints(ir, { weights: 'public-constants', input: 'public' }).total;
      assert.ok(estimate <= built.generated.totalConstraints, `estimate ${estimate} > exact ${built.generated.totalConstraints}`);
    });
  }
});
