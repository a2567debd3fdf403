/**
 * The table ops on inputs wider than a table (TABLE_MAX_BITS = 12): a residual Add of two activations at scales 2^-f
 * far apart is exact but wide (ops/add.ts), so the Sigmoid and the Softmax after it first floor-shift their input to
 * 12 bits (Requantize). Circuit = integer executor bit for bit, the predicted count, forged shifts rejected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { importOnnx } from './import.ts';
import { TABLE_MAX_BITS } from './lookup.ts';
import { checkCircuit, floats, head, model, type Spec } from './op-harness.ts';

const h = head('cat', 24);
const spec: Spec = {
  inShape: [8],
  nodes: [
    { name: 'fc1', opType: 'Gemm', input: ['x', 'w1', 'b1'], output: ['h1'], int: { transB: 1 } },
    { name: 'fc2', opType: 'Gemm', input: ['x', 'w2', 'b2'], output: ['h2'], int: { transB: 1 } },
    { name: 'res', opType: 'Add', input: ['h1', 'h2'], output: ['s'] },
    { name: 'sig', opType: 'Sigmoid', input: ['s'], output: ['a'] },
    { name: 'rs', opType: 'Reshape', input: ['s', 'shape'], output: ['r'] },
    { name: 'sm', opType: 'Softmax', input: ['r'], output: ['p'] },
    { name: 'flat', opType: 'Flatten', input: ['p'], output: ['pf'] },
    { name: 'cat', opType: 'Concat', input: ['a', 'pf'], output: ['cat'], int: { axis: 1 } },
    ...h.nodes,
  ],
  initializers: [
    { name: 'w1', dims: [12, 8], floats: floats(96, 1) },
    { name: 'b1', dims: [12], floats: floats(12, 0.3) },
    { name: 'w2', dims: [12, 8], floats: floats(96, 0.002) },
    { name: 'b2', dims: [12], floats: floats(12, 0.001) },
    { name: 'shape', dims: [3], floats: [1, 3, 4], int64: true },
    ...h.initializers!,
  ],
};

describe('table ops on inputs wider than the table', () => {
  it('Sigmoid and Softmax after a wide residual Add: pre-shift to 12 bits, circuit = integer reference', async () => {
    const ir = importOnnx(model(spec));
    const { qm } = await checkCircuit('wide-tables', ir, [
      // A quotient or remainder bit of the pre-shift flipped: the floor division's equation breaks.
      [['act3.pre[0].sat.sb.bits[3]', (v) => 1n - v]],
      [['softmax5.pre[1].rRange.bits.bits[2]', (v) => 1n - v]],
    ]);
    const add = qm.layers[2]!;
    const [act, sm] = [qm.layers[3]!, qm.layers[5]!];
    assert.ok(add.kind === 'add' && add.bits > TABLE_MAX_BITS, `the Add is ${add.kind === 'add' ? add.bits : '?'} bits wide`);
    assert.ok(act.kind === 'activation' && act.shift === add.bits - TABLE_MAX_BITS && act.bits === TABLE_MAX_BITS);
    assert.ok(sm.kind === 'softmax' && sm.shift === add.bits - TABLE_MAX_BITS && sm.bits === TABLE_MAX_BITS);
  });
});
