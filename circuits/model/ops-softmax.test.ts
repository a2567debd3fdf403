/**
 * Softmax anywhere (ops/softmax.ts): on the last axis and on a middle one of a [3, 4] tensor inside a small model,
 * import, the integer function against the float softmax, circuit = integer executor bit for bit, the predicted
 * constraint count, forged outputs rejected; a final Softmax is still dropped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFloat } from './float-exec.ts';
import { importOnnx } from './import.ts';
import type { SoftmaxLayer } from './ir.ts';
import { checkCircuit, floats, head, model, randomInput, type Spec } from './op-harness.ts';
import { softmax } from './ops/softmax.ts';
import type { QDense } from './qir.ts';

const h = head('s', 12);
const spec = (axis: number, opset = 13): Spec => ({
  inShape: [8],
  opset,
  nodes: [
    { name: 'fc0', opType: 'Gemm', input: ['x', 'w0', 'b0'], output: ['h'], int: { transB: 1 } },
    { name: 'rs', opType: 'Reshape', input: ['h', 'shape'], output: ['r'] },
    { name: 'sm', opType: 'Softmax', input: ['r'], output: ['s'], int: { axis } },
    ...h.nodes,
  ],
  initializers: [
    { name: 'w0', dims: [12, 8], floats: floats(96, 2) },
    { name: 'b0', dims: [12], floats: floats(12, 0.5) },
    { name: 'shape', dims: [3], floats: [1, 3, 4], int64: true },
    ...h.initializers!,
  ],
});

describe('Softmax on any axis, anywhere in the graph', () => {
  it('imports as [outer, n, inner] rows; the float op sums to 1 per row; opset < 13 takes every axis from `axis` on', () => {
    const last = importOnnx(model(spec(-1))).layers[2] as SoftmaxLayer;
    const mid = importOnnx(model(spec(1))).layers[2] as SoftmaxLayer;
    const old = importOnnx(model(spec(1, 11))).layers[2] as SoftmaxLayer;
    assert.deepEqual([last.kind, last.outer, last.n, last.inner], ['softmax', 3, 4, 1]);
    assert.deepEqual([mid.outer, mid.n, mid.inner], [1, 3, 4]);
    assert.deepEqual([old.outer, old.n, old.inner], [1, 12, 1]);
    const y = softmax.float(mid, [Float64Array.from(randomInput(12).map((v) => 4 * v))]);
    for (let k = 0; k < 4; k++) assert.ok(Math.abs(y[k]! + y[4 + k]! + y[8 + k]! - 1) < 1e-12);
  });

  for (const axis of [-1, 1]) {
    it(`axis ${axis}: circuit = integer reference, predicted count, forged outputs rejected; within ¾ LSB of float`, async () => {
      const ir = importOnnx(model(spec(axis)));
      const { qm, m } = await checkCircuit(`softmax-axis${axis + 1}`, ir, [
        [['softmax2.row[0].div[1].qRange.bits.bits[0]', (v) => 1n - v]],
        [['softmax2.row[1].e[2].selL[1]', (v) => 1n - v]],
        [['logits[0]', (v) => v + 1n]],
      ]);
      const q = qm.layers[2]!;
      assert.ok(q.kind === 'softmax' && q.shift === 0);
      const cost = m.generated.layerCosts.find((c) => c.kind === 'softmax')!.constraints;
      console.log(`softmax axis ${axis}: ${q.outer * q.inner} rows of ${q.n}, ${cost} constraints (${(cost / 12).toFixed(1)} per element)`);
      // The integer function against the float softmax of the same (quantized) input, on random rows.
      const layer = ir.layers[2] as SoftmaxLayer;
      const fi = (qm.layers[0] as QDense).outFracBits;
      const half = 2 ** (q.inBits - 1);
      for (let t = 0; t < 50; t++) {
        const x = randomInput(12).map((v) => BigInt(Math.min(half - 1, Math.round(v * half))));
        const yi = softmax.int(q, [x]);
        const yf = softmax.float(layer, [Float64Array.from(x, (v) => Number(v) * 2 ** -fi)]);
        for (let i = 0; i < 12; i++)
          assert.ok(Math.abs(Number(yi[i]) - yf[i]! * 2 ** q.F) < 0.75, `element ${i}: ${yi[i]} vs ${yf[i]! * 2 ** q.F}`);
      }
    });
  }

  it('rows of one element are the constant 2^F (0 constraints), in the circuit too', async () => {
    const one = spec(-1);
    one.initializers = one.initializers!.map((t) => (t.name === 'shape' ? { ...t, floats: [1, 12, 1] } : t));
    const { qm, m } = await checkCircuit('softmax-rows-of-one', importOnnx(model(one)), [[['logits[0]', (v) => v + 1n]]], 2);
    const q = qm.layers[2]!;
    assert.ok(q.kind === 'softmax' && q.n === 1);
    assert.deepEqual(softmax.int(q, [Array.from({ length: 12 }, (_, i) => BigInt(i - 6))]), new Array(12).fill(1n << BigInt(q.F)));
    assert.equal(m.generated.layerCosts.find((c) => c.kind === 'softmax')!.constraints, 0);
  });

  it('a final Softmax is still dropped (the logits keep their argmax)', () => {
    const ir = importOnnx(
      model({
        inShape: [8],
        nodes: [
          { name: 'fc0', opType: 'Gemm', input: ['x', 'w0', 'b0'], output: ['h'], int: { transB: 1 } },
          { name: 'sm', opType: 'Softmax', input: ['h'], output: ['y'] },
        ],
        initializers: spec(-1).initializers!.slice(0, 2),
      }),
    );
    assert.ok(ir.droppedSoftmax);
    assert.deepEqual(
      ir.layers.map((l) => l.kind),
      ['dense'],
    );
    assert.equal(runFloat(ir, randomInput(8)).length, 12);
  });
});
