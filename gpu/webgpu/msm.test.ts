// GPU G1 MSM against ffjavascript's multiExpAffine (the wasm backend), comparing affine bytes: sizes from
// 1 to 2^18 including odd ones, zero scalars, all-zero scalars, points at infinity, repeated points,
// cancelling terms and edge scalars; resident bases reused across calls.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createWasmBackend } from '../../prover/groth16/wasm-backend.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import type { ProvingBackend } from '../backend.ts';
import { getGpuContext } from './device.ts';
import { createWebGpuBackend, shutdownWebGpu } from './index.ts';
import { BN254_R } from './limbs.ts';
import { planMsm } from './msm-plan.ts';
import { frVector, randomFr, randomG1Bases } from './reference.ts';
import { DispatchBatch, getPipeline, readBuffer, storageBuffer, uploadBuffer } from './runtime.ts';
import { gpuForTests } from './test-support.ts';
import { digitsWgsl, scatterWgsl } from './wgsl/msm-kernels.ts';

const { skip } = await gpuForTests();
let gpu: ProvingBackend & { residentBasesCount?: number };
let cpu: ProvingBackend;
/** 2^14 distinct random points (plus one identity every 97), tiled for the larger sizes. */
let pool: Uint8Array;

function bases(n: number): Uint8Array {
  const out = new Uint8Array(n * 64);
  for (let at = 0; at < out.byteLength; at += pool.byteLength)
    out.set(pool.subarray(0, Math.min(pool.byteLength, out.byteLength - at)), at);
  return out;
}

async function assertSameAsCpu(b: Uint8Array, s: Uint8Array, what: string): Promise<Uint8Array> {
  const [got, want] = await Promise.all([gpu.msmG1(b, s), cpu.msmG1(b, s)]);
  assert.ok(Buffer.from(got).equals(Buffer.from(want)), `${what}: GPU and CPU MSM differ`);
  return got;
}

before(async () => {
  if (skip) return;
  pool = randomG1Bases(1 << 14, 97);
  gpu = (await createWebGpuBackend({ selfCheck: false }))!;
  cpu = await createWasmBackend();
});

after(async () => {
  await gpu?.close?.();
  await shutdownWebGpu();
  await releaseVerifierResources();
});

describe('WebGPU G1 MSM', { skip }, () => {
  test('random scalars, sizes 1, 2, 3, 17, 255, 1000, 4097', async () => {
    for (const n of [1, 2, 3, 17, 255, 1000, 4097]) {
      await assertSameAsCpu(bases(n), frVector(Array.from({ length: n }, randomFr)), `n=${n}`);
    }
  });

  test('zero scalars, all-zero scalars, points at infinity and edge scalars', async () => {
    const n = 300;
    const b = randomG1Bases(n, 4); // every 4th point is the identity
    const mixed = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0n : i % 7 === 0 ? BN254_R - 1n : i % 11 === 0 ? 1n : randomFr()));
    await assertSameAsCpu(b, frVector(mixed), 'mixed zero/edge scalars');
    const zero = await assertSameAsCpu(b, new Uint8Array(n * 32), 'all-zero scalars');
    assert.ok(
      zero.every((x) => x === 0),
      'all-zero scalars give the point at infinity (64 zero bytes)',
    );
    const allInfinity = new Uint8Array(5 * 64);
    const inf = await gpu.msmG1(allInfinity, frVector([1n, 2n, 3n, 4n, 5n]));
    assert.ok(
      inf.every((x) => x === 0),
      'only identity bases give the identity',
    );
    assert.ok(
      (await gpu.msmG1(b, new Uint8Array(0))).every((x) => x === 0),
      'n = 0 gives the identity',
    );
  });

  test('repeated points: equal terms (bucket doublings) and cancelling terms', async () => {
    const one = randomG1Bases(1);
    const n = 64;
    const repeated = new Uint8Array(n * 64);
    for (let i = 0; i < n; i++) repeated.set(one, i * 64);
    const s = randomFr();
    await assertSameAsCpu(repeated, frVector(Array.from({ length: n }, () => s)), 'same point, same scalar');
    await assertSameAsCpu(repeated, frVector(Array.from({ length: n }, randomFr)), 'same point, random scalars');
    const cancel = frVector(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? s : BN254_R - s)));
    const zero = await assertSameAsCpu(repeated, cancel, 's·P + (r − s)·P pairs');
    assert.ok(
      zero.every((x) => x === 0),
      'cancelling terms give the identity',
    );
  });

  test('unaligned scalar buffers and bases longer than the scalars', async () => {
    const n = 129;
    const b = bases(n + 40);
    const raw = new Uint8Array(n * 32 + 3);
    raw.set(frVector(Array.from({ length: n }, randomFr)), 3);
    await assertSameAsCpu(b, raw.subarray(3), 'unaligned scalars, longer bases');
  });

  test('resident bases are reused for the same buffer and for a copy with the same bytes', async () => {
    const n = 2000;
    const b = bases(n);
    const before = gpu.residentBasesCount ?? 0;
    await assertSameAsCpu(b, frVector(Array.from({ length: n }, randomFr)), 'first call');
    await assertSameAsCpu(b, frVector(Array.from({ length: n }, randomFr)), 'same buffer');
    await assertSameAsCpu(b.slice(), frVector(Array.from({ length: n }, randomFr)), 'copied buffer');
    assert.equal(gpu.residentBasesCount, before + 1);
    const changed = b.slice();
    changed.set(randomG1Bases(1), 64 * 1000);
    await assertSameAsCpu(changed, frVector(Array.from({ length: n }, randomFr)), 'different bytes');
    assert.equal(gpu.residentBasesCount, before + 2);
  });

  test('GPU signed digits and bucket sort equal the CPU plan (carry chains, r − 1, 2^253 − 1, zero)', async () => {
    const ctx = (await getGpuContext())!;
    const n = 64;
    const values = Array.from({ length: n }, (_, i) =>
      i === 0 ? 0n : i === 1 ? BN254_R - 1n : i === 2 ? (1n << 253n) - 1n : i === 3 ? 1n : i < 8 ? (1n << BigInt(i * 31)) - 1n : randomFr(),
    );
    const scalars = frVector(values);
    for (const c of [3, 8, 13]) {
      const plan = planMsm(scalars, n, c);
      const { windows, buckets } = plan;
      const scalarBuf = uploadBuffer(ctx, scalars);
      const digits = storageBuffer(ctx, n * windows * 4);
      const counts = storageBuffer(ctx, windows * buckets * 4);
      const cursor = uploadBuffer(ctx, plan.bucketOffsets);
      const entries = storageBuffer(ctx, plan.entries.length * 4);
      const batch = new DispatchBatch(ctx);
      batch.dispatch(getPipeline(ctx, digitsWgsl(), 'main'), [n, c, windows, buckets], [scalarBuf, digits, counts]);
      batch.dispatch(getPipeline(ctx, scatterWgsl(), 'main'), [n * windows, n, buckets], [digits, cursor, entries]);
      await batch.submit();
      const gotCounts = new Uint32Array((await readBuffer(ctx, counts, 0, windows * buckets * 4)).buffer);
      const gotEntries = new Uint32Array((await readBuffer(ctx, entries, 0, plan.entries.length * 4)).buffer);
      for (const b of [scalarBuf, digits, counts, cursor, entries]) b.destroy();
      for (let g = 0; g < windows * buckets; g++) {
        const [lo, hi] = [plan.bucketOffsets[g], plan.bucketOffsets[g + 1]];
        assert.equal(gotCounts[g], hi - lo, `c=${c} bucket ${g} size`);
        // Order inside a bucket depends on atomics; the set must match.
        assert.deepEqual([...gotEntries.subarray(lo, hi)].sort(), [...plan.entries.subarray(lo, hi)].sort(), `c=${c} bucket ${g}`);
      }
    }
  });

  test('MSMs larger than one GPU pass are split into chunks whose sums are added', async () => {
    const chunked = (await createWebGpuBackend({ selfCheck: false, chunkPoints: 1000 }))!;
    try {
      const n = 4097; // five chunks, the last of 97 points
      const b = bases(n);
      const s = frVector(Array.from({ length: n }, (_, i) => (i % 9 === 0 ? 0n : randomFr())));
      const [got, want] = await Promise.all([chunked.msmG1(b, s), cpu.msmG1(b, s)]);
      assert.ok(Buffer.from(got).equals(Buffer.from(want)));
    } finally {
      await chunked.close?.();
    }
  });

  test('2^16 points', async () => {
    const n = 1 << 16;
    await assertSameAsCpu(bases(n), frVector(Array.from({ length: n }, randomFr)), 'n=2^16');
  });

  test('2^18 points', async () => {
    const n = 1 << 18;
    await assertSameAsCpu(bases(n), frVector(Array.from({ length: n }, randomFr)), 'n=2^18');
  });
});
