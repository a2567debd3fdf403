/**
 * WGSL kernels of the radix-2 NTT over BN254 Fr (host side: ../ntt.ts). Vectors are packed 8-word
 * elements; in between kernels they are in GPU Montgomery form (R = 2^260).
 */
import { BN254_R, fieldConstants } from '../limbs.ts';
import { THREAD_ID_WGSL } from '../runtime.ts';
import { bigIntWgsl, fieldWgsl } from './field.ts';

const library = () => `${bigIntWgsl()}${fieldWgsl('fr', fieldConstants(BN254_R))}${THREAD_ID_WGSL}`;
const ENTRY =
  '@compute @workgroup_size(64)\nfn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>)';

const access = (buffer: string) => `
fn ${buffer}_get(i: u32) -> Big {
  var w: Packed;
  for (var k = 0u; k < 8u; k++) { w[k] = ${buffer}[i * 8u + k]; }
  return big_unpack(w);
}`;
const store = (buffer: string) => `
fn ${buffer}_set(i: u32, v: Big) {
  let w = big_pack(v);
  for (var k = 0u; k < 8u; k++) { ${buffer}[i * 8u + k] = w[k]; }
}`;

/** mode 0: standard → Montgomery (× R²); mode 1: Montgomery → standard (× 1). In place. */
export function convertWgsl(): string {
  return `${library()}
struct Params { count: u32, mode: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> data: array<u32>;
${access('data')}${store('data')}
${ENTRY} {
  let i = thread_id(gid, nwg);
  if (i >= params.count) { return; }
  var k = FR_R2;
  if (params.mode == 1u) { k = Big(); k[0] = 1u; }
  data_set(i, fr_mul(data_get(i), k));
}
`;
}

/** dst[reverse(i)] = src[i] over log_n bits. */
export function bitReverseWgsl(): string {
  return `${THREAD_ID_WGSL}
struct Params { count: u32, log_n: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
${ENTRY} {
  let i = thread_id(gid, nwg);
  if (i >= params.count) { return; }
  let j = reverseBits(i) >> (32u - params.log_n);
  for (var k = 0u; k < 8u; k++) { dst[j * 8u + k] = src[i * 8u + k]; }
}
`;
}

/** One Cooley–Tukey stage: butterflies of span 2·half, twiddle ω^(j·stride) from the table. */
export function butterflyWgsl(): string {
  return `${library()}
struct Params { count: u32, half: u32, stride: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> twiddles: array<u32>;
@group(0) @binding(2) var<storage, read_write> data: array<u32>;
${access('twiddles')}${access('data')}${store('data')}
${ENTRY} {
  let t = thread_id(gid, nwg);
  if (t >= params.count) { return; }
  let j = t % params.half;
  let i0 = (t / params.half) * 2u * params.half + j;
  let i1 = i0 + params.half;
  let u = data_get(i0);
  let v = fr_mul(data_get(i1), twiddles_get(j * params.stride));
  data_set(i0, fr_add(u, v));
  data_set(i1, fr_sub(u, v));
}
`;
}

/** out[i] = factor · base^i (Montgomery form operands in the uniform). */
export function powersWgsl(): string {
  return `${library()}
struct Params { count: u32, base: array<vec4<u32>, 2>, factor: array<vec4<u32>, 2> }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
${store('out')}
fn uniform_big(v: array<vec4<u32>, 2>) -> Big {
  var w: Packed;
  for (var k = 0u; k < 8u; k++) { w[k] = v[k / 4u][k % 4u]; }
  return big_unpack(w);
}
${ENTRY} {
  let i = thread_id(gid, nwg);
  if (i >= params.count) { return; }
  let base = uniform_big(params.base);
  var acc = uniform_big(params.factor);
  var sq = base;
  // Right-to-left square-and-multiply, one multiplication site per operation kind.
  for (var e = i; e != 0u; e = e >> 1u) {
    if ((e & 1u) != 0u) { acc = fr_mul(acc, sq); }
    sq = fr_mul(sq, sq);
  }
  out_set(i, acc);
}
`;
}

/** data[i] *= table[i]. */
export function pointwiseWgsl(): string {
  return `${library()}
struct Params { count: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read_write> data: array<u32>;
${access('table')}${access('data')}${store('data')}
${ENTRY} {
  let i = thread_id(gid, nwg);
  if (i >= params.count) { return; }
  data_set(i, fr_mul(data_get(i), table_get(i)));
}
`;
}
