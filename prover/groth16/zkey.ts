/**
 * Reader for snarkjs Groth16 proving keys (.zkey), straight from bytes.
 *
 * The file is iden3's binary container (common/binfile.ts reads it) with magic "zkey". Sections are located by
 * id (the first of each, as snarkjs does) and kept as zero-copy subarrays of the input,
 * so the prover hands them to a backend without copying (the layouts are those of gpu/backend.ts):
 *   1 header (u32 protocol, 1 = Groth16)       2 Groth16 header (fields, sizes, α₁ β₁ β₂ γ₂ δ₁ δ₂)
 *   3 IC (nPublic+1 G1)                          4 coefficients (u32 count, then 12 + n8r bytes each)
 *   5 A (nVars G1)   6 B1 (nVars G1)   7 B2 (nVars G2)   8 C (nVars−nPublic−1 G1)   9 H (domainSize G1)
 */
import { BN254_Q, BN254_R } from '../../common/bn254.ts';

export { BN254_Q, BN254_R };

import { readBinSections } from '../../common/binfile.ts';
import { ZkaiError } from '../../common/errors.ts';
import { FR_BYTES, G1_BYTES, G2_BYTES } from '../../gpu/backend.ts';

const GROTH16_PROTOCOL = 1;
/** Bytes of one section-4 entry: matrix u32, constraint u32, signal u32, value. */
export const COEF_BYTES = 12 + FR_BYTES;
/** iden3's container magic and the name errors give it. */
export const ZKEY_FORMAT = { magic: 'zkey', label: 'Groth16 zkey' };

export interface ParsedZkey {
  nVars: number;
  /** Public signals, outputs first (not counting the constant one). */
  nPublic: number;
  domainSize: number;
  /** log2(domainSize). */
  power: number;
  /** Verification/proving constants, affine, Montgomery LE (64 or 128 bytes each). */
  alpha1: Uint8Array;
  beta1: Uint8Array;
  beta2: Uint8Array;
  gamma2: Uint8Array;
  delta1: Uint8Array;
  delta2: Uint8Array;
  /** Section bodies (zero-copy). */
  ic: Uint8Array;
  /** Section 4 body after its leading u32 count: nCoefs × COEF_BYTES. */
  coefs: Uint8Array;
  nCoefs: number;
  pointsA: Uint8Array;
  pointsB1: Uint8Array;
  pointsB2: Uint8Array;
  pointsC: Uint8Array;
  pointsH: Uint8Array;
}

function bad(message: string): never {
  throw new ZkaiError('BAD_INPUT', `not a usable Groth16 zkey: ${message}`);
}

function readLeBigInt(bytes: Uint8Array, offset: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i]!);
  return v;
}

/**
 * Parses a Groth16 zkey held in memory. Throws ZkaiError('BAD_INPUT') for another protocol (PLONK, FFLONK),
 * another curve, a truncated file, or sections whose sizes disagree with the header.
 */
export function parseZkey(bytes: Uint8Array): ParsedZkey {
  const sections = readBinSections(bytes, ZKEY_FORMAT);
  const section = (id: number, expected?: number): Uint8Array => {
    const s = sections.get(id);
    if (!s) bad(`section ${id} is missing`);
    if (expected !== undefined && s.byteLength !== expected) bad(`section ${id} has ${s.byteLength} bytes, expected ${expected}`);
    return s;
  };
  const h1 = section(1);
  if (h1.byteLength < 4) bad('section 1 is empty');
  const protocol = new DataView(h1.buffer, h1.byteOffset, h1.byteLength).getUint32(0, true);
  if (protocol !== GROTH16_PROTOCOL) bad(`protocol id ${protocol} is not Groth16 (1)`);

  const h2 = section(2);
  const v2 = new DataView(h2.buffer, h2.byteOffset, h2.byteLength);
  let p = 0;
  const need = (n: number) => {
    if (p + n > h2.byteLength) bad('section 2 (Groth16 header) is truncated');
  };
  need(4);
  const n8q = v2.getUint32(p, true);
  p += 4;
  need(n8q + 4);
  const q = readLeBigInt(h2, p, n8q);
  p += n8q;
  const n8r = v2.getUint32(p, true);
  p += 4;
  need(n8r + 12);
  const r = readLeBigInt(h2, p, n8r);
  p += n8r;
  if (n8q !== 32 || q !== BN254_Q || n8r !== 32 || r !== BN254_R) bad('the curve is not BN254 (bn128)');
  const nVars = v2.getUint32(p, true);
  const nPublic = v2.getUint32(p + 4, true);
  const domainSize = v2.getUint32(p + 8, true);
  p += 12;
  if (domainSize === 0 || (domainSize & (domainSize - 1)) !== 0) bad(`domain size ${domainSize} is not a power of two`);
  if (nPublic + 1 > nVars) bad(`${nPublic} public signals but only ${nVars} variables`);
  const take = (n: number) => {
    need(n);
    const out = h2.subarray(p, p + n);
    p += n;
    return out;
  };
  // Order as snarkjs writes it (zkey_utils writeHeader): α₁, β₁, β₂, γ₂, δ₁, δ₂.
  const alpha1 = take(G1_BYTES);
  const beta1 = take(G1_BYTES);
  const beta2 = take(G2_BYTES);
  const gamma2 = take(G2_BYTES);
  const delta1 = take(G1_BYTES);
  const delta2 = take(G2_BYTES);

  const coefSection = section(4);
  if (coefSection.byteLength < 4) bad('section 4 is empty');
  const nCoefs = new DataView(coefSection.buffer, coefSection.byteOffset, 4).getUint32(0, true);
  if (coefSection.byteLength !== 4 + nCoefs * COEF_BYTES) bad(`section 4 holds ${coefSection.byteLength} bytes for ${nCoefs} coefficients`);

  return {
    nVars,
    nPublic,
    domainSize,
    power: Math.log2(domainSize),
    alpha1,
    beta1,
    beta2,
    gamma2,
    delta1,
    delta2,
    ic: section(3, (nPublic + 1) * G1_BYTES),
    coefs: coefSection.subarray(4),
    nCoefs,
    pointsA: section(5, nVars * G1_BYTES),
    pointsB1: section(6, nVars * G1_BYTES),
    pointsB2: section(7, nVars * G2_BYTES),
    pointsC: section(8, (nVars - nPublic - 1) * G1_BYTES),
    pointsH: section(9, domainSize * G1_BYTES),
  };
}
