import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forgerBits, seededRandom } from '../../common/test-random.ts';
import { type BuiltCircuit, buildCircuit } from '../build.ts';
import { SNARK_FIELD } from '../dataset/poseidon.ts';
import {
  argMax,
  divFloor,
  fromField,
  maxOf,
  relu,
  requantize,
  requantizeRelu,
  saturate,
  signedBounds,
  toField,
} from '../model/int-reference.ts';
import { type R1cs, readR1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols } from '../witness.ts';

// Each gadget is compiled standalone as main (all inputs private), so its wires can be read and forged by name.
// circom --O2 folds linear constraints and drops the signals they define; `set` writes a signal only where it
// survived, which is sound for forging because every forged assignment below satisfies all linear equations.

interface Gadget {
  circuit: BuiltCircuit;
  r1cs: R1cs;
  sym: Map<string, number>;
}

/** Expected constraint counts, from the cost formulas documented in quant.circom. */
const GADGETS = {
  range: { instance: 'RangeCheck(8)', cost: 8 },
  signed: { instance: 'SignedRange(8)', cost: 8 },
  relu: { instance: 'ReLU(8)', cost: 8 + 1 },
  requant: { instance: 'Requantize(32, 8, 8)', cost: 32 + 8 },
  requantPass: { instance: 'Requantize(20, 12, 8)', cost: 20 },
  // Fused Requantize + ReLU: bIn + 3 when y = in >> shift can exceed the clamp (IsZero + selection), else bIn + 1.
  requantRelu: { instance: 'RequantizeRelu(32, 8, 8)', cost: 32 + 3 },
  requantReluOne: { instance: 'RequantizeRelu(17, 8, 8)', cost: 17 + 3 },
  requantReluPass: { instance: 'RequantizeRelu(20, 12, 8)', cost: 20 + 1 },
  max: { instance: 'Max(4, 8)', cost: 4 * 8 + 3 },
  argmax: { instance: 'ArgMax(5, 8)', cost: 5 * (8 + 2) },
  div: { instance: 'DivByConst(16, 9)', cost: 16 + 2 * 4 },
} as const;
type GadgetName = keyof typeof GADGETS;

const { signed: randSigned } = seededRandom(0x5eed1234);
const bitsFor = forgerBits;

describe('quantized-network gadgets (quant.circom)', () => {
  const g = {} as Record<GadgetName, Gadget>;

  before(async () => {
    for (const [name, { instance }] of Object.entries(GADGETS)) {
      const circuit = await buildCircuit({ name: `quant-${name.toLowerCase()}`, include: 'quant.circom', instance, publicInputs: [] });
      g[name as GadgetName] = { circuit, r1cs: await readR1cs(circuit.r1csPath), sym: await readSymbols(circuit.symPath) };
    }
  });

  async function witness(name: GadgetName, input: Record<string, bigint | bigint[]>): Promise<bigint[]> {
    const fieldInput = Object.fromEntries(Object.entries(input).map(([k, v]) => [k, Array.isArray(v) ? v.map(toField) : toField(v)]));
    return calculateWitness(g[name].circuit.wasmPath, fieldInput);
  }
  const read = (name: GadgetName, w: bigint[], signal: string) => fromField(w[g[name].sym.get(`main.${signal}`)!]!);
  const unsat = (name: GadgetName, w: bigint[]) => unsatisfiedConstraints(g[name].r1cs, w);

  /** Set signal `main.<signal>` to v (mod p) if --O2 kept it as a wire. */
  function set(name: GadgetName, w: bigint[], signal: string, v: bigint): void {
    const wire = g[name].sym.get(`main.${signal}`);
    if (wire !== undefined) w[wire] = toField(v);
  }
  /**
   * Write a bit decomposition (and the value it decomposes) under every name the gadget gives it. `minKept`: how
   * many of the bits --O2 must have kept as wires (it substitutes a bit away where a linear equation defines it).
   */
  function setBits(name: GadgetName, w: bigint[], prefixes: string[], bits: bigint[], minKept = bits.length - 1): void {
    let kept = 0;
    for (const prefix of prefixes) {
      bits.forEach((bit, i) => {
        if (g[name].sym.has(`main.${prefix}[${i}]`)) kept++;
        set(name, w, `${prefix}[${i}]`, bit);
      });
    }
    assert.ok(kept >= minKept, `bit signals ${prefixes.join('|')} not found in ${name}: naming changed?`);
  }

  it('integer reference: field round trip, floor semantics, and BAD_INPUT where the circuit has no witness', () => {
    for (const v of [0n, 1n, -1n, -(1n << 251n), (1n << 251n) - 1n]) assert.equal(fromField(toField(v)), v);
    assert.equal(requantize(-1n, 32, 8, 8), -1n, 'floor(-1/256) = -1 (toward −∞, not 0)');
    assert.equal(requantize(-256n, 32, 8, 8), -1n);
    assert.equal(requantize(-257n, 32, 8, 8), -2n);
    assert.equal(requantize(255n, 32, 8, 8), 0n);
    assert.equal(requantize(1n << 30n, 32, 8, 8), 127n, 'saturates high');
    assert.equal(requantize(-(1n << 30n), 32, 8, 8), -128n, 'saturates low');
    assert.equal(saturate(-129n, 9, 8), -128n);
    assert.equal(requantizeRelu(-1n, 32, 8, 8), 0n, 'floor(-1/256) = -1, then ReLU');
    assert.equal(requantizeRelu(127n * 256n + 255n, 32, 8, 8), 127n, 'exactly at the clamp');
    assert.equal(requantizeRelu(128n * 256n, 32, 8, 8), 127n, 'one above the clamp');
    assert.equal(requantizeRelu(-(1n << 31n), 32, 8, 8), 0n, 'saturated low, then ReLU');
    assert.equal(divFloor(-1n, 16, 9n), -1n);
    assert.equal(divFloor(-9n, 16, 9n), -1n);
    assert.equal(divFloor(-10n, 16, 9n), -2n);
    assert.deepEqual(argMax([1n, 4n, 4n], 8), { index: 1, max: 4n });
    for (const bad of [
      () => relu(128n, 8),
      () => requantize(1n << 31n, 32, 8, 8),
      () => requantize(0n, 32, 31, 8),
      () => requantizeRelu(-(1n << 31n) - 1n, 32, 8, 8),
      () => maxOf([0n, -129n], 8),
      () => divFloor(9n << 15n, 16, 9n),
      () => saturate(0n, 253, 8),
    ]) {
      assert.throws(bad, { code: 'BAD_INPUT' });
    }
  });

  it('has the documented constraint counts (printed)', () => {
    const rows: string[] = [];
    for (const [name, { instance, cost }] of Object.entries(GADGETS)) {
      const n = g[name as GadgetName].circuit.nConstraints;
      rows.push(`${instance.padEnd(24)} ${String(n).padStart(4)} constraints`);
      assert.equal(n, cost, `${instance}: ${n} constraints, documented cost ${cost}`);
    }
    console.log(`quant gadget sizes:\n  ${rows.join('\n  ')}`);
  });

  describe('RangeCheck / SignedRange', () => {
    it('accept exactly the in-range values', async () => {
      const cases: [GadgetName, bigint, boolean][] = [];
      for (const v of [-1n, 0n, 1n, 127n, 128n, 255n, 256n, 1000n]) cases.push(['range', v, v >= 0n && v < 256n]);
      for (const v of [-129n, -128n, -1n, 0n, 127n, 128n, 255n]) cases.push(['signed', v, v >= -128n && v < 128n]);
      for (let i = 0; i < 30; i++) {
        const v = randSigned(11);
        cases.push(['range', v, v >= 0n && v < 256n], ['signed', v, v >= -128n && v < 128n]);
      }
      for (const [name, v, ok] of cases) {
        if (ok) assert.deepEqual(unsat(name, await witness(name, { in: v })), [], `${name} ${v}`);
        else await assert.rejects(witness(name, { in: v }), { code: 'WITNESS_FAILED' }, `${name} ${v} must have no witness`);
      }
    });

    it('reject forged decompositions of out-of-range values (one failing bit constraint each)', async () => {
      for (const v of [256n, -1n, 1n << 200n]) {
        const w = await witness('range', { in: 0n });
        set('range', w, 'in', v);
        setBits('range', w, ['bits.bits'], bitsFor(v, 8));
        set('range', w, 'bits.in', v);
        assert.equal(unsat('range', w).length, 1, `RangeCheck(8) forged ${v}`);
      }
      for (const v of [128n, -129n]) {
        const w = await witness('signed', { in: 0n });
        set('signed', w, 'in', v);
        setBits('signed', w, ['bits.dec.bits', 'bits.bits'], bitsFor(v + 128n, 8));
        set('signed', w, 'bits.in', v);
        set('signed', w, 'bits.dec.in', v + 128n);
        assert.equal(unsat('signed', w).length, 1, `SignedRange(8) forged ${v}`);
      }
    });
  });

  describe('ReLU(8)', () => {
    it('equals the integer reference on edges and random inputs', async () => {
      const xs = [-128n, -127n, -2n, -1n, 0n, 1n, 2n, 126n, 127n, ...Array.from({ length: 60 }, () => randSigned(8))];
      for (const x of xs) {
        const w = await witness('relu', { in: x });
        assert.equal(read('relu', w, 'out'), relu(x, 8), `relu(${x})`);
        assert.deepEqual(unsat('relu', w), []);
      }
      for (const x of [128n, -129n, 1n << 100n]) await assert.rejects(witness('relu', { in: x }), { code: 'WITNESS_FAILED' });
    });

    /** Forge the sign bit: out = x·sign with the offset decomposition rebalanced so its sum still equals x + 128. */
    async function forgeSign(x: bigint, sign: bigint): Promise<number> {
      const w = await witness('relu', { in: x });
      const bits = bitsFor(x + 128n - sign * 128n, 7);
      setBits('relu', w, ['sb.dec.bits', 'sb.bits'], [...bits, sign]);
      set('relu', w, 'out', x * sign);
      return unsat('relu', w).length;
    }

    it('rejects a forged witness claiming out = x for negative x, or out = 0 for positive x', async () => {
      assert.equal(await forgeSign(-5n, 1n), 1, 'out = -5 for x = -5');
      assert.equal(await forgeSign(-128n, 1n), 1, 'out = -128 for x = -128');
      assert.equal(await forgeSign(7n, 0n), 1, 'out = 0 for x = 7');
      assert.equal(await forgeSign(127n, 0n), 1, 'out = 0 for x = 127');
    });
  });

  describe('Requantize', () => {
    const configs = [
      { name: 'requant', bIn: 32, shift: 8, bOut: 8 },
      { name: 'requantPass', bIn: 20, shift: 12, bOut: 8 },
    ] as const;

    it('equals the integer reference (floor shift, saturation) on edges and random inputs', async () => {
      for (const { name, bIn, shift, bOut } of configs) {
        const { min, max } = signedBounds(bIn);
        const s = 1n << BigInt(shift);
        const hi = 1n << BigInt(bOut - 1);
        const edges = [min, min + 1n, max, max - 1n, 0n, 1n, -1n, s - 1n, s, s + 1n, -s, -s - 1n, -s + 1n];
        edges.push(hi * s - 1n, hi * s, -hi * s, -hi * s - 1n, (hi - 1n) * s, -(hi + 1n) * s + 1n);
        const xs = [
          ...edges,
          ...Array.from({ length: 60 }, () => randSigned(bIn)),
          ...Array.from({ length: 60 }, () => randSigned(bOut + shift + 1)),
        ];
        for (const x of xs.filter((v) => v >= min && v <= max)) {
          const w = await witness(name, { in: x });
          assert.equal(read(name, w, 'out'), requantize(x, bIn, shift, bOut), `${name}(${x})`);
          assert.deepEqual(unsat(name, w), []);
        }
        for (const x of [max + 1n, min - 1n]) await assert.rejects(witness(name, { in: x }), { code: 'WITNESS_FAILED' });
      }
    });

    /**
     * A forged remainder: r' = r + k·2^shift and y' = y - k, so x = y'·2^shift + r' still holds. The helper
     * signals downstream of y' come from the honest witness of y'·2^shift + r (a valid input), the remainder's
     * bits are rebalanced to sum to r'. Only the remainder's range check can object.
     */
    async function forgeRemainder(name: 'requant' | 'requantPass', shift: number, x: bigint, k: bigint) {
      const s = 1n << BigInt(shift);
      const y = x >> BigInt(shift);
      const r = x - y * s;
      const [y2, r2] = [y - k, r + k * s];
      assert.equal(y2 * s + r2, x, 'the linear equation holds for the forgery');
      const w = await witness(name, { in: y2 * s + r });
      set(name, w, 'in', x);
      set(name, w, 'r', r2);
      set(name, w, 'rRange.in', r2);
      set(name, w, 'rRange.bits.in', r2);
      setBits(name, w, ['rRange.bits.bits'], bitsFor(r2, shift));
      return { w, claimed: read(name, w, 'out') };
    }

    it('rejects a forged remainder r >= 2^shift or r < 0 (y adjusted so x = y·2^shift + r holds)', async () => {
      for (const { name, bIn, shift, bOut } of configs) {
        for (const [x, k] of [
          [1000n, 1n],
          [1000n, -1n],
          [-77777n, 1n],
          [-77777n, -1n],
          [5n, 3n],
        ] as const) {
          const { w, claimed } = await forgeRemainder(name, shift, x, k);
          const failing = unsat(name, w);
          assert.equal(failing.length, 1, `${name}: x=${x} k=${k} claims ${claimed}, honest ${requantize(x, bIn, shift, bOut)}`);
        }
      }
    });

    it('rejects a forged witness that skips the int8 saturation', async () => {
      for (const [x, flag, zero, delta] of [
        [200n * 256n + 5n, 'over', 'aZero', 'toHi'],
        [-200n * 256n - 5n, 'under', 'aFull', 'toLo'],
      ] as const) {
        const w = await witness('requant', { in: x });
        const y = x >> 8n;
        assert.equal(read('requant', w, 'out'), y > 0n ? 127n : -128n);
        // Claim "the high bits are all equal" (IsZero says zero with inv = 0), so no clamp: out = y.
        set('requant', w, `sat.${zero}.out`, 1n);
        set('requant', w, `sat.${zero}.inv`, 0n);
        set('requant', w, `sat.${flag}`, 0n);
        set('requant', w, `sat.${delta}`, 0n);
        set('requant', w, 'sat.out', y);
        set('requant', w, 'out', y);
        assert.equal(read('requant', w, 'out'), y);
        assert.equal(unsat('requant', w).length, 1, `unclamped ${y} for x = ${x}`);
        // Or keep IsZero honest and just clear the overflow flag: its product constraint objects.
        const w2 = await witness('requant', { in: x });
        set('requant', w2, `sat.${flag}`, 0n);
        set('requant', w2, `sat.${delta}`, 0n);
        set('requant', w2, 'sat.out', y);
        set('requant', w2, 'out', y);
        assert.equal(unsat('requant', w2).length, 1, `unclamped ${y} for x = ${x}, flag cleared`);
      }
    });
  });

  describe('RequantizeRelu (fused Requantize + ReLU)', () => {
    const configs = [
      { name: 'requantRelu', bIn: 32, shift: 8, bOut: 8 },
      { name: 'requantReluOne', bIn: 17, shift: 8, bOut: 8 },
      { name: 'requantReluPass', bIn: 20, shift: 12, bOut: 8 },
    ] as const;
    type Config = (typeof configs)[number];
    const saturating = configs.filter((c) => c.bIn - c.shift > c.bOut);
    const M = (bOut: number) => (1n << BigInt(bOut - 1)) - 1n;
    /** The fused gadget's semantics written independently of int-reference: clamp(x >> shift, 0, 2^(bOut-1) - 1). */
    const clamp = (x: bigint, shift: number, bOut: number) => {
      const y = x >> BigInt(shift);
      return y < 0n ? 0n : y > M(bOut) ? M(bOut) : y;
    };
    const modInverse = (v: bigint) => {
      let [base, e, acc] = [toField(v), SNARK_FIELD - 2n, 1n];
      for (; e > 0n; e >>= 1n, base = (base * base) % SNARK_FIELD) if (e & 1n) acc = (acc * base) % SNARK_FIELD;
      return acc;
    };

    /**
     * Every signal of RequantizeRelu as a forger writes it, for input x and a claimed quotient y: r = x - y·2^shift
     * (forgerBits when out of range), the offset bits t of y (forgerBits, or `t` given), IsZero's output `fits`
     * (the honest one for the bits unless given, its inverse helper chosen to satisfy its first equation), and out
     * from the selection equation. So every linear equation holds and only the product/bit constraints can object.
     * Returns the claimed out.
     */
    function assignRequantRelu(c: Config, w: bigint[], x: bigint, y: bigint, opts: { t?: bigint[]; fits?: bigint } = {}): bigint {
      const { name, bIn, shift, bOut } = c;
      const bY = bIn - shift;
      const r = x - y * (1n << BigInt(shift));
      set(name, w, 'in', x);
      set(name, w, 'y', y);
      set(name, w, 'r', r);
      set(name, w, 'rRange.in', r);
      set(name, w, 'rRange.bits.in', r);
      // --O2 substitutes a few bits away through the linear equations (in = y·2^shift + r and the recompositions).
      setBits(name, w, ['rRange.bits.bits'], bitsFor(r, shift), shift - 2);
      const off = 1n << BigInt(bY - 1);
      const t = opts.t ?? bitsFor(y + off, bY);
      assert.equal(
        t.reduce((acc, bit, i) => acc + bit * (1n << BigInt(i)), 0n),
        y + off,
        'the bits recompose y + 2^(bY-1)',
      );
      set(name, w, 'yb.in', y);
      set(name, w, 'yb.dec.in', y + off);
      setBits(name, w, ['yb.dec.bits', 'yb.bits'], t, bY - 4);
      const pos = t[bY - 1]!;
      set(name, w, 'pos', pos);
      let out: bigint;
      if (bY <= bOut) out = pos * y;
      else {
        const m = BigInt(bY - bOut);
        const a = t.slice(bOut - 1, bY - 1).reduce((acc, bit) => acc + bit, 0n);
        const low = t.slice(0, bOut - 1).reduce((acc, bit, i) => acc + bit * (1n << BigInt(i)), 0n);
        const zIn = a + m * (1n - pos);
        const fits = opts.fits ?? (toField(zIn) === 0n ? 1n : 0n);
        set(name, w, 'fits.in', zIn);
        set(name, w, 'fits.out', fits);
        set(name, w, 'fits.inv', toField(zIn) === 0n ? 0n : toField((1n - fits) * modInverse(zIn)));
        out = fromField(fits * (low - M(bOut)) + pos * M(bOut));
      }
      set(name, w, 'out', out);
      return out;
    }

    /** The inputs each config is checked on: edges around 0, the clamp and the bIn range, then random ones. */
    function inputsFor({ bIn, shift, bOut }: Config): bigint[] {
      const { min, max } = signedBounds(bIn);
      const s = 1n << BigInt(shift);
      const hi = M(bOut) + 1n;
      const edges = [min, min + 1n, max, max - 1n, 0n, 1n, -1n, s - 1n, s, s + 1n, -s, -s - 1n, -s + 1n];
      // Exactly at the clamp (y = M, its first and last x), one above it (y = M + 1), and far above.
      edges.push((hi - 1n) * s, hi * s - 1n, hi * s, hi * s + 1n, (hi + 1n) * s - 1n, hi * 2n * s);
      const xs = [
        ...edges,
        ...Array.from({ length: 60 }, () => randSigned(bIn)),
        ...Array.from({ length: 60 }, () => randSigned(bOut + shift + 1)),
      ];
      return xs.filter((v) => v >= min && v <= max);
    }

    it('the TS reference is ReLU(Requantize) and clamp(floor(x / 2^shift), 0, 2^(bOut-1) - 1), bit for bit', () => {
      for (const c of configs) {
        for (const x of [...inputsFor(c), ...Array.from({ length: 500 }, () => randSigned(c.bIn))]) {
          const fused = requantizeRelu(x, c.bIn, c.shift, c.bOut);
          assert.equal(fused, clamp(x, c.shift, c.bOut), `${c.name}(${x})`);
          assert.equal(fused, relu(requantize(x, c.bIn, c.shift, c.bOut), c.bOut), `${c.name}(${x}) vs the unfused pair`);
        }
      }
    });

    it('the circuit equals the integer reference on edges and random inputs; out-of-range inputs have no witness', async () => {
      for (const c of configs) {
        const { min, max } = signedBounds(c.bIn);
        let clamped = 0;
        let negative = 0;
        for (const x of inputsFor(c)) {
          const w = await witness(c.name, { in: x });
          const ref = requantizeRelu(x, c.bIn, c.shift, c.bOut);
          assert.equal(read(c.name, w, 'out'), ref, `${c.name}(${x})`);
          assert.deepEqual(unsat(c.name, w), [], `${c.name}(${x}): honest witness`);
          const copy = w.slice();
          assert.equal(assignRequantRelu(c, copy, x, x >> BigInt(c.shift)), ref);
          assert.deepEqual(copy, w, `${c.name}(${x}): the forging model reproduces the honest witness`);
          if (x >> BigInt(c.shift) > M(c.bOut)) clamped++;
          if (x < 0n) negative++;
        }
        assert.ok(
          negative > 10 && (clamped > 10 || c.bIn - c.shift <= c.bOut),
          `${c.name}: ${negative} negative, ${clamped} clamped inputs`,
        );
        for (const x of [max + 1n, min - 1n, 1n << 100n]) {
          await assert.rejects(witness(c.name, { in: x }), { code: 'WITNESS_FAILED' }, `${c.name}(${x}) must have no witness`);
        }
      }
    });

    it('rejects out = y for a negative input: a forged sign bit, or a non-boolean IsZero output', async () => {
      for (const c of configs) {
        const bY = c.bIn - c.shift;
        for (const x of [-1n, -5n * (1n << BigInt(c.shift)) - 3n, signedBounds(c.bIn).min]) {
          const y = x >> BigInt(c.shift);
          // pos = 1 with the remaining bY - 1 bits summing to y (< 0): the recomposition holds, a bit is not boolean.
          const w = await witness(c.name, { in: x });
          const t = [...bitsFor(y, bY - 1), 1n];
          assert.equal(assignRequantRelu(c, w, x, y, { t }), y, 'claims out = y');
          assert.equal(unsat(c.name, w).length, 1, `${c.name}: out = ${y} for x = ${x}, sign bit forged`);
        }
      }
      for (const c of saturating) {
        // Honest bits (pos = 0), fits = y / (low - M) as a field element so the selection equation yields out = y:
        // IsZero's in·out = 0 objects (its input a + m is nonzero).
        const x = -3n * (1n << BigInt(c.shift)) - 1n;
        const y = x >> BigInt(c.shift);
        const low = (y + (1n << BigInt(c.bIn - c.shift - 1))) & M(c.bOut);
        assert.notEqual(low, M(c.bOut));
        const w = await witness(c.name, { in: x });
        assert.equal(assignRequantRelu(c, w, x, y, { fits: toField(y * modInverse(low - M(c.bOut))) }), y, 'claims out = y');
        assert.equal(unsat(c.name, w).length, 1, `${c.name}: out = ${y} for x = ${x}, fits forged`);
      }
    });

    it('rejects an unclamped output above the clamp: fits claimed with honest bits, or bits forged to look small', async () => {
      for (const c of saturating) {
        const bY = c.bIn - c.shift;
        const s = 1n << BigInt(c.shift);
        for (const y of [M(c.bOut) + 1n, M(c.bOut) + 7n, (1n << BigInt(bY - 1)) - 1n]) {
          const x = y * s + 3n;
          const w0 = await witness(c.name, { in: x });
          assert.equal(read(c.name, w0, 'out'), M(c.bOut));
          // fits = 1 although the high bits are not all 0: out becomes the low bits (y mod 2^(bOut-1)), not M.
          const w = w0.slice();
          const claimed = assignRequantRelu(c, w, x, y, { fits: 1n });
          assert.equal(claimed, y & M(c.bOut));
          assert.equal(unsat(c.name, w).length, 1, `${c.name}: out = ${claimed} for y = ${y}, fits = 1`);
          // Bits: y in bit 0, the high bits 0, pos 1, so IsZero honestly says "fits" and out = low = y.
          const w2 = w0.slice();
          const t = [...bitsFor(y, c.bOut - 1), ...Array<bigint>(bY - c.bOut).fill(0n), 1n];
          assert.equal(assignRequantRelu(c, w2, x, y, { t }), y, 'claims out = y');
          assert.equal(unsat(c.name, w2).length, 1, `${c.name}: out = ${y} for y = ${y}, bits forged`);
        }
      }
    });

    it('rejects an output off by one with the remainder compensated (r outside [0, 2^shift))', async () => {
      for (const c of configs) {
        const s = 1n << BigInt(c.shift);
        for (const [y, k] of [
          [50n, 1n],
          [50n, -1n],
          [M(c.bOut) - 1n, 1n],
          [1n, -1n],
          [0n, 1n],
        ] as const) {
          const x = y * s + 7n;
          const w = await witness(c.name, { in: x });
          assert.equal(read(c.name, w, 'out'), y);
          const claimed = assignRequantRelu(c, w, x, y + k);
          assert.equal(claimed, y + k, 'claims the neighbouring output');
          assert.equal(unsat(c.name, w).length, 1, `${c.name}: out = ${claimed} for x = ${x} (honest ${y})`);
        }
      }
    });
  });

  describe('Max(4, 8)', () => {
    /** Every signal of Max for inputs xs and a claimed maximum m, helper signals computed as a forger would. */
    function assignMax(w: bigint[], xs: bigint[], m: bigint): void {
      set('max', w, 'out', m);
      xs.forEach((x, i) => {
        set('max', w, `ge[${i}].in`, m - x);
        set('max', w, `ge[${i}].bits.in`, m - x);
        setBits('max', w, [`ge[${i}].bits.bits`], bitsFor(m - x, 8));
      });
      let prod = (m - xs[0]!) * (m - xs[1]!);
      set('max', w, 'prod[0]', prod);
      for (let i = 2; i < xs.length; i++) {
        prod *= m - xs[i]!;
        set('max', w, `prod[${i - 1}]`, prod);
      }
    }

    it('equals the integer reference on edges, ties and random inputs', async () => {
      const vecs: bigint[][] = [
        [-128n, -128n, -128n, -128n],
        [127n, 127n, 127n, 127n],
        [-128n, 127n, 0n, -1n],
        [5n, 5n, -3n, 5n],
        [-1n, -2n, -3n, -4n],
        [0n, 0n, 0n, 1n],
      ];
      for (let i = 0; i < 40; i++) vecs.push(Array.from({ length: 4 }, () => (i % 2 ? randSigned(8) : randSigned(3))));
      for (const xs of vecs) {
        const w = await witness('max', { in: xs });
        assert.equal(read('max', w, 'out'), maxOf(xs, 8), `max(${xs})`);
        assert.deepEqual(unsat('max', w), []);
        const copy = w.slice();
        assignMax(copy, xs, maxOf(xs, 8));
        assert.deepEqual(copy, w, 'the forging model reproduces the honest witness');
      }
    });

    it('rejects a forged maximum that is not the largest input, or is none of the inputs', async () => {
      const xs = [3n, 9n, -4n, 7n];
      const w = await witness('max', { in: xs });
      assignMax(w, xs, 7n);
      assert.equal(unsat('max', w).length, 1, 'claims 7: the range check on 7 - 9 fails');
      const w2 = await witness('max', { in: xs });
      assignMax(w2, xs, 10n);
      assert.equal(unsat('max', w2).length, 1, 'claims 10: the product Π(out - in[i]) = 0 fails');
    });
  });

  describe('ArgMax(5, 8)', () => {
    /** Every signal of ArgMax for a claimed winner index, helper signals computed as a forger would. */
    function assignArgMax(w: bigint[], xs: bigint[], index: number): void {
      const m = xs[index]!;
      set('argmax', w, 'index', BigInt(index));
      set('argmax', w, 'max', m);
      xs.forEach((x, i) => {
        const before = i < index ? 1n : 0n;
        set('argmax', w, `sel[${i}]`, i === index ? 1n : 0n);
        set('argmax', w, `picked[${i}]`, i === index ? x : 0n);
        set('argmax', w, `ge[${i}].in`, m - x - before);
        set('argmax', w, `ge[${i}].bits.in`, m - x - before);
        setBits('argmax', w, [`ge[${i}].bits.bits`], bitsFor(m - x - before, 8));
      });
    }

    it('equals the integer reference (lowest index on ties) on edges and random inputs', async () => {
      const vecs: bigint[][] = [
        [-128n, -128n, -128n, -128n, -128n],
        [127n, 127n, 127n, 127n, 127n],
        [-128n, 127n, 0n, 127n, -1n],
        [3n, 7n, 7n, 1n, -2n],
        [-1n, -2n, -3n, -4n, -1n],
        [0n, 0n, 0n, 0n, 1n],
      ];
      for (let i = 0; i < 40; i++) vecs.push(Array.from({ length: 5 }, () => (i % 2 ? randSigned(8) : randSigned(2))));
      for (const xs of vecs) {
        const w = await witness('argmax', { in: xs });
        const ref = argMax(xs, 8);
        assert.equal(Number(read('argmax', w, 'index')), ref.index, `argmax(${xs})`);
        assert.equal(read('argmax', w, 'max'), ref.max);
        assert.deepEqual(unsat('argmax', w), []);
        const copy = w.slice();
        assignArgMax(copy, xs, ref.index);
        assert.deepEqual(copy, w, 'the forging model reproduces the honest witness');
      }
    });

    it('rejects a forged index: a later tied maximum, or a non-maximum', async () => {
      const xs = [3n, 7n, 7n, 1n, -2n];
      const w = await witness('argmax', { in: xs });
      assignArgMax(w, xs, 2);
      assert.equal(unsat('argmax', w).length, 1, 'index 2 instead of the lowest tied index 1');
      for (const index of [0, 3, 4]) {
        const w2 = await witness('argmax', { in: xs });
        assignArgMax(w2, xs, index);
        assert.ok(unsat('argmax', w2).length >= 1, `index ${index} is not a maximum`);
      }
    });
  });

  describe('DivByConst(16, 9)', () => {
    const k = 9n;
    const half = k << 15n;

    it('equals the integer reference on edges and random inputs', async () => {
      const xs = [-half, -half + 1n, half - 1n, half - 2n, 0n, 1n, -1n, 8n, 9n, 10n, -8n, -9n, -10n, -18n, 17n];
      for (let i = 0; i < 60; i++) xs.push(randSigned(20) % half);
      for (const x of xs) {
        const w = await witness('div', { in: x });
        assert.equal(read('div', w, 'out'), divFloor(x, 16, k), `floor(${x} / 9)`);
        assert.deepEqual(unsat('div', w), []);
      }
      for (const x of [half, -half - 1n]) await assert.rejects(witness('div', { in: x }), { code: 'WITNESS_FAILED' });
    });

    it('rejects a forged remainder r >= k (though < 16) or r < 0, with the quotient adjusted', async () => {
      for (const [x, dq] of [
        [100n, -1n],
        [-50n, -1n],
        [100n, 1n],
      ] as const) {
        const q = divFloor(x, 16, k);
        const r = x - q * k;
        const [q2, r2] = [q + dq, r - dq * k];
        assert.equal(q2 * k + r2, x);
        const w = await witness('div', { in: q2 * k + r });
        assert.equal(read('div', w, 'out'), q2);
        set('div', w, 'in', x);
        set('div', w, 'r', r2);
        for (const [part, v] of [
          ['rLow', r2],
          ['rHigh', k - 1n - r2],
        ] as const) {
          set('div', w, `${part}.in`, v);
          set('div', w, `${part}.bits.in`, v);
          setBits('div', w, [`${part}.bits.bits`], bitsFor(v, 4));
        }
        const failing = unsat('div', w).length;
        // r' = r + 9 < 16 passes the 4-bit check; only k-1-r' >= 0 catches it.
        if (dq === -1n && r2 < 16n) assert.equal(failing, 1, `x=${x}: r'=${r2}`);
        else assert.ok(failing >= 1, `x=${x}: r'=${r2}`);
      }
    });
  });
});
