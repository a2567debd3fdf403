export { type MembershipBatchInput, membershipBatchInput } from './batch.ts';
export type { CommitOptions, Dataset, DatasetManifest, MembershipInput } from './dataset.ts';
export { commitDataset, loadDataset, membershipInput, parseEpoch } from './dataset.ts';
export { type DatasetHasher, datasetHasher, type HashEngineChoice, type HashEngineName, parseHashEngine } from './hasher.ts';
export { LEAF_SCHEMA, leafFields, leafHash, nullifierFor, recordIdField } from './leaf.ts';
export { type MerklePath, MerkleSumTree, parentNode, type SumNode } from './merkle.ts';
export { getPoseidon, type PoseidonHasher, SNARK_FIELD } from './poseidon.ts';
export type { ColumnMap, DatasetRecord } from './records.ts';
export { formatOf, normaliseRecord, parseColumnMap, parseRecords, readRecordsFile } from './records.ts';
