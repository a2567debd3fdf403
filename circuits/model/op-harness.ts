/**
 * The harness of the op tests (ops-layout.test.ts, ops-arith.test.ts): small ONNX models built with encodeOnnx
 * (seeded random weights: no torch here), compiled, and checked end to end: circuit outputs = the integer executor's
 * bit for bit on random inputs, circom's constraint count = the generator's prediction, forged witnesses rejected.
 */
import assert from 'node:assert/strict';
import { isZkaiError } from '../../common/errors.ts';
import { seededRandom } from '../../common/test-random.ts';
import { readR1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols } from '../witness.ts';
import { buildModelCircuit, modelCircuitInput } from './codegen.ts';
import { quantizeInput, runInt } from './int-exec.ts';
import { fromField } from './int-reference.ts';
import type { ModelIR } from './ir.ts';
import { encodeOnnx, type OnnxModelSpec } from './onnx.ts';
import { type QuantizedModel, quantizeModel } from './quantize.ts';

const { u32 } = seededRandom(0x6d6f7265);
let wSeed = 0x1234567;
const wRand = (): number => {
  wSeed ^= wSeed << 13;
  wSeed ^= wSeed >>> 17;
  wSeed ^= wSeed << 5;
  return wSeed >>> 0;
};
export const floats = (n: number, scale: number) => Array.from({ length: n }, () => ((wRand() % 2001) / 1000 - 1) * scale);
export const randomInput = (n: number) => Array.from({ length: n }, () => (u32() % 2001) / 1000 - 1);

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

export async function checkCircuit(
  name: string,
  ir: ModelIR,
  forge: Forgery[] | ((qm: QuantizedModel) => Forgery[]) = [],
  samples = 4,
  /** 'private-pedersen': the weights as packed committed inputs (PackedDot), with a fixed blind. */
  weights: 'public-constants' | 'private-pedersen' = 'public-constants',
) {
  const n = ir.inputShape.reduce((a, b) => a * b, 1);
  const qm = quantizeModel(
    ir,
    Array.from({ length: 40 }, () => randomInput(n)),
  );
  const forgeries = typeof forge === 'function' ? forge(qm) : forge;
  const opts = { name, weights, input: 'public', blind: 7n } as const;
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

/**
 * Moves a Requantize(·, k, ·)'s (no-clamp) quotient up by one, keeping its linear equations (see the LeakyRelu test),
 * in the first of `gadgets` whose quotient is even (offset bit 0 clear: q + 1 only sets it).
 */
export function forgeFloor(w: bigint[], at: (s: string) => number, gadgets: string[], k: number): void {
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
