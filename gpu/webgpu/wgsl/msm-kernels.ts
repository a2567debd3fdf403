/**
 * WGSL kernels of the Pippenger MSM (host side: ../msm.ts). Storage layouts, all u32 words:
 *   bases     16 words per affine point (x, y packed, GPU Montgomery form, R = 2^260); (0, 0) = infinity
 *   entries   one word per (window, point) with a non-zero digit: point index << 1 | negate, bucket-sorted
 *   tasks     (start, count) into entries, one bucket piece per task; writes projective partial #task
 *   segments  (start, count, out) over partials: sums partials[start..start+count) into partials[out]
 *   partials  24 words per projective point (x, y, z packed)
 */
import { BN254_Q, fieldConstants } from '../limbs.ts';
import { THREAD_ID_WGSL } from '../runtime.ts';
import { g1Wgsl } from './curve.ts';
import { bigIntWgsl, fieldWgsl } from './field.ts';

const library = () => `${bigIntWgsl()}${fieldWgsl('fq', fieldConstants(BN254_Q))}${g1Wgsl()}${THREAD_ID_WGSL}`;

const ENTRY =
  '@compute @workgroup_size(64)\nfn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>)';

/** Loader/storer functions for Packed values at word offset `base` of the named buffer. */
function packedAccess(buffer: string): string {
  return `
fn ${buffer}_load(base: u32) -> Packed {
  var w: Packed;
  for (var k = 0u; k < 8u; k++) { w[k] = ${buffer}[base + k]; }
  return w;
}`;
}

function packedStore(buffer: string): string {
  return `
fn ${buffer}_store(base: u32, w: Packed) {
  for (var k = 0u; k < 8u; k++) { ${buffer}[base + k] = w[k]; }
}`;
}

function projAccess(buffer: string, writable: boolean): string {
  return `${packedAccess(buffer)}
fn ${buffer}_load_proj(i: u32) -> Proj {
  return Proj(big_unpack(${buffer}_load(i * 24u)), big_unpack(${buffer}_load(i * 24u + 8u)), big_unpack(${buffer}_load(i * 24u + 16u)));
}${
    writable
      ? `${packedStore(buffer)}
fn ${buffer}_store_proj(i: u32, p: Proj) {
  ${buffer}_store(i * 24u, big_pack(p.x));
  ${buffer}_store(i * 24u + 8u, big_pack(p.y));
  ${buffer}_store(i * 24u + 16u, big_pack(p.z));
}`
      : ''
  }`;
}

/** In place: snarkjs Montgomery (R = 2^256) coordinates → GPU Montgomery (R = 2^260). One thread per coordinate. */
export function convertBasesWgsl(): string {
  return `${library()}
struct Params { count: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> coords: array<u32>;
${packedAccess('coords')}${packedStore('coords')}
${ENTRY} {
  let i = thread_id(gid, nwg);
  if (i >= params.count) { return; }
  let v = big_unpack(coords_load(i * 8u));
  coords_store(i * 8u, big_pack(fq_mul(v, FQ_FROM_SNARKJS)));
}
`;
}

/** Bucket accumulation: each task sums one bucket piece of signed affine bases with mixed additions. */
export function accumulateWgsl(): string {
  return `${library()}
struct Params { count: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> bases: array<u32>;
@group(0) @binding(2) var<storage, read> entries: array<u32>;
@group(0) @binding(3) var<storage, read> tasks: array<u32>;
@group(0) @binding(4) var<storage, read_write> partials: array<u32>;
${packedAccess('bases')}
${projAccess('partials', true)}
${ENTRY} {
  let t = thread_id(gid, nwg);
  if (t >= params.count) { return; }
  let start = tasks[2u * t];
  let end = start + tasks[2u * t + 1u];
  var acc = proj_infinity();
  for (var k = start; k < end; k++) {
    let e = entries[k];
    let p = e >> 1u;
    let xw = bases_load(p * 16u);
    let yw = bases_load(p * 16u + 8u);
    if (packed_is_zero(xw) && packed_is_zero(yw)) { continue; }
    var y = big_unpack(yw);
    if ((e & 1u) != 0u) { y = fq_neg(y); }
    acc = proj_add_affine(acc, big_unpack(xw), y);
  }
  partials_store_proj(t, acc);
}
`;
}

/** Segmented sums of projective points within one buffer (bucket pieces → buckets, window parts → windows). */
export function segmentSumWgsl(): string {
  return `${library()}
struct Params { count: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> segments: array<u32>;
@group(0) @binding(2) var<storage, read_write> points: array<u32>;
${projAccess('points', true)}
${ENTRY} {
  let s = thread_id(gid, nwg);
  if (s >= params.count) { return; }
  let start = segments[3u * s];
  let end = start + segments[3u * s + 1u];
  var acc = proj_infinity();
  for (var k = start; k < end; k++) { acc = proj_add(acc, points_load_proj(k)); }
  points_store_proj(segments[3u * s + 2u], acc);
}
`;
}

/**
 * Bucket reduction, parallel over (window, segment of buckets): thread (w, s) owns buckets
 * [lo, lo + G) of window w, bucket b holding the points whose digit is b + 1. A running sum from the top
 * gives S = Σ (b − lo + 1)·B_b and R = Σ B_b; the segment's share of the window sum is S + lo·R.
 * All of it — running sums, the double-and-add of lo·R, the final S + lo·R — is one loop over steps
 * with a single addition call site (see curve.ts on why call sites are counted).
 */
export function bucketReduceWgsl(): string {
  return `${library()}
struct Params { count: u32, buckets_per_window: u32, segment: u32, segments_per_window: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partials: array<u32>;
@group(0) @binding(2) var<storage, read> bucket_src: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
${projAccess('partials', false)}
${projAccess('out', true)}
${ENTRY} {
  let t = thread_id(gid, nwg);
  if (t >= params.count) { return; }
  let g = params.segment;
  let w = t / params.segments_per_window;
  let lo = (t % params.segments_per_window) * g;
  let base = w * params.buckets_per_window + lo;
  let nbits = select(0u, 32u - countLeadingZeros(lo), lo != 0u);
  let sum_steps = 2u * g;
  let steps = sum_steps + 2u * nbits + 1u;
  var running = proj_infinity();
  var sum = proj_infinity();
  var acc = proj_infinity();
  for (var s = 0u; s < steps; s++) {
    var lhs: Proj;
    var rhs: Proj;
    var dst = 2u;
    if (s < sum_steps) {
      if ((s & 1u) == 0u) {
        let src = bucket_src[base + g - 1u - s / 2u];
        if (src == 0xffffffffu) { continue; }
        lhs = running;
        rhs = partials_load_proj(src);
        dst = 0u;
      } else {
        lhs = sum;
        rhs = running;
        dst = 1u;
      }
    } else if (s + 1u < steps) {
      let k = s - sum_steps;
      let bit = nbits - 1u - k / 2u;
      lhs = acc;
      if ((k & 1u) == 0u) {
        rhs = acc;
      } else {
        if (((lo >> bit) & 1u) == 0u) { continue; }
        rhs = running;
      }
    } else {
      lhs = acc;
      rhs = sum;
    }
    let r = proj_add(lhs, rhs);
    if (dst == 0u) { running = r; } else if (dst == 1u) { sum = r; } else { acc = r; }
  }
  out_store_proj(t, acc);
}
`;
}

/**
 * Signed digits of every scalar (one thread per scalar), and the bucket sizes by atomic increments.
 * digits[w·n + i] = |d| << 1 | (d < 0), 0 for a zero digit. Same decomposition as msm-plan.ts's planMsm.
 */
export function digitsWgsl(): string {
  return `${THREAD_ID_WGSL}
struct Params { count: u32, c: u32, windows: u32, buckets: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scalars: array<u32>;
@group(0) @binding(2) var<storage, read_write> digits: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;
${ENTRY} {
  let i = thread_id(gid, nwg);
  let n = params.count;
  if (i >= n) { return; }
  let c = params.c;
  let full = 1u << c;
  var carry = 0u;
  for (var w = 0u; w < params.windows; w++) {
    let bit = w * c;
    let word = bit >> 5u;
    let shift = bit & 31u;
    var v = 0u;
    if (word < 8u) { v = scalars[i * 8u + word] >> shift; }
    if (shift + c > 32u && word + 1u < 8u) { v = v | (scalars[i * 8u + word + 1u] << (32u - shift)); }
    v = (v & (full - 1u)) + carry;
    var neg = 0u;
    carry = 0u;
    if (v > params.buckets) {
      // d = v − 2^c ≤ 0; v = 2^c (all ones plus a carry) gives d = 0 with a carry out.
      v = full - v;
      neg = select(0u, 1u, v != 0u);
      carry = 1u;
    }
    digits[w * n + i] = (v << 1u) | neg;
    if (v != 0u) { atomicAdd(&counts[w * params.buckets + v - 1u], 1u); }
  }
}
`;
}

/** Bucket sort: each non-zero digit takes the next slot of its bucket (cursor starts at the bucket offsets). */
export function scatterWgsl(): string {
  return `${THREAD_ID_WGSL}
struct Params { count: u32, n: u32, buckets: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> digits: array<u32>;
@group(0) @binding(2) var<storage, read_write> cursor: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> entries: array<u32>;
${ENTRY} {
  let t = thread_id(gid, nwg);
  if (t >= params.count) { return; }
  let d = digits[t];
  if (d == 0u) { return; }
  let w = t / params.n;
  let i = t % params.n;
  let slot = atomicAdd(&cursor[w * params.buckets + (d >> 1u) - 1u], 1u);
  entries[slot] = (i << 1u) | (d & 1u);
}
`;
}
