/**
 * Every committed ONNX fixture (circuits/model/fixtures/*.onnx) against zkai's importer today: it imports, or it fails
 * with UNSUPPORTED_OP naming one of the ops zkai lacks for it. Import only, no circom: fast.
 *
 * This is a ratchet for issue 14's op work. When an op lands, a fixture listed with `missing` ops may start to import
 * (or fail on its next missing op, which must also be listed); the test then fails and says which fixture now imports:
 * empty its `missing` list here and update the status column of fixtures/README.md.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isZkaiError } from '../../common/errors.ts';
import { argmax, runFloat } from './float-exec.ts';
import { importOnnx } from './import.ts';
import { evaluateAgreement, quantizeModel } from './quantize.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** ONNX op types zkai lacks for each fixture (empty: it imports today). Conv means grouped Conv (group > 1). */
const MISSING: Readonly<Record<string, readonly string[]>> = {
  'mlp_digits.onnx': [],
  'mlp3_digits.onnx': [],
  'cnn_digits.onnx': [],
  'cnn_dynamic_digits.onnx': [],
  'lenet5_28.onnx': [],
  'resnet_gap.onnx': [],
  'mlp_sigmoid.onnx': [],
  'mlp_tanh_softmax.onnx': [],
  'conv_s2_leaky.onnx': [],
  'dwsep.onnx': [],
  'transformer_op13.onnx': [],
  'transformer_op17.onnx': [],
  // The op fixtures (ops-fixtures.test.ts checks their outputs against PyTorch's).
  'ops_pool_ceil.onnx': [],
  'ops_div.onnx': [],
  'ops_gelu_tanh_op13.onnx': [],
  'ops_gelu_tanh_op17.onnx': [],
  'ops_logsoftmax.onnx': [],
};

interface Fixtures14 {
  models: Record<string, { file: string; csv: string; input_shape: number[]; ops: string[]; csv_predictions: number[] }>;
}
const fixtures14: Fixtures14 = JSON.parse(readFileSync(path.join(FIXTURES, 'fixtures14.json'), 'utf8'));
const AGREEMENT_ROWS = 40;
/** Issue 14: quantized argmax = float argmax on >= 97% of rows held out from calibration. */
const CALIBRATION_ROWS = 100;
const MIN_QUANT_AGREEMENT = 0.97;
const byFile = new Map(Object.values(fixtures14.models).map((m) => [m.file, m]));

function csvRows(file: string): number[][] {
  return readFileSync(path.join(FIXTURES, file), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').map(Number));
}

describe('committed ONNX fixtures against the importer', () => {
  const files = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.onnx'))
    .sort();

  it('every fixture is listed here, and every listed fixture exists', () => {
    assert.deepEqual(files, Object.keys(MISSING).sort());
  });

  for (const file of files) {
    const missing = MISSING[file] ?? [];
    const meta = byFile.get(file);
    it(`${file}: ${missing.length === 0 ? 'imports' : `UNSUPPORTED_OP (${missing[0]}…)`}`, () => {
      let ir: ReturnType<typeof importOnnx>;
      try {
        ir = importOnnx(path.join(FIXTURES, file));
      } catch (err) {
        assert.ok(isZkaiError(err), `${file}: expected a ZkaiError, got ${err}`);
        assert.equal(err.code, 'UNSUPPORTED_OP', `${file}: ${err.message}`);
        const op = (err.details as { opType?: string } | undefined)?.opType;
        assert.ok(
          op !== undefined && missing.includes(op),
          `${file} fails on '${op}', which is not among its listed missing ops [${missing.join(', ')}]: ${err.message}`,
        );
        if (meta) assert.ok(meta.ops.includes(op), `${file}: '${op}' is not in its op list`);
        return;
      }
      assert.equal(
        missing.length,
        0,
        `${file} now imports: set its missing ops to [] in fixtures.test.ts and its status in fixtures/README.md`,
      );
      // An imported issue-14 fixture computes what PyTorch computed: the same argmax on its first CSV rows (all 200
      // of LeNet's would take seconds).
      if (meta) {
        const rows = csvRows(meta.csv).slice(0, AGREEMENT_ROWS);
        const n = meta.input_shape.reduce((a, d) => a * d, 1);
        const disagree = rows.filter((r, i) => argmax(runFloat(ir, r.slice(0, n))) !== meta.csv_predictions[i]).length;
        assert.ok(disagree <= 1, `${file}: the imported float model disagrees with PyTorch on ${disagree} of ${rows.length} rows`);

        // Quantized with the default settings on the first 100 CSV rows (as `zkai model compile` would), the integer
        // model predicts PyTorch's class on >= 97% of the other 100. Labels are left out on purpose: accuracies are
        // then null (a CSV without a label column), the agreement is still measured.
        const all = csvRows(meta.csv);
        const qm = quantizeModel(
          ir,
          all.slice(0, CALIBRATION_ROWS).map((r) => r.slice(0, n)),
        );
        const heldOut = all.slice(CALIBRATION_ROWS).map((r) => ({ input: r.slice(0, n) }));
        const report = evaluateAgreement(ir, qm, heldOut);
        assert.equal(report.floatAccuracy, null);
        assert.equal(report.quantAccuracy, null);
        const agreeTorch = heldOut.filter((r, i) => argmax(runFloat(ir, r.input)) === meta.csv_predictions[CALIBRATION_ROWS + i]).length;
        console.log(`${file}: quantized vs float argmax ${report.agreement} on ${heldOut.length} held-out rows`);
        assert.ok(
          report.agreement >= MIN_QUANT_AGREEMENT,
          `${file}: quantized argmax agrees with float on ${(report.agreement * 100).toFixed(1)}% of ${heldOut.length} held-out rows (float vs PyTorch ${agreeTorch})`,
        );
      }
    });
  }
});
