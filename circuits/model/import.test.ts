import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isZkaiError } from '../../common/errors.ts';
import { argmax, runFloat } from './float-exec.ts';
import { importOnnx } from './import.ts';
import type { ModelIR } from './ir.ts';
import { decodeOnnx, encodeOnnx, type OnnxModelSpec } from './onnx.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

interface Expected {
  csv_rows: number;
  models: Record<
    string,
    { file: string; float_test_accuracy: number; csv_accuracy: number; first_logits: number[][]; dynamic_batch_file?: string }
  >;
}
const expected: Expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8'));
const rows = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(',').map(Number));

const fixture = (name: string, foldBatchNorm = true) => importOnnx(path.join(FIXTURES, expected.models[name].file), { foldBatchNorm });
const describeLayers = (ir: ModelIR) => ir.layers.map((l) => `${l.kind}[${l.inShape}]->[${l.outShape}]`);

function accuracy(ir: ModelIR): number {
  let ok = 0;
  for (const r of rows) if (argmax(runFloat(ir, r.slice(0, 64))) === r[64]) ok++;
  return ok / rows.length;
}

/** Asserts |got[i] - want[i]| < tol for every i. */
function assertAllClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < tol, `${label}[${i}]: want ${want[i]}, got ${got[i]}`);
}

function assertLogitsClose(ir: ModelIR, want: number[][], tol: number): void {
  want.forEach((logits, i) => {
    assertAllClose(runFloat(ir, rows[i].slice(0, 64)), logits, tol, `row ${i} logits vs PyTorch`);
  });
}

/** Asserts that `fn` throws ZkaiError(code) and returns it. */
function throwsCode(fn: () => unknown, code: string) {
  try {
    fn();
  } catch (err) {
    assert.ok(isZkaiError(err), `expected ZkaiError, got ${err}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ZkaiError ${code}`);
}

describe('fixtures', () => {
  it('the held-out CSV has the rows the generator wrote', () => {
    assert.equal(rows.length, expected.csv_rows);
    assert.ok(rows.every((r) => r.length === 65 && r.slice(0, 64).every((v) => Number.isInteger(v) && v >= 0 && v <= 16)));
  });

  it('MLP imports as dense-relu-dense with the right shapes', () => {
    const ir = fixture('mlp');
    assert.deepEqual(ir.inputShape, [64]);
    assert.deepEqual(ir.outputShape, [10]);
    assert.deepEqual(describeLayers(ir), ['dense[64]->[32]', 'relu[32]->[32]', 'dense[32]->[10]']);
    assert.equal(ir.opset, 13);
    assert.equal(ir.droppedSoftmax, false);
  });

  it('CNN imports with Reshape resolved, BatchNorm folded into the Conv, and Flatten', () => {
    const ir = fixture('cnn');
    assert.deepEqual(describeLayers(ir), [
      'reshape[64]->[1,8,8]',
      'conv2d[1,8,8]->[4,8,8]',
      'relu[4,8,8]->[4,8,8]',
      'maxpool2d[4,8,8]->[4,4,4]',
      'reshape[4,4,4]->[64]',
      'dense[64]->[10]',
    ]);
    const conv = ir.layers[1];
    assert.ok(conv.kind === 'conv2d');
    assert.deepEqual(
      [conv.kernel, conv.strides, conv.pads],
      [
        [3, 3],
        [1, 1],
        [1, 1, 1, 1],
      ],
    );
    assert.deepEqual(conv.weight.shape, [4, 1, 3, 3]);
  });

  it('BatchNorm folding preserves the outputs', () => {
    const folded = fixture('cnn', true);
    const unfolded = fixture('cnn', false);
    assert.ok(unfolded.layers.some((l) => l.kind === 'channel-affine'));
    assert.ok(!folded.layers.some((l) => l.kind === 'channel-affine'));
    assert.equal(unfolded.layers.length, folded.layers.length + 1);
    for (const r of rows) {
      assertAllClose(runFloat(folded, r.slice(0, 64)), runFloat(unfolded, r.slice(0, 64)), 1e-9, 'folded vs unfolded');
    }
  });

  it('CNN exported with a symbolic batch: Shape/Gather/Unsqueeze/Concat chains fold, the final Softmax is dropped', () => {
    const file = expected.models.cnn.dynamic_batch_file;
    assert.ok(file);
    const model = decodeOnnx(readFileSync(path.join(FIXTURES, file)));
    assert.ok(model.graph.node.some((n) => n.opType === 'Shape'));
    assert.ok(model.graph.node.some((n) => n.opType === 'Softmax'));
    const ir = importOnnx(path.join(FIXTURES, file));
    assert.equal(ir.droppedSoftmax, true);
    // The exporter fused the BatchNorm itself here, so the layer list matches the folded static fixture.
    assert.deepEqual(describeLayers(ir), describeLayers(fixture('cnn')));
    assertLogitsClose(ir, expected.models.cnn.first_logits, 1e-4);
    assert.equal(accuracy(ir), expected.models.cnn.csv_accuracy);
  });

  for (const name of ['mlp', 'cnn']) {
    it(`${name}: float executor matches PyTorch's logits (1e-4) and accuracy`, () => {
      const ir = fixture(name);
      assertLogitsClose(ir, expected.models[name].first_logits, 1e-4);
      assert.equal(accuracy(ir), expected.models[name].csv_accuracy);
      assert.ok(expected.models[name].float_test_accuracy > 0.9, 'fixture model should be a usable classifier');
    });
  }
});

describe('hand-built ONNX graphs', () => {
  const tiny = (nodes: OnnxModelSpec['nodes'], extra: Partial<OnnxModelSpec> = {}): Uint8Array =>
    encodeOnnx({ inputs: [{ name: 'x', shape: [1, 4] }], outputs: [{ name: 'y' }], nodes, ...extra });

  it('an unsupported op fails with UNSUPPORTED_OP naming the op and the node', () => {
    const bytes = tiny([{ name: 'my_lstm', opType: 'LSTM', input: ['x'], output: ['y'] }]);
    const err = throwsCode(() => importOnnx(bytes), 'UNSUPPORTED_OP');
    assert.match(err.message, /'LSTM'/);
    assert.match(err.message, /my_lstm/);
    assert.match(err.message, /node 0\b/);
    assert.match(err.message, /supported ops: .*Conv.*Gemm/);
    assert.deepEqual({ ...err.details, supported: undefined }, { opType: 'LSTM', node: 'my_lstm', index: 0, supported: undefined });
    assert.ok((err.details as { supported: string[] }).supported.includes('Relu'));
    // The list is the registry's: the ops of issue 14's last batch are in it.
    for (const op of ['Abs', 'Div', 'Gelu', 'LogSoftmax', 'MaxPool', 'Pow'])
      assert.ok((err.details as { supported: string[] }).supported.includes(op), op);
  });

  it('a residual Add of two activations is a graph node reading both; three activations are rejected', () => {
    const bytes = tiny([
      { name: 'r', opType: 'Relu', input: ['x'], output: ['h'] },
      { name: 'res', opType: 'Add', input: ['h', 'x'], output: ['y'] },
    ]);
    const ir = importOnnx(bytes);
    assert.deepEqual(
      ir.layers.map((l) => [l.kind, l.inputs]),
      [
        ['relu', [-1]],
        ['add', [0, -1]],
      ],
    );
    assert.deepEqual(Array.from(runFloat(ir, [-1, 2, -3, 4])), [-1, 4, -3, 8]);
    const three = tiny([
      { name: 'r', opType: 'Relu', input: ['x'], output: ['h'] },
      { name: 'cat', opType: 'Sum', input: ['h', 'x', 'h'], output: ['y'] },
    ]);
    const err = throwsCode(() => importOnnx(three), 'UNSUPPORTED_OP');
    assert.match(err.message, /'Sum'.*cat/);
  });

  it('a Softmax / LogSoftmax that is not last is a softmax / log-softmax node; a final one is dropped', () => {
    const inner = (op: string) =>
      tiny([
        { name: 'sm', opType: op, input: ['x'], output: ['p'] },
        { name: 'r', opType: 'Relu', input: ['p'], output: ['y'] },
      ]);
    assert.deepEqual(
      importOnnx(inner('LogSoftmax')).layers.map((l) => l.kind),
      ['log-softmax', 'relu'],
    );
    assert.deepEqual(
      importOnnx(inner('Softmax')).layers.map((l) => l.kind),
      ['softmax', 'relu'],
    );
    const ir = importOnnx(
      tiny([
        { name: 'r', opType: 'Relu', input: ['x'], output: ['h'] },
        { name: 'sm', opType: 'Softmax', input: ['h'], output: ['y'] },
      ]),
    );
    assert.equal(ir.droppedSoftmax, true);
    assert.deepEqual(Array.from(runFloat(ir, [-1, 2, -3, 4])), [0, 2, 0, 4]);
    const logIr = importOnnx(
      tiny([
        { name: 'r', opType: 'Relu', input: ['x'], output: ['h'] },
        { name: 'sm', opType: 'LogSoftmax', input: ['h'], output: ['y'] },
      ]),
    );
    assert.equal(logIr.droppedSoftmax, true);
    assert.deepEqual(
      logIr.layers.map((l) => l.kind),
      ['relu'],
    );
  });

  it('an input shape too large for any circuit fails with BAD_INPUT before anything is allocated for it', () => {
    const huge = encodeOnnx({
      inputs: [{ name: 'x', shape: [1, 100_000, 100_000] }],
      outputs: [{ name: 'y' }],
      nodes: [{ name: 'r', opType: 'Relu', input: ['x'], output: ['y'] }],
    });
    const err = throwsCode(() => importOnnx(huge), 'BAD_INPUT');
    assert.match(err.message, /10000000000 elements; zkai compiles models with at most 65536 inputs/);
    // A tiny input padded to a huge layer output.
    const padded = encodeOnnx({
      inputs: [{ name: 'x', shape: [1, 1, 2, 2] }],
      outputs: [{ name: 'y' }],
      nodes: [
        {
          name: 'pool',
          opType: 'AveragePool',
          input: ['x'],
          output: ['y'],
          ints: { kernel_shape: [1, 1], pads: [2000, 2000, 2000, 2000] },
        },
      ],
    });
    assert.match(throwsCode(() => importOnnx(padded), 'BAD_INPUT').message, /layer 'pool' outputs 16016004 elements/);
  });

  it('garbage bytes fail with BAD_INPUT', () => {
    throwsCode(() => importOnnx(new Uint8Array([0xff, 0xff, 0xff, 0x01])), 'BAD_INPUT');
  });

  it('folds a Shape/Gather/Unsqueeze/Concat Reshape chain, MatMul+Add, AveragePool padding, Gemm alpha/beta', () => {
    // x [1,1,4,4] -> AveragePool(k2, s2, pads 1) -> [1,1,3,3] -> Reshape([N, -1]) via a shape chain -> [1,9]
    // -> MatMul W[9,2] + Add b -> Gemm (transB=0, alpha 2, beta 0.5) -> Identity -> y
    const W = Array.from({ length: 18 }, (_, i) => (i % 5) - 2);
    const b = [0.5, -1];
    const G = [1, 2, 3, 4, 5, 6]; // [2,3]
    const gc = [1, 1, 1];
    const bytes = encodeOnnx({
      inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
      outputs: [{ name: 'y', shape: [1, 3] }],
      initializers: [
        { name: 'zero', dims: [], floats: [0], int64: true },
        { name: 'axes0', dims: [1], floats: [0], int64: true },
        { name: 'minus1', dims: [1], floats: [-1], int64: true },
        { name: 'W', dims: [9, 2], floats: W },
        { name: 'b', dims: [2], floats: b },
        { name: 'G', dims: [2, 3], floats: G },
        { name: 'gc', dims: [3], floats: gc },
      ],
      nodes: [
        {
          name: 'pool',
          opType: 'AveragePool',
          input: ['x'],
          output: ['p'],
          ints: { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] },
        },
        { name: 'shape', opType: 'Shape', input: ['p'], output: ['s'] },
        { name: 'gather', opType: 'Gather', input: ['s', 'zero'], output: ['n'], int: { axis: 0 } },
        { name: 'unsq', opType: 'Unsqueeze', input: ['n', 'axes0'], output: ['n1'] },
        { name: 'cat', opType: 'Concat', input: ['n1', 'minus1'], output: ['target'], int: { axis: 0 } },
        { name: 'reshape', opType: 'Reshape', input: ['p', 'target'], output: ['f'] },
        { name: 'mm', opType: 'MatMul', input: ['f', 'W'], output: ['m'] },
        { name: 'add', opType: 'Add', input: ['b', 'm'], output: ['h'] },
        { name: 'gemm', opType: 'Gemm', input: ['h', 'G', 'gc'], output: ['g'], float: { alpha: 2, beta: 0.5 } },
        { name: 'id', opType: 'Identity', input: ['g'], output: ['y'] },
      ],
    });
    assert.equal(decodeOnnx(bytes).graph.node.length, 10);
    const ir = importOnnx(bytes);
    assert.deepEqual(describeLayers(ir), ['avgpool2d[1,4,4]->[1,3,3]', 'reshape[1,3,3]->[9]', 'dense[9]->[2]', 'dense[2]->[3]']);

    // Independent reference: pads 1 with count_include_pad=0 means the border windows average only real cells.
    const x = Array.from({ length: 16 }, (_, i) => i * 0.5 - 3);
    const groups = [[0], [1, 2], [3]];
    const pooled: number[] = [];
    for (const rs of groups) {
      for (const cs of groups) {
        const cells = rs.flatMap((r) => cs.map((c) => x[r * 4 + c]));
        pooled.push(cells.reduce((s, v) => s + v, 0) / cells.length);
      }
    }
    const h = [0, 1].map((j) => b[j] + pooled.reduce((s, v, k) => s + v * W[k * 2 + j], 0));
    const want = [0, 1, 2].map((j) => 2 * (h[0] * G[j] + h[1] * G[3 + j]) + 0.5 * gc[j]);
    assertAllClose(runFloat(ir, x), want, 1e-9, 'y');
  });

  it('conv with stride and asymmetric padding, and a BatchNorm after a Gemm folds into it', () => {
    // x [1,1,3,3] -> Conv(2 filters 2x2, stride 2, pads [0,0,1,1]) -> [1,2,2,2] -> Flatten -> Gemm -> BN -> y
    const cw = [1, 0, 0, 1, 0, 1, 1, 0]; // [2,1,2,2]: diag / anti-diag
    const bytes = encodeOnnx({
      inputs: [{ name: 'x', shape: [1, 1, 3, 3] }],
      outputs: [{ name: 'y', shape: [1, 2] }],
      initializers: [
        { name: 'cw', dims: [2, 1, 2, 2], floats: cw },
        { name: 'cb', dims: [2], floats: [0.25, -0.25] },
        { name: 'fw', dims: [2, 8], floats: Array.from({ length: 16 }, (_, i) => (i % 3) - 1) },
        { name: 'fb', dims: [2], floats: [1, 2] },
        { name: 'scale', dims: [2], floats: [2, 0.5] },
        { name: 'bias', dims: [2], floats: [0, 1] },
        { name: 'mean', dims: [2], floats: [1, -1] },
        { name: 'var', dims: [2], floats: [4, 0.25] },
      ],
      nodes: [
        {
          name: 'conv',
          opType: 'Conv',
          input: ['x', 'cw', 'cb'],
          output: ['c'],
          ints: { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1] },
        },
        { name: 'flat', opType: 'Flatten', input: ['c'], output: ['f'], int: { axis: 1 } },
        { name: 'fc', opType: 'Gemm', input: ['f', 'fw', 'fb'], output: ['g'], int: { transB: 1 } },
        { name: 'bn', opType: 'BatchNormalization', input: ['g', 'scale', 'bias', 'mean', 'var'], output: ['y'], float: { epsilon: 0 } },
      ],
    });
    const ir = importOnnx(bytes);
    assert.deepEqual(describeLayers(ir), ['conv2d[1,3,3]->[2,2,2]', 'reshape[2,2,2]->[8]', 'dense[8]->[2]']);
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const px = (r: number, c: number) => (r < 3 && c < 3 ? x[r * 3 + c] : 0);
    const conv: number[] = [];
    for (const [f, bias] of [
      [0, 0.25],
      [1, -0.25],
    ]) {
      for (let oy = 0; oy < 2; oy++) {
        for (let ox = 0; ox < 2; ox++) {
          const [r, c] = [oy * 2, ox * 2];
          const w = cw.slice(f * 4, f * 4 + 4);
          conv.push(bias + w[0] * px(r, c) + w[1] * px(r, c + 1) + w[2] * px(r + 1, c) + w[3] * px(r + 1, c + 1));
        }
      }
    }
    const fw = Array.from({ length: 16 }, (_, i) => (i % 3) - 1);
    const g = [0, 1].map((n) => [1, 2][n] + conv.reduce((s, v, k) => s + v * fw[n * 8 + k], 0));
    const want = g.map((v, n) => ((v - [1, -1][n]) / Math.sqrt([4, 0.25][n])) * [2, 0.5][n] + [0, 1][n]);
    assertAllClose(runFloat(ir, x), want, 1e-9, 'y');
  });
});
