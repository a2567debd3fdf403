/**
 * GELU with the tanh approximation: PyTorch's opset-13/17 chain (Mul(x, x), Mul(x, ·), Mul(0.044715, ·), Add(x, ·),
 * Mul(√(2/π), ·), Tanh, Add(1, ·), Mul(x, ·), Mul(0.5, ·): constants first, as PyTorch writes them), the same with
 * Pow(x, 3) and 0.5·x multiplied first, and ONNX Gelu at opset 20 in both approximate modes, all become one table
 * activation (passes/fuse-activations.ts, ops/pow.ts, ops/activation-fns.ts); a chain with an intermediate read
 * elsewhere runs as its parts (Pow lowered to products). Float = the formula, circuit = integer executor. PyTorch's own
 * export: ops-fixtures.test.ts (ops_gelu_tanh_op13/op17.onnx).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFloatTrace } from './float-exec.ts';
import { importOnnx } from './import.ts';
import type { Layer } from './ir.ts';
import { checkCircuit, floats, head, model, randomInput, type Spec, throwsCode } from './op-harness.ts';
import { erf } from './ops/activation-fns.ts';

type Nodes = Spec['nodes'];
const fc0: Nodes[number] = { name: 'fc0', opType: 'Gemm', input: ['x', 'w0', 'b0'], output: ['h'], int: { transB: 1 } };
const consts = [
  { name: 'w0', dims: [6, 8], floats: floats(48, 1.5) },
  { name: 'b0', dims: [6], floats: floats(6, 0.3) },
  { name: 'c3', dims: [], floats: [0.044714998453855515] },
  { name: 'c2', dims: [], floats: [0.7978845834732056] },
  { name: 'three', dims: [], floats: [3] },
  { name: 'one', dims: [], floats: [1] },
  { name: 'half', dims: [], floats: [0.5] },
];

/** The inner gate 1 + tanh(√(2/π)·(h + 0.044715·h³)) into 'g1', the cube from PyTorch's products or a Pow. */
const gate = (pow: boolean): Nodes => [
  ...(pow
    ? [{ name: 'pow', opType: 'Pow', input: ['h', 'three'], output: ['cube'] }]
    : [
        { name: 'sq', opType: 'Mul', input: ['h', 'h'], output: ['sq'] },
        { name: 'cb', opType: 'Mul', input: ['h', 'sq'], output: ['cube'] },
      ]),
  { name: 'k', opType: 'Mul', input: ['c3', 'cube'], output: ['k'] },
  { name: 's', opType: 'Add', input: ['h', 'k'], output: ['s'] },
  { name: 'sc', opType: 'Mul', input: ['c2', 's'], output: ['sc'] },
  { name: 't', opType: 'Tanh', input: ['sc'], output: ['t'] },
  { name: 'g1', opType: 'Add', input: ['one', 't'], output: ['g1'] },
];

const spec = (variant: 'torch' | 'pow-half-first' | 'extra-reader'): Spec => {
  const h = head(variant === 'extra-reader' ? 'cat' : 'gelu', variant === 'extra-reader' ? 12 : 6);
  const tail: Nodes =
    variant === 'pow-half-first'
      ? [
          { name: 'hh', opType: 'Mul', input: ['h', 'half'], output: ['hh'] },
          { name: 'out', opType: 'Mul', input: ['hh', 'g1'], output: ['gelu'] },
        ]
      : [
          { name: 'm', opType: 'Mul', input: ['h', 'g1'], output: ['m'] },
          { name: 'out', opType: 'Mul', input: ['half', 'm'], output: ['gelu'] },
        ];
  const extra: Nodes =
    variant === 'extra-reader' ? [{ name: 'cat', opType: 'Concat', input: ['gelu', 't'], output: ['cat'], int: { axis: 1 } }] : [];
  return {
    inShape: [8],
    nodes: [fc0, ...gate(variant === 'pow-half-first'), ...tail, ...extra, ...h.nodes],
    initializers: [...consts, ...h.initializers!],
  };
};

const geluTanh = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
const kinds = (layers: Layer[]) => layers.map((l) => (l.kind === 'activation' ? l.fn : l.kind));

describe("GELU, approximate='tanh'", () => {
  for (const variant of ['torch', 'pow-half-first'] as const) {
    it(`${variant}: the chain fuses into one gelu-tanh table computing the formula`, () => {
      const ir = importOnnx(model(spec(variant)));
      assert.deepEqual(kinds(ir.layers), ['dense', 'gelu-tanh', 'dense']);
      const [hv, g] = runFloatTrace(ir, randomInput(8));
      for (let i = 0; i < 6; i++) assert.ok(Math.abs(g![i]! - geluTanh(hv![i]!)) < 1e-12);
    });
  }

  it('with an intermediate read elsewhere (the Tanh) the chain runs as its parts; the Add of 1 then cannot quantize', () => {
    const ir = importOnnx(model(spec('extra-reader')));
    assert.deepEqual(kinds(ir.layers), [
      'dense',
      'mul',
      'mul',
      'mul-const',
      'add',
      'mul-const',
      'tanh',
      'add-const',
      'mul',
      'mul-const',
      'concat',
      'dense',
    ]);
  });

  it('ONNX Gelu at opset 20: approximate tanh and none', () => {
    for (const approximate of ['tanh', 'none']) {
      const h = head('g', 6);
      const ir = importOnnx(
        model({
          inShape: [8],
          opset: 20,
          nodes: [fc0, { name: 'g', opType: 'Gelu', input: ['h'], output: ['g'], strings: { approximate } }, ...h.nodes],
          initializers: [...consts, ...h.initializers!],
        }),
      );
      assert.deepEqual(kinds(ir.layers), ['dense', approximate === 'tanh' ? 'gelu-tanh' : 'gelu', 'dense']);
      const [hv, g] = runFloatTrace(ir, randomInput(8));
      const want = (v: number) => (approximate === 'tanh' ? geluTanh(v) : 0.5 * v * (1 + erf(v / Math.SQRT2)));
      for (let i = 0; i < 6; i++) assert.ok(Math.abs(g![i]! - want(hv![i]!)) < 1e-12);
    }
  });

  it('Pow by 2 or 3 alone runs as products; another exponent is refused naming the node', async () => {
    for (const p of [2, 3]) {
      const h = head('p', 6);
      const ir = importOnnx(
        model({
          inShape: [8],
          nodes: [fc0, { name: 'p', opType: 'Pow', input: ['h', 'e'], output: ['p'] }, ...h.nodes],
          initializers: [...consts, { name: 'e', dims: [], floats: [p] }, ...h.initializers!],
        }),
      );
      assert.deepEqual(kinds(ir.layers), ['dense', ...Array(p - 1).fill('mul'), 'dense']);
      const [hv, y] = runFloatTrace(ir, randomInput(8)).filter((_, i) => i === 0 || i === p - 1);
      for (let i = 0; i < 6; i++) assert.ok(Math.abs(y![i]! - hv![i]! ** p) < 1e-12);
      if (p === 3) await checkCircuit('pow3', ir, [[['logits[0]', (v) => v + 1n]]], 2);
    }
    const h = head('p', 6);
    const bad: Spec = {
      inShape: [8],
      nodes: [fc0, { name: 'p', opType: 'Pow', input: ['h', 'e'], output: ['p'] }, ...h.nodes],
      initializers: [...consts, { name: 'e', dims: [], floats: [0.5] }, ...h.initializers!],
    };
    throwsCode(() => importOnnx(model(bad)), 'UNSUPPORTED_OP', /'Pow' \(node 1, 'p'\): only a constant exponent 1, 2 or 3/);
  });

  it('circuit = integer reference for the fused table; a forged selector is rejected', async () => {
    const { m } = await checkCircuit('gelu-tanh', importOnnx(model(spec('torch'))), [[['act1.lookup[2].selL[3]', (v) => 1n - v]]]);
    const row = m.generated.layerCosts.find((c) => c.kind === 'activation')!;
    assert.ok(row.constraints / 6 <= 48, `${row.constraints / 6} per element`);
  });
});
