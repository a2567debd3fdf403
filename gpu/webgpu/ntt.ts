/**
 * NTT over BN254 Fr on the GPU: iterative radix-2 Cooley–Tukey (bit-reversal permutation, then log n
 * butterfly stages, one dispatch each, all in one command buffer). Semantics match backend.ts /
 * ffjavascript: forward = evaluations at ω^i in natural order; inverse includes 1/n; the coset is
 * ω₂ₙ·H (coefficient i scaled by ω₂ₙ^i before a forward transform, by ω₂ₙ^(−i) after an inverse one).
 * Roots come from the field itself: ω_(2^28) = g^((r−1)/2^28) for the smallest non-residue g = 5, as
 * ffjavascript derives them; twiddle and scaling tables are generated on the GPU and cached per size.
 */
import type { GpuContext } from './device.ts';
import { BN254_R, bigintToWords, invMod, mod, powMod, R_BITS, WORDS } from './limbs.ts';
import { DispatchBatch, getPipeline, readBuffer, storageBuffer, writeBuffer } from './runtime.ts';
import { bitReverseWgsl, butterflyWgsl, convertWgsl, pointwiseWgsl, powersWgsl } from './wgsl/ntt-kernels.ts';

const TWO_ADICITY = 28;
const NON_RESIDUE = 5n;
const ELEMENT_BYTES = 32;

/** Primitive 2^k-th root of unity of Fr (k ≤ 28), equal to ffjavascript's Fr.w[k]. */
export function rootOfUnity(k: number): bigint {
  if (k < 0 || k > TWO_ADICITY) throw new RangeError(`no 2^${k}-th root of unity in Fr`);
  let w = powMod(NON_RESIDUE, (BN254_R - 1n) >> BigInt(TWO_ADICITY), BN254_R);
  for (let i = TWO_ADICITY; i > k; i--) w = (w * w) % BN254_R;
  return w;
}

const toGpuMontgomery = (v: bigint) => mod(v << BigInt(R_BITS), BN254_R);

function bigWords(v: bigint): number[] {
  const w = new Uint32Array(WORDS);
  bigintToWords(toGpuMontgomery(v), w, 0);
  return [...w];
}

export class GpuNtt {
  /** Tables (factor·base^i) keyed by "base:factor:count". */
  private readonly tables = new Map<string, GPUBuffer>();

  constructor(private readonly ctx: GpuContext) {}

  private table(batch: DispatchBatch, base: bigint, factor: bigint, count: number): GPUBuffer {
    const key = `${base}:${factor}:${count}`;
    let buffer = this.tables.get(key);
    if (!buffer) {
      buffer = storageBuffer(this.ctx, count * ELEMENT_BYTES, 'ntt table');
      const powers = getPipeline(this.ctx, powersWgsl(), 'main');
      batch.dispatch(powers, [count, 0, 0, 0, ...bigWords(base), ...bigWords(factor)], [buffer]);
      this.tables.set(key, buffer);
    }
    return buffer;
  }

  async ntt(values: Uint8Array, inverse: boolean, coset: boolean): Promise<Uint8Array> {
    const n = values.byteLength / ELEMENT_BYTES;
    const logN = Math.log2(n);
    if (!Number.isInteger(logN)) throw new RangeError(`NTT length ${n} is not a power of two`);
    if (n * ELEMENT_BYTES > this.ctx.limits.maxStorageBufferBindingSize || logN + 1 > TWO_ADICITY)
      throw new RangeError(`NTT of 2^${logN} exceeds the device's storage binding limit`);
    const ctx = this.ctx;
    // Bounded table cache (a call adds at most 3): tables are cheap to rebuild and a prover uses few sizes.
    if (this.tables.size > 30) this.clear();
    const convert = getPipeline(ctx, convertWgsl(), 'main');
    const reverse = getPipeline(ctx, bitReverseWgsl(), 'main');
    const butterfly = getPipeline(ctx, butterflyWgsl(), 'main');
    const pointwise = getPipeline(ctx, pointwiseWgsl(), 'main');
    const a = storageBuffer(ctx, values.byteLength, 'ntt a');
    const b = storageBuffer(ctx, values.byteLength, 'ntt b');
    try {
      writeBuffer(ctx, a, 0, values);
      const batch = new DispatchBatch(ctx);
      const omega = rootOfUnity(logN);
      const shift = rootOfUnity(logN + 1);
      batch.dispatch(convert, [n, 0], [a]);
      if (coset && !inverse) batch.dispatch(pointwise, [n], [this.table(batch, shift, 1n, n), a]);
      if (logN > 0) {
        const root = inverse ? invMod(omega, BN254_R) : omega;
        const twiddles = this.table(batch, root, 1n, n / 2);
        batch.dispatch(reverse, [n, logN], [a, b]);
        for (let half = 1; half < n; half *= 2) batch.dispatch(butterfly, [n / 2, half, n / (2 * half)], [twiddles, b]);
        batch.copy(b, 0, a, 0, values.byteLength);
      }
      if (inverse) {
        const nInv = invMod(BigInt(n), BN254_R);
        const scale = coset ? this.table(batch, invMod(shift, BN254_R), nInv, n) : this.table(batch, 1n, nInv, n);
        batch.dispatch(pointwise, [n], [scale, a]);
      }
      batch.dispatch(convert, [n, 1], [a]);
      await batch.submit();
      return await readBuffer(ctx, a, 0, values.byteLength);
    } finally {
      a.destroy();
      b.destroy();
    }
  }

  clear(): void {
    for (const t of this.tables.values()) t.destroy();
    this.tables.clear();
  }
}
