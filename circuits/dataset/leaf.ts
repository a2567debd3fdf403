import { hash } from 'node:crypto';
import { ZkaiError } from '../../common/errors.ts';
import { sha256Hex } from '../../common/hash.ts';
import type { PoseidonHasher } from './poseidon.ts';
import { type DatasetRecord, MAX_WEIGHT } from './records.ts';
import { sha256AsciiInto } from './sha256-ascii.ts';

/** The field elements a record becomes; the circuit's private/public inputs use exactly these. */
export interface LeafFields {
  recordId: bigint;
  contributor: bigint;
  contentHi: bigint;
  contentLo: bigint;
  weight: bigint;
}

/** Describes the leaf encoding in dataset.json, so a third party can recompute leaves. */
export const LEAF_SCHEMA = {
  hash: 'poseidon-bn254-circomlib',
  leaf: 'Poseidon(recordId, contributor, contentHi, contentLo, weight)',
  recordId: 'first 31 bytes of sha256(utf8(id)), big-endian',
  contributor: 'address as uint160',
  contentHi: 'upper 16 bytes of the 32-byte content hash',
  contentLo: 'lower 16 bytes of the 32-byte content hash',
  weight: 'unsigned integer < 2^64',
  tree:
    'binary Merkle-sum tree: a leaf node is (leaf, weight), an empty leaf is (0, 0); ' +
    'parent = (Poseidon(leftHash, leftSum, rightHash, rightSum), leftSum + rightSum); leaf index bit i selects the side at level i',
  root: "the root node's hash; the root node's sum is totalWeight",
  nullifier: 'Poseidon(leaf, epoch)',
} as const;

/** Record id → field element. Hashing keeps any string id (and numbers) inside the field. */
export function recordIdField(id: string): bigint {
  return BigInt(`0x${sha256Hex(id).slice(0, 62)}`);
}

export function leafFields(record: DatasetRecord): LeafFields {
  const content = BigInt(record.contentHash);
  return {
    recordId: recordIdField(record.id),
    contributor: BigInt(record.contributor),
    contentHi: content >> 128n,
    contentLo: content & ((1n << 128n) - 1n),
    weight: record.weight,
  };
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Hex digit values by char code (-1: not a hex digit). */
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 16; c++) {
  HEX['0123456789abcdef'.charCodeAt(c)] = c;
  HEX['0123456789ABCDEF'.charCodeAt(c)] = c;
}

/** Decodes `bytes` bytes of hex from s[from..] into out[pos..]; false at the first character that is not a hex digit. */
function hexInto(s: string, from: number, out: Uint8Array, pos: number, bytes: number): boolean {
  for (let i = 0; i < bytes; i++) {
    const a = s.charCodeAt(from + 2 * i);
    const b = s.charCodeAt(from + 2 * i + 1);
    const hi = a < 128 ? HEX[a]! : -1;
    const lo = b < 128 ? HEX[b]! : -1;
    if ((hi | lo) < 0) return false;
    out[pos + i] = (hi << 4) | lo;
  }
  return true;
}

/**
 * A record's leaf inputs as bytes, for the batched hashers (hasher.ts): the five fields of leafFields, each a 32-byte
 * big-endian element, written at `pos` of `out` (LEAF_INPUT_BYTES = 160 bytes). Byte for byte what leafFields gives,
 * without bigints, regular expressions or a node:crypto call per record (ASCII ids: sha256-ascii.ts): a million
 * records are encoded in about a second. Records must be normalised (normaliseRecord).
 */
export function writeLeafInputs(record: DatasetRecord, out: Buffer, pos: number): void {
  const { contributor, contentHash } = record;
  // TypedArray's fill: Buffer's own validates its arguments in JavaScript, a measurable cost a million times over.
  Uint8Array.prototype.fill.call(out, 0, pos, pos + 160);
  // 0x and exactly 40 (64) hex digits, as /^0x[0-9a-fA-F]{40}$/ would check, digit by digit as they are decoded.
  const hex =
    contributor.length === 42 &&
    contentHash.length === 66 &&
    contributor.startsWith('0x') &&
    contentHash.startsWith('0x') &&
    hexInto(contributor, 2, out, pos + 32 + 12, 20) &&
    hexInto(contentHash, 2, out, pos + 64 + 16, 16) &&
    hexInto(contentHash, 34, out, pos + 96 + 16, 16);
  if (!hex) throw new ZkaiError('BAD_DATASET', `record ${JSON.stringify(record.id)}: contributor or content hash is not 0x-prefixed hex`);
  if (record.weight < 0n || record.weight > MAX_WEIGHT)
    throw new ZkaiError('BAD_DATASET', `leaf weight ${record.weight} is outside 0..2^64-1`);
  // recordId: the first 31 bytes of sha256(utf8(id)), right-aligned.
  if (!sha256AsciiInto(record.id, out, pos + 1, 31)) hash('sha256', record.id, 'buffer').copy(out, pos + 1, 0, 31);
  // The weight's 8 bytes; as two 32-bit halves of a Number when it is below 2^53 (no bigint temporaries to collect).
  if (record.weight <= MAX_SAFE) {
    const w = Number(record.weight);
    out.writeUInt32BE(Math.floor(w / 2 ** 32), pos + 152);
    out.writeUInt32BE(w >>> 0, pos + 156);
  } else out.writeBigUInt64BE(record.weight, pos + 152);
}

export function leafHash(poseidon: PoseidonHasher, f: LeafFields): bigint {
  return poseidon.hash([f.recordId, f.contributor, f.contentHi, f.contentLo, f.weight]);
}

export function nullifierFor(poseidon: PoseidonHasher, leaf: bigint, epoch: bigint): bigint {
  return poseidon.hash([leaf, epoch]);
}
