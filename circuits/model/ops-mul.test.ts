/**
 * Mul of two activations (ops/mul.ts): x · Tanh(x) (x · Sigmoid(x), SiLU, is fused into one table:
 * ops-fusion.test.ts) and an outer product by
 * broadcasting ([2, 1] · [1, 3]), summed by a residual Add: import, float broadcasting, circuit = integer executor bit
 * for bit, the predicted count (1 + ba + bb per element), forged products rejected; Mul by a constant still
 * mul-const.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFloatTrace } from './float-exec.ts';
import { requantizeCost } from './gadget-cost.ts';
import { importOnnx } from './import.ts';
import { checkCircuit, floats, head, model, randomInput, type Spec, throwsCode } from './op-harness.ts';
import { broadcastIndex, broadcastShape } from './ops/broadcast.ts';
import type { QMul } from './qir.ts';

const h = head('sum', 6);
const spec: Spec = {
  inShape: [8],
  nodes: [
    { name: 'fc0', opType: 'Gemm', input: ['x', 'w0', 'b0'], output: ['h'], int: { transB: 1 } },
    { name: 'tanh', opType: 'Tanh', input: ['h'], output: ['s'] },
    { name: 'silu', opType: 'Mul', input: ['h', 's'], output: ['m1'] },
    { name: 'fcA', opType: 'Gemm', input: ['x', 'wa', 'ba'], output: ['a'], int: { transB: 1 } },
    { name: 'rA', opType: 'Reshape', input: ['a', 'colShape'], output: ['ar'] },
    { name: 'fcB', opType: 'Gemm', input: ['x', 'wb', 'bb'], output: ['b'], int: { transB: 1 } },
    { name: 'rB', opType: 'Reshape', input: ['b', 'rowShape'], output: ['br'] },
    { name: 'outer', opType: 'Mul', input: ['ar', 'br'], output: ['m2'] },
    { name: 'flat2', opType: 'Flatten', input: ['m2'], output: ['m2f'] },
    { name: 'sum', opType: 'Add', input: ['m1', 'm2f'], output: ['sum'] },
    ...h.nodes,
  ],
  initializers: [
    { name: 'w0', dims: [6, 8], floats: floats(48, 1) },
    { name: 'b0', dims: [6], floats: floats(6, 0.3) },
    { name: 'wa', dims: [2, 8], floats: floats(16, 1) },
    { name: 'ba', dims: [2], floats: floats(2, 0.3) },
    { name: 'wb', dims: [3, 8], floats: floats(24, 1) },
    { name: 'bb', dims: [3], floats: floats(3, 0.3) },
    { name: 'colShape', dims: [3], floats: [1, 2, 1], int64: true },
    { name: 'rowShape', dims: [3], floats: [1, 1, 3], int64: true },
    ...h.initializers!,
  ],
};

describe('Mul of two activations, with broadcasting', () => {
  it('broadcasts shapes numpy-style', () => {
    assert.deepEqual(broadcastShape([2, 1], [1, 3]), [2, 3]);
    assert.deepEqual(broadcastShape([4, 3], [3]), [4, 3]);
    assert.equal(broadcastShape([2, 3], [3, 2]), undefined);
    assert.deepEqual(broadcastIndex([2, 3], [2, 1]), [0, 0, 0, 1, 1, 1]);
    assert.deepEqual(broadcastIndex([2, 3], [3]), [0, 1, 2, 0, 1, 2]);
  });

  it('imports x·tanh(x) and the outer product as mul nodes; the float op broadcasts', () => {
    const ir = importOnnx(model(spec));
    const kinds = ir.layers.map((l) => l.kind);
    assert.deepEqual(kinds.filter((k) => k === 'mul').length, 2);
    const outer = ir.layers.find((l) => l.kind === 'mul' && l.outShape.length === 2)!;
    assert.deepEqual(outer.outShape, [2, 3]);
    const x = randomInput(8);
    const trace = runFloatTrace(ir, x);
    const i = ir.layers.indexOf(outer);
    const [a, b] = outer.inputs.map((t) => trace[t]!);
    for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) assert.equal(trace[i]![r * 3 + c], a![r]! * b![c]!);
  });

  it('circuit = integer reference, 1 + ba + bb (+8) per element, forged products rejected', async () => {
    const ir = importOnnx(model(spec));
    const silu = ir.layers.findIndex((l) => l.kind === 'mul');
    const { qm, m } = await checkCircuit('mul-acts', ir, [
      [[`mul${silu}.rq[0].rRange.bits.bits[0]`, (v) => 1n - v]],
      [['logits[3]', (v) => v + 1n]],
    ]);
    const muls = qm.layers.filter((l): l is QMul => l.kind === 'mul');
    assert.ok(muls.every((l) => l.shift >= 1));
    const costs = m.generated.layerCosts.filter((c) => c.kind === 'mul').map((c) => c.constraints);
    assert.deepEqual(
      costs,
      muls.map((l) => 6 * (1 + requantizeCost(l.bIn, l.shift, l.bits))),
    );
    console.log(`mul: ${muls.map((l) => `${1 + requantizeCost(l.bIn, l.shift, l.bits)}`).join(', ')} constraints per element`);
  });

  it('refuses shapes that do not broadcast', () => {
    throwsCode(
      () =>
        importOnnx(
          model({
            ...spec,
            nodes: spec.nodes.map((n) => (n.name === 'outer' ? { ...n, input: ['h', 'b'] } : n)),
          }),
        ),
      'UNSUPPORTED_OP',
      /'Mul' \(node 7, 'outer'\): shapes \[6\] and \[3\] do not broadcast/,
    );
  });
});

describe('Add and Sub of two activations with broadcasting', () => {
  const hb = head('cat', 12);
  const bspec: Spec = {
    inShape: [8],
    nodes: [
      { name: 'fcH', opType: 'Gemm', input: ['x', 'wh', 'bh'], output: ['h'], int: { transB: 1 } },
      { name: 'rH', opType: 'Reshape', input: ['h', 'matShape'], output: ['hr'] },
      { name: 'fcM', opType: 'Gemm', input: ['x', 'wa', 'ba'], output: ['m'], int: { transB: 1 } },
      { name: 'rM', opType: 'Reshape', input: ['m', 'colShape'], output: ['mr'] },
      // x - mean(x) as the decomposed LayerNorm writes it ([2, 3] - [2, 1]), and the smaller operand first.
      { name: 'centre', opType: 'Sub', input: ['hr', 'mr'], output: ['d'] },
      { name: 'shift', opType: 'Add', input: ['mr', 'hr'], output: ['e'] },
      { name: 'cat', opType: 'Concat', input: ['d', 'e'], output: ['c2'], int: { axis: 2 } },
      { name: 'flatC', opType: 'Flatten', input: ['c2'], output: ['cat'] },
      ...hb.nodes.slice(1).map((n) => ({ ...n, input: ['cat', ...n.input.slice(1)] })),
    ],
    initializers: [
      { name: 'wh', dims: [6, 8], floats: floats(48, 1) },
      { name: 'bh', dims: [6], floats: floats(6, 0.3) },
      { name: 'matShape', dims: [3], floats: [1, 2, 3], int64: true },
      ...spec.initializers!.filter((t) => ['wa', 'ba', 'colShape'].includes(t.name)),
      ...hb.initializers!,
    ],
  };

  it('imports with bShape; the float ops broadcast; circuit = integer reference (0 constraints), forgeries rejected', async () => {
    const ir = importOnnx(model(bspec));
    const sub = ir.layers.find((l) => l.kind === 'sub')!;
    const add = ir.layers.find((l) => l.kind === 'add')!;
    assert.ok(sub.kind === 'sub' && add.kind === 'add');
    assert.deepEqual(
      [sub.outShape, sub.bShape, add.outShape, add.inShape, add.bShape],
      [
        [2, 3],
        [2, 1],
        [2, 3],
        [2, 1],
        [2, 3],
      ],
    );
    const trace = runFloatTrace(ir, randomInput(8));
    const [hv, mv] = sub.inputs.map((t) => trace[t]!);
    const [si, ai] = [ir.layers.indexOf(sub), ir.layers.indexOf(add)];
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 3; c++) {
        assert.equal(trace[si]![r * 3 + c], hv![r * 3 + c]! - mv![r]!);
        assert.equal(trace[ai]![r * 3 + c], mv![r]! + hv![r * 3 + c]!);
      }
    }
    const { m } = await checkCircuit('broadcast-add-sub', ir, [[['logits[0]', (v) => v + 1n]]]);
    for (const kind of ['add', 'sub']) assert.equal(m.generated.layerCosts.find((c) => c.kind === kind)!.constraints, 0);
  });
});
