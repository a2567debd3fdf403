// WGSL field arithmetic (13-bit limbs, Montgomery R = 2^260) against BigInt, for Fq and Fr, on random
// values and the edges 0, 1, p − 1; plus the limb constants derived in limbs.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { destroyGpuContext } from './device.ts';
import { runFieldOp } from './field-check.ts';
import { BN254_Q, BN254_R, fieldConstants, invMod, LIMB_BITS, mod, readLe, toLimbs } from './limbs.ts';
import { gpuForTests } from './test-support.ts';

const { ctx, skip } = await gpuForTests();
after(() => destroyGpuContext());

function operands(p: bigint): [bigint[], bigint[]] {
  const edges = [0n, 1n, 2n, p - 1n, p - 2n, (p - 1n) / 2n, 1n << 253n];
  const a: bigint[] = [];
  const b: bigint[] = [];
  for (const x of edges) {
    for (const y of edges) {
      a.push(x);
      b.push(y);
    }
  }
  for (let i = 0; i < 200; i++) {
    a.push(readLe(randomBytes(32)) % p);
    b.push(readLe(randomBytes(32)) % p);
  }
  return [a, b];
}

describe('limb constants', () => {
  test('nPrime is −p⁻¹ mod 2^13 and the Montgomery constants are powers of two mod p', () => {
    for (const p of [BN254_Q, BN254_R]) {
      const c = fieldConstants(p);
      assert.equal(mod(BigInt(c.nPrime) * p, 1n << BigInt(LIMB_BITS)), (1n << BigInt(LIMB_BITS)) - 1n);
      assert.equal(c.one, mod(1n << 260n, p));
      assert.equal(c.r2, mod(1n << 520n, p));
      assert.equal(mod(c.fromSnarkjs * invMod(1n << 260n, p) * (1n << 256n), p), mod(1n << 260n, p));
    }
    assert.deepEqual(toLimbs((1n << 13n) + 5n).slice(0, 3), [5, 1, 0]);
  });
});

describe('WGSL field arithmetic', { skip }, () => {
  for (const [name, field, p] of [
    ['Fq', 'fq', BN254_Q],
    ['Fr', 'fr', BN254_R],
  ] as const) {
    test(`${name}: add, sub, neg, mul and raw Montgomery product agree with BigInt`, async () => {
      const [a, b] = operands(p);
      const rInv = invMod(1n << 260n, p);
      const expected = {
        add: a.map((x, i) => mod(x + b[i], p)),
        sub: a.map((x, i) => mod(x - b[i], p)),
        neg: a.map((x) => mod(-x, p)),
        mul: a.map((x, i) => mod(x * b[i], p)),
        montmul: a.map((x, i) => mod(x * b[i] * rInv, p)),
      };
      for (const [op, want] of Object.entries(expected)) {
        const got = await runFieldOp(ctx!, field, op as keyof typeof expected, a, b);
        const bad = got.findIndex((v, i) => v !== want[i]);
        assert.equal(bad, -1, `${name} ${op}(${a[bad]}, ${b[bad]}) = ${got[bad]}, want ${want[bad]}`);
      }
    });
  }
});
