/**
 * Runs the WGSL field arithmetic on vectors of operands, for tests and the self-test: each op is checked
 * against BigInt arithmetic by the caller. Operands and results are canonical standard-form integers.
 */
import type { GpuContext } from './device.ts';
import { BN254_Q, BN254_R, bigintToWords, fieldConstants, WORDS, wordsToBigint } from './limbs.ts';
import { DispatchBatch, getPipeline, readBuffer, storageBuffer, THREAD_ID_WGSL, uploadBuffer } from './runtime.ts';
import { bigIntWgsl, fieldWgsl } from './wgsl/field.ts';

export type FieldOp = 'add' | 'sub' | 'mul' | 'montmul' | 'neg';
const OP_CODES: Record<FieldOp, number> = { add: 0, sub: 1, mul: 2, montmul: 3, neg: 4 };

function shader(prefix: 'fq' | 'fr', modulus: bigint): string {
  const P = prefix.toUpperCase();
  return `${bigIntWgsl()}${fieldWgsl(prefix, fieldConstants(modulus))}${THREAD_ID_WGSL}
struct Params { count: u32, op: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a_in: array<u32>;
@group(0) @binding(2) var<storage, read> b_in: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

fn load(buf_a: bool, i: u32) -> Big {
  var w: Packed;
  for (var k = 0u; k < ${WORDS}u; k++) { w[k] = select(b_in[i * ${WORDS}u + k], a_in[i * ${WORDS}u + k], buf_a); }
  return big_unpack(w);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_id(gid, nwg);
  if (i >= params.count) { return; }
  let a = load(true, i);
  let b = load(false, i);
  var r: Big;
  if (params.op == 3u) {
    r = ${prefix}_mul(a, b);
  } else {
    let am = ${prefix}_mul(a, ${P}_R2);
    let bm = ${prefix}_mul(b, ${P}_R2);
    var rm: Big;
    switch params.op {
      case 0u: { rm = ${prefix}_add(am, bm); }
      case 1u: { rm = ${prefix}_sub(am, bm); }
      case 2u: { rm = ${prefix}_mul(am, bm); }
      default: { rm = ${prefix}_neg(am); }
    }
    var one: Big;
    one[0] = 1u;
    r = ${prefix}_mul(rm, one);
  }
  let w = big_pack(r);
  for (var k = 0u; k < ${WORDS}u; k++) { out[i * ${WORDS}u + k] = w[k]; }
}
`;
}

export async function runFieldOp(ctx: GpuContext, field: 'fq' | 'fr', op: FieldOp, a: bigint[], b: bigint[]): Promise<bigint[]> {
  const n = a.length;
  const pack = (xs: bigint[]) => {
    const words = new Uint32Array(n * WORDS);
    for (const [i, x] of xs.entries()) bigintToWords(x, words, i * WORDS);
    return words;
  };
  const aBuf = uploadBuffer(ctx, pack(a));
  const bBuf = uploadBuffer(ctx, pack(b));
  const outBuf = storageBuffer(ctx, n * WORDS * 4);
  const pipeline = getPipeline(ctx, shader(field, field === 'fq' ? BN254_Q : BN254_R), 'main');
  const batch = new DispatchBatch(ctx);
  batch.dispatch(pipeline, [n, OP_CODES[op]], [aBuf, bBuf, outBuf]);
  await batch.submit();
  const bytes = await readBuffer(ctx, outBuf, 0, n * WORDS * 4);
  for (const buf of [aBuf, bBuf, outBuf]) buf.destroy();
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n * WORDS);
  return Array.from({ length: n }, (_, i) => wordsToBigint(words, i * WORDS));
}
