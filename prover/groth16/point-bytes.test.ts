// The BigInt point codec proofs are written with (point-bytes.ts) against @noble/curves: the same JSON for random
// points and infinity.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bn254 } from '@noble/curves/bn254.js';
import { BN254_Q, mod } from '../../common/bn254.ts';
import { bigIntToLe, g1BytesToJson, g2BytesToJson } from './point-bytes.ts';
import { g1ToJson, g2ToJson } from './points.ts';
import { randomScalar } from './prove.ts';

const R = mod(1n << 256n, BN254_Q);
const mont = (v: bigint, out: Uint8Array, offset: number) => bigIntToLe(mod(v * R, BN254_Q), out, offset);

function g1Bytes(p: InstanceType<typeof bn254.G1.Point>): Uint8Array {
  const out = new Uint8Array(64);
  if (p.is0()) return out;
  const { x, y } = p.toAffine();
  mont(x, out, 0);
  mont(y, out, 32);
  return out;
}

function g2Bytes(p: InstanceType<typeof bn254.G2.Point>): Uint8Array {
  const out = new Uint8Array(128);
  if (p.is0()) return out;
  const { x, y } = p.toAffine();
  mont(x.c0, out, 0);
  mont(x.c1, out, 32);
  mont(y.c0, out, 64);
  mont(y.c1, out, 96);
  return out;
}

describe('point bytes without noble', () => {
  test('G1 and G2 JSON equal noble’s for random points and for infinity', () => {
    for (let i = 0; i < 8; i++) {
      const p1 = bn254.G1.Point.BASE.multiply(randomScalar());
      const p2 = bn254.G2.Point.BASE.multiply(randomScalar());
      assert.deepEqual(g1BytesToJson(g1Bytes(p1)), g1ToJson(p1));
      assert.deepEqual(g2BytesToJson(g2Bytes(p2)), g2ToJson(p2));
    }
    assert.deepEqual(g1BytesToJson(new Uint8Array(64)), g1ToJson(bn254.G1.Point.ZERO));
    assert.deepEqual(g2BytesToJson(new Uint8Array(128)), g2ToJson(bn254.G2.Point.ZERO));
  });
});
