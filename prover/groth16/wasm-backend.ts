/**
 * A ProvingBackend on ffjavascript (WASM, its own worker threads): the always-available fallback and the
 * reference the native and WebGPU backends are tested against. ffjavascript's in-memory representations
 * are exactly gpu/backend.ts's layouts (affine x‖y Montgomery LE, standard-form LE scalars), so buffers
 * pass through unconverted.
 */
import { FR_BYTES, G1_BYTES, G2_BYTES, type NttOptions, type ProvingBackend } from '../../gpu/backend.ts';
import { bn128Curve, cosetShift, type FfGroup } from './curve.ts';

async function msm(group: FfGroup, pointBytes: number, bases: Uint8Array, scalars: Uint8Array): Promise<Uint8Array> {
  const n = scalars.byteLength / FR_BYTES;
  if (!Number.isInteger(n)) throw new RangeError(`scalar buffer of ${scalars.byteLength} bytes is not a whole number of Fr elements`);
  if (bases.byteLength < n * pointBytes) throw new RangeError(`${n} scalars but only ${Math.floor(bases.byteLength / pointBytes)} bases`);
  if (n === 0) return new Uint8Array(pointBytes);
  // ffjavascript infers the point count from the bases buffer: hand it exactly n.
  const sum = await group.multiExpAffine(bases.subarray(0, n * pointBytes), scalars);
  if (group.isZero(sum)) return new Uint8Array(pointBytes);
  return new Uint8Array(group.toAffine(sum));
}

export async function createWasmBackend(): Promise<ProvingBackend> {
  const curve = await bn128Curve();
  const { Fr } = curve;
  return {
    name: 'wasm',
    description: 'ffjavascript (WebAssembly, worker threads)',
    msmG1: (bases, scalars) => msm(curve.G1, G1_BYTES, bases, scalars),
    msmG2: (bases, scalars) => msm(curve.G2, G2_BYTES, bases, scalars),
    async ntt(values: Uint8Array, opts: NttOptions = {}): Promise<Uint8Array> {
      const n = values.byteLength / FR_BYTES;
      if (!Number.isInteger(n) || n === 0 || (n & (n - 1)) !== 0) throw new RangeError(`NTT length ${n} is not a power of two`);
      const power = Math.log2(n);
      let buf = await Fr.batchToMontgomery(values);
      if (opts.inverse) {
        buf = await Fr.ifft(buf);
        // Coefficients of p(ω₂ₙ·x) → of p(x): scale coefficient i by ω₂ₙ^(−i).
        if (opts.coset) buf = await Fr.batchApplyKey(buf, Fr.one, Fr.inv(cosetShift(curve, power)));
      } else {
        if (opts.coset) buf = await Fr.batchApplyKey(buf, Fr.one, cosetShift(curve, power));
        buf = await Fr.fft(buf);
      }
      return new Uint8Array(await Fr.batchFromMontgomery(buf));
    },
  };
}
