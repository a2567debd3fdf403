import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { cacheDir } from '../../common/config.ts';
import { writeFileAtomic } from '../../common/fs.ts';
import { forgeRequantize, seededRandom, witnessWriter } from '../../common/test-random.ts';
import { type BuiltCircuit, buildCircuit } from '../build.ts';
import { getPoseidon } from '../dataset/poseidon.ts';
import { packLinear, packSigned, poseidonChain, poseidonSponge } from '../model/commit.ts';
import { fromField, requantize, toField } from '../model/int-reference.ts';
import type { QDense } from '../model/quantize.ts';
import { type R1cs, readR1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols } from '../witness.ts';

// SignedPack, PoseidonChain and PoseidonSponge (layers.circom) against their TypeScript mirrors in
// circuits/model/commit.ts, the packing alias attack that SignedPack's range checks exist to stop, and PackedDot
// (composed with the Requantize that range-checks its accumulators, as the model circuits use it) with its
// forged-witness tests.

interface Gadget {
  circuit: BuiltCircuit;
  r1cs: R1cs;
  sym: Map<string, number>;
}

async function gadget(name: string, instance: string, source?: string): Promise<Gadget> {
  let spec = { name, include: 'layers.circom', instance, publicInputs: [] as string[] };
  if (source) {
    const file = cacheDir('test-circuits', `${name}.circom`);
    await writeFileAtomic(file, source);
    spec = { ...spec, include: path.basename(file), extraSources: [file] } as typeof spec;
  }
  const circuit = await buildCircuit(spec);
  return { circuit, r1cs: await readR1cs(circuit.r1csPath), sym: await readSymbols(circuit.symPath) };
}

/** Bits (LSB first) as a forger writes them: the true bits when v ∈ [0, 2^b), else v in bit 0 (the sum still equals v). */
function bitsFor(v: bigint, b: number): bigint[] {
  if (v >= 0n && v < 1n << BigInt(b)) return Array.from({ length: b }, (_, i) => (v >> BigInt(i)) & 1n);
  return [v, ...Array<bigint>(b - 1).fill(0n)];
}

describe('model commitment gadgets (layers.circom)', () => {
  let pack: Gadget;
  let chain: Gadget;
  const values = Array.from({ length: 33 }, (_, i) => BigInt(((i * 37) % 256) - 128));

  before(async () => {
    pack = await gadget('layers-pack', 'SignedPack(33, 8)');
    chain = await gadget('layers-chain', 'PoseidonChain(20)');
  });

  it('SignedPack(33, 8) packs 31 values per element exactly like packSigned, at 8 constraints per value', async () => {
    assert.equal(pack.circuit.nConstraints, 33 * 8);
    const w = await calculateWitness(pack.circuit.wasmPath, { in: values.map(toField) });
    const expected = packSigned(values, 8);
    assert.equal(expected.length, 2);
    assert.deepEqual([w[pack.sym.get('main.out[0]')!], w[pack.sym.get('main.out[1]')!]], expected);
    assert.deepEqual(unsatisfiedConstraints(pack.r1cs, w), []);
    await assert.rejects(calculateWitness(pack.circuit.wasmPath, { in: values.map((v, i) => toField(i === 3 ? 128n : v)) }), {
      code: 'WITNESS_FAILED',
    });
  });

  it('rejects the packing alias: in[0] + 256 and in[1] - 1 give the same packed element, but in[0] fails its range check', async () => {
    const honest = [...values];
    honest[1] = 5n; // so that in[1] - 1 stays in range and only in[0] is out of range
    const w = await calculateWitness(pack.circuit.wasmPath, { in: honest.map(toField) });
    const forged = [honest[0]! + 256n, honest[1]! - 1n];
    let kept = 0;
    const set = (signal: string, v: bigint) => {
      const at = pack.sym.get(`main.${signal}`);
      if (at !== undefined) {
        w[at] = toField(v);
        kept++;
      }
    };
    for (const [i, v] of forged.entries()) {
      set(`in[${i}]`, v);
      for (const prefix of [`range[${i}].in`, `range[${i}].bits.in`]) set(prefix, v);
      set(`range[${i}].bits.dec.in`, v + 128n);
      for (const [j, bit] of bitsFor(v + 128n, 8).entries()) {
        set(`range[${i}].bits.dec.bits[${j}]`, bit);
        set(`range[${i}].bits.bits[${j}]`, bit);
      }
    }
    assert.ok(kept >= 10, `forged signals not found (${kept}): naming changed?`);
    // The packed output is unchanged: (v0 + 256 + 128) + 256·(v1 - 1 + 128) = (v0 + 128) + 256·(v1 + 128).
    assert.equal(w[pack.sym.get('main.out[0]')!], packSigned(honest, 8)[0]);
    assert.equal(unsatisfiedConstraints(pack.r1cs, w).length, 1, 'exactly the bit constraint of in[0] fails');
  });

  it('PoseidonChain(20) equals poseidonChain (h = n, then Poseidon over chunks of 15)', async () => {
    const elems = Array.from({ length: 20 }, (_, i) => BigInt(i) * 0x1234567890abcdefn + 7n);
    const w = await calculateWitness(chain.circuit.wasmPath, { in: elems });
    assert.equal(w[chain.sym.get('main.out')!], poseidonChain(elems, await getPoseidon()));
    assert.deepEqual(unsatisfiedConstraints(chain.r1cs, w), []);
  });
});

// PackedDot as the model circuits use it: every accumulator goes through Requantize(b, s, b - s) (no saturation
// here, so the forgeries below only have to fix up the floor division). N inputs, K = 14 slots of B = 18 bits:
// K·B = 252, the widest packing PackedDot allows.
const N = 6;
const K = 14;
const B = 18;
const S = 6;
const HARNESS = `pragma circom 2.1.6;
include "layers.circom";
template PackedDotRequantize(n, k, b, s) {
    signal input p[n];
    signal input x[n];
    signal input bias;
    signal output out[k];
    component dot = PackedDot(n, k, b);
    dot.p <== p;
    dot.x <== x;
    dot.bias <== bias;
    component rq[k];
    for (var m = 0; m < k; m++) {
        rq[m] = Requantize(b, s, b - s);
        rq[m].in <== dot.acc[m];
        out[m] <== rq[m].out;
    }
}
`;

/** A dense layer N → K with the given int8 weights ([K][N], row-major) and biases, as packLinear takes it. */
function denseLayer(weight: number[], bias: bigint[]): QDense {
  return {
    kind: 'dense',
    name: 'harness',
    inputs: [-1],
    inShape: [N],
    outShape: [K],
    weight,
    bias,
    shift: Array(K).fill(S),
    accBits: B,
    inBits: 8,
    outBits: B - S,
    weightFracBits: Array(K).fill(0),
    outFracBits: 0,
  };
}

describe('PackedDot (layers.circom): k accumulators per multiplication, unique given the Requantize range checks', () => {
  let g: Gadget;
  const { u32, signed } = seededRandom(0x9ac4ed07);
  const half = 1n << BigInt(B - 1);

  before(async () => {
    g = await gadget('layers-packed-dot', `PackedDotRequantize(${N}, ${K}, ${B}, ${S})`, HARNESS);
  });

  const accumulators = (weight: number[], bias: bigint[], x: bigint[]) =>
    bias.map((b, m) => x.reduce((a, v, i) => a + BigInt(weight[m * N + i]!) * v, b));

  async function honest(weight: number[], bias: bigint[], x: bigint[]): Promise<bigint[]> {
    const packed = packLinear(denseLayer(weight, bias));
    assert.equal(packed.groups, 1);
    return calculateWitness(g.circuit.wasmPath, { p: packed.weights, x: x.map(toField), bias: packed.bias[0]! });
  }
  const wire = (signal: string) => g.sym.get(`main.${signal}`);
  const setter = (w: bigint[]) => witnessWriter(w, wire, toField);
  /** Rewrite Requantize m (and the accumulator it reads) for input acc with quotient y and remainder r, in range or not. */
  function setRequantize(set: (signal: string, v: bigint) => void, m: number, acc: bigint, y: bigint, r: bigint): void {
    for (const sig of [`dot.acc[${m}]`, `rq[${m}].in`]) set(sig, acc);
    forgeRequantize(set, `rq[${m}]`, y, r, S, B - S);
    set(`out[${m}]`, y);
  }

  it(`costs N products plus the Requantize range checks (${N} + ${K}·${B} constraints)`, () => {
    assert.equal(g.circuit.nConstraints, N + K * B);
  });

  it('outputs Requantize(acc) for every slot on random and extreme weights, inputs and biases', async () => {
    const cases: { weight: number[]; bias: bigint[]; x: bigint[] }[] = [];
    for (let c = 0; c < 6; c++) {
      cases.push({
        weight: Array.from({ length: K * N }, () => Number(signed(8))),
        bias: Array.from({ length: K }, () => signed(15)),
        x: Array.from({ length: N }, () => signed(8)),
      });
    }
    // Accumulators at both ends of the signed 18-bit range: 6·(-128)·(-128) + 32767 = 2^17 - 1, 6·(-128)·127 - 33536 = -2^17.
    const extremes = Array.from({ length: K }, (_, m) => (m % 2 === 0 ? 32767n : -33536n));
    cases.push({ weight: Array(K * N).fill(-128), bias: extremes, x: Array(N).fill(-128n) });
    cases.push({ weight: Array(K * N).fill(-128), bias: extremes.map((b) => (b > 0n ? -33536n : 32767n)), x: Array(N).fill(127n) });
    let sawMin = false;
    let sawMax = false;
    for (const { weight, bias, x } of cases) {
      const acc = accumulators(weight, bias, x);
      sawMin ||= acc.includes(-half);
      sawMax ||= acc.includes(half - 1n);
      const w = await honest(weight, bias, x);
      assert.deepEqual(
        acc.map((_, m) => fromField(w[wire(`out[${m}]`)!]!)),
        acc.map((a) => requantize(a, B, S, B - S)),
      );
      assert.deepEqual(unsatisfiedConstraints(g.r1cs, w), []);
    }
    assert.ok(sawMin && sawMax, 'the extreme cases reach both ends of the accumulator range');
  });

  // A random in-range case whose slots 0 and 1 can move by ±1 and stay in range.
  function sample() {
    const weight = Array.from({ length: K * N }, () => Number(signed(8)));
    const bias = Array.from({ length: K }, () => BigInt((u32() % 20001) - 10000));
    const x = Array.from({ length: N }, () => signed(8));
    return { weight, bias, x, acc: accumulators(weight, bias, x) };
  }

  it('rejects a forged slot: acc[0] + 2^b with acc[1] - 1 keeps the linear relation, but Requantize 0 fails its range check', async () => {
    for (let c = 0; c < 3; c++) {
      const { weight, bias, x, acc } = sample();
      // The honest witness for acc[1] - 1 (bias[1] - 1), then acc[0] raised by 2^b with the packed bias put back:
      // bias + Σ t = Σ acc'·2^(b·m) still holds, since +2^b in slot 0 is the -1 carried out of slot 1.
      const lowered = [...bias];
      lowered[1] = lowered[1]! - 1n;
      const w = await honest(weight, lowered, x);
      const { set, kept } = setter(w);
      set('bias', packLinear(denseLayer(weight, bias)).bias[0]!);
      const forged = acc[0]! + (1n << BigInt(B));
      setRequantize(set, 0, forged, (acc[0]! >> BigInt(S)) + (1n << BigInt(B - S)), acc[0]! & ((1n << BigInt(S)) - 1n));
      assert.ok(kept() >= 5, `forged signals not found (${kept()}): naming changed?`);
      assert.equal(fromField(w[wire('out[1]')!]!), requantize(acc[1]! - 1n, B, S, B - S));
      const bad = unsatisfiedConstraints(g.r1cs, w);
      assert.equal(bad.length, 1, `exactly the out-of-range quotient's bit constraint fails (got ${bad.length})`);
    }
  });

  it('rejects a forged product: t[i] + 1 with acc[0] + 1 keeps the linear relation, but t[i] = p[i]·x[i] fails', async () => {
    const i = [...Array(N).keys()].find((j) => wire(`dot.t[${j}]`) !== undefined);
    assert.ok(i !== undefined, 'no product signal kept as a wire: naming changed?');
    for (let c = 0; c < 3; c++) {
      const { weight, bias, x, acc } = sample();
      // The honest witness for acc[0] + 1 (bias[0] + 1), then the packed bias put back and the +1 moved into t[i].
      const raised = [...bias];
      raised[0] = raised[0]! + 1n;
      const w = await honest(weight, raised, x);
      const { set } = setter(w);
      set('bias', packLinear(denseLayer(weight, bias)).bias[0]!);
      set(`dot.t[${i}]`, fromField(w[wire(`dot.t[${i}]`)!]!) + 1n);
      assert.equal(fromField(w[wire('out[0]')!]!), requantize(acc[0]! + 1n, B, S, B - S), 'the output is forged');
      assert.equal(unsatisfiedConstraints(g.r1cs, w).length, 1, 'exactly the product constraint fails');
    }
  });

  it('packLinear matches the slot layout: P[i] = Σ_m w[m][i]·2^(b·m) mod p, one group when K <= floor(252 / b)', () => {
    const weight = Array.from({ length: K * N }, (_, j) => (j % 3) - 1);
    const bias = Array.from({ length: K }, (_, m) => BigInt(m - 7));
    const packed = packLinear(denseLayer(weight, bias));
    assert.equal(packed.k, K);
    let expected = 0n;
    for (let m = 0; m < K; m++) expected += BigInt(weight[m * N + 2]!) << BigInt(B * m);
    assert.equal(packed.weights[2], toField(expected));
    assert.equal(packed.weights.length, N);
    const wide = packLinear({ ...denseLayer(weight, bias), accBits: 19 });
    assert.deepEqual([wide.k, wide.groups, wide.weights.length, wide.bias.length], [13, 2, 2 * N, 2]);
  });
});

describe('PoseidonSponge (layers.circom)', () => {
  for (const n of [5, 33]) {
    it(`PoseidonSponge(${n}) equals poseidonSponge and costs 612 per permutation less the folded constant S-boxes`, async () => {
      const sponge = await gadget(`layers-sponge-${n}`, `PoseidonSponge(${n})`);
      const blocks = Math.ceil(n / 16);
      assert.equal(sponge.circuit.nConstraints, 612 * blocks - 3 * (1 + (blocks === 1 ? 16 - n : 0)));
      const elems = Array.from({ length: n }, (_, i) => BigInt(i) * 0xfedcba9876543210n + 11n);
      const w = await calculateWitness(sponge.circuit.wasmPath, { in: elems });
      assert.equal(w[sponge.sym.get('main.out')!], await poseidonSponge(elems));
      assert.notEqual(await poseidonSponge(elems), await poseidonSponge([...elems, 0n]), 'zero padding does not collide');
      assert.deepEqual(unsatisfiedConstraints(sponge.r1cs, w), []);
    });
  }
});
