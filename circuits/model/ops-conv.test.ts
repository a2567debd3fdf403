/**
 * Grouped, depthwise and dilated Conv (ops/conv2d.ts, geometry.ts, ops/linear-emit.ts): the float reference against a
 * direct transcription of the ONNX definition, then circuit = integer executor bit for bit with public weights and
 * with Pedersen-committed weights (PackedDot packs the channels of each conv group apart), the predicted constraint
 * count, forged outputs rejected, and the import's refusals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFloat, runFloatTrace } from './float-exec.ts';
import { importOnnx } from './import.ts';
import type { Conv2dLayer } from './ir.ts';
import { checkCircuit, floats, head, model, randomInput, type Spec, throwsCode } from './op-harness.ts';

/** [2, 6, 6] → depthwise 3×3 (multiplier 2, dilation 2, pad 1) → Relu → grouped 1×1 (group 2) → Relu → Gemm. */
function spec(overrides: { group?: number; dilations?: number[]; weightDims?: number[]; pads?: number[] } = {}): Spec {
  const h = head('r2', 4 * 4 * 4);
  const w0 = overrides.weightDims ?? [4, 1, 3, 3];
  return {
    inShape: [2, 6, 6],
    nodes: [
      {
        name: 'dw',
        opType: 'Conv',
        input: ['x', 'w0', 'b0'],
        output: ['c0'],
        ints: { kernel_shape: [3, 3], pads: overrides.pads ?? [1, 1, 1, 1], dilations: overrides.dilations ?? [2, 2] },
        int: { group: overrides.group ?? 2 },
      },
      { name: 'r0', opType: 'Relu', input: ['c0'], output: ['r0'] },
      { name: 'pw', opType: 'Conv', input: ['r0', 'w1', 'b1'], output: ['c1'], ints: { kernel_shape: [1, 1] }, int: { group: 2 } },
      { name: 'r2', opType: 'Relu', input: ['c1'], output: ['r2'] },
      ...h.nodes,
    ],
    initializers: [
      {
        name: 'w0',
        dims: w0,
        floats: floats(
          w0.reduce((a, d) => a * d, 1),
          1,
        ),
      },
      { name: 'b0', dims: [4], floats: floats(4, 0.3) },
      { name: 'w1', dims: [4, 2, 1, 1], floats: floats(8, 1) },
      { name: 'b1', dims: [4], floats: floats(4, 0.3) },
      ...h.initializers!,
    ],
  };
}

/** ONNX Conv written out directly: y[m, oy, ox] = b[m] + Σ_{c < C/G, ky, kx} w[m, c, ky, kx]·x[g·C/G + c, iy, ix]. */
function naiveConv(layer: Conv2dLayer, x: ArrayLike<number>): number[] {
  const [C, H, W] = layer.inShape as [number, number, number];
  const [M, oH, oW] = layer.outShape as [number, number, number];
  const [kH, kW] = layer.kernel;
  const G = layer.group ?? 1;
  const [dH, dW] = layer.dilations ?? [1, 1];
  const out: number[] = [];
  for (let m = 0; m < M; m++)
    for (let oy = 0; oy < oH; oy++)
      for (let ox = 0; ox < oW; ox++) {
        let acc = layer.bias.data[m]!;
        const g = Math.floor(m / (M / G));
        for (let c = 0; c < C / G; c++)
          for (let ky = 0; ky < kH; ky++)
            for (let kx = 0; kx < kW; kx++) {
              const iy = oy * layer.strides[0] + ky * dH - layer.pads[0];
              const ix = ox * layer.strides[1] + kx * dW - layer.pads[1];
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              acc += layer.weight.data[((m * (C / G) + c) * kH + ky) * kW + kx]! * x[((g * (C / G) + c) * H + iy) * W + ix]!;
            }
        out.push(acc);
      }
  return out;
}

describe('grouped, depthwise and dilated Conv', () => {
  it('imports group and dilations; the float reference is the ONNX definition', () => {
    const ir = importOnnx(model(spec()));
    assert.deepEqual(
      ir.layers.map((l) => l.kind),
      ['conv2d', 'relu', 'conv2d', 'relu', 'reshape', 'dense'],
    );
    const [dw, , pw] = ir.layers as [Conv2dLayer, unknown, Conv2dLayer];
    assert.deepEqual([dw.group, dw.dilations, dw.outShape, dw.weight.shape], [2, [2, 2], [4, 4, 4], [4, 1, 3, 3]]);
    assert.deepEqual([pw.group, pw.dilations, pw.weight.shape], [2, undefined, [4, 2, 1, 1]]);
    for (let k = 0; k < 3; k++) {
      const x = randomInput(72);
      const trace = runFloatTrace(ir, x);
      const close = (a: ArrayLike<number>, b: number[]) => b.every((v, i) => Math.abs(v - a[i]!) < 1e-12);
      assert.ok(close(trace[0]!, naiveConv(dw, x)), 'depthwise dilated conv');
      assert.ok(close(trace[2]!, naiveConv(pw, Array.from(trace[1]!))), 'grouped 1x1 conv');
    }
    // Ungrouped and undilated: no new fields, so existing models keep their quantized.json and circuit id.
    const plain = importOnnx(model(spec({ group: 1, dilations: [1, 1], weightDims: [4, 2, 3, 3], pads: [0, 0, 0, 0] })));
    assert.ok(!('group' in plain.layers[0]!) && !('dilations' in plain.layers[0]!));
    assert.equal(runFloat(plain, randomInput(72)).length, 4);
  });

  for (const weights of ['public-constants', 'private-pedersen'] as const) {
    it(`${weights}: circuit = integer reference, exact constraint count, forged outputs rejected`, async () => {
      const ir = importOnnx(model(spec()));
      const { qm, m } = await checkCircuit(
        `conv-grouped-${weights === 'public-constants' ? 'pub' : 'ped'}`,
        ir,
        [[['x0[5]', (v) => v + 1n]], [['x2[37]', (v) => v - 1n]], [['logits[1]', (v) => v + 1n]]],
        3,
        weights,
      );
      const dw = qm.layers[0]!;
      assert.ok(dw.kind === 'conv2d' && dw.group === 2);
      if (weights === 'private-pedersen') {
        // Depthwise with multiplier 2: a pack per conv group (2 channels), never across groups; 1×1 grouped: likewise.
        const rows = m.generated.layerCosts.filter((c) => c.kind === 'conv2d');
        assert.equal(rows.length, 2);
        assert.equal(m.generated.committedSignals.filter((s) => s.startsWith('bp0[')).length, 2);
      }
    });
  }

  it('refuses a group that does not divide the channels, and a weight of the wrong group width', () => {
    throwsCode(() => importOnnx(model(spec({ group: 3 }))), 'UNSUPPORTED_OP', /'Conv' \(node 0, 'dw'\): group=3 must divide/);
    throwsCode(
      () => importOnnx(model(spec({ group: 1 }))),
      'UNSUPPORTED_OP',
      /weight expects 1 input channels per group, activation has 2 in 1 group/,
    );
  });
});
