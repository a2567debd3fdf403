/**
 * The constraint estimate from the float graph (cost.ts) that refuses oversized models before they are quantized and
 * compiled (issue 13, item 6): close to, and below, the generator's exact count for real models; and a file of a few
 * hundred bytes that describes a circuit of millions of constraints is refused with MODEL_TOO_LARGE at once.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { compileModel } from '../../prover/inference.ts';
import { generateCircom, WEIGHTS_MODES } from './codegen.ts';
import { estimateConstraints, statementSignalCount } from './cost.ts';
import { importOnnx } from './import.ts';
import { encodeOnnx } from './onnx.ts';
import { quantizeModel } from './quantize.ts';
import { tinyHugeOnnx } from './test-models.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const ROWS = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(',').map(Number).slice(0, 64));

describe('constraint estimate before quantizing', () => {
  for (const file of ['mlp_digits', 'cnn_digits', 'mlp3_digits']) {
    it(`${file}: within 15% below the generator's exact count, in every weights mode`, () => {
      const ir = importOnnx(path.join(FIXTURES, `${file}.onnx`));
      const qm = quantizeModel(ir, ROWS.slice(0, 100));
      for (const weights of WEIGHTS_MODES) {
        const input = weights === 'public-constants' ? 'public' : 'private-hashed';
        const exact = generateCircom(qm, { name: file, weights, input }).totalConstraints;
        const estimate = estimateConstraints(ir, { weights, input }).total;
        assert.ok(estimate <= exact && estimate >= 0.85 * exact, `${file} ${weights}: estimate ${estimate}, exact ${exact}`);
        for (const inp of ['public', 'private-hashed'] as const) {
          const g = generateCircom(qm, { name: file, weights, input: inp });
          assert.equal(statementSignalCount(ir, { weights, input: inp }), g.publicSignals.length - g.committedSignals.length);
        }
      }
    });
  }

  it('a file of a few hundred bytes describing millions of constraints is estimated as such', () => {
    const bytes = tinyHugeOnnx();
    assert.ok(bytes.length < 1024, `${bytes.length} bytes`);
    const estimate = estimateConstraints(importOnnx(bytes), { weights: 'private-pedersen', input: 'private-hashed' });
    assert.ok(estimate.total > 19_000_000, String(estimate.total));
  });

  it('compileModel refuses it with MODEL_TOO_LARGE before reading the calibration rows or quantizing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-huge-'));
    try {
      const onnx = path.join(dir, 'huge.onnx');
      await writeFile(onnx, tinyHugeOnnx());
      // No calibration file at all: had anything run past the estimate, the error would be BAD_INPUT about it.
      await assert.rejects(
        compileModel(onnx, path.join(dir, 'missing.csv'), { outDir: path.join(dir, 'out'), maxConstraints: 2_000_000 }),
        (err: Error & { code?: string; details?: Record<string, unknown> }) => {
          assert.equal(err.code, 'MODEL_TOO_LARGE', err.message);
          assert.match(err.message, /over the limit of 2000000/);
          assert.equal(err.details?.limit, 2_000_000);
          return true;
        },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a model whose proofs would have more public signals than a verifier accepts is refused before quantizing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-wide-'));
    try {
      const outputs = 300; // 300 logits + inputHash + label + binding = 303 > MAX_STATEMENT_SIGNALS (256)
      const onnx = path.join(dir, 'wide.onnx');
      await writeFile(
        onnx,
        encodeOnnx({
          inputs: [{ name: 'x', shape: [1, 2] }],
          outputs: [{ name: 'y' }],
          initializers: [
            { name: 'w', dims: [outputs, 2], floats: Array.from({ length: 2 * outputs }, (_, i) => ((i % 5) - 2) / 4) },
            { name: 'b', dims: [outputs], floats: Array(outputs).fill(0) },
          ],
          nodes: [{ name: 'fc', opType: 'Gemm', input: ['x', 'w', 'b'], output: ['y'], int: { transB: 1 } }],
        }),
      );
      await assert.rejects(
        compileModel(onnx, path.join(dir, 'missing.csv'), { outDir: path.join(dir, 'out') }),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'MODEL_TOO_LARGE', err.message);
          assert.match(err.message, /303 public signals, over the 256/);
          return true;
        },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
