/**
 * LogSoftmax anywhere (ops/log-softmax.ts, LogSoftmaxRow in circuits/lib/log-softmax.circom): mid-graph over the last
 * axis of [6] and over axis 1 of a [3, 4] tensor (rows across the inner axis). The float reference against the
 * formula, the integer function within the documented bound of the float one, circuit = integer executor bit for bit
 * with the predicted count, and forged witnesses (a log-table selector, a shifted maximum, the row sum's exponent
 * selector and remainder) rejected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFloatTrace } from './float-exec.ts';
import { importOnnx } from './import.ts';
import { quantizeInput, runInt } from './int-exec.ts';
import { LOG_SOFTMAX_MAX_FRAC, logSoftmaxErrorBound } from './log-softmax-row.ts';
import { checkCircuit, floats, head, model, randomInput, type Spec, throwsCode } from './op-harness.ts';
import { logSoftmax } from './ops/log-softmax.ts';
import { quantizeModel } from './quantize.ts';

const h = head('l2', 6);
const spec: Spec = {
  inShape: [8],
  nodes: [
    { name: 'fc1', opType: 'Gemm', input: ['x', 'w1', 'b1'], output: ['h1'], int: { transB: 1 } },
    { name: 'rs', opType: 'Reshape', input: ['h1', 'shape'], output: ['r'] },
    { name: 'l1', opType: 'LogSoftmax', input: ['r'], output: ['l1'], int: { axis: 1 } },
    { name: 'fl', opType: 'Flatten', input: ['l1'], output: ['f'] },
    { name: 'fc2', opType: 'Gemm', input: ['f', 'w2', 'b2'], output: ['h2'], int: { transB: 1 } },
    { name: 'l2', opType: 'LogSoftmax', input: ['h2'], output: ['l2'], int: { axis: 1 } },
    ...h.nodes,
  ],
  initializers: [
    { name: 'w1', dims: [12, 8], floats: floats(96, 2) },
    { name: 'b1', dims: [12], floats: floats(12, 0.5) },
    { name: 'shape', dims: [3], floats: [1, 3, 4], int64: true },
    { name: 'w2', dims: [6, 12], floats: floats(72, 0.1) },
    { name: 'b2', dims: [6], floats: floats(6, 0.05) },
    ...h.initializers!,
  ],
};

describe('LogSoftmax mid-graph', () => {
  it('imports as log-softmax nodes on the right rows; float = x - max - log Σ exp(x - max)', () => {
    const ir = importOnnx(model(spec));
    assert.deepEqual(
      ir.layers.map((l) => l.kind),
      ['dense', 'reshape', 'log-softmax', 'reshape', 'dense', 'log-softmax', 'dense'],
    );
    const [l1, l2] = [ir.layers[2]!, ir.layers[5]!];
    assert.ok(l1.kind === 'log-softmax' && l2.kind === 'log-softmax');
    assert.deepEqual([l1.outer, l1.n, l1.inner], [1, 3, 4]);
    assert.deepEqual([l2.outer, l2.n, l2.inner], [1, 6, 1]);
    const t = runFloatTrace(ir, randomInput(8));
    for (let k = 0; k < 4; k++) {
      const col = [0, 1, 2].map((j) => t[1]![j * 4 + k]!);
      const lse = Math.log(col.reduce((a, v) => a + Math.exp(v), 0));
      for (const j of [0, 1, 2]) assert.ok(Math.abs(t[2]![j * 4 + k]! - (col[j]! - lse)) < 1e-12);
    }
  });

  it('the integer function is within the documented bound of the float log-softmax of its input', () => {
    const ir = importOnnx(model(spec));
    const qm = quantizeModel(
      ir,
      Array.from({ length: 40 }, () => randomInput(8)),
    );
    let worst = 0;
    for (const li of [2, 5]) {
      const q = qm.layers[li]!;
      assert.ok(q.kind === 'log-softmax' && q.shift === 0);
      const f = (li === 2 ? qm.layers[0]! : qm.layers[4]!) as { outFracBits: number };
      const bound = logSoftmaxErrorBound(f.outFracBits, q.n, q.Fe, q.M, q.G);
      assert.ok(bound <= 0.625);
      for (let k = 0; k < 60; k++) {
        const { trace } = runInt(qm, quantizeInput(qm, randomInput(8)));
        const x = trace[li - 1]!;
        const xf = Float64Array.from(x, (v) => Number(v) / 2 ** f.outFracBits);
        const want = logSoftmax.float(ir.layers[li] as never, [xf]);
        trace[li]!.forEach((v, i) => {
          const err = Math.abs(Number(v) - want[i]! * 2 ** f.outFracBits);
          worst = Math.max(worst, err);
          assert.ok(err <= bound, `layer ${li} element ${i}: ${err} LSB > ${bound}`);
        });
      }
    }
    console.log(`log-softmax: worst error ${worst.toFixed(3)} LSB`);
  });

  it('circuit = integer reference, predicted count; forged log selector, maximum, exponent and remainder rejected', async () => {
    await checkCircuit('log-softmax', importOnnx(model(spec)), [
      [['logsoftmax2.row[1].lg.selL[1]', (v) => 1n - v]],
      [['logsoftmax5.row[0].m', (v) => v + 1n]],
      [['logsoftmax5.row[0].sel[0]', (v) => 1n - v]],
      [['logsoftmax5.row[0].rb.bits[0]', (v) => 1n - v]],
      [['logits[3]', (v) => v - 1n]],
    ]);
  });

  it('an input finer than 2^-8 is floor-shifted to 2^-8 first: circuit = integer reference; an old quantized node refused', async () => {
    // |h| <= 8·0.002 + 0.001: calibrated at 2^-12, so the log-softmax Requantizes by 4 before its row.
    const fine: Spec = {
      inShape: [8],
      nodes: [
        { name: 'fc1', opType: 'Gemm', input: ['x', 'w1', 'b1'], output: ['h1'], int: { transB: 1 } },
        { name: 'l1', opType: 'LogSoftmax', input: ['h1'], output: ['l1'], int: { axis: 1 } },
        ...head('l1', 6).nodes,
      ],
      initializers: [
        { name: 'w1', dims: [6, 8], floats: floats(48, 0.002) },
        { name: 'b1', dims: [6], floats: floats(6, 0.001) },
        ...head('l1', 6).initializers!,
      ],
    };
    const { qm } = await checkCircuit('log-softmax-fine', importOnnx(model(fine)), [
      [['logsoftmax1.pre[0].rRange.bits.bits[0]', (v) => 1n - v]],
      [['logits[0]', (v) => v + 1n]],
    ]);
    const q = qm.layers[1]!;
    assert.ok(q.kind === 'log-softmax' && q.shift > 0 && qm.layers[0]!.kind === 'dense');
    assert.equal((qm.layers[0] as { outFracBits: number }).outFracBits - q.shift, LOG_SOFTMAX_MAX_FRAC);
    // A node quantized before the normalised log (sBits/tb/lL fields, no logConst) must be quantized again.
    const { logConst: _, ...old } = q;
    throwsCode(() => logSoftmax.int(old as never, [[0n, 0n, 0n, 0n, 0n, 0n]]), 'BAD_INPUT', /compile the model again/);
  });
});
