/**
 * Ops that only move or join values (ops/transpose.ts, squeeze.ts, concat.ts): import, float reference, circuit =
 * integer executor bit for bit, 0 constraints, forged outputs rejected, refusals at import.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFloat } from './float-exec.ts';
import { importOnnx } from './import.ts';
import { checkCircuit, type Forgery, floats, head, model, randomInput, type Spec, throwsCode } from './op-harness.ts';
import { concat } from './ops/concat.ts';
import { transposeSources } from './ops/transpose.ts';

describe('Transpose, Squeeze, Unsqueeze: index permutations, 0 constraints', () => {
  const h = head('s', 24);
  const spec: Spec = {
    inShape: [2, 3, 4],
    nodes: [
      { name: 't', opType: 'Transpose', input: ['x'], output: ['t'], ints: { perm: [0, 2, 3, 1] } },
      { name: 'u', opType: 'Unsqueeze', input: ['t', 'ax1'], output: ['u'] },
      { name: 's', opType: 'Squeeze', input: ['u', 'ax1'], output: ['s'] },
      ...h.nodes,
    ],
    initializers: [{ name: 'ax1', dims: [1], floats: [1], int64: true }, ...h.initializers!],
  };

  it('permutes row-major indices as numpy.transpose does', () => {
    // x[c][h][w] of shape [2, 3, 4] transposed by (1, 2, 0): out[h][w][c] = x[c][h][w] at c·12 + h·4 + w.
    const src = transposeSources([2, 3, 4], [1, 2, 0]);
    assert.equal(src.length, 24);
    for (let h = 0; h < 3; h++)
      for (let w = 0; w < 4; w++) for (let c = 0; c < 2; c++) assert.equal(src[h * 8 + w * 2 + c], c * 12 + h * 4 + w);
  });

  it('imports as transpose + reshape and runs the same float function', () => {
    const ir = importOnnx(model(spec));
    assert.deepEqual(
      ir.layers.map((l) => `${l.kind}[${l.outShape}]`),
      ['transpose[3,4,2]', 'reshape[24]', 'dense[4]'],
    );
    const x = randomInput(24);
    const t = transposeSources([2, 3, 4], [1, 2, 0]).map((s) => x[s]!);
    const flatModel = model({
      inShape: [24],
      nodes: [{ name: 'i', opType: 'Identity', input: ['x'], output: ['s'] }, ...h.nodes],
      initializers: h.initializers,
    });
    assert.deepEqual(Array.from(runFloat(ir, x)), Array.from(runFloat(importOnnx(flatModel), t)));
  });

  it('compiles with 0 constraints for the permutations; circuit = integer reference', async () => {
    const { m } = await checkCircuit('transpose-test', importOnnx(model(spec)));
    assert.deepEqual(
      m.generated.layerCosts.filter((c) => c.kind === 'transpose' || c.kind === 'reshape').map((c) => c.constraints),
      [0, 0],
    );
  });

  it('refuses a perm that moves the batch axis, a Squeeze of a non-1 axis', () => {
    const bad = (nodes: Spec['nodes']) => () => importOnnx(model({ ...spec, nodes: [...nodes, ...h.nodes] }));
    throwsCode(
      bad([{ name: 't', opType: 'Transpose', input: ['x'], output: ['s'], ints: { perm: [1, 0, 2, 3] } }]),
      'UNSUPPORTED_OP',
      /'Transpose' \(node 0, 't'\): perm \[1,0,2,3\] moves the batch axis/,
    );
    throwsCode(bad([{ name: 'q', opType: 'Squeeze', input: ['x', 'ax1'], output: ['s'] }]), 'UNSUPPORTED_OP', /axis 1 has size 2, not 1/);
  });
});

describe('Concat: along features or channels, operands at a common scale, 0 constraints', () => {
  const fw = [
    { name: 'w0', dims: [4, 8], floats: floats(32, 1) },
    { name: 'b0', dims: [4], floats: floats(4, 0.3) },
    { name: 'w1', dims: [3, 8], floats: floats(24, 0.5) },
    { name: 'b1', dims: [3], floats: floats(3, 0.3) },
  ];
  const hf = head('r', 15);
  // Features: relu(fc0(x)) ++ fc1(x) ++ x, three scales (the model input's among them).
  const features: Spec = {
    inShape: [8],
    nodes: [
      { name: 'fc0', opType: 'Gemm', input: ['x', 'w0', 'b0'], output: ['h0'], int: { transB: 1 } },
      { name: 'r0', opType: 'Relu', input: ['h0'], output: ['r0'] },
      { name: 'fc1', opType: 'Gemm', input: ['x', 'w1', 'b1'], output: ['h1'], int: { transB: 1 } },
      { name: 'cat', opType: 'Concat', input: ['r0', 'h1', 'x'], output: ['c'], int: { axis: 1 } },
      { name: 'r', opType: 'Relu', input: ['c'], output: ['r'] },
      ...hf.nodes,
    ],
    initializers: [...fw, ...hf.initializers!],
  };
  const cw = [
    { name: 'k0', dims: [3, 2, 3, 3], floats: floats(54, 0.3) },
    { name: 'kb0', dims: [3], floats: floats(3, 0.2) },
    { name: 'k1', dims: [2, 2, 3, 3], floats: floats(36, 0.3) },
    { name: 'kb1', dims: [2], floats: floats(2, 0.2) },
    { name: 'k2', dims: [2, 5, 3, 3], floats: floats(90, 0.2) },
    { name: 'kb2', dims: [2], floats: floats(2, 0.2) },
  ];
  const hc = head('r2', 32);
  const conv = (name: string, input: string, w: string, out: string) => ({
    name,
    opType: 'Conv',
    input: [input, w, `${w.replace('k', 'kb')}`],
    output: [out],
    ints: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
  });
  // Channels: relu(conv0(x)) [3, 4, 4] ++ conv1(x) [2, 4, 4] → conv2 → relu.
  const channels: Spec = {
    inShape: [2, 4, 4],
    nodes: [
      conv('c0', 'x', 'k0', 'a0'),
      { name: 'r0', opType: 'Relu', input: ['a0'], output: ['r0'] },
      conv('c1', 'x', 'k1', 'a1'),
      { name: 'cat', opType: 'Concat', input: ['r0', 'a1'], output: ['c'], int: { axis: 1 } },
      conv('c2', 'c', 'k2', 'a2'),
      { name: 'r2', opType: 'Relu', input: ['a2'], output: ['r2'] },
      ...hc.nodes,
    ],
    initializers: [...cw, ...hc.initializers!],
  };

  it('joins row-major along the axis (float reference)', () => {
    const ir = importOnnx(model(channels));
    const cat = ir.layers.find((l) => l.kind === 'concat')!;
    assert.deepEqual(
      [cat.outShape, cat.inputs],
      [
        [5, 4, 4],
        [1, 2],
      ],
    );
    const a = Float64Array.from({ length: 48 }, (_, i) => i);
    const b = Float64Array.from({ length: 32 }, (_, i) => 100 + i);
    assert.deepEqual(Array.from(concat.float(cat as never, [a, b])), [...a, ...b]);
    const f = importOnnx(model(features)).layers.find((l) => l.kind === 'concat')!;
    assert.deepEqual([f.outShape, f.inputs], [[15], [1, 2, -1]]);
    // Along the last axis of [2, 2] and [2, 1]: rows interleave.
    assert.deepEqual(
      Array.from(
        concat.float({ ...cat, axis: 1, sizes: [2, 1], outShape: [2, 3] } as never, [Float64Array.of(1, 2, 3, 4), Float64Array.of(9, 8)]),
      ),
      [1, 2, 9, 3, 4, 8],
    );
  });

  for (const [name, spec] of [
    ['features', features],
    ['channels', channels],
  ] as const) {
    it(`${name}: circuit = integer reference, 0 constraints, scales unified by exact shifts`, async () => {
      const ir = importOnnx(model(spec));
      const at = ir.layers.findIndex((l) => l.kind === 'concat');
      // A logit, and the ReLU after the feature concat: both forged values break a constraint.
      const forgeries: Forgery[] = [[['logits[1]', (v) => v + 1n]]];
      if (name === 'features') forgeries.push([[`x${at + 1}[2]`, (v) => v + 1n]]);
      const { qm, m } = await checkCircuit(`concat-${name}`, ir, forgeries);
      const q = qm.layers[at]!;
      assert.ok(q.kind === 'concat' && q.shifts.includes(0));
      if (name === 'features')
        assert.ok(
          q.shifts.some((s) => s > 0),
          `shifts ${q.shifts}`,
        );
      assert.equal(m.generated.layerCosts.find((c) => c.kind === 'concat')!.constraints, 0);
    });
  }

  it('refuses the batch axis and mismatched shapes', () => {
    const bad = (int: Record<string, number>) => () =>
      importOnnx(model({ ...features, nodes: features.nodes.map((n) => (n.name === 'cat' ? { ...n, int } : n)) }));
    throwsCode(bad({ axis: 0 }), 'UNSUPPORTED_OP', /'Concat' \(node 3, 'cat'\): concatenation along the batch axis/);
    throwsCode(
      () =>
        importOnnx(
          model({ ...channels, nodes: channels.nodes.map((n) => (n.name === 'cat' ? { ...n, input: ['r0', 'x'], int: { axis: 2 } } : n)) }),
        ),
      'UNSUPPORTED_OP',
      /differ off axis 2/,
    );
  });
});
