/**
 * The issue-14 fixtures with table activations (mlp_sigmoid.onnx, mlp_tanh_softmax.onnx): quantized as
 * `zkai model compile` does (calibrated on the 200 CSV rows), the integer executor's argmax agrees with PyTorch's
 * (fixtures14.json) on at least 97% of the rows. No circom: the circuit equals the integer executor (op tests).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { importOnnx } from './import.ts';
import { quantizeInput, runInt } from './int-exec.ts';
import { quantizeModel } from './quantize.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const fixtures14 = JSON.parse(readFileSync(path.join(FIXTURES, 'fixtures14.json'), 'utf8')) as {
  models: Record<string, { file: string; csv: string; csv_predictions: number[] }>;
};

describe('table-activation fixtures: quantized argmax against PyTorch', () => {
  for (const [file, kinds] of [
    ['mlp_sigmoid.onnx', ['dense', 'activation', 'dense']],
    ['mlp_tanh_softmax.onnx', ['dense', 'activation', 'dense', 'activation', 'dense']],
  ] as const) {
    it(`${file}: ≥ 97% of the 200 CSV rows`, () => {
      const meta = Object.values(fixtures14.models).find((m) => m.file === file)!;
      const rows = readFileSync(path.join(FIXTURES, meta.csv), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',').map(Number).slice(0, 64));
      const ir = importOnnx(path.join(FIXTURES, file));
      assert.deepEqual(
        ir.layers.map((l) => l.kind),
        kinds,
      );
      const qm = quantizeModel(ir, rows);
      const agree = rows.filter((r, i) => runInt(qm, quantizeInput(qm, r)).label === meta.csv_predictions[i]).length;
      console.log(`${file}: quantized argmax = PyTorch's on ${agree}/${rows.length} rows`);
      assert.ok(agree >= 0.97 * rows.length, `${agree}/${rows.length}`);
    });
  }
});
