/**
 * The one interface every proving backend implements (native C++ engine, WebGPU, and the
 * WebAssembly reference): the heavy math of Groth16, MSM in G1 and G2 and the NTT over Fr.
 * The Groth16 prover (prover/groth16) is written against this interface only.
 *
 * Byte layouts are the ones snarkjs's .zkey and .wtns files already use, so sections of a
 * zkey can be handed to a backend without conversion:
 *   - Fr scalar for an MSM: 32 bytes little-endian, canonical (< r), *standard* form (not Montgomery).
 *   - Fr vector for an NTT: 32 bytes LE per element, canonical standard form.
 *   - G1 affine point: 64 bytes: x || y, each 32 bytes LE in Montgomery form (R = 2^256 mod q).
 *     The point at infinity is 64 zero bytes.
 *   - G2 affine point: 128 bytes: x.c0 || x.c1 || y.c0 || y.c1, each 32 bytes LE Montgomery.
 *     The point at infinity is 128 zero bytes.
 * Results are affine points in the same layout.
 */
export type BackendName = 'native' | 'webgpu' | 'wasm';

export const FR_BYTES = 32;
export const G1_BYTES = 64;
export const G2_BYTES = 128;

export interface NttOptions {
  /** Inverse transform (coefficients from evaluations), including the 1/n factor. */
  inverse?: boolean;
  /**
   * Evaluate on (forward) or interpolate from (inverse) the coset ω₂ₙ·H, where H is the size-n
   * subgroup and ω₂ₙ a primitive 2n-th root of unity: the odd points of the 2n domain, which is the
   * coset snarkjs's Groth16 prover and its H section use.
   */
  coset?: boolean;
}

export interface ProvingBackend {
  readonly name: BackendName;
  /** Human-readable: engine version, thread count, or the GPU adapter (and whether it is software). */
  readonly description: string;
  /** Σ scalars[i]·bases[i] over n = scalars.length / 32 terms; bases holds at least n points. */
  msmG1(bases: Uint8Array, scalars: Uint8Array): Promise<Uint8Array>;
  msmG2(bases: Uint8Array, scalars: Uint8Array): Promise<Uint8Array>;
  /** NTT of a power-of-two length vector of Fr (length in elements = values.length / 32). Returns a new buffer. */
  ntt(values: Uint8Array, opts?: NttOptions): Promise<Uint8Array>;
  /** Frees device memory, threads or caches. */
  close?(): Promise<void>;
}
