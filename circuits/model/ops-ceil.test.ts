/**
 * MaxPool and AveragePool with ceil_mode=1 (ops/pool.ts): the output size by ceil (less a window that would start
 * past the input and its leading padding), windows clipped at the border, and AveragePool's divisor in both
 * count_include_pad modes (1: the window clipped to the explicitly padded input, never the ceil overhang). The float
 * reference against a direct transcription of that definition, circuit = integer executor bit for bit, the predicted
 * count, forged witnesses rejected. PyTorch's own outputs for a ceil-mode model: ops-fixtures.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFloatTrace } from './float-exec.ts';
import { importOnnx } from './import.ts';
import { checkCircuit, floats, head, model, randomInput, type Spec, throwsCode } from './op-harness.ts';
import { pooledSize } from './ops/pool.ts';

/** ONNX's pool definition, written out: window start o·s − pad, clipped to the input (cells) and to the padded input. */
function reference(
  x: ArrayLike<number>,
  [C, H, W]: number[],
  [oH, oW]: number[],
  k: number,
  s: number,
  pads: number[],
  op: 'max' | 'avg-incl' | 'avg',
): number[] {
  const out: number[] = [];
  for (let c = 0; c < C!; c++)
    for (let oy = 0; oy < oH!; oy++)
      for (let ox = 0; ox < oW!; ox++) {
        const [y0, x0] = [oy * s - pads[0]!, ox * s - pads[1]!];
        const [y1, x1] = [Math.min(y0 + k, H! + pads[2]!), Math.min(x0 + k, W! + pads[3]!)];
        const vals: number[] = [];
        for (let y = Math.max(y0, 0); y < Math.min(y1, H!); y++)
          for (let xx = Math.max(x0, 0); xx < Math.min(x1, W!); xx++) vals.push(x[(c * H! + y) * W! + xx]!);
        const sum = vals.reduce((a, v) => a + v, 0);
        out.push(op === 'max' ? Math.max(...vals) : sum / (op === 'avg' ? vals.length : (y1 - y0) * (x1 - x0)));
      }
  return out;
}

/**
 * A DivByConst's quotient moved up by one (its offset bits rewritten) with its remainder moved down by its divisor k
 * in the first remainder bit, every linear equation kept: only the booleanity of that remainder bit fails.
 */
const forgeDiv =
  ([name, k]: [string, number]) =>
  (w: bigint[], at: (s: string) => number): void => {
    const bits: number[] = [];
    for (;;) {
      try {
        bits.push(at(`${name}.qRange.bits.bits[${bits.length}]`));
      } catch {
        break;
      }
    }
    const t = bits.reduce((acc, i, j) => acc + (w[i]! << BigInt(j)), 0n) + 1n;
    bits.forEach((i, j) => {
      w[i] = (t >> BigInt(j)) & 1n;
    });
    w[at(`${name}.rLow.bits.bits[0]`)]! -= BigInt(k);
    w[at(`${name}.rHigh.bits.bits[0]`)]! += BigInt(k);
  };

const close = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.from(b).every((v, i) => Math.abs(v - a[i]!) < 1e-9);

describe('pooling with ceil_mode=1', () => {
  it('output sizes: ceil, less a window starting past the input and its leading padding', () => {
    assert.equal(pooledSize(7, 2, 2, 0, 0, false), 3);
    assert.equal(pooledSize(7, 2, 2, 0, 0, true), 4);
    assert.equal(pooledSize(4, 3, 2, 1, 1, true), 3);
    // (5 + 1 + 1 − 2) / 2 = 2.5 → 4 windows by ceil, but the 4th would start at 6 − 1 = 5 = H: dropped (PyTorch, ONNX).
    assert.equal(pooledSize(5, 2, 2, 1, 1, true), 3);
    assert.equal(pooledSize(6, 3, 3, 0, 0, true), 2);
  });

  // conv 7×7 → ReLU → MaxPool(k2, s2, ceil) 4×4 → AveragePool(k3, s2, pads 1, ceil, count_include_pad 1) 3×3 →
  // AveragePool(k2, s2, ceil, count_include_pad 0) 2×2 → Relu → Gemm. The Relu keeps the last pool's division (a
  // dense reader would take the exact sum instead).
  const h = head('r2', 8);
  const spec = (includePad: number): Spec => ({
    inShape: [1, 7, 7],
    nodes: [
      { name: 'c', opType: 'Conv', input: ['x', 'w', 'b'], output: ['c'], ints: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { name: 'r', opType: 'Relu', input: ['c'], output: ['r'] },
      { name: 'm', opType: 'MaxPool', input: ['r'], output: ['m'], ints: { kernel_shape: [2, 2], strides: [2, 2] }, int: { ceil_mode: 1 } },
      {
        name: 'a1',
        opType: 'AveragePool',
        input: ['m'],
        output: ['a1'],
        ints: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
        int: { ceil_mode: 1, count_include_pad: includePad },
      },
      {
        name: 'a2',
        opType: 'AveragePool',
        input: ['a1'],
        output: ['a2'],
        ints: { kernel_shape: [2, 2], strides: [2, 2] },
        int: { ceil_mode: 1, count_include_pad: 1 - includePad },
      },
      { name: 'r2', opType: 'Relu', input: ['a2'], output: ['r2'] },
      ...h.nodes,
    ],
    initializers: [
      { name: 'w', dims: [2, 1, 3, 3], floats: floats(18, 1) },
      { name: 'b', dims: [2], floats: floats(2, 0.3) },
      ...h.initializers!,
    ],
  });

  for (const includePad of [1, 0]) {
    it(`count_include_pad ${includePad}: shapes and values as ONNX defines them`, () => {
      const ir = importOnnx(model(spec(includePad)));
      const [, , mp, a1, a2] = ir.layers;
      assert.deepEqual(
        [mp?.outShape, a1?.outShape, a2?.outShape],
        [
          [2, 4, 4],
          [2, 3, 3],
          [2, 2, 2],
        ],
      );
      for (let k = 0; k < 3; k++) {
        const t = runFloatTrace(ir, randomInput(49));
        assert.ok(close(t[2]!, reference(t[1]!, [2, 7, 7], [4, 4], 2, 2, [0, 0, 0, 0], 'max')), 'max pool');
        const op1 = includePad ? 'avg-incl' : 'avg';
        assert.ok(close(t[3]!, reference(t[2]!, [2, 4, 4], [3, 3], 3, 2, [1, 1, 1, 1], op1)), 'avg pool 1');
        // With no explicit padding both modes divide by the cells: a clipped window counts no overhang.
        assert.ok(close(t[4]!, reference(t[3]!, [2, 3, 3], [2, 2], 2, 2, [0, 0, 0, 0], 'avg')), 'avg pool 2');
      }
    });

    it(`count_include_pad ${includePad}: circuit = integer reference, predicted count, forged outputs rejected`, async () => {
      const { qm } = await checkCircuit(`pool-ceil-${includePad}`, importOnnx(model(spec(includePad))), [
        // The clipped max window of one column (output 3), and clipped average windows' quotients (divisor: see above).
        [['x2[3]', (v) => v + 1n]],
        forgeDiv(['pool3[5]', includePad ? 6 : 3]),
        forgeDiv(['pool4[0]', 4]),
        [['logits[0]', (v) => v - 1n]],
      ]);
      assert.deepEqual(
        qm.layers.map((l) => l.kind),
        ['conv2d', 'relu', 'maxpool2d', 'avgpool2d', 'avgpool2d', 'relu', 'reshape', 'dense'],
      );
    });
  }

  it('ceil_mode with auto_pad, or another value, is refused naming the node', () => {
    for (const [int, strs] of [
      [{ ceil_mode: 1 }, { auto_pad: 'SAME_UPPER' }],
      [{ ceil_mode: 2 }, {}],
    ] as const) {
      const bad: Spec = {
        inShape: [1, 5, 5],
        nodes: [{ name: 'm', opType: 'MaxPool', input: ['x'], output: ['y'], ints: { kernel_shape: [2, 2] }, int, strings: strs }],
      };
      throwsCode(() => importOnnx(model(bad)), 'UNSUPPORTED_OP', /MaxPool.*ceil_mode/);
    }
  });
});
