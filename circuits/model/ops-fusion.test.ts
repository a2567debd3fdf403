/**
 * passes/fuse-activations.ts: SiLU (Sigmoid → Mul) and GELU as PyTorch exports it at opsets 13/17 (Div(√2) → Erf →
 * Add(1) → Mul(x, ·) → Mul(0.5)) become one table activation; a chain whose intermediate has another reader is left
 * alone. The fused model computes what the chain computes (float), and its circuit equals the integer executor.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFloat, runFloatTrace } from './float-exec.ts';
import { importOnnx } from './import.ts';
import type { Layer } from './ir.ts';
import { checkCircuit, floats, head, model, randomInput, type Spec } from './op-harness.ts';
import { erf } from './ops/activation-fns.ts';

const h = head('cat', 12);
const spec = (extraReader = false): Spec => ({
  inShape: [8],
  nodes: [
    { name: 'fc0', opType: 'Gemm', input: ['x', 'w0', 'b0'], output: ['h'], int: { transB: 1 } },
    { name: 'sig', opType: 'Sigmoid', input: ['h'], output: ['s'] },
    { name: 'silu', opType: 'Mul', input: ['h', 's'], output: ['silu'] },
    { name: 'div', opType: 'Div', input: ['h', 'sqrt2'], output: ['d'] },
    { name: 'erf', opType: 'Erf', input: ['d'], output: ['e'] },
    { name: 'add1', opType: 'Add', input: ['e', 'one'], output: ['e1'] },
    { name: 'mulx', opType: 'Mul', input: ['h', 'e1'], output: ['g2'] },
    { name: 'half', opType: 'Mul', input: ['g2', 'half'], output: ['gelu'] },
    ...(extraReader ? [{ name: 'use', opType: 'Mul', input: ['silu', 's'], output: ['silu2'] }] : []),
    { name: 'cat', opType: 'Concat', input: [extraReader ? 'silu2' : 'silu', 'gelu'], output: ['cat'], int: { axis: 1 } },
    ...h.nodes,
  ],
  initializers: [
    { name: 'w0', dims: [6, 8], floats: floats(48, 1) },
    { name: 'b0', dims: [6], floats: floats(6, 0.3) },
    { name: 'sqrt2', dims: [], floats: [1.4142135381698608] },
    { name: 'one', dims: [], floats: [1] },
    { name: 'half', dims: [], floats: [0.5] },
    ...h.initializers!,
  ],
});

const kinds = (layers: Layer[]) => layers.map((l) => (l.kind === 'activation' ? l.fn : l.kind));

describe('activation fusion (SiLU, GELU)', () => {
  it('fuses both chains into one table each; the fused float model computes the chains', () => {
    const ir = importOnnx(model(spec()));
    assert.deepEqual(kinds(ir.layers), ['dense', 'silu', 'gelu', 'concat', 'dense']);
    for (let t = 0; t < 5; t++) {
      const x = randomInput(8);
      const [hv, silu, gelu] = runFloatTrace(ir, x);
      for (let i = 0; i < 6; i++) {
        const v = hv![i]!;
        assert.ok(Math.abs(silu![i]! - v / (1 + Math.exp(-v))) < 1e-12);
        assert.ok(Math.abs(gelu![i]! - v * (erf(v / 1.4142135381698608) + 1) * 0.5) < 1e-7);
      }
      assert.equal(runFloat(ir, x).length, 4);
    }
  });

  it('leaves a chain alone when an intermediate has another reader', () => {
    assert.deepEqual(kinds(importOnnx(model(spec(true))).layers), ['dense', 'sigmoid', 'mul', 'gelu', 'mul', 'concat', 'dense']);
  });

  it('circuit = integer reference for the fused tables, one Lookup per element', async () => {
    const { m } = await checkCircuit('fused-activations', importOnnx(model(spec())), [[['act1.lookup[2].selL[3]', (v) => 1n - v]]]);
    const rows = m.generated.layerCosts.filter((c) => c.kind === 'activation').map((c) => c.constraints / 6);
    assert.ok(
      rows.every((c) => c <= 48),
      `per element: ${rows}`,
    );
    console.log(`fused SiLU, GELU: ${rows.join(', ')} constraints per element`);
  });
});
