/**
 * Pooling and reductions end to end: AveragePool with real padding in both count_include_pad modes (ops/avgpool.ts),
 * ReduceSum / ReduceMean (ops/reduce.ts: axes as attribute or input, keepdims 0/1), and a BatchNormalization that
 * cannot fold into a conv (passes/affine-to-conv.ts). Each: the float reference against a direct transcription of the
 * ONNX definition, circuit = integer executor bit for bit, the predicted constraint count, forged witnesses rejected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFloat, runFloatTrace } from './float-exec.ts';
import { divByConstCost } from './gadget-cost.ts';
import { importOnnx } from './import.ts';
import { quantizeInput, runInt } from './int-exec.ts';
import { checkCircuit, floats, head, model, randomInput, type Spec, throwsCode } from './op-harness.ts';

const close = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.from(b).every((v, i) => Math.abs(v - a[i]!) < 1e-9);

/**
 * A DivByConst's quotient moved up by one with its remainder moved down by k, every linear equation kept (in the first
 * of `gadgets` whose quotient's offset bit 0 is clear; --O2 substituted out and r into their range checks' bits):
 * only the booleanity of the remainder's bit 0 (now -k or 1 + k) fails.
 */
const forgeDiv =
  (gadgets: string[], k: number) =>
  (w: bigint[], at: (s: string) => number): void => {
    const g = gadgets.find((name) => w[at(`${name}.qRange.bits.bits[0]`)] === 0n);
    assert.ok(g, 'an even quotient');
    w[at(`${g}.qRange.bits.bits[0]`)] = 1n;
    w[at(`${g}.rLow.bits.bits[0]`)]! -= BigInt(k);
    w[at(`${g}.rHigh.bits.bits[0]`)]! += BigInt(k);
  };

describe('AveragePool with padding: count_include_pad 0 and 1', () => {
  // p2 → Relu → Gemm: a non-linear reader, so p2 keeps its DivByConst (a dense reader takes the sum: see below).
  const h = head('rp2', 18);
  const spec: Spec = {
    inShape: [1, 6, 6],
    nodes: [
      { name: 'c', opType: 'Conv', input: ['x', 'w', 'b'], output: ['c'], ints: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { name: 'r', opType: 'Relu', input: ['c'], output: ['r'] },
      {
        name: 'p1',
        opType: 'AveragePool',
        input: ['r'],
        output: ['p1'],
        ints: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
        int: { count_include_pad: 0 },
      },
      {
        name: 'p2',
        opType: 'AveragePool',
        input: ['p1'],
        output: ['p2'],
        ints: { kernel_shape: [2, 2], pads: [1, 1, 0, 0] },
        int: { count_include_pad: 1 },
      },
      { name: 'rp2', opType: 'Relu', input: ['p2'], output: ['rp2'] },
      ...h.nodes,
    ],
    initializers: [
      { name: 'w', dims: [2, 1, 3, 3], floats: floats(18, 1) },
      { name: 'b', dims: [2], floats: floats(2, 0.3) },
      ...h.initializers!,
    ],
  };

  it('divides by the real cells (0) or by the whole kernel (1)', () => {
    const ir = importOnnx(model(spec));
    const [, , p1, p2] = ir.layers;
    assert.ok(p1?.kind === 'avgpool2d' && !p1.countIncludePad && p2?.kind === 'avgpool2d' && p2.countIncludePad);
    const x = randomInput(36);
    const t = runFloatTrace(ir, x);
    const r = t[1]!;
    const at = (a: ArrayLike<number>, c: number, y: number, xx: number, n: number) =>
      y < 0 || xx < 0 || y >= n || xx >= n ? undefined : a[(c * n + y) * n + xx]!;
    const want1: number[] = [];
    const want2: number[] = [];
    for (let c = 0; c < 2; c++)
      for (let oy = 0; oy < 3; oy++)
        for (let ox = 0; ox < 3; ox++) {
          const cells = [0, 1, 2]
            .flatMap((ky) => [0, 1, 2].map((kx) => at(r, c, oy * 2 + ky - 1, ox * 2 + kx - 1, 6)))
            .filter((v) => v !== undefined);
          want1.push(cells.reduce((a, v) => a + v, 0) / cells.length);
        }
    for (let c = 0; c < 2; c++)
      for (let oy = 0; oy < 3; oy++)
        for (let ox = 0; ox < 3; ox++) {
          const cells = [0, 1].flatMap((ky) => [0, 1].map((kx) => at(want1, c, oy + ky - 1, ox + kx - 1, 3) ?? 0));
          want2.push(cells.reduce((a, v) => a + v, 0) / 4);
        }
    assert.ok(close(t[2]!, want1), 'count_include_pad 0');
    assert.ok(close(t[3]!, want2), 'count_include_pad 1');
  });

  it('circuit = integer reference, DivByConst per window as predicted, forged quotients rejected', async () => {
    const { qm, m } = await checkCircuit('avgpool-pads', importOnnx(model(spec)), [
      forgeDiv(['pool2[0]', 'pool2[2]', 'pool2[6]', 'pool2[8]'], 4),
      forgeDiv(
        [0, 1, 2, 3, 4, 5].map((i) => `pool3[${i}]`),
        4,
      ),
      [['logits[2]', (v) => v + 1n]],
    ]);
    const p1 = qm.layers[2]!;
    const p2 = qm.layers[3]!;
    assert.ok(p1.kind === 'avgpool2d' && p2.kind === 'avgpool2d');
    // p1 (6×6, k3, s2, pad 1): per channel the window rows hold 2, 3, 3 real cells (cols likewise), so one window of
    // 4 cells, four of 6 and four of 9; p2 always divides by 4.
    const perChannel1 = divByConstCost(p1.bits, 4) + 4 * divByConstCost(p1.bits, 6) + 4 * divByConstCost(p1.bits, 9);
    const costs = m.generated.layerCosts.filter((c) => c.kind === 'avgpool2d').map((c) => c.constraints);
    assert.deepEqual(costs, [2 * perChannel1, 18 * divByConstCost(p2.bits, 4)]);
  });

  it('a power-of-two divisor read only by a Gemm: the exact window sum at a finer scale, 0 constraints', async () => {
    const folded: Spec = {
      ...spec,
      nodes: spec.nodes.filter((n) => n.name !== 'rp2').map((n) => (n.name === 'flat' ? { ...n, input: ['p2'] } : n)),
    };
    const ir = importOnnx(model(folded));
    const { qm, m } = await checkCircuit('avgpool-sum', ir, [[['logits[0]', (v) => v - 1n]]]);
    const [, , p1, p2, , fc] = qm.layers;
    assert.ok(p1?.kind === 'avgpool2d' && p2?.kind === 'avgpool2d' && fc?.kind === 'dense');
    assert.deepEqual([p1.sumShift, p2.sumShift], [undefined, 2], 'p1 (read by a pool, divisors 4, 6, 9) divides; p2 sums');
    assert.equal(fc.inBits, p2.bits + 2);
    assert.deepEqual(
      m.generated.layerCosts.filter((c) => c.kind === 'avgpool2d').map((c) => c.constraints),
      [2 * (divByConstCost(p1.bits, 4) + 4 * divByConstCost(p1.bits, 6) + 4 * divByConstCost(p1.bits, 9)), 0],
    );
    // The float model is unchanged (the mean); the integers are the sums, i.e. the means at 2^2 finer scale, exactly.
    const x = randomInput(36);
    const q = runInt(qm, quantizeInput(qm, x)).trace[3]!;
    const p1q = runInt(qm, quantizeInput(qm, x)).trace[2]!;
    assert.equal(q[4], p1q[0]! + p1q[1]! + p1q[3]! + p1q[4]!);
  });
});

describe('ReduceSum and ReduceMean', () => {
  /** x [2, 3, 4] → Relu-free: Reduce over `axes` → (keepdims) → Flatten → Gemm. */
  const spec = (op: 'ReduceSum' | 'ReduceMean', axes: number[], keepdims: number, opset: number, asInput: boolean, outN: number): Spec => {
    const h = head('red', outN);
    return {
      inShape: [2, 3, 4],
      opset,
      nodes: [
        { name: 'c', opType: 'Conv', input: ['x', 'w', 'b'], output: ['c'], ints: { kernel_shape: [1, 1] } },
        asInput
          ? { name: 'red', opType: op, input: ['c', 'axes'], output: ['red'], int: { keepdims } }
          : { name: 'red', opType: op, input: ['c'], output: ['red'], ints: { axes }, int: { keepdims } },
        ...h.nodes,
      ],
      initializers: [
        { name: 'w', dims: [2, 2, 1, 1], floats: floats(4, 1) },
        { name: 'b', dims: [2], floats: floats(2, 0.3) },
        ...(asInput ? [{ name: 'axes', dims: [axes.length], floats: axes, int64: true }] : []),
        ...h.initializers!,
      ],
    };
  };

  it('imports axes from the attribute (ReduceMean before 18) or the input (ReduceSum 13, ReduceMean 18), keepdims 0/1', () => {
    const mean = importOnnx(model(spec('ReduceMean', [-1], 1, 13, false, 6)));
    const red = mean.layers[1]!;
    assert.ok(red.kind === 'reduce-mean');
    assert.deepEqual([red.axes, red.outShape], [[2], [2, 3, 1]]);
    const sum = importOnnx(model(spec('ReduceSum', [1, 3], 0, 13, true, 3)));
    assert.ok(sum.layers[1]!.kind === 'reduce-sum');
    assert.deepEqual([(sum.layers[1] as { axes: number[] }).axes, sum.layers[1]!.outShape], [[0, 2], [3]]);
    const mean18 = importOnnx(model(spec('ReduceMean', [2, 3], 0, 18, true, 2)));
    assert.deepEqual(mean18.layers[1]!.outShape, [2]);
    // The float reference against the definition.
    const x = randomInput(24);
    const t = runFloatTrace(sum, x);
    const c = t[0]!;
    const wantSum = [0, 1, 2].map((hh) => [0, 1].reduce((a, ch) => a + [0, 1, 2, 3].reduce((s, w) => s + c[(ch * 3 + hh) * 4 + w]!, 0), 0));
    assert.ok(close(t[1]!, wantSum));
    const tm = runFloatTrace(mean, x);
    const wantMean = [0, 1, 2, 3, 4, 5].map((row) => [0, 1, 2, 3].reduce((s, w) => s + tm[0]![row * 4 + w]!, 0) / 4);
    assert.ok(close(tm[1]!, wantMean));
    assert.equal(runFloat(mean18, x).length, 4);
  });

  it('ReduceMean: circuit = integer reference (floor mean), DivByConst per output, forged quotient rejected', async () => {
    const { qm, m } = await checkCircuit('reduce-mean', importOnnx(model(spec('ReduceMean', [1, 3], 1, 13, false, 3))), [
      forgeDiv(
        [0, 1, 2].map((i) => `reduce1.div[${i}]`),
        8,
      ),
      [['logits[0]', (v) => v + 1n]],
    ]);
    const r = qm.layers[1]!;
    assert.ok(r.kind === 'reduce-mean' && r.bits === r.inBits);
    assert.equal(m.generated.layerCosts.find((c) => c.kind === 'reduce-mean')!.constraints, 3 * divByConstCost(r.bits, 8));
  });

  it('ReduceSum: circuit = integer reference (exact sum, wider), 0 constraints, forged logit rejected', async () => {
    const { qm, m } = await checkCircuit('reduce-sum', importOnnx(model(spec('ReduceSum', [-1], 0, 13, true, 6))), [
      [['logits[3]', (v) => v + 1n]],
    ]);
    const r = qm.layers[1]!;
    assert.ok(r.kind === 'reduce-sum' && r.bits === r.inBits + 2);
    assert.equal(m.generated.layerCosts.find((c) => c.kind === 'reduce-sum')!.constraints, 0);
  });

  it('refuses the batch axis with keepdims 0; noop_with_empty_axes is the identity', () => {
    throwsCode(
      () => importOnnx(model(spec('ReduceMean', [0], 0, 13, false, 24))),
      'UNSUPPORTED_OP',
      /'ReduceMean' \(node 1, 'red'\): reducing the batch axis/,
    );
    const s = spec('ReduceSum', [], 1, 13, false, 24);
    s.nodes[1] = { name: 'red', opType: 'ReduceSum', input: ['c'], output: ['red'], int: { noop_with_empty_axes: 1 } };
    assert.deepEqual(
      importOnnx(model(s)).layers.map((l) => l.kind),
      ['conv2d', 'reshape', 'dense'],
    );
  });
});

describe('BatchNormalization that cannot fold: a depthwise 1×1 conv', () => {
  const bn = (input: string, out: string, C: number) => ({
    node: { name: `bn-${out}`, opType: 'BatchNormalization', input: [input, `${out}s`, `${out}b`, `${out}m`, `${out}v`], output: [out] },
    inits: [
      { name: `${out}s`, dims: [C], floats: floats(C, 2) },
      { name: `${out}b`, dims: [C], floats: floats(C, 0.5) },
      { name: `${out}m`, dims: [C], floats: floats(C, 0.3) },
      { name: `${out}v`, dims: [C], floats: floats(C, 0.5).map((v) => v + 0.6) },
    ],
  });

  it('after the model input and after an Add (rank 3), and on a flat [C] tensor: circuit = integer reference', async () => {
    const b0 = bn('x', 'n0', 2);
    const b1 = bn('s', 'n1', 2);
    const h = head('r', 32);
    const spec: Spec = {
      inShape: [2, 4, 4],
      nodes: [
        b0.node,
        { name: 'c', opType: 'Conv', input: ['n0', 'w', 'b'], output: ['c'], ints: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
        { name: 's', opType: 'Add', input: ['c', 'n0'], output: ['s'] },
        b1.node,
        { name: 'r', opType: 'Relu', input: ['n1'], output: ['r'] },
        ...h.nodes,
      ],
      initializers: [
        ...b0.inits,
        ...b1.inits,
        { name: 'w', dims: [2, 2, 3, 3], floats: floats(36, 0.5) },
        { name: 'b', dims: [2], floats: floats(2, 0.2) },
        ...h.initializers!,
      ],
    };
    const ir = importOnnx(model(spec));
    assert.deepEqual(
      ir.layers.map((l) => l.kind),
      ['channel-affine', 'conv2d', 'add', 'channel-affine', 'relu', 'reshape', 'dense'],
    );
    const { qm } = await checkCircuit('bn-standalone', ir, [[['logits[1]', (v) => v - 1n]]]);
    assert.deepEqual(
      qm.layers.map((l) => `${l.kind}${l.kind === 'conv2d' ? `/${l.group ?? 1}` : ''}`),
      ['conv2d/2', 'conv2d/1', 'add', 'conv2d/2', 'relu', 'reshape', 'dense'],
    );
    // A flat one: BatchNorm on [K] after a Flatten that follows a pool (nothing to fold into).
    const h2 = head('n2', 8);
    const b2 = bn('f', 'n2', 8);
    const flat: Spec = {
      inShape: [2, 4, 4],
      nodes: [
        { name: 'p', opType: 'MaxPool', input: ['x'], output: ['p'], ints: { kernel_shape: [2, 2], strides: [2, 2] } },
        { name: 'f', opType: 'Flatten', input: ['p'], output: ['f'] },
        b2.node,
        ...h2.nodes,
      ],
      initializers: [...b2.inits, ...h2.initializers!],
    };
    const { qm: q2 } = await checkCircuit('bn-flat', importOnnx(model(flat)), [[['logits[0]', (v) => v + 1n]]]);
    assert.deepEqual(
      q2.layers.map((l) => l.kind),
      ['maxpool2d', 'reshape', 'conv2d', 'reshape', 'dense'],
    );
  });
});
