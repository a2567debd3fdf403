/**
 * The plan of the Pippenger MSM. On the GPU path the signed digits, bucket sizes and the bucket sort are
 * computed by kernels (wgsl/msm-kernels.ts: digitsWgsl, scatterWgsl); the CPU only turns the bucket sizes
 * into the work plan (`planFromCounts`: bucket pieces, the levels that join pieces, the reduction
 * segments), O(windows · buckets). `planMsm` does the whole thing on the CPU in typed-array code: it is
 * the reference the GPU digits/sort are tested against, and documents the algorithm.
 *
 * Signed digits: each c-bit window digit d ∈ [0, 2^c) plus the incoming carry is mapped to
 * d − 2^c (carry 1) when it exceeds 2^(c−1), so every digit lies in [−2^(c−1), 2^(c−1)] and a window
 * needs only 2^(c−1) buckets (negation of an affine point is free).
 */

export const NO_PARTIAL = 0xffffffff;
/** Most entries one accumulation thread sums: bounds the work of a thread when scalars repeat. */
export const PIECE = 32;
/** Most partial sums one reduction thread joins per level. */
export const JOIN = 16;

export interface MsmPlan {
  /** Window width in bits, number of windows, buckets per window (2^(c−1)). */
  c: number;
  windows: number;
  buckets: number;
  /** point index << 1 | negate, grouped by (window, bucket). */
  entries: Uint32Array;
  /** Bucket g = window · buckets + (|digit| − 1) holds entries[bucketOffsets[g] .. bucketOffsets[g + 1]). */
  bucketOffsets: Uint32Array;
  /** (start, count) per accumulation task; task t writes partial t. */
  tasks: Uint32Array;
  /** Each level: (start, count, out) triples, run in order after the accumulation. */
  levels: Uint32Array[];
  /** Total partial slots (tasks + level outputs). */
  partials: number;
  /** Per (window, bucket): the partial holding the bucket sum, or NO_PARTIAL when empty. */
  bucketSrc: Uint32Array;
  /** Bucket segments per window for the reduction kernel (power of two dividing `buckets`). */
  segmentsPerWindow: number;
}

/** Window width minimising additions: windows · (n accumulations + 2 · 2^(c−1) reduction additions). */
export function chooseWindowBits(n: number): number {
  let best = 2;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let c = 2; c <= 16; c++) {
    const cost = Math.ceil(255 / c) * (n + 2 * 2 ** (c - 1));
    if (cost < bestCost) {
      best = c;
      bestCost = cost;
    }
  }
  return best;
}

function scalarWords(scalars: Uint8Array): Uint32Array {
  if (scalars.byteOffset % 4 === 0) return new Uint32Array(scalars.buffer, scalars.byteOffset, scalars.byteLength / 4);
  return new Uint32Array(scalars.slice().buffer);
}

export function planMsm(scalars: Uint8Array, n: number, c = chooseWindowBits(n), targetThreads = 8192): MsmPlan {
  const words = scalarWords(scalars);
  // Scalars are canonical Fr (< 2^254); one that is not still gets enough windows for 256 bits.
  const windows = windowCount(c, hasWideScalar(scalars, n));
  const buckets = 2 ** (c - 1);
  const full = 2 ** c;
  const mask = full - 1;
  const digits = new Int32Array(n * windows);
  const counts = new Uint32Array(windows * buckets);
  for (let i = 0; i < n; i++) {
    const base = i * 8;
    let carry = 0;
    for (let w = 0; w < windows; w++) {
      const bit = w * c;
      const word = bit >>> 5;
      const shift = bit & 31;
      let v = word < 8 ? words[base + word] >>> shift : 0;
      if (shift + c > 32 && word + 1 < 8) v |= words[base + word + 1] << (32 - shift);
      v = (v & mask) + carry;
      if (v > buckets) {
        v -= full;
        carry = 1;
      } else carry = 0;
      digits[w * n + i] = v;
      if (v !== 0) counts[w * buckets + Math.abs(v) - 1]++;
    }
  }
  // Bucket sort (counting sort): offsets, then scatter.
  const groups = windows * buckets;
  const plan = planFromCounts(counts, c, windows, targetThreads);
  const entries = new Uint32Array(plan.bucketOffsets[groups]);
  const cursor = plan.bucketOffsets.slice(0, groups);
  for (let w = 0; w < windows; w++) {
    const row = w * n;
    for (let i = 0; i < n; i++) {
      const v = digits[row + i];
      if (v === 0) continue;
      const g = w * buckets + (v < 0 ? -v : v) - 1;
      entries[cursor[g]++] = (i << 1) | (v < 0 ? 1 : 0);
    }
  }
  return { ...plan, entries };
}

/** Number of windows for width c: enough for 255-bit scalars (< 2^254 plus the signed-digit carry), or 256. */
export function windowCount(c: number, wide: boolean): number {
  return wide ? Math.floor(256 / c) + 1 : Math.ceil(255 / c);
}

/** True when some scalar is ≥ 2^254 (not canonical Fr): it then needs windows for all 256 bits. */
export function hasWideScalar(scalars: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (scalars[i * 32 + 31] >>> 6 !== 0) return true;
  return false;
}

/**
 * Everything that depends only on the bucket sizes: entry offsets, accumulation pieces, join levels,
 * bucket sources and reduction segments. `counts[g]` is the size of bucket g = window · buckets + |d| − 1
 * (computed on the CPU by planMsm or on the GPU by the digits kernel).
 */
export function planFromCounts(counts: Uint32Array, c: number, windows: number, targetThreads = 8192): Omit<MsmPlan, 'entries'> {
  const buckets = 2 ** (c - 1);
  const groups = windows * buckets;
  const offsets = new Uint32Array(groups + 1);
  for (let g = 0; g < groups; g++) offsets[g + 1] = offsets[g] + counts[g];
  // Accumulation tasks: bucket pieces of at most PIECE entries.
  let taskCount = 0;
  for (let g = 0; g < groups; g++) taskCount += Math.ceil(counts[g] / PIECE);
  const tasks = new Uint32Array(taskCount * 2);
  const first = new Uint32Array(groups);
  const parts = new Uint32Array(groups);
  let t = 0;
  for (let g = 0; g < groups; g++) {
    first[g] = t;
    for (let at = 0; at < counts[g]; at += PIECE) {
      tasks[2 * t] = offsets[g] + at;
      tasks[2 * t + 1] = Math.min(PIECE, counts[g] - at);
      t++;
    }
    parts[g] = t - first[g];
  }
  // Join levels: buckets with several pieces are summed JOIN partials at a time until one remains.
  const levels: Uint32Array[] = [];
  let next = taskCount;
  for (;;) {
    const triples: number[] = [];
    for (let g = 0; g < groups; g++) {
      if (parts[g] <= 1) continue;
      const start = first[g];
      const count = parts[g];
      first[g] = next;
      parts[g] = 0;
      for (let at = 0; at < count; at += JOIN) {
        triples.push(start + at, Math.min(JOIN, count - at), next++);
        parts[g]++;
      }
    }
    if (triples.length === 0) break;
    levels.push(Uint32Array.from(triples));
  }
  const bucketSrc = new Uint32Array(groups);
  for (let g = 0; g < groups; g++) bucketSrc[g] = parts[g] === 1 ? first[g] : NO_PARTIAL;
  // Bucket reduction: enough segments to fill the device, each at least 16 buckets long.
  let segmentsPerWindow = 1;
  while (segmentsPerWindow * 2 * windows <= targetThreads && buckets / (segmentsPerWindow * 2) >= 16) segmentsPerWindow *= 2;
  return { c, windows, buckets, bucketOffsets: offsets, tasks, levels, partials: next, bucketSrc, segmentsPerWindow };
}
