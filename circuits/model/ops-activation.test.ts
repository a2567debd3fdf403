/**
 * The table activations (ops/activation.ts, activation-fns.ts): every function's table within ½ output LSB of its
 * float definition wherever it is not saturated, erf against reference values, and one small model with a branch per
 * ONNX op (Sigmoid, Tanh, Erf, HardSigmoid, HardSwish, Gelu, Softplus, Exp) joined by a Concat: the import, circuit =
 * integer executor bit for bit, the predicted count (constant table rows cost no product), forged witnesses rejected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { importOnnx } from './import.ts';
import type { ActivationFn, ActivationLayer } from './ir.ts';
import { lookupCost } from './lookup.ts';
import { checkCircuit, floats, head, model, type Spec } from './op-harness.ts';
import { activation } from './ops/activation.ts';
import { ACTIVATION_FNS, erf } from './ops/activation-fns.ts';
import type { QuantizeCtx } from './ops/op.ts';
import type { QActivation } from './qir.ts';

const ctx = (inFrac: number, maxAbs: number): QuantizeCtx => ({
  nodes: [],
  index: 0,
  inFrac: [inFrac],
  inBits: [8],
  maxAbs,
  maxPos: maxAbs,
  weightBits: 8,
  activationBits: 8,
  isLastLinear: false,
  reluNext: false,
});
const layer = (fn: ActivationFn, alpha = 1, beta = 0): ActivationLayer => ({
  kind: 'activation',
  name: 'a',
  inputs: [-1],
  inShape: [4],
  outShape: [4],
  fn,
  alpha,
  beta,
});

describe('activation tables', () => {
  it('erf matches reference values to 1e-13', () => {
    for (const [x, v] of [
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [-1.5, -0.9661051464753108],
      [2.9, 0.9999589021219005],
      [3.5, 0.9999992569016276],
    ] as const) {
      assert.ok(Math.abs(erf(x) - v) < 1e-13, `erf(${x})`);
    }
  });

  for (const fn of Object.keys(ACTIVATION_FNS) as ActivationFn[]) {
    it(`${fn}: every entry within ½ LSB of the float function, or saturated`, () => {
      const l = fn === 'hard-sigmoid' ? layer(fn, 1 / 6, 0.5) : fn === 'selu' ? layer(fn, 1.6733, 1.0507) : layer(fn);
      // An 8-bit input at 2^-5 (x ∈ [-4, 4)); calibration saw |fn| up to 3 (unbounded functions saturate beyond it).
      const quantize = activation.quantize as Exclude<typeof activation.quantize, 'fold'>;
      const { q, frac } = quantize(l, ctx(5, 3)) as { q: QActivation; frac: number };
      assert.equal(q.table.length, 256);
      let saturated = 0;
      for (let u = 0; u < 256; u++) {
        const exact = ACTIVATION_FNS[fn]((u - 128) / 32, l.alpha, l.beta) * 2 ** frac;
        const t = q.table[u]!;
        if (t === 127 || t === -128) {
          saturated++;
          assert.ok(exact >= 126.5 || exact <= -127.5, `${fn}(${u}): ${t} for ${exact}`);
        } else assert.ok(Math.abs(t - exact) <= 0.5, `${fn}(${u}): ${t} for ${exact}`);
      }
      const [y] = activation.int(q, [[-128n]]);
      assert.equal(y, BigInt(q.table[0]!));
      if (fn === 'sigmoid') assert.deepEqual([frac, saturated], [7, 0], 'sigmoid on [-4, 4) gets 7 fractional bits, unsaturated');
    });
  }
});

describe('activation ops in a circuit', () => {
  const ops = ['Sigmoid', 'Tanh', 'Erf', 'HardSigmoid', 'HardSwish', 'Gelu', 'Softplus', 'Exp'];
  const h = head('cat', 6 * ops.length);
  const spec: Spec = {
    inShape: [8],
    opset: 20,
    nodes: [
      { name: 'fc0', opType: 'Gemm', input: ['x', 'w0', 'b0'], output: ['h'], int: { transB: 1 } },
      ...ops.map((op) => ({
        name: op,
        opType: op,
        input: ['h'],
        output: [`a${op}`],
        ...(op === 'HardSigmoid' ? { float: { alpha: 1 / 6 } } : {}),
      })),
      { name: 'cat', opType: 'Concat', input: ops.map((op) => `a${op}`), output: ['cat'], int: { axis: 1 } },
      ...h.nodes,
    ],
    initializers: [
      { name: 'w0', dims: [6, 8], floats: floats(48, 1) },
      { name: 'b0', dims: [6], floats: floats(6, 0.3) },
      ...h.initializers!,
    ],
  };

  it('imports each op as an activation; circuit = integer reference, predicted count, forgeries rejected', async () => {
    const ir = importOnnx(model(spec));
    assert.deepEqual(
      ir.layers.map((l) => (l.kind === 'activation' ? l.fn : l.kind)),
      ['dense', 'sigmoid', 'tanh', 'erf', 'hard-sigmoid', 'hard-swish', 'gelu', 'softplus', 'exp', 'concat', 'dense'],
    );
    const { qm, m } = await checkCircuit('activations', ir, [
      [['act1.lookup[0].selH[2]', (v) => 1n - v]],
      [['act2.lookup[3].selL[2]', (v) => 1n - v]],
      [['logits[1]', (v) => v + 1n]],
    ]);
    const rows = m.generated.layerCosts.filter((c) => c.kind === 'activation');
    const acts = qm.layers.filter((l): l is QActivation => l.kind === 'activation');
    assert.deepEqual(
      rows.map((r) => r.constraints),
      acts.map((a) => 6 * lookupCost(a.table, a.bits, a.l)),
    );
    const hs = acts[3]!;
    assert.ok(lookupCost(hs.table, hs.bits, hs.l) < 48, 'HardSigmoid: its constant rows cost no product');
    console.log(`activation constraints per element: ${acts.map((a, i) => `${ops[i]} ${lookupCost(a.table, a.bits, a.l)}`).join(', ')}`);
  });
});
