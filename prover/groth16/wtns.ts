/**
 * Reader for circom witness files (.wtns): iden3's binary container (common/binfile.ts) with magic "wtns", section 1 = header
 * (u32 n8, prime n8 bytes LE, u32 nWitness), section 2 = nWitness values of n8 bytes LE, standard form.
 * circom_runtime's `calculateWTNSBin` returns the same bytes in memory, so both go through here.
 */
import { readBinSections } from '../../common/binfile.ts';
import { ZkaiError } from '../../common/errors.ts';
import { FR_BYTES } from '../../gpu/backend.ts';
import { BN254_R } from './zkey.ts';

export interface ParsedWitness {
  nWitness: number;
  /** nWitness × 32 bytes LE standard form (zero-copy view of section 2). */
  values: Uint8Array;
}

function bad(message: string): never {
  throw new ZkaiError('BAD_INPUT', `not a usable BN254 witness: ${message}`);
}

export function parseWtns(bytes: Uint8Array): ParsedWitness {
  const sections = readBinSections(bytes, { magic: 'wtns', label: 'BN254 witness' });
  const header = sections.get(1);
  const values = sections.get(2);
  if (!header || !values) bad('section 1 or 2 is missing');
  if (header.byteLength < 4) bad('header is truncated');
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const n8 = view.getUint32(0, true);
  if (n8 !== FR_BYTES || header.byteLength < 4 + n8 + 4) bad(`field element size ${n8}, expected ${FR_BYTES}`);
  let prime = 0n;
  for (let i = n8 - 1; i >= 0; i--) prime = (prime << 8n) | BigInt(header[4 + i]!);
  if (prime !== BN254_R) bad('the prime is not the BN254 scalar field order');
  const nWitness = view.getUint32(4 + n8, true);
  if (values.byteLength !== nWitness * FR_BYTES) bad(`section 2 holds ${values.byteLength} bytes for ${nWitness} values`);
  return { nWitness, values };
}
