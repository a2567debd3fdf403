/**
 * Known-answer vectors of the dataset encoding that third parties rely on (dataset.json's `schema`): three fixed
 * records and what they must hash to. Computed once, cross-checked with circomlibjs's Poseidon directly (outside this
 * package's code), and frozen here: tests compare the code under test against these constants and never derive them
 * with it, so a change to the leaf encoding, the Merkle-sum node hash or the nullifier fails. Used by
 * circuits/dataset/dataset.test.ts (the TypeScript side) and circuits/membership.test.ts (the circuit).
 */
import type { DatasetRecord } from './records.ts';

export const KAT_RECORDS: DatasetRecord[] = [
  {
    id: 'kat-1',
    contributor: '0x1111111111111111111111111111111111111111',
    contentHash: `0x${'01'.repeat(16)}${'02'.repeat(16)}`,
    weight: 10n,
  },
  { id: 'kat-2', contributor: '0x2222222222222222222222222222222222222222', contentHash: `0x${'ab'.repeat(32)}`, weight: 30n },
  { id: 'kat-3', contributor: '0x3333333333333333333333333333333333333333', contentHash: `0x${'fe'.repeat(32)}`, weight: 60n },
];

/** sha256("kat-1") = c5d101d1…b59f8f; recordId is its first 31 bytes. */
export const KAT_RECORD_ID_1 = 0xc5d101d10b9c2b347767abad32ab62052e9ab5d4e25963094e15a2af94b59fn;
export const KAT_CONTENT_HI_1 = 0x01010101010101010101010101010101n;
export const KAT_CONTENT_LO_1 = 0x02020202020202020202020202020202n;
export const KAT_LEAF_1 = 0x2e1e94126a40aa688588b38708a5ca9b12f3d99c01cd9e28471b1bedf620e0e3n;
/** Depth 2 over the three records (the fourth leaf empty): root hash and total. */
export const KAT_ROOT_D2 = 0x004bf882f1f8af3af1cd82f6d0a7411bb7097c0602998a612cbd8d8d9cf507fcn;
export const KAT_ROOT_D2_HEX = '0x004bf882f1f8af3af1cd82f6d0a7411bb7097c0602998a612cbd8d8d9cf507fc';
export const KAT_TOTAL = 100n;
/** Empty subtree one level up: Poseidon(0, 0, 0, 0). */
export const KAT_ZERO_1 = 0x0532fd436e19c70e51209694d9c215250937921b8b79060488c1206db73e9946n;
/** Nullifier of record kat-1 for epoch 7. */
export const KAT_NULLIFIER_1_E7 = 0x1fa44641bd9e4c931158b9d085025e2f8b98915d54fe652901dd54c1f719857an;
