/**
 * The log-softmax's error whatever the row length: ops/log-softmax.ts's quantizer and integer function (which the
 * circuit equals bit for bit: circuits/lib/log-softmax.test.ts) against the float log-softmax of the same integers,
 * over random rows of 8, 64 and 1000 at the scales the compiler gives it (2^-f, f from -2 to 8, and a 12-bit input at
 * 2^-10 that is floor-shifted to 2^-8). The documented bound (log-softmax.circom) is 0.625 LSB; the old one-table
 * log (S floor-shifted to 12 bits) was off by up to 2^(bitLength(n) + f - 13) more: 4 LSB at n = 1000, f = 5.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../common/test-random.ts';
import { requantize } from './int-reference.ts';
import type { LogSoftmaxLayer } from './ir.ts';
import { logSoftmaxErrorBound } from './log-softmax-row.ts';
import { logSoftmax } from './ops/log-softmax.ts';
import type { QuantizeCtx } from './ops/op.ts';

const { u32, signed } = seededRandom(0x150f7);

/** The op quantized for one row of n signed inBits-bit inputs at 2^-f. */
function quantized(n: number, inBits: number, f: number) {
  const layer: LogSoftmaxLayer = { kind: 'log-softmax', name: 'ls', inputs: [-1], inShape: [n], outShape: [n], outer: 1, n, inner: 1 };
  const ctx: QuantizeCtx = {
    nodes: [layer],
    index: 0,
    inFrac: [f],
    inBits: [inBits],
    maxAbs: 1,
    maxPos: 1,
    weightBits: 8,
    activationBits: 8,
    isLastLinear: false,
    reluNext: false,
  };
  const quantize = logSoftmax.quantize;
  assert.ok(typeof quantize === 'function');
  const { q, frac } = quantize(layer, ctx);
  assert.ok(q.kind === 'log-softmax');
  return { layer, q, frac };
}

/** Random rows: uniform over the input range, clustered near the maximum (large S), and one maximum a random gap above
 * the rest (S/2^Fe anywhere in [1, n], the old truncation's worst place) */
function rows(n: number, bits: number, f: number): bigint[][] {
  const out: bigint[][] = [];
  const lo = -(2n ** BigInt(bits - 1));
  const hi = 2n ** BigInt(bits - 1) - 1n;
  const clamp = (v: bigint) => (v < lo ? lo : v > hi ? hi : v);
  for (let i = 0; i < 90; i++) {
    const kind = i % 3;
    const spread = BigInt(2 ** Math.max(0, f + 1 + (u32() % 4)));
    const top = signed(bits);
    const gap = BigInt(u32()) % 2n ** BigInt(bits);
    out.push(
      Array.from({ length: n }, (_, j) => {
        if (kind === 0) return signed(bits);
        if (kind === 1) return clamp(top - (BigInt(u32()) % spread));
        return j === 0 ? hi : clamp(hi - gap - (BigInt(u32()) % spread));
      }),
    );
  }
  return out;
}

describe('log-softmax error against the float log-softmax, whatever n', () => {
  for (const n of [8, 64, 1000]) {
    it(`rows of ${n}: under the documented bound at every scale`, () => {
      let worst = 0;
      for (const [inBits, f] of [
        [8, -2],
        [8, 0],
        [8, 3],
        [8, 5],
        [10, 8],
        [12, 10],
      ] as const) {
        const { layer, q, frac } = quantized(n, inBits, f);
        assert.equal(frac, Math.min(f, 8), 'a finer input is floor-shifted to 2^-8');
        const bound = logSoftmaxErrorBound(frac, n, q.Fe, q.M, q.G);
        assert.ok(bound <= 0.625, `bound ${bound}`);
        for (const x of rows(n, inBits, f)) {
          const y = logSoftmax.int(q, [x]);
          // The float reference reads the integers the row sees: the input after its floor shift, at 2^-frac.
          const xs = q.shift ? x.map((v) => requantize(v, Math.max(inBits, q.shift + 2), q.shift, q.bits)) : x;
          const want = logSoftmax.float(layer, [Float64Array.from(xs, (v) => Number(v) * 2 ** -frac)]);
          y.forEach((v, i) => {
            const err = Math.abs(Number(v) - want[i]! * 2 ** frac);
            worst = Math.max(worst, err);
            assert.ok(err <= bound, `n = ${n}, f = ${f}, element ${i}: ${err} LSB > ${bound}`);
          });
        }
      }
      console.log(`log-softmax rows of ${n}: worst error ${worst.toFixed(3)} LSB`);
    });
  }
});
