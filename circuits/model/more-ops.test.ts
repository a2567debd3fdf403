/**
 * The ops added for issue 14 (ops/transpose.ts, squeeze.ts, sub.ts, concat.ts, leaky-relu.ts), end to end on small
 * hand-built models (seeded random weights, random inputs): import, circuit outputs = the integer executor's bit for
 * bit, circom's constraint count = the generator's prediction, forged witnesses rejected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isZkaiError } from '../../common/errors.ts';
import { seededRandom } from '../../common/test-random.ts';
import { readR1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols } from '../witness.ts';
import { buildModelCircuit, modelCircuitInput } from './codegen.ts';
import { runFloat } from './float-exec.ts';
import { requantizeCost } from './gadget-cost.ts';
import { importOnnx } from './import.ts';
import { quantizeInput, runInt } from './int-exec.ts';
import { fromField } from './int-reference.ts';
import type { ModelIR } from './ir.ts';
import { encodeOnnx, type OnnxModelSpec } from './onnx.ts';
import { concat } from './ops/concat.ts';
import { LEAKY_FRAC_BITS, leakyAlpha, leakyRelu } from './ops/leaky-relu.ts';
import { transposeSources } from './ops/transpose.ts';
import type { QMulConst } from './qir.ts';
import { type QuantizedModel, quantizeModel } from './quantize.ts';

const { u32 } = seededRandom(0x6d6f7265);
let wSeed = 0x1234567;
const wRand = (): number => {
  wSeed ^= wSeed << 13;
  wSeed ^= wSeed >>> 17;
  wSeed ^= wSeed << 5;
  return wSeed >>> 0;
};
const floats = (n: number, scale: number) => Array.from({ length: n }, () => ((wRand() % 2001) / 1000 - 1) * scale);
const randomInput = (n: number) => Array.from({ length: n }, () => (u32() % 2001) / 1000 - 1);

export type Spec = Pick<OnnxModelSpec, 'nodes' | 'initializers'> & { inShape: number[]; opset?: number };

export function model(spec: Spec): Uint8Array {
  return encodeOnnx({
    opset: spec.opset ?? 13,
    inputs: [{ name: 'x', shape: [1, ...spec.inShape] }],
    outputs: [{ name: 'y' }],
    initializers: spec.initializers ?? [],
    nodes: spec.nodes,
  });
}

/** A Gemm head `name` → 'y' with `n` inputs and 4 outputs (the generator's logits). */
export function head(from: string, n: number): Pick<Spec, 'nodes' | 'initializers'> {
  return {
    nodes: [
      { name: 'flat', opType: 'Flatten', input: [from], output: ['flat'] },
      { name: 'fc', opType: 'Gemm', input: ['flat', 'fcw', 'fcb'], output: ['y'], int: { transB: 1 } },
    ],
    initializers: [
      { name: 'fcw', dims: [4, n], floats: floats(4 * n, 1) },
      { name: 'fcb', dims: [4], floats: floats(4, 0.2) },
    ],
  };
}

/**
 * Quantizes `ir` on random calibration inputs, compiles it, and checks on `samples` random inputs that the circuit's
 * logits equal runInt's and every constraint holds, and that each forgery (signal → changed value) breaks one.
 */
/** Signals → changed values, or a function that rewrites the witness through a signal-name lookup. */
export type Forgery = [string, (v: bigint) => bigint][] | ((w: bigint[], at: (signal: string) => number) => void);

export async function checkCircuit(name: string, ir: ModelIR, forge: Forgery[] | ((qm: QuantizedModel) => Forgery[]) = [], samples = 4) {
  const n = ir.inputShape.reduce((a, b) => a * b, 1);
  const qm = quantizeModel(
    ir,
    Array.from({ length: 40 }, () => randomInput(n)),
  );
  const forgeries = typeof forge === 'function' ? forge(qm) : forge;
  const opts = { name, weights: 'public-constants', input: 'public' } as const;
  const m = await buildModelCircuit(qm, opts);
  assert.equal(m.circuit.nConstraints, m.generated.totalConstraints, 'predicted constraint count');
  const r1cs = await readR1cs(m.circuit.r1csPath);
  const sym = await readSymbols(m.circuit.symPath);
  for (let k = 0; k < samples; k++) {
    const input = quantizeInput(qm, randomInput(n));
    const ref = runInt(qm, input);
    const w = await calculateWitness(m.circuit.wasmPath, modelCircuitInput(qm, input, opts));
    assert.deepEqual(w.slice(1, 1 + ref.logits.length).map(fromField), ref.logits, `input ${k}`);
    assert.deepEqual(unsatisfiedConstraints(r1cs, w), []);
    if (k > 0) continue;
    // Each forgery changes one or several signals of the honest witness together.
    for (const forgery of forgeries) {
      const forged = [...w];
      const at = (signal: string): number => {
        const i = sym.get(`main.${signal}`);
        assert.ok(i !== undefined, `${signal} in the witness`);
        return i;
      };
      if (typeof forgery === 'function') forgery(forged, at);
      else for (const [signal, change] of forgery) forged[at(signal)] = change(w[at(signal)]!);
      assert.ok(unsatisfiedConstraints(r1cs, forged).length > 0, `forgery ${String(forgery).slice(0, 80)} accepted`);
    }
  }
  return { qm, m, sym };
}

export function throwsCode(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (err) => isZkaiError(err) && err.code === code && pattern.test(err.message));
}

export { floats, randomInput };

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

/**
 * Moves a Requantize(·, k, ·)'s (no-clamp) quotient up by one, keeping its linear equations (see the LeakyRelu test),
 * in the first of `gadgets` whose quotient is even (offset bit 0 clear: q + 1 only sets it).
 */
function forgeFloor(w: bigint[], at: (s: string) => number, gadgets: string[], k: number): void {
  const g = gadgets.find((name) => w[at(`${name}.sat.sb.bits[0]`)] === 0n);
  assert.ok(g, 'an even quotient');
  // The quotient is its own signal `y` when the gadget saturates, else substituted into `out`.
  let q: number;
  try {
    q = at(`${g}.y`);
  } catch {
    q = at(`${g}.out`);
  }
  w[q]! += 1n;
  w[at(`${g}.sat.sb.bits[0]`)] = 1n;
  w[at(`${g}.rRange.bits.bits[0]`)]! -= BigInt(2 ** k);
}

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

  it('refuses a Mul of two activations and a Div by 0', () => {
    throwsCode(
      () => importOnnx(model({ ...spec, nodes: spec.nodes.map((n) => (n.name === 'm' ? { ...n, input: ['h0', 'h0'] } : n)) })),
      'UNSUPPORTED_OP',
      /'Mul' \(node 1, 'm'\): consumes 2 non-constant tensors/,
    );
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
