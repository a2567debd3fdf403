/**
 * The native finish (finish-native.ts, src/finish.inc) against an algebraic reference and against noble's
 * (finish-noble.ts): with every point a known multiple of its generator (α₁ = a·G₁, A = x·G₁, δ₂ = d'·G₂, …), the proof
 * must be πA = (a + x + r·d)·G₁, πB = (b' + y + s·d')·G₂, πC = (c + h + s·(a + x + r·d) + r·(b + z))·G₁, computed by
 * the engine's fixed-base multiplication from those scalars; and noble's finish must give the same JSON for the same
 * r and s. Edge cases: r, s = 1, r − 1 (all digits nonzero), sparse ones (mostly zero digits), MSM results at
 * infinity, and a sum that cancels (A = −α₁). Refused: scalars ≥ r, points off their curve, wrong lengths.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { isZkaiError } from '../../common/errors.ts';
import type { NativeEngine } from '../native/api.ts';
import { NATIVE_TESTS, requireNativeEngine } from '../native/test-native.ts';
import { nativeFinisher } from './finish-native.ts';
import { nobleFinisher } from './finish-noble.ts';
import { bigIntToLe, g1BytesToJson, g2BytesToJson } from './point-bytes.ts';
import type { MsmParts } from './prove.ts';
import { BN254_R, type ParsedZkey } from './zkey.ts';

const R = BN254_R;
const mod = (v: bigint) => ((v % R) + R) % R;

/** Deterministic scalars (xorshift over 64-bit words), below r. */
function scalars(seed: bigint, n: number): bigint[] {
  let x = seed | 1n;
  const next = () => {
    x ^= (x << 13n) & 0xffffffffffffffffn;
    x ^= x >> 7n;
    x ^= (x << 17n) & 0xffffffffffffffffn;
    return x;
  };
  return Array.from({ length: n }, () => mod((next() << 192n) | (next() << 128n) | (next() << 64n) | next()));
}

function le(values: bigint[]): Uint8Array {
  const out = new Uint8Array(32 * values.length);
  for (const [i, v] of values.entries()) bigIntToLe(v, out, 32 * i);
  return out;
}

describe('native Groth16 finish: constant-time πA, πB, πC', NATIVE_TESTS, () => {
  let engine: NativeEngine;
  const g1 = async (k: bigint) => engine.g1FixedBase(le([mod(k)]));
  const g2 = async (k: bigint) => engine.g2FixedBase(le([mod(k)]));

  before(() => {
    engine = requireNativeEngine();
  });

  interface Dlogs {
    alpha1: bigint;
    beta1: bigint;
    delta1: bigint;
    beta2: bigint;
    delta2: bigint;
    a: bigint;
    b1: bigint;
    c: bigint;
    h: bigint;
    b2: bigint;
  }

  async function setUp(d: Dlogs): Promise<{ zkey: ParsedZkey; parts: MsmParts }> {
    const zkey = {
      alpha1: await g1(d.alpha1),
      beta1: await g1(d.beta1),
      delta1: await g1(d.delta1),
      beta2: await g2(d.beta2),
      delta2: await g2(d.delta2),
    } as unknown as ParsedZkey;
    const parts = { a: await g1(d.a), b1: await g1(d.b1), c: await g1(d.c), h: await g1(d.h), b2: await g2(d.b2) };
    return { zkey, parts };
  }

  async function expected(d: Dlogs, r: bigint, s: bigint) {
    const a = d.alpha1 + d.a + r * d.delta1;
    return {
      pi_a: g1BytesToJson(await g1(a)),
      pi_b: g2BytesToJson(await g2(d.beta2 + d.b2 + s * d.delta2)),
      pi_c: g1BytesToJson(await g1(d.c + d.h + s * a + r * (d.beta1 + d.b1))),
      protocol: 'groth16',
      curve: 'bn128',
    };
  }

  function dlogs(seed: bigint): Dlogs {
    const [alpha1, beta1, delta1, beta2, delta2, a, b1, c, h, b2] = scalars(seed, 10) as [bigint, ...bigint[]];
    return { alpha1, beta1, delta1, beta2, delta2, a, b1, c, h, b2 } as Dlogs;
  }

  test('equals the algebraic reference and noble for random and edge r, s', async () => {
    const rs: [bigint, bigint][] = [
      ...scalars(7n, 8).map((v, i, all) => [v, all[(i + 3) % all.length]!] as [bigint, bigint]),
      [1n, 1n],
      [R - 1n, R - 1n],
      [1n << 252n, 15n],
      [0x1000000000000000000000000000000000000000000000000000000000000001n % R, 2n],
    ];
    for (const [i, [r, s]] of rs.entries()) {
      const d = dlogs(BigInt(1000 + i));
      const { zkey, parts } = await setUp(d);
      const native = nativeFinisher(zkey, engine.groth16Finish, r, s)(parts);
      assert.deepEqual(native, await expected(d, r, s), `r, s #${i}`);
      assert.deepEqual(native, nobleFinisher(zkey, r, s)(parts), `noble, r, s #${i}`);
    }
  });

  test('MSM results at infinity, and sums that cancel', async () => {
    const d = dlogs(77n);
    for (const zero of ['a', 'b1', 'c', 'h', 'b2'] as const) {
      const dz = { ...d, [zero]: 0n };
      const { zkey, parts } = await setUp(dz);
      assert.ok(
        parts[zero].every((b) => b === 0),
        `${zero} is the point at infinity`,
      );
      assert.deepEqual(nativeFinisher(zkey, engine.groth16Finish, 5n, 9n)(parts), await expected(dz, 5n, 9n), zero);
    }
    // A = −α₁ − r·δ₁: πA is the point at infinity, and s·πA adds nothing to πC.
    const r = 12345n;
    const cancel = { ...d, a: mod(-d.alpha1 - r * d.delta1) };
    const { zkey, parts } = await setUp(cancel);
    const out = nativeFinisher(zkey, engine.groth16Finish, r, 3n)(parts);
    assert.deepEqual(out.pi_a, ['0', '1', '0']);
    assert.deepEqual(out, await expected(cancel, r, 3n));
  });

  test('refuses scalars ≥ r, points off their curve or not canonical, and wrong lengths', async () => {
    const { zkey, parts } = await setUp(dlogs(5n));
    assert.throws(
      () => nativeFinisher(zkey, engine.groth16Finish, R, 1n)(parts),
      (e) => e instanceof RangeError && /rs\[0\]/.test(e.message),
    );
    assert.throws(
      () => nativeFinisher(zkey, engine.groth16Finish, 1n, R)(parts),
      (e) => e instanceof RangeError && /rs\[1\]/.test(e.message),
    );
    for (const field of ['alpha1', 'beta1', 'delta1', 'beta2', 'delta2'] as const) {
      const bad = { ...zkey, [field]: zkey[field].slice() } as ParsedZkey;
      bad[field][0]! ^= 1;
      assert.throws(
        () => nativeFinisher(bad, engine.groth16Finish, 2n, 3n)(parts),
        (e) => isZkaiError(e) && e.code === 'BAD_INPUT' && /proving key/.test(e.message),
        field,
      );
    }
    for (const part of ['a', 'b1', 'c', 'h', 'b2'] as const) {
      const bad = { ...parts, [part]: parts[part].slice() };
      bad[part][33]! ^= 1;
      assert.throws(() => nativeFinisher(zkey, engine.groth16Finish, 2n, 3n)(bad), /MSM result/, part);
    }
    // x = q (its Montgomery form's limbs at p): not canonical, even though q ≡ 0.
    const q = { ...parts, a: parts.a.slice() };
    q.a.set(le([0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47n]), 0);
    assert.throws(() => nativeFinisher(zkey, engine.groth16Finish, 2n, 3n)(q), /MSM result A/);
    assert.throws(() => engine.groth16Finish(new Uint8Array(447), new Uint8Array(384), new Uint8Array(64)), RangeError);
    assert.throws(() => engine.groth16Finish(new Uint8Array(448), new Uint8Array(384), new Uint8Array(63)), RangeError);
  });
});
