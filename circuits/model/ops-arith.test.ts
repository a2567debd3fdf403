/**
 * Arithmetic ops (ops/leaky-relu.ts, sub.ts, mul-const.ts): import, quantization rule, circuit = integer executor bit
 * for bit, exact constraint costs, forged witnesses (floors with compensated remainders, outputs) rejected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFloat } from './float-exec.ts';
import { requantizeCost } from './gadget-cost.ts';
import { importOnnx } from './import.ts';
import { checkCircuit, floats, forgeFloor, head, model, randomInput, type Spec, throwsCode } from './op-harness.ts';
import { LEAKY_FRAC_BITS, leakyAlpha, leakyRelu } from './ops/leaky-relu.ts';
import type { QMulConst } from './qir.ts';

describe('LeakyRelu: relu(x) + floor(min(x, 0)·a / 2^k)', () => {
  const h = head('l', 6);
  const spec = (alpha: number): Spec => ({
    inShape: [8],
    nodes: [
      { name: 'fc0', opType: 'Gemm', input: ['x', 'w0', 'b0'], output: ['h'], int: { transB: 1 } },
      { name: 'l', opType: 'LeakyRelu', input: ['h'], output: ['l'], float: { alpha } },
      ...h.nodes,
    ],
    initializers: [
      { name: 'w0', dims: [6, 8], floats: floats(48, 1) },
      { name: 'b0', dims: [6], floats: floats(6, 0.3) },
      ...h.initializers!,
    ],
  });

  it('alpha as a / 2^k: exact when dyadic, else 12 fractional bits', () => {
    assert.deepEqual(leakyAlpha(0.25), { a: 1, k: 2 });
    assert.deepEqual(leakyAlpha(0.01), { a: 41, k: LEAKY_FRAC_BITS });
    assert.deepEqual(leakyAlpha(1), { a: 2, k: 1 });
  });

  for (const alpha of [0.01, 0.25]) {
    it(`alpha ${alpha}: circuit = integer reference, 2·bits + k + 1 per element, forged negatives rejected`, async () => {
      const ir = importOnnx(model(spec(alpha)));
      assert.deepEqual(
        ir.layers.map((l) => l.kind),
        ['dense', 'leaky-relu', 'reshape', 'dense'].filter((k) => k !== 'reshape'),
      );
      const { qm, m } = await checkCircuit(`leaky-${alpha * 100}`, ir, [
        [['x1[0]', (v) => v + 1n]],
        [['lneg1[2].out', (v) => v + 1n]],
        // The floor moved up by one with every linear equation kept: q's offset bits re-decomposed for q + 1, and the
        // remainder's bit 0 lowered by 2^k so n·a = (q + 1)·2^k + (r - 2^k) holds. Only bit 0's booleanity fails.
        (w, at) =>
          forgeFloor(
            w,
            at,
            [0, 1, 2, 3, 4, 5].map((i) => `lneg1[${i}]`),
            leakyAlpha(alpha).k,
          ),
      ]);
      const l = qm.layers[1]!;
      assert.ok(l.kind === 'leaky-relu');
      const cost = m.generated.layerCosts.find((c) => c.kind === 'leaky-relu')!.constraints;
      assert.equal(cost, 6 * (2 * l.bits + l.k + 1));
      // The integer function against the float one, on every input value: within the documented bound.
      const scale = leakyAlpha(alpha);
      for (let v = -(2 ** (l.bits - 1)); v < 2 ** (l.bits - 1); v++) {
        const [y] = leakyRelu.int(l, [[BigInt(v)]]);
        const err = Math.abs(Number(y) - (v >= 0 ? v : alpha * v));
        assert.ok(err < 1 + 2 ** (l.bits - scale.k - 2), `x ${v}: ${y}`);
      }
    });
  }

  it('refuses alpha outside (0, 1]', () => {
    throwsCode(() => importOnnx(model(spec(1.5))), 'UNSUPPORTED_OP', /'LeakyRelu' \(node 1, 'l'\): alpha 1.5 outside \(0, 1\]/);
  });
});

describe('Sub: of two activations (0 constraints, finer scale), of a constant (folded into the bias)', () => {
  const h = head('r', 6);
  const c = floats(6, 0.5);
  const weights = [
    { name: 'w0', dims: [6, 8], floats: floats(48, 1) },
    { name: 'b0', dims: [6], floats: floats(6, 0.3) },
    { name: 'w1', dims: [6, 8], floats: floats(48, 0.5) },
    { name: 'b1', dims: [6], floats: floats(6, 0.3) },
  ];
  const spec = (constOp: 'Sub' | 'Add', cData: number[]): Spec => ({
    inShape: [8],
    nodes: [
      { name: 'fc0', opType: 'Gemm', input: ['x', 'w0', 'b0'], output: ['h0'], int: { transB: 1 } },
      { name: 'c', opType: constOp, input: ['h0', 'c'], output: ['d0'] },
      { name: 'fc1', opType: 'Gemm', input: ['x', 'w1', 'b1'], output: ['h1'], int: { transB: 1 } },
      { name: 's', opType: 'Sub', input: ['d0', 'h1'], output: ['s'] },
      { name: 'r', opType: 'Relu', input: ['s'], output: ['r'] },
      ...h.nodes,
    ],
    initializers: [...weights, { name: 'c', dims: [6], floats: cData }, ...h.initializers!],
  });

  it('x - c is x + (-c), folded into the Gemm bias; a - b is a sub node', () => {
    const ir = importOnnx(model(spec('Sub', c)));
    assert.deepEqual(
      ir.layers.map((l) => `${l.kind}(${l.inputs})`),
      ['dense(-1)', 'dense(-1)', 'sub(0,1)', 'relu(2)', 'dense(3)'],
    );
    const viaAdd = importOnnx(
      model(
        spec(
          'Add',
          c.map((v) => -v),
        ),
      ),
    );
    for (let k = 0; k < 3; k++) {
      const x = randomInput(8);
      assert.deepEqual(Array.from(runFloat(ir, x)), Array.from(runFloat(viaAdd, x)));
    }
  });

  it('circuit = integer reference, 0 constraints for the sub, forged ReLU output rejected', async () => {
    const { qm, m } = await checkCircuit('sub-test', importOnnx(model(spec('Sub', c))), [
      [['x3[1]', (v) => v + 1n]],
      [['logits[0]', (v) => v - 1n]],
    ]);
    const s = qm.layers[2]!;
    assert.ok(s.kind === 'sub' && s.shifts.includes(0));
    assert.equal(m.generated.layerCosts.find((x) => x.kind === 'sub')!.constraints, 0);
  });

  it('refuses a constant minus an activation, and activations of different shapes', () => {
    throwsCode(
      () =>
        importOnnx(
          model({
            inShape: [6],
            nodes: [{ name: 'n', opType: 'Sub', input: ['c', 'x'], output: ['r'] }, ...h.nodes],
            initializers: spec('Sub', c).initializers,
          }),
        ),
      'UNSUPPORTED_OP',
      /'Sub' \(node 0, 'n'\): the activation must be the first input/,
    );
  });
});

describe('Mul and Div by a constant: Requantize of x·c, or the scale folded (powers of two)', () => {
  const h = head('m2', 6);
  const spec: Spec = {
    inShape: [8],
    nodes: [
      { name: 'fc0', opType: 'Gemm', input: ['x', 'w0', 'b0'], output: ['h0'], int: { transB: 1 } },
      { name: 'm', opType: 'Mul', input: ['h0', 'c'], output: ['m'] },
      { name: 'r', opType: 'Relu', input: ['m'], output: ['r'] },
      { name: 'd', opType: 'Div', input: ['r', 'four'], output: ['d'] },
      { name: 'm2', opType: 'Mul', input: ['d', 'minus2'], output: ['m2'] },
      ...h.nodes,
    ],
    initializers: [
      { name: 'w0', dims: [6, 8], floats: floats(48, 1) },
      { name: 'b0', dims: [6], floats: floats(6, 0.3) },
      { name: 'c', dims: [6], floats: floats(6, 3) },
      { name: 'four', dims: [], floats: [4] },
      { name: 'minus2', dims: [1], floats: [-2] },
      ...h.initializers!,
    ],
  };

  it('imports Mul/Div as mul-const (Div as 1/d); the float reference multiplies', () => {
    const ir = importOnnx(model(spec));
    assert.deepEqual(
      ir.layers.map((l) => l.kind),
      ['dense', 'mul-const', 'relu', 'mul-const', 'mul-const', 'dense'],
    );
    const d = ir.layers[3]!;
    assert.ok(d.kind === 'mul-const' && d.constant.data.every((v) => v === 0.25));
  });

  it('circuit = integer reference; the general Mul costs a Requantize, the powers of two 0; forgeries rejected', async () => {
    const ir = importOnnx(model(spec));
    const { qm, m } = await checkCircuit('mul-const-test', ir, (q) => {
      const mul = q.layers[1]!;
      assert.ok(mul.kind === 'mul-const');
      return [
        [['logits[2]', (v) => v + 1n]],
        (w, at) =>
          forgeFloor(
            w,
            at,
            [0, 1, 2, 3, 4, 5].map((i) => `mulq1[${i}]`),
            mul.shift,
          ),
      ];
    });
    const [mul, , div, neg] = qm.layers.slice(1) as QMulConst[];
    assert.ok(mul!.shift >= 1 && div!.shift === 0 && neg!.shift === 0, 'general Mul requantized, powers of two folded');
    assert.deepEqual([div!.c[0], neg!.c[0], neg!.bits], [1, -1, div!.bits + 1]);
    const cost = (k: number) => m.generated.layerCosts.filter((c) => c.kind === 'mul-const')[k]!.constraints;
    assert.deepEqual([cost(0), cost(1), cost(2)], [6 * requantizeCost(mul!.bIn, mul!.shift, mul!.bits), 0, 0]);
  });

  it('a Mul of two activations is a mul node (ops/mul.ts), not mul-const; a Div by 0 is refused', () => {
    const square = importOnnx(model({ ...spec, nodes: spec.nodes.map((n) => (n.name === 'm' ? { ...n, input: ['h0', 'h0'] } : n)) }));
    assert.deepEqual(square.layers[1]!.kind, 'mul');
    throwsCode(
      () =>
        importOnnx(
          model({
            ...spec,
            nodes: spec.nodes.map((n) => (n.name === 'd' ? { ...n, input: ['r', 'zero'] } : n)),
            initializers: [...spec.initializers!, { name: 'zero', dims: [], floats: [0] }],
          }),
        ),
      'UNSUPPORTED_OP',
      /division by 0/,
    );
  });
});
