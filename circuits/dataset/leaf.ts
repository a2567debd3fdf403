import { sha256Hex } from '../../common/hash.ts';
import type { PoseidonHasher } from './poseidon.ts';
import type { DatasetRecord } from './records.ts';

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

export function leafHash(poseidon: PoseidonHasher, f: LeafFields): bigint {
  return poseidon.hash([f.recordId, f.contributor, f.contentHi, f.contentLo, f.weight]);
}

export function nullifierFor(poseidon: PoseidonHasher, leaf: bigint, epoch: bigint): bigint {
  return poseidon.hash([leaf, epoch]);
}
