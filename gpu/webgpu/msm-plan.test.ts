// The MSM plan (CPU): signed digits reconstruct every scalar, the bucket sort puts each non-zero digit in
// the right bucket once, and the join levels leave exactly one partial per non-empty bucket.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BN254_R } from './limbs.ts';
import { chooseWindowBits, NO_PARTIAL, PIECE, planMsm } from './msm-plan.ts';
import { frVector, randomFr } from './reference.ts';

/** Σ_w 2^(cw) · digit_w per point, rebuilt from the bucket-sorted entries. */
function reconstruct(plan: ReturnType<typeof planMsm>, n: number): bigint[] {
  const sums = Array.from({ length: n }, () => 0n);
  for (let g = 0; g < plan.windows * plan.buckets; g++) {
    const w = Math.floor(g / plan.buckets);
    const digit = BigInt((g % plan.buckets) + 1) << BigInt(plan.c * w);
    const empty = plan.bucketOffsets[g] === plan.bucketOffsets[g + 1];
    assert.equal(plan.bucketSrc[g] === NO_PARTIAL, empty, `bucket ${g} has a partial iff it has entries`);
    for (let k = plan.bucketOffsets[g]; k < plan.bucketOffsets[g + 1]; k++) {
      const e = plan.entries[k];
      sums[e >>> 1] += e & 1 ? -digit : digit;
    }
  }
  // The accumulation tasks cover the entries exactly once, in order, PIECE at most each.
  let next = 0;
  for (let t = 0; t < plan.tasks.length / 2; t++) {
    assert.equal(plan.tasks[2 * t], next);
    assert.ok(plan.tasks[2 * t + 1] >= 1 && plan.tasks[2 * t + 1] <= PIECE);
    next += plan.tasks[2 * t + 1];
  }
  assert.equal(next, plan.entries.length);
  return sums;
}

describe('MSM plan', () => {
  test('signed digits and the bucket sort reconstruct every scalar, for several window widths', () => {
    const n = 200;
    const scalars = Array.from({ length: n }, (_, i) => (i === 0 ? 0n : i === 1 ? BN254_R - 1n : i === 2 ? 1n : randomFr()));
    for (const c of [2, 5, 8, 13, 16]) {
      const plan = planMsm(frVector(scalars), n, c);
      assert.equal(plan.buckets, 2 ** (c - 1));
      assert.ok(plan.windows * c >= 255);
      assert.deepEqual(reconstruct(plan, n), scalars, `c=${c}`);
    }
  });

  test('a bucket with many entries is split into pieces and joined back to one partial', () => {
    const n = 5000;
    const same = Array.from({ length: n }, () => 3n); // every point in bucket 3 of window 0
    const plan = planMsm(frVector(same), n, 4);
    assert.ok(plan.levels.length >= 2, 'two join levels for 5000 / 32 pieces');
    const used = [...plan.bucketSrc].filter((s) => s !== NO_PARTIAL);
    assert.equal(used.length, 1);
    assert.equal(used[0], plan.partials - 1);
    assert.deepEqual(reconstruct(plan, n), same);
  });

  test('window width grows with n', () => {
    assert.ok(chooseWindowBits(1) <= 4);
    assert.ok(chooseWindowBits(1 << 16) > chooseWindowBits(1 << 10));
    assert.ok(chooseWindowBits(1 << 22) <= 16);
  });
});
