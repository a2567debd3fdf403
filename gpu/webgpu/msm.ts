/**
 * G1 multi-scalar multiplication on the GPU (Pippenger with signed digits):
 *   1. resident bases: uploaded once per distinct bases buffer and converted to the GPU's Montgomery form
 *      in place (bases-cache.ts);
 *   2. GPU: signed-digit decomposition with atomic bucket counts; CPU: the work plan from the counts
 *      (msm-plan.ts, O(windows · buckets)); GPU: bucket sort by atomic cursors;
 *   3. GPU: bucket pieces accumulated in parallel with mixed additions, pieces joined level by level,
 *      parallel bucket reduction per (window, segment), segment shares summed per window;
 *   4. CPU: the windows combined by Horner's rule (c doublings per window, a few hundred operations).
 * Inputs larger than one storage binding are split into chunks whose results are added on the CPU.
 */
import { bn254 } from '@noble/curves/bn254.js';
import type { ResidentBases } from './bases-cache.ts';
import type { GpuContext } from './device.ts';
import { BN254_Q, invMod, R_BITS, WORDS, wordsToBigint, writeLe } from './limbs.ts';
import { chooseWindowBits, hasWideScalar, planFromCounts, windowCount } from './msm-plan.ts';
import { DispatchBatch, getPipeline, readBuffer, storageBuffer, uploadBuffer } from './runtime.ts';
import { accumulateWgsl, bucketReduceWgsl, digitsWgsl, scatterWgsl, segmentSumWgsl } from './wgsl/msm-kernels.ts';

const PROJ_BYTES = 3 * WORDS * 4;
const G1 = bn254.G1.Point;
type G1Point = InstanceType<typeof G1>;
const R_INV = invMod(1n << BigInt(R_BITS), BN254_Q);

/** GPU-form projective point (packed words, X/Z, Y/Z) → noble point. */
function projectiveToPoint(words: Uint32Array, index: number): G1Point {
  const at = index * 3 * WORDS;
  const z = (wordsToBigint(words, at + 2 * WORDS) * R_INV) % BN254_Q;
  if (z === 0n) return G1.ZERO;
  const x = (wordsToBigint(words, at) * R_INV) % BN254_Q;
  const y = (wordsToBigint(words, at + WORDS) * R_INV) % BN254_Q;
  const zInv = invMod(z, BN254_Q);
  return G1.fromAffine({ x: (x * zInv) % BN254_Q, y: (y * zInv) % BN254_Q });
}

/** noble point → 64-byte affine, coordinates in snarkjs Montgomery form (R = 2^256); infinity = zeros. */
export function pointToSnarkjsG1(p: G1Point): Uint8Array {
  const out = new Uint8Array(64);
  if (p.is0()) return out;
  const { x, y } = p.toAffine();
  writeLe(out, 0, (x << 256n) % BN254_Q);
  writeLe(out, 32, (y << 256n) % BN254_Q);
  return out;
}

/**
 * Runs the GPU part for one chunk of resident bases: digits and bucket sizes (GPU), the plan from the
 * sizes (CPU, O(windows · buckets)), then the bucket sort, accumulation, joins and reduction (GPU).
 * Returns the window sums and the window width.
 */
async function windowSums(ctx: GpuContext, bases: GPUBuffer, scalarBytes: Uint8Array, n: number): Promise<{ sums: G1Point[]; c: number }> {
  const c = chooseWindowBits(n);
  const windows = windowCount(c, hasWideScalar(scalarBytes, n));
  const bucketsPerWindow = 2 ** (c - 1);
  const temporaries: GPUBuffer[] = [];
  const upload = (data: ArrayBufferView) => {
    const b = uploadBuffer(ctx, data.byteLength ? data : new Uint32Array(4));
    temporaries.push(b);
    return b;
  };
  const alloc = (bytes: number) => {
    const b = storageBuffer(ctx, bytes);
    temporaries.push(b);
    return b;
  };
  try {
    const scalars = upload(scalarBytes);
    const digits = alloc(n * windows * 4);
    const counts = alloc(windows * bucketsPerWindow * 4);
    const first = new DispatchBatch(ctx);
    first.dispatch(getPipeline(ctx, digitsWgsl(), 'main'), [n, c, windows, bucketsPerWindow], [scalars, digits, counts]);
    await first.submit();
    const countBytes = await readBuffer(ctx, counts, 0, windows * bucketsPerWindow * 4);
    const plan = planFromCounts(new Uint32Array(countBytes.buffer, countBytes.byteOffset, windows * bucketsPerWindow), c, windows);
    const { buckets, segmentsPerWindow } = plan;

    const cursor = upload(plan.bucketOffsets);
    const entries = alloc(Math.max(1, plan.bucketOffsets[windows * buckets]) * 4);
    const tasks = upload(plan.tasks);
    const partials = alloc(Math.max(1, plan.partials) * PROJ_BYTES);
    const bucketSrc = upload(plan.bucketSrc);
    const shares = windows * segmentsPerWindow;
    const windowParts = alloc((shares + windows) * PROJ_BYTES);
    const windowSegments = new Uint32Array(windows * 3);
    for (let w = 0; w < windows; w++) windowSegments.set([w * segmentsPerWindow, segmentsPerWindow, shares + w], w * 3);
    const windowSegmentsBuf = upload(windowSegments);
    const levelBufs = plan.levels.map(upload);

    const join = getPipeline(ctx, segmentSumWgsl(), 'main');
    const batch = new DispatchBatch(ctx);
    batch.dispatch(getPipeline(ctx, scatterWgsl(), 'main'), [n * windows, n, buckets], [digits, cursor, entries]);
    batch.dispatch(getPipeline(ctx, accumulateWgsl(), 'main'), [plan.tasks.length / 2], [bases, entries, tasks, partials]);
    for (const [i, level] of plan.levels.entries()) batch.dispatch(join, [level.length / 3], [levelBufs[i], partials]);
    batch.dispatch(
      getPipeline(ctx, bucketReduceWgsl(), 'main'),
      [shares, buckets, buckets / segmentsPerWindow, segmentsPerWindow],
      [partials, bucketSrc, windowParts],
    );
    batch.dispatch(join, [windows], [windowSegmentsBuf, windowParts]);
    await batch.submit();
    const bytes = await readBuffer(ctx, windowParts, shares * PROJ_BYTES, windows * PROJ_BYTES);
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    return { sums: Array.from({ length: windows }, (_, w) => projectiveToPoint(words, w)), c };
  } finally {
    for (const b of temporaries) b.destroy();
  }
}

function combineWindows(sums: G1Point[], c: number): G1Point {
  let acc = G1.ZERO;
  for (let w = sums.length - 1; w >= 0; w--) {
    for (let k = 0; k < c && !acc.is0(); k++) acc = acc.double();
    acc = acc.add(sums[w]);
  }
  return acc;
}

/** Σ scalars[i]·bases[i] for the n points of `resident`'s first chunks; scalars 32-byte LE standard form. */
export async function msmG1OnGpu(ctx: GpuContext, resident: ResidentBases, scalars: Uint8Array, n: number): Promise<G1Point> {
  let total = G1.ZERO;
  for (let chunk = 0, start = 0; start < n; chunk++, start += resident.chunkPoints) {
    const count = Math.min(resident.chunkPoints, n - start);
    const { sums, c } = await windowSums(ctx, resident.chunks[chunk], scalars.subarray(start * 32, (start + count) * 32), count);
    total = total.add(combineWindows(sums, c));
  }
  return total;
}
