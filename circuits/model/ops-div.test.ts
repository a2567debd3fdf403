/**
 * Div of two activations (ops/div.ts, passes/fuse-div-eps.ts): a / (relu(b) + 0.5) with the Add folded into the
 * divisor, a / Σ sigmoid(b) broadcast over a row, and a / (|b| + 1e-3) (ops/abs.ts; eps rounded up to one LSB). The import, the float reference against the formula, circuit =
 * integer executor bit for bit with the predicted count, forged quotients rejected; a divisor <= 0 refused at compile
 * time (calibration) and without a witness at prove time. FloorDiv's forged divisors <= 0: circuits/lib/nonlinear.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isZkaiError } from '../../common/errors.ts';
import { calculateWitness } from '../witness.ts';
import { buildModelCircuit, modelCircuitInput } from './codegen.ts';
import { runFloatTrace } from './float-exec.ts';
import { importOnnx } from './import.ts';
import { quantizeInput, runInt } from './int-exec.ts';
import { checkCircuit, floats, head, model, randomInput, type Spec, throwsCode } from './op-harness.ts';
import { quantizeModel } from './quantize.ts';

const gemm = (name: string, out: string, n: number, bias = 0.2, scale = 1) => ({
  node: { name, opType: 'Gemm', input: ['x', `${name}w`, `${name}b`], output: [out], int: { transB: 1 } },
  inits: [
    { name: `${name}w`, dims: [n, 8], floats: floats(8 * n, scale) },
    { name: `${name}b`, dims: [n], floats: floats(n, bias) },
  ],
});

const A = gemm('ga', 'a', 6);
const B = gemm('gb', 'b', 6);
const h = head('cat', 18);
const spec: Spec = {
  inShape: [8],
  nodes: [
    A.node,
    B.node,
    { name: 'rb', opType: 'Relu', input: ['b'], output: ['rb'] },
    { name: 'eps', opType: 'Add', input: ['rb', 'half'], output: ['d1'] },
    { name: 'div1', opType: 'Div', input: ['a', 'd1'], output: ['y1'] },
    { name: 'sg', opType: 'Sigmoid', input: ['b'], output: ['sg'] },
    { name: 'sum', opType: 'ReduceSum', input: ['sg', 'axes'], output: ['s'], int: { keepdims: 1 } },
    { name: 'div2', opType: 'Div', input: ['a', 's'], output: ['y2'] },
    { name: 'ab', opType: 'Abs', input: ['b'], output: ['ab'] },
    { name: 'eps3', opType: 'Add', input: ['ab', 'tiny'], output: ['d3'] },
    { name: 'div3', opType: 'Div', input: ['a', 'd3'], output: ['y3'] },
    { name: 'cat', opType: 'Concat', input: ['y1', 'y2', 'y3'], output: ['cat'], int: { axis: 1 } },
    ...h.nodes,
  ],
  initializers: [
    ...A.inits,
    ...B.inits,
    { name: 'half', dims: [], floats: [0.5] },
    { name: 'tiny', dims: [], floats: [1e-3] },
    { name: 'axes', dims: [1], floats: [1], int64: true },
    ...h.initializers!,
  ],
};

/**
 * A FloorDiv's quotient moved up by one (its offset bits rewritten) and its remainder down by the divisor, every
 * linear equation kept: the remainder's range check fails.
 */
const forgeQuotient =
  (g: string) =>
  (w: bigint[], at: (s: string) => number): void => {
    const bitsOf = (pre: string): number[] => {
      const out: number[] = [];
      for (;;) {
        try {
          out.push(at(`${g}.${pre}.bits.bits[${out.length}]`));
        } catch {
          return out;
        }
      }
    };
    const value = (ix: number[]) => ix.reduce((acc, i, j) => acc + (w[i]! << BigInt(j)), 0n);
    const [q, lo, hi] = [bitsOf('qRange'), bitsOf('rLow'), bitsOf('rHigh')];
    const den = value(lo) + value(hi) + 1n;
    const t = value(q) + 1n;
    q.forEach((i, j) => {
      w[i] = (t >> BigInt(j)) & 1n;
    });
    w[lo[0]!]! -= den;
    w[hi[0]!]! += den;
  };

describe('Div of two activations', () => {
  it('imports as div nodes (the Add of 0.5 folded into the first divisor); float = a / (b + eps)', () => {
    const ir = importOnnx(model(spec));
    assert.deepEqual(
      ir.layers.map((l) => l.kind),
      ['dense', 'dense', 'relu', 'div', 'activation', 'reduce-sum', 'div', 'abs', 'div', 'concat', 'dense'],
    );
    const [d1, d2, d3] = [ir.layers[3]!, ir.layers[6]!, ir.layers[8]!];
    assert.ok(d1.kind === 'div' && d2.kind === 'div' && d3.kind === 'div');
    assert.ok(Math.abs(d3.eps - 1e-3) < 1e-9);
    assert.equal(d1.eps, 0.5);
    assert.equal(d2.eps, 0);
    assert.deepEqual(d2.bShape, [1]);
    const t = runFloatTrace(ir, randomInput(8));
    for (let i = 0; i < 6; i++) {
      assert.ok(Math.abs(t[3]![i]! - t[0]![i]! / (Math.max(t[1]![i]!, 0) + 0.5)) < 1e-12);
      assert.ok(Math.abs(t[6]![i]! - t[0]![i]! / t[5]![0]!) < 1e-12);
      assert.ok(Math.abs(t[8]![i]! - t[0]![i]! / (Math.abs(t[1]![i]!) + d3.eps)) < 1e-12);
    }
  });

  it('circuit = integer reference (floor division at the output scale), predicted count, forged quotients rejected', async () => {
    const { qm } = await checkCircuit('div-acts', importOnnx(model(spec)), [
      forgeQuotient('div3.d[0]'),
      forgeQuotient('div3.d[4]'),
      forgeQuotient('div6.d[2]'),
      forgeQuotient('div8.d[1]'),
      [['abs7.r[3].sb.bits[0]', (v) => 1n - v]],
      [['logits[1]', (v) => v + 1n]],
    ]);
    const q = qm.layers[3]!;
    const q3 = qm.layers[8]!;
    assert.ok(q.kind === 'div' && q.epsInt >= 1 && q3.kind === 'div' && q3.epsInt === 1, 'eps 1e-3 rounds up to one LSB');
    // The integer semantics written out: floor(a·2^kA / ((relu(b) + epsInt)·2^kB)), saturated to the output width.
    const { trace } = runInt(qm, quantizeInput(qm, randomInput(8)));
    const [a, rb] = [trace[0]!, trace[2]!];
    const lim = 1n << BigInt(q.bits - 1);
    for (let i = 0; i < 6; i++) {
      const num: bigint = a[i]! << BigInt(q.kA);
      const den: bigint = (rb[i]! + BigInt(q.epsInt)) << BigInt(q.kB);
      let y: bigint = num / den;
      if (y * den > num) y -= 1n; // BigInt division truncates; the op floors
      y = y < -lim ? -lim : y >= lim ? lim - 1n : y;
      assert.equal(trace[3]![i], y, `element ${i}`);
    }
  });

  it('a divisor that reaches 0 or below on the calibration inputs is refused at compile time, naming the node', () => {
    const bad: Spec = {
      inShape: [8],
      nodes: [A.node, B.node, { name: 'div1', opType: 'Div', input: ['a', 'b'], output: ['y1'] }, ...head('y1', 6).nodes],
      initializers: [...A.inits, ...B.inits, ...head('y1', 6).initializers!],
    };
    const ir = importOnnx(model(bad));
    throwsCode(
      () =>
        quantizeModel(
          ir,
          Array.from({ length: 20 }, () => randomInput(8)),
        ),
      'BAD_INPUT',
      /div 'div1': the divisor reaches -?[0-9.e-]+ on the calibration inputs/,
    );
  });

  it('a divisor <= 0 at prove time has no witness: the integer reference and the circuit both refuse it', async () => {
    // b = Gemm with weights up to ±3 and a bias of 6: positive on the calibration inputs (small, and ±1 in one
    // coordinate to set the input range), negative at a corner of the input range.
    const Bpos = gemm('gb', 'b', 6, 0, 3);
    for (const init of Bpos.inits) if (init.name === 'gbb') init.floats = init.floats.map(() => 6);
    const pos: Spec = {
      inShape: [8],
      nodes: [A.node, Bpos.node, { name: 'div1', opType: 'Div', input: ['a', 'b'], output: ['y1'] }, ...head('y1', 6).nodes],
      initializers: [...A.inits, ...Bpos.inits, ...head('y1', 6).initializers!],
    };
    const ir = importOnnx(model(pos));
    const calib = [
      ...Array.from({ length: 20 }, () => randomInput(8).map((v) => 0.3 * v)),
      [1, 0, 0, 0, 0, 0, 0, 0],
      [-1, 0, 0, 0, 0, 0, 0, 0],
    ];
    const qm = quantizeModel(ir, calib);
    // The input that drives the divisor most negative: each x at ±1 against its weight's sign, scaled out of range.
    const w = Bpos.inits[0]!.floats;
    const far = Array.from({ length: 8 }, (_, k) => (w[k]! > 0 ? -1 : 1));
    const xq = quantizeInput(qm, far);
    const den = runFloatTrace(ir, far)[1]!;
    assert.ok(
      den.some((v) => v <= 0),
      'the far input makes a divisor <= 0',
    );
    assert.throws(
      () => runInt(qm, xq),
      (e) => isZkaiError(e) && e.code === 'BAD_INPUT' && /divisor -?\d+ <= 0/.test(e.message),
    );
    const opts = { name: 'div-neg', weights: 'public-constants', input: 'public', blind: 7n } as const;
    const m = await buildModelCircuit(qm, opts);
    await assert.rejects(calculateWitness(m.circuit.wasmPath, modelCircuitInput(qm, xq, opts)), { code: 'WITNESS_FAILED' });
  });
});
