/**
 * The transformer's ops (ops/slice.ts, token-linear.ts, matmul.ts, layernorm.ts; passes/constants.ts Slice,
 * hoist-add-const.ts, fuse-layernorm.ts): import, float semantics against a direct computation, circuit = integer
 * executor bit for bit, exact constraint costs, forged witnesses (products, floors with compensated remainders,
 * square roots, outputs) rejected.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runFloat } from './float-exec.ts';
import { requantizeCost } from './gadget-cost.ts';
import { importOnnx, importOnnxModel } from './import.ts';
import type { LayerNormLayer } from './ir.ts';
import { decodeOnnx } from './onnx.ts';
import { checkCircuit, floats, forgeFloor, head, model, randomInput, type Spec, throwsCode } from './op-harness.ts';
import { isqrt, LN_MIN_SQRT_BITS, layerNorm } from './ops/layernorm.ts';
import { fracBitsFor } from './ops/linear.ts';
import { tensor } from './ops/onnx-util.ts';
import type { QLayerNorm, QMatMul } from './qir.ts';

const kinds = (spec: Spec) => importOnnx(model(spec)).layers.map((l) => `${l.kind}(${l.inputs})`);
/** x · W (x [R, K] row-major, W [K, N]) + b. */
const rowsTimes = (x: number[], w: number[], b: number[], K: number, N: number) =>
  Array.from({ length: (x.length / K) * N }, (_, i) => {
    const [r, n] = [Math.floor(i / N), i % N];
    let acc = b[n]!;
    for (let k = 0; k < K; k++) acc += x[r * K + k]! * w[k * N + n]!;
    return acc;
  });
const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6 * (1 + Math.abs(b[i]!)), `element ${i}: ${a[i]} vs ${b[i]}`);
};

describe('Slice: folded over constants (Shape → Slice → Concat → Reshape), data movement on activations', () => {
  it('flatten(2) as PyTorch exports it folds to one reshape', () => {
    const spec: Spec = {
      inShape: [3, 2, 2],
      nodes: [
        { name: 'sh', opType: 'Shape', input: ['x'], output: ['s'] },
        { name: 'sl', opType: 'Slice', input: ['s', 'z', 'two', 'z'], output: ['s2'] },
        { name: 'cat', opType: 'Concat', input: ['s2', 'm1'], output: ['t'], int: { axis: 0 } },
        { name: 'rs', opType: 'Reshape', input: ['x', 't'], output: ['r'] },
        { name: 'tr', opType: 'Transpose', input: ['r'], output: ['y'], ints: { perm: [0, 2, 1] } },
      ],
      initializers: [
        { name: 'z', dims: [1], floats: [0], int64: true },
        { name: 'two', dims: [1], floats: [2], int64: true },
        { name: 'm1', dims: [1], floats: [-1], int64: true },
      ],
    };
    const ir = importOnnx(model(spec));
    assert.deepEqual(
      ir.layers.map((l) => [l.kind, l.outShape]),
      [
        ['reshape', [3, 4]],
        ['transpose', [4, 3]],
      ],
    );
  });

  const spec: Spec = {
    inShape: [3, 8],
    nodes: [
      { name: 'fc', opType: 'MatMul', input: ['x', 'w'], output: ['h'] },
      // axes 1 and 2 of [1, 3, 6]: rows 0..1, columns 1, 3, 5; then the last row (a negative start), columns 0..2.
      { name: 'sl', opType: 'Slice', input: ['h', 'st', 'en', 'ax', 'stp'], output: ['s'] },
      { name: 'sl2', opType: 'Slice', input: ['h', 'st2', 'en2', 'ax2'], output: ['s2'] },
      { name: 'r', opType: 'Relu', input: ['s'], output: ['r'] },
      { name: 'r2', opType: 'Relu', input: ['s2'], output: ['r2'] },
      { name: 'c', opType: 'Concat', input: ['r', 'r2'], output: ['c'], int: { axis: 1 } },
      ...head('c', 9).nodes,
    ],
    initializers: [
      { name: 'w', dims: [8, 6], floats: floats(48, 1) },
      { name: 'st', dims: [2], floats: [0, 1], int64: true },
      { name: 'en', dims: [2], floats: [2, 100], int64: true },
      { name: 'ax', dims: [2], floats: [1, -1], int64: true },
      { name: 'stp', dims: [2], floats: [1, 2], int64: true },
      { name: 'st2', dims: [2], floats: [-1, 0], int64: true },
      { name: 'en2', dims: [2], floats: [3, 3], int64: true },
      { name: 'ax2', dims: [2], floats: [1, 2], int64: true },
      ...head('c', 9).initializers!,
    ],
  };

  it('picks the elements ONNX Slice picks; circuit = integer reference at 0 constraints', async () => {
    const ir = importOnnx(model(spec));
    const sl = ir.layers.filter((l) => l.kind === 'slice');
    assert.deepEqual(
      sl.map((l) => l.outShape),
      [
        [2, 3],
        [1, 3],
      ],
    );
    const { m } = await checkCircuit('slice-test', ir, [[['logits[1]', (v) => v + 1n]]]);
    assert.equal(
      m.generated.layerCosts.filter((c) => c.kind === 'slice').reduce((a, c) => a + c.constraints, 0),
      0,
    );
  });

  it('refuses a slice of the batch axis and a zero step', () => {
    const bad = (st: number[], ax: number[], stp: number[]) => ({
      ...spec,
      initializers: spec.initializers!.map((t) =>
        t.name === 'st' ? { ...t, floats: st } : t.name === 'ax' ? { ...t, floats: ax } : t.name === 'stp' ? { ...t, floats: stp } : t,
      ),
    });
    throwsCode(() => importOnnx(model(bad([1, 1], [0, 2], [1, 2]))), 'UNSUPPORTED_OP', /'Slice' \(node 1, 'sl'\): slices the batch axis/);
    throwsCode(() => importOnnx(model(bad([0, 1], [1, 2], [1, 0]))), 'UNSUPPORTED_OP', /'Slice' \(node 1, 'sl'\): invalid/);
  });
});

describe('Split: one slice per output', () => {
  const spec = (split: boolean): Spec => ({
    inShape: [2, 6],
    nodes: [
      { name: 'fc', opType: 'MatMul', input: ['x', 'w'], output: ['h'] },
      { name: 'sp', opType: 'Split', input: split ? ['h', 'sizes'] : ['h'], output: ['a', 'b'], int: { axis: -1 } },
      { name: 'ra', opType: 'Relu', input: ['a'], output: ['ra'] },
      { name: 'rb', opType: 'Relu', input: ['b'], output: ['rb'] },
      { name: 'c', opType: 'Concat', input: ['rb', 'ra'], output: ['c'], int: { axis: 2 } },
      ...head('c', 12).nodes,
    ],
    initializers: [
      { name: 'w', dims: [6, 6], floats: floats(36, 1) },
      { name: 'sizes', dims: [2], floats: [2, 4], int64: true },
      ...head('c', 12).initializers!,
    ],
  });

  it('splits as ONNX does (given sizes, or equal parts) and the circuit = integer reference', async () => {
    const shapes = (sp: Spec) =>
      importOnnx(model(sp))
        .layers.filter((l) => l.kind === 'slice')
        .map((l) => l.outShape);
    assert.deepEqual(shapes(spec(false)), [
      [2, 3],
      [2, 3],
    ]);
    const ir = importOnnx(model(spec(true)));
    assert.deepEqual(
      ir.layers.filter((l) => l.kind === 'slice').map((l) => l.outShape),
      [
        [2, 2],
        [2, 4],
      ],
    );
    // The concat of the two relus, swapped, against the relu of the columns moved by hand.
    const x = randomInput(12);
    const cat = ir.layers.findIndex((l) => l.kind === 'concat');
    const h = runFloat(
      {
        ...ir,
        layers: ir.layers.slice(
          0,
          ir.layers.findIndex((l) => l.kind === 'slice'),
        ),
      },
      x,
    );
    const want = [0, 1].flatMap((r) => [2, 3, 4, 5, 0, 1].map((c) => Math.max(0, h[r * 6 + c]!)));
    close(runFloat({ ...ir, layers: ir.layers.slice(0, cat + 1) }, x), want);
    await checkCircuit('split-test', ir, [[['logits[0]', (v) => v + 1n]]]);
  });

  it('refuses sizes that do not add up', () => {
    const bad = spec(true);
    bad.initializers = bad.initializers!.map((t) => (t.name === 'sizes' ? { ...t, floats: [2, 3] } : t));
    throwsCode(() => importOnnx(model(bad)), 'UNSUPPORTED_OP', /'Split' \(node 1, 'sp'\): split \[2,3\] does not cut axis 2/);
  });
});

describe('MatMul: per-token linear layers (a 1×1 conv) and the product of two activations', () => {
  const [T, D, E] = [3, 4, 4];
  const w = { q: floats(D * E, 1), k: floats(D * E, 1), b: floats(E, 0.3) };
  // x [2, T, D]: k = x·Wk + b (rank 3: reshapes around the conv), s = x · kᵀ batched over the leading axis.
  const spec: Spec = {
    inShape: [2, T, D],
    nodes: [
      { name: 'k', opType: 'MatMul', input: ['x', 'wk'], output: ['k0'] },
      { name: 'kb', opType: 'Add', input: ['bk', 'k0'], output: ['k'] },
      { name: 'kt', opType: 'Transpose', input: ['k'], output: ['kt'], ints: { perm: [0, 1, 3, 2] } },
      { name: 's', opType: 'MatMul', input: ['x', 'kt'], output: ['s'] },
      ...head('s', 2 * T * T).nodes,
    ],
    initializers: [
      { name: 'wk', dims: [D, E], floats: w.k },
      { name: 'bk', dims: [E], floats: w.b },
      ...head('s', 2 * T * T).initializers!,
    ],
  };

  it('imports: the bias hoisted over the transposes and folded into the conv, then matmul', () => {
    assert.deepEqual(kinds(spec), [
      'reshape(-1)',
      'transpose(0)',
      'reshape(1)',
      'conv2d(2)',
      'reshape(3)',
      'transpose(4)',
      'reshape(5)',
      'transpose(6)',
      'matmul(-1,7)',
      'reshape(8)',
      'dense(9)',
    ]);
  });

  it('float semantics: numpy matmul, batched', () => {
    const ir = importOnnx(model(spec));
    const x = randomInput(2 * T * D);
    const out = runFloat({ ...ir, layers: ir.layers.slice(0, 9), outputShape: [2, T, T] }, x);
    const k = rowsTimes(x, w.k, w.b, D, E);
    const want: number[] = [];
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < T; i++)
        for (let j = 0; j < T; j++) {
          let acc = 0;
          for (let t = 0; t < D; t++) acc += x[(b * T + i) * D + t]! * k[(b * T + j) * E + t]!;
          want.push(acc);
        }
    close(out, want);
  });

  it('circuit = integer reference, n·m·k products + Requantize, forged products and floors rejected', async () => {
    const mmAt = (qm: { layers: { kind: string }[] }) => qm.layers.findIndex((l) => l.kind === 'matmul');
    const { qm, m } = await checkCircuit('matmul-test', importOnnx(model(spec)), (qm) => {
      const li = mmAt(qm);
      const mm = qm.layers[li] as QMatMul;
      return [
        [[`mm${li}.prod[0]`, (v) => v + 1n]],
        [[`x${li}[2]`, (v) => v - 1n]],
        (wit, at) =>
          forgeFloor(
            wit,
            at,
            Array.from({ length: 2 * T * T }, (_, i) => `mm${li}.rq[${i}]`),
            mm.shift,
          ),
      ];
    });
    const mm = qm.layers[mmAt(qm)] as QMatMul;
    assert.ok(mm.shift >= 1);
    const cost = m.generated.layerCosts.find((c) => c.kind === 'matmul')!.constraints;
    assert.equal(cost, 2 * T * T * D + 2 * T * T * requantizeCost(mm.accBits, mm.shift, mm.bits));
  });

  it('refuses operands whose leading axes differ', () => {
    throwsCode(
      () =>
        importOnnx(
          model({
            inShape: [T, D],
            nodes: [{ name: 'mm', opType: 'MatMul', input: ['x', 'x'], output: ['y'] }],
          }),
        ),
      'UNSUPPORTED_OP',
      /'MatMul' \(node 0, 'mm'\): operand shapes \[3,4\] and \[3,4\]/,
    );
  });
});

describe('LayerNormalization: exact integer mean/variance, isqrt and division gadgets', () => {
  const [T, D] = [3, 6];
  const gamma = floats(D, 1).map((v) => v + 1.2);
  const beta = floats(D, 0.5);
  const inits = [
    { name: 'w', dims: [D, D], floats: floats(D * D, 1) },
    { name: 'b', dims: [D], floats: floats(D, 0.4) },
    { name: 'g', dims: [D], floats: gamma },
    { name: 'be', dims: [D], floats: beta },
    { name: 'two', dims: [], floats: [2] },
    { name: 'eps', dims: [], floats: [1e-5] },
    ...head('y0', T * D).initializers!,
  ];
  const linear = [
    { name: 'fc', opType: 'MatMul', input: ['x', 'w'], output: ['h0'] },
    { name: 'fcb', opType: 'Add', input: ['h0', 'b'], output: ['h'] },
  ];
  const op17: Spec = {
    opset: 17,
    inShape: [T, D],
    nodes: [
      ...linear,
      { name: 'ln', opType: 'LayerNormalization', input: ['h', 'g', 'be'], output: ['y0'], int: { axis: -1 }, float: { epsilon: 1e-5 } },
      ...head('y0', T * D).nodes,
    ],
    initializers: inits,
  };
  const decomposed = (exponent = 'two'): Spec => ({
    inShape: [T, D],
    nodes: [
      ...linear,
      { name: 'm', opType: 'ReduceMean', input: ['h'], output: ['m'], ints: { axes: [-1] } },
      { name: 'd', opType: 'Sub', input: ['h', 'm'], output: ['d'] },
      { name: 'p', opType: 'Pow', input: ['d', exponent], output: ['p'] },
      { name: 'v', opType: 'ReduceMean', input: ['p'], output: ['v'], ints: { axes: [-1] } },
      { name: 'e', opType: 'Add', input: ['v', 'eps'], output: ['e'] },
      { name: 'r', opType: 'Sqrt', input: ['e'], output: ['r'] },
      { name: 'n', opType: 'Div', input: ['d', 'r'], output: ['n'] },
      { name: 'gm', opType: 'Mul', input: ['n', 'g'], output: ['gm'] },
      { name: 'bt', opType: 'Add', input: ['be', 'gm'], output: ['y0'] },
      ...head('y0', T * D).nodes,
    ],
    initializers: [...inits, { name: 'three', dims: [], floats: [3] }],
  });

  it('float semantics: (x - mean)/sqrt(var + eps)·gamma + beta per token', () => {
    const ir = importOnnx(model(op17));
    const x = randomInput(T * D);
    const h = rowsTimes(x, inits[0]!.floats, inits[1]!.floats, D, D);
    const want = h.map((_, i) => {
      const row = h.slice(Math.floor(i / D) * D, Math.floor(i / D) * D + D);
      const mean = row.reduce((a, b) => a + b, 0) / D;
      const v = row.reduce((a, b) => a + (b - mean) ** 2, 0) / D;
      return ((h[i]! - mean) / Math.sqrt(v + 1e-5)) * gamma[i % D]! + beta[i % D]!;
    });
    const ln = ir.layers.findIndex((l) => l.kind === 'layernorm');
    close(runFloat({ ...ir, layers: ir.layers.slice(0, ln + 1) }, x), want);
  });

  it('the opset-13 decomposition fuses into the same node; a variant that is not LayerNorm does not', () => {
    const a = importOnnx(model(op17)).layers;
    const b = importOnnx(model(decomposed())).layers;
    const strip = (ls: typeof a) =>
      ls.map(({ name: _n, ...l }) => JSON.stringify(l, (_k, v) => (v instanceof Float64Array ? Array.from(v) : v)));
    const sa = strip(a);
    const sb = strip(b);
    // Only the parameter tensors' names differ ('' for the Add's operand order is kept by name).
    assert.deepEqual(
      sa.map((s) => s.replace(/"name":"[^"]*"/g, '')),
      sb.map((s) => s.replace(/"name":"[^"]*"/g, '')),
    );
    // Not fused: the variant (Pow x^3) imports as its parts — Pow 3 as products (ops/pow.ts), Sqrt a table, the Div
    // of two activations ops/div.ts — and no layernorm node.
    const parts = importOnnx(model(decomposed('three'))).layers.map((l) => l.kind);
    assert.ok(!parts.includes('layernorm') && parts.includes('div') && parts.includes('mul'), `${parts}`);
  });

  it('integer function within the documented bound of the float one; isqrt exact', () => {
    for (const u of [0n, 1n, 2n, 3n, 4n, 99n, 100n, 101n, (1n << 80n) + 12345n]) {
      const s = isqrt(u);
      assert.ok(s * s <= u && (s + 1n) * (s + 1n) > u, `isqrt ${u}`);
    }
    const n = 8;
    const layer: LayerNormLayer = {
      kind: 'layernorm',
      name: 'ln',
      inputs: [-1],
      inShape: [3, n],
      outShape: [3, n],
      axis: 1,
      epsilon: 1e-5,
      gamma: tensor('', [n], floats(n, 1)),
      beta: tensor('', [n], floats(n, 0.5)),
    };
    const f = 5;
    // A wide row, a nearly constant one (eps dominates), and an ordinary one.
    const x = Array.from({ length: 3 * n }, (_, i) => BigInt(Math.round(Math.sin(i * 7.3) * [2000, 2, 100][Math.floor(i / n)]!)));
    const xf = Float64Array.from(x, (v) => Number(v) / 2 ** f);
    const yf = layerNorm.float(layer, [xf]);
    const maxAbs = Math.max(...Array.from(yf, Math.abs));
    const ctx = { nodes: [], index: 0, inFrac: [f], inBits: [13], maxAbs, maxPos: maxAbs, weightBits: 8, activationBits: 8 };
    const r = (layerNorm.quantize as Exclude<typeof layerNorm.quantize, 'fold'>)(layer, { ...ctx, isLastLinear: false, reluNext: false });
    const q = r.q as QLayerNorm;
    assert.ok(q.eps >= 2 ** (2 * LN_MIN_SQRT_BITS));
    const y = layerNorm.int(q, [x]);
    const lsb = 2 ** -r.frac;
    const gMax = Math.max(...Array.from(layer.gamma.data, Math.abs));
    y.forEach((v, i) => {
      // The module comment's bound: 1/2 output LSB, γ's rounding on |ŷ| <= sqrt(n - 1), β's, and ŷ's own error
      // (sqrt(n)·2^-10 from the floored sqrt, 2^-g from the floored division) times |γ|.
      const wf = fracBitsFor(gMax, 8);
      const g = q.shift + r.frac - wf;
      const bound =
        lsb / 2 + Math.sqrt(n - 1) * 2 ** -(wf + 1) + 2 ** -(g + wf + 1) + (gMax + 2 ** -wf) * (Math.sqrt(n) * 2 ** -10 + 2 ** -g);
      assert.ok(Math.abs(Number(v) * lsb - yf[i]!) <= bound, `element ${i}: ${Number(v) * lsb} vs ${yf[i]}`);
    });
  });

  it('circuit = integer reference at the predicted cost; forged sqrt, floor and output rejected', async () => {
    const { qm, m } = await checkCircuit('layernorm-test', importOnnx(model(op17)), (qm) => {
      const li = qm.layers.findIndex((l) => l.kind === 'layernorm');
      return [
        // s + 1 with its square and its range-check bits (--O2 substitutes s by them) kept consistent: the range
        // checks of U - s² and s² + 2s - U fail.
        (w, at) => {
          const q = qm.layers[li] as QLayerNorm;
          const s = isqrt(w[at(`ln${li}.sq[0].sq`)]!) + 1n;
          w[at(`ln${li}.sq[0].sq`)] = s * s;
          for (let i = 0; i < q.sBits; i++) {
            // --O2 substitutes one bit by a linear equation: set those it kept.
            try {
              w[at(`ln${li}.sq[0].sRange.bits.bits[${i}]`)] = (s >> BigInt(i)) & 1n;
            } catch {}
          }
        },
        // ŷ + 1 with ŷ·s kept consistent: the remainder goes negative, no decomposition.
        (w, at) => {
          w[at(`ln${li}.div[1].out`)]! += 1n;
          w[at(`ln${li}.div[1].qd`)]! += isqrt(w[at(`ln${li}.sq[0].sq`)]!);
        },
        [[`x${li}[3]`, (v) => v + 1n]],
      ];
    });
    const li = qm.layers.findIndex((l) => l.kind === 'layernorm');
    const q = qm.layers[li] as QLayerNorm;
    const cost = m.generated.layerCosts.find((c) => c.kind === 'layernorm')!.constraints;
    assert.equal(cost, T * (1 + q.sBits + 2 * q.uBits) + T * D * (2 + 2 * q.sBits + q.yBits + requantizeCost(q.zBits, q.shift, q.bits)));
  });
});

describe('the tiny transformer fixtures (transformer_op13/17.onnx)', () => {
  /** The fixture with its Softmax bypassed (ops/softmax.ts is another op's file): everything else must import. */
  const withoutSoftmax = (file: string) => {
    const m = decodeOnnx(readFileSync(path.join(import.meta.dirname, 'fixtures', file)));
    const sm = m.graph.node.find((n) => n.opType === 'Softmax')!;
    const node = m.graph.node
      .filter((n) => n !== sm)
      .map((n) => ({ ...n, input: n.input.map((t) => (t === sm.output[0] ? sm.input[0]! : t)) }));
    return importOnnxModel({ ...m, graph: { ...m.graph, node } });
  };

  it('import up to the Softmax; opset 13 (decomposed LayerNorm, fused) and 17 give the same graph and outputs', () => {
    const [a, b] = [withoutSoftmax('transformer_op13.onnx'), withoutSoftmax('transformer_op17.onnx')];
    const kinds = a.layers.map((l) => l.kind);
    assert.deepEqual(
      kinds,
      b.layers.map((l) => l.kind),
    );
    assert.deepEqual(
      ['conv2d', 'matmul', 'mul-const', 'add', 'layernorm', 'dense'].map((k) => kinds.filter((x) => x === k).length),
      [5, 2, 1, 1, 1, 1],
    );
    assert.ok(!kinds.includes('add-const'), 'every projection bias folded into its conv');
    for (let k = 0; k < 3; k++) {
      const x = randomInput(64).map((v) => Math.round((v + 1) * 8)); // pixels 0..16
      close(runFloat(a, x), runFloat(b, x));
    }
  });
});
