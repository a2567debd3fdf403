// Pass 2 of a LogUp proof from pass 1's witness (alpha-patch.ts): on hand-made rows (a single inverse, a scaled one,
// a row of three solved last) the patch equals the witness computed at the new α, and rows it cannot handle are
// refused; on the demo circuit the patched witness is byte for byte circom's at the new α; and the warm prover runs
// the witness calculator twice on a circuit's first proof (the check) and once afterwards, every proof verifying; a
// wrong patch is reported once and pass 2 then runs in full. The native engine's patch (src/alpha-patch.inc) gives
// the reference's bytes on the same rows and on the demo circuit, and refuses malformed plans.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { calculateWitness } from '../../circuits/witness.ts';
import { BN254_R, invMod } from '../../common/bn254.ts';
import { statementSignals } from '../commitment.ts';
import { COEF_BYTES, type ParsedZkey, parseZkey } from '../groth16/zkey.ts';
import { NATIVE_TESTS, requireNativeEngine } from '../native/test-native.ts';
import { LOOKUP_KEY_FILE } from '../setup/commitment-key.ts';
import { releaseVerifierResources } from '../verify.ts';
import { WarmProver } from '../warm-prover.ts';
import { alphaPlan, encodeAlphaPlan, patchAlpha, patchAlphaNative } from './alpha-patch.ts';
import { type DemoFixture, demoFixture } from './test-forge.ts';
import { verifyLookupProof } from './verify.ts';

const r = BN254_R;
const mod = (x: bigint) => ((x % r) + r) % r;
const inv = (x: bigint) => invMod(mod(x), r);
const R2 = mod((1n << 256n) * (1n << 256n));

function le(values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 32);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    for (let k = 0; k < 4; k++) v.setBigUint64(i * 32 + 8 * k, BigInt.asUintN(64, mod(x) >> BigInt(64 * k)), true);
  });
  return out;
}

/** A zkey with only what alphaPlan reads: nPublic and section 4 ([matrix, constraint, signal, value] rows). */
function fakeZkey(nPublic: number, rows: [number, number, number, bigint][]): ParsedZkey {
  const coefs = new Uint8Array(rows.length * COEF_BYTES);
  const v = new DataView(coefs.buffer);
  rows.forEach(([m, c, s, value], i) => {
    v.setUint32(i * COEF_BYTES, m, true);
    v.setUint32(i * COEF_BYTES + 4, c, true);
    v.setUint32(i * COEF_BYTES + 8, s, true);
    coefs.set(le([mod(value * R2)]), i * COEF_BYTES + 12);
  });
  return { nPublic, nCoefs: rows.length, coefs } as unknown as ParsedZkey;
}

// Wires: 0 one, 1 α, 2 f₁, 3 f₂ (public, committed), 4–6 inverses. Rows: inv₁·(α − f₁) = 1; 2·inv₂·(α − 5) = f₂;
// (inv₁ + inv₂ + inv₃)·(α − f₂) = 1; then snarkjs's A-only rows for the 4 public wires (with the constant).
const ALPHA = 1;
const rows = (): [number, number, number, bigint][] => [
  [0, 0, 4, 1n],
  [1, 0, ALPHA, 1n],
  [1, 0, 2, r - 1n],
  [0, 1, 5, 2n],
  [1, 1, ALPHA, 1n],
  [1, 1, 0, r - 5n],
  [0, 2, 4, 1n],
  [0, 2, 5, 1n],
  [0, 2, 6, 1n],
  [1, 2, ALPHA, 1n],
  [1, 2, 3, r - 1n],
  ...[0, 1, 2, 3].map((i): [number, number, number, bigint] => [0, 3 + i, i, 1n]),
];
function witnessAt(alpha: bigint, f1 = 3n, f2 = 7n): bigint[] {
  const inv1 = inv(alpha - f1);
  const inv2 = mod(f2 * inv(2n * (alpha - 5n)));
  const inv3 = mod(inv(alpha - f2) - inv1 - inv2);
  return [1n, alpha, f1, f2, inv1, inv2, inv3];
}

describe('LogUp pass 2 from pass 1 (alpha-patch.ts)', () => {
  test('hand-made rows: the patch is the witness at the new α; a row it cannot solve is refused', () => {
    const plan = alphaPlan(fakeZkey(3, rows()), ALPHA);
    assert.ok(plan);
    assert.equal(plan.rows.length, 3);
    for (const [a1, a2] of [
      [11n, 12345n],
      [r - 2n, 99n],
    ] as const) {
      assert.deepEqual(patchAlpha(plan, le(witnessAt(a1)), a2), le(witnessAt(a2)));
    }
    // α₂ a pole of a row (α₂ = f₁): no witness exists.
    assert.equal(patchAlpha(plan, le(witnessAt(11n)), 3n), undefined);
    // α in A of a circuit row (circom's orientation), an inverse wire in B elsewhere, a public "inverse" wire, and two
    // rows that share their two open wires: no plan.
    assert.equal(alphaPlan(fakeZkey(3, [...rows(), [0, 1, ALPHA, 1n]]), ALPHA), undefined);
    assert.equal(alphaPlan(fakeZkey(3, [...rows().slice(0, 11), [1, 2, 6, 1n], ...rows().slice(11)]), ALPHA), undefined);
    assert.equal(alphaPlan(fakeZkey(4, [...rows(), [0, 7, 4, 1n]]), ALPHA), undefined);
    const shared: [number, number, number, bigint][] = [
      [0, 0, 4, 1n],
      [0, 0, 5, 1n],
      [1, 0, ALPHA, 1n],
      [0, 1, 4, 1n],
      [0, 1, 5, 2n],
      [1, 1, ALPHA, 1n],
      [1, 1, 0, 1n],
      ...[0, 1, 2, 3].map((i): [number, number, number, bigint] => [0, 2 + i, i, 1n]),
    ];
    assert.equal(alphaPlan(fakeZkey(3, shared), ALPHA), undefined);
  });

  describe('the native patch against the reference', NATIVE_TESTS, () => {
    test('hand-made rows: the same bytes, the same pole; malformed plans refused', () => {
      const engine = requireNativeEngine();
      const plan = alphaPlan(fakeZkey(3, rows()), ALPHA);
      assert.ok(plan);
      for (const [a1, a2] of [
        [11n, 12345n],
        [r - 2n, 99n],
        [5n, r - 1n],
      ] as const) {
        const native = patchAlphaNative(engine.lookupAlphaPatch, plan, le(witnessAt(a1)), a2);
        assert.ok(native);
        assert.deepEqual(new Uint8Array(native), patchAlpha(plan, le(witnessAt(a1)), a2));
      }
      assert.equal(patchAlphaNative(engine.lookupAlphaPatch, plan, le(witnessAt(11n)), 3n), undefined);
      const bytes = encodeAlphaPlan(plan);
      const alpha = le([7n]);
      const values = le(witnessAt(11n));
      const out = new Uint8Array(values.length);
      // In place: the same bytes; at a pole, the values left as they were.
      const inPlace = values.slice();
      assert.equal(patchAlphaNative(engine.lookupAlphaPatch, plan, inPlace, 12345n, inPlace), inPlace);
      assert.deepEqual(inPlace, le(witnessAt(12345n)));
      const atPole = values.slice();
      assert.equal(patchAlphaNative(engine.lookupAlphaPatch, plan, atPole, 3n, atPole), undefined);
      assert.deepEqual(atPole, values);
      assert.throws(() => engine.lookupAlphaPatch(bytes.subarray(0, bytes.length - 1), values, alpha, out), /truncated|trailing/);
      assert.throws(() => engine.lookupAlphaPatch(new Uint8Array([...bytes, 0]), values, alpha, out), /trailing/);
      // A wire beyond the witness: the witness one value short.
      const short = values.subarray(0, values.length - 32);
      assert.throws(() => engine.lookupAlphaPatch(bytes, short, alpha, short.slice()), /beyond the witness/);
      assert.throws(() => engine.lookupAlphaPatch(bytes, values, le([0n]).fill(0xff), out), /alpha2/);
      assert.throws(() => engine.lookupAlphaPatch(bytes, values, alpha, out.subarray(32)), /as long as/);
      assert.throws(() => engine.lookupAlphaPatch(bytes, values.subarray(0, 6 * 32), alpha, values.subarray(32)), /as long as|overlaps/);
    });
  });

  describe('on the demo circuit', () => {
    let fx: DemoFixture;
    before(async () => {
      fx = await demoFixture();
    });
    after(releaseVerifierResources);

    test("the patched witness is circom's at the new α, byte for byte", async () => {
      const zkey = parseZkey(new Uint8Array(await readFile(fx.ls.setup.zkeyPath)));
      const plan = alphaPlan(zkey, fx.ls.layout.alphaIndex + 1);
      assert.ok(plan, 'the oriented demo circuit fits the plan');
      const input = { x: ['1', '2', '3', '40000'], logupBlind: '77' };
      const w1 = await calculateWitness(fx.circuit.wasmPath, { ...input, logupAlpha: '123456789' });
      const w2 = await calculateWitness(fx.circuit.wasmPath, { ...input, logupAlpha: '987654321987654321' });
      assert.deepEqual(patchAlpha(plan, le(w1), 987654321987654321n), le(w2));
      if (NATIVE_TESTS.skip) return;
      const native = patchAlphaNative(requireNativeEngine().lookupAlphaPatch, plan, le(w1), 987654321987654321n);
      assert.ok(native);
      assert.deepEqual(new Uint8Array(native), le(w2), 'native');
    });

    /** Three proofs of the demo circuit on `prover`, each verified; their witness calculator runs. */
    async function proveThree(prover: WarmProver): Promise<(number | undefined)[]> {
      const keys = {
        circuitId: fx.circuit.id,
        wasmPath: fx.circuit.wasmPath,
        zkeyPath: fx.ls.setup.zkeyPath,
        lookup: {
          keyPath: path.join(fx.ls.setup.dir, LOOKUP_KEY_FILE),
          committedIndices: fx.ls.layout.committedIndices,
          alphaIndex: fx.ls.layout.alphaIndex,
        },
      };
      const passes: (number | undefined)[] = [];
      for (const x of [
        ['1', '2', '3', '4'],
        ['65535', '0', '7', '9'],
        ['5', '6', '7', '8'],
      ]) {
        const out = await prover.prove(keys, { x });
        passes.push(out.timings.witnessPasses);
        assert.ok(out.lookupCommitment);
        const statement = statementSignals(out.publicSignals, fx.ls.layout.committedIndices);
        const p = { proof: out.proof, publicSignals: statement, commitment: out.lookupCommitment };
        assert.equal(verifyLookupProof(fx.ls.statementKey, p).ok, true);
      }
      return passes;
    }

    test('the warm prover checks the patch on the first proof, then runs the witness calculator once', async () => {
      const warnings: string[] = [];
      assert.deepEqual(await proveThree(new WarmProver(undefined, { warn: (m) => warnings.push(m) })), [2, 1, 1]);
      assert.deepEqual(warnings, []);
    });

    test('a patch unequal to the full pass 2 is reported once (circuit, first differing wire); every proof verifies', async () => {
      const warnings: string[] = [];
      let wrongWire = -1;
      // The plan's last row (nothing solved after it reads its wire) with a term 1·one too many in A: its wire alone
      // comes out wrong, by (B·w₁ − B·w₂)/(B·w₂)/k, non-zero whenever α changes.
      const wrongPlan = (zkey: ParsedZkey, alphaWire: number) => {
        const plan = alphaPlan(zkey, alphaWire);
        assert.ok(plan);
        const last = plan.rows.at(-1)!;
        wrongWire = last.solves;
        return { ...plan, rows: [...plan.rows.slice(0, -1), { ...last, a: [...last.a, [0, 1n] as [number, bigint]] }] };
      };
      const passes = await proveThree(new WarmProver(undefined, { warn: (m) => warnings.push(m), alphaPlan: wrongPlan }));
      // The fallback: pass 2 in full on every proof, the plan dropped after the first.
      assert.deepEqual(passes, [2, 2, 2]);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, new RegExp(`circuit ${fx.circuit.id}:`));
      assert.match(warnings[0]!, new RegExp(`first differing wire ${wrongWire}\\)`));
    });
  });
});
