import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BN254_R } from '../../common/bn254.ts';
import { ZkaiError } from '../../common/errors.ts';
import { writeFileAtomic } from '../../common/fs.ts';
import { DEFAULT_TREE_DEPTH } from '../membership.ts';
import {
  type DatasetHasher,
  datasetHasher,
  type HashEngineChoice,
  type HashEngineName,
  LEAF_INPUT_BYTES,
  writeLeafNodes,
} from './hasher.ts';
import { LEAF_SCHEMA, leafFields, leafHash, nullifierFor, writeLeafInputs } from './leaf.ts';
import { MerkleSumTree, yieldToEventLoop } from './merkle.ts';
import { NODE_BYTES, type SumNode } from './node.ts';
import { getPoseidon } from './poseidon.ts';
import { recordLinesBuffer } from './record-lines.ts';
import type { DatasetRecord } from './records.ts';

/** The public description of a committed dataset (`dataset.json`). */
export interface DatasetManifest {
  format: 'zkai-dataset';
  /** 2: Merkle-sum tree (the root commits to totalWeight). Version 1 manifests are refused. */
  version: 2;
  /** Merkle-sum root hash, decimal (as a circuit signal) and 0x-hex (as a uint256 on chain). */
  root: string;
  rootHex: string;
  depth: number;
  leafCount: number;
  /** The root node's sum: the total weight the root commits to (public signal `total` of every proof). */
  totalWeight: string;
  schema: typeof LEAF_SCHEMA;
  /** Sidecar files (relative to dataset.json) needed to produce membership witnesses. */
  files: { records: string; tree: string };
  source?: { name: string; sha256: string };
  createdAt: string;
  commitSeconds: number;
}

/** A loaded dataset: manifest, records and tree, ready to produce membership witnesses. */
export interface Dataset {
  manifest: DatasetManifest;
  records: DatasetRecord[];
  tree: MerkleSumTree;
  indexOf: Map<string, number>;
  /** Which Poseidon computed the commitment (set by commitDataset): the same root either way. */
  hashEngine?: HashEngineName;
}

/** Inputs of the membership circuit for one record (names match circuits/lib/membership.circom). */
export interface MembershipInput {
  root: string;
  total: string;
  contributor: string;
  weight: string;
  epoch: string;
  nullifier: string;
  recordId: string;
  contentHi: string;
  contentLo: string;
  pathElements: string[];
  pathSums: string[];
  pathIndices: string[];
}

export interface CommitOptions {
  depth?: number;
  source?: { name: string; sha256: string };
  /** Told how far the commit is, and which engine hashes (native or js). */
  onProgress?: (phase: string, done: number, total: number, engine: HashEngineName) => void;
  /** Which Poseidon hashes: auto (native when the addon is loaded), native or js. Default: ZKAI_DATASET_HASH. */
  hashEngine?: HashEngineChoice;
}

/**
 * Leaf nodes (leaf hash, weight) of `records`, `hasher.batch` at a time, written into `out` from node `first` on.
 * `tick(count)` after each batch; `alongside(chunk)`, if given, runs on each chunk on this thread while the engine's
 * threads hash the chunk before it (commitDataset writes the records sidecar's bytes there).
 */
export async function hashLeaves(
  hasher: DatasetHasher,
  records: readonly DatasetRecord[],
  out: Buffer,
  first: number,
  tick: (count: number) => Promise<void>,
  alongside?: (chunk: readonly DatasetRecord[]) => void,
): Promise<void> {
  // One chunk hashes (native threads) while the next is encoded (this thread).
  let pending: Promise<void> = Promise.resolve();
  for (let i = 0; i < records.length; i += hasher.batch) {
    const chunk = records.slice(i, i + hasher.batch);
    const inputs = Buffer.alloc(chunk.length * LEAF_INPUT_BYTES);
    for (let k = 0; k < chunk.length; k++) writeLeafInputs(chunk[k]!, inputs, k * LEAF_INPUT_BYTES);
    alongside?.(chunk);
    await pending;
    pending = (async () => {
      writeLeafNodes(await hasher.leaves(inputs), inputs, chunk.length, out, first + i);
      await tick(chunk.length);
    })();
    // Awaited above or below; an encoding error thrown first must not leave it unhandled.
    pending.catch(() => {});
  }
  await pending;
}

export function sidecarNames(manifestPath: string): { records: string; tree: string } {
  const base = path.basename(manifestPath).replace(/\.json$/i, '');
  return { records: `${base}.records.jsonl`, tree: `${base}.tree.bin` };
}

/**
 * A record as the records sidecar holds it: one JSON line, its four fields in this order, the weight as a decimal
 * string. The reference for recordLinesBuffer (record-lines.ts), which writes the sidecar.
 */
export function recordLine(r: DatasetRecord): string {
  return JSON.stringify({ id: r.id, contributor: r.contributor, contentHash: r.contentHash, weight: r.weight.toString() });
}

/** The manifest of a committed tree (commitSeconds filled in by the caller when everything is written). */
export function newManifest(
  manifestPath: string,
  root: SumNode,
  depth: number,
  leafCount: number,
  source?: { name: string; sha256: string },
): DatasetManifest {
  return {
    format: 'zkai-dataset',
    version: 2,
    root: root.hash.toString(),
    rootHex: `0x${root.hash.toString(16).padStart(64, '0')}`,
    depth,
    leafCount,
    totalWeight: root.sum.toString(),
    schema: LEAF_SCHEMA,
    files: sidecarNames(manifestPath),
    ...(source ? { source } : {}),
    createdAt: new Date().toISOString(),
    commitSeconds: 0,
  };
}

/**
 * Commit records: hash each into a leaf, build the Poseidon Merkle-sum tree, and write `manifestPath`
 * plus two sidecars beside it (records, tree) from which membership witnesses are made later.
 */
export async function commitDataset(records: DatasetRecord[], manifestPath: string, opts: CommitOptions = {}): Promise<Dataset> {
  const started = performance.now();
  const depth = opts.depth ?? DEFAULT_TREE_DEPTH;
  if (!Number.isInteger(depth) || depth < 1 || depth > 32) throw new ZkaiError('BAD_INPUT', `depth must be an integer 1..32, got ${depth}`);
  if (records.length > 2 ** depth)
    throw new ZkaiError('BAD_DATASET', `${records.length} records do not fit a depth-${depth} tree (max ${2 ** depth})`);
  const hasher = await datasetHasher(opts.hashEngine);
  const progress = (phase: string, done: number, total: number) => opts.onProgress?.(phase, done, total, hasher.engine);
  const leaves = Buffer.alloc(records.length * NODE_BYTES);
  let hashed = 0;
  const recordLines: Buffer[] = [];
  await hashLeaves(
    hasher,
    records,
    leaves,
    0,
    async (count) => {
      hashed += count;
      progress('leaves', hashed, records.length);
      await yieldToEventLoop();
    },
    (chunk) => recordLines.push(recordLinesBuffer(chunk)),
  );
  progress('leaves', records.length, records.length);
  const tree = await MerkleSumTree.fromLeafNodes(hasher, depth, leaves, (done, total) => progress('tree', done, total));
  const manifest = newManifest(manifestPath, { hash: tree.root, sum: tree.total }, depth, records.length, opts.source);
  const { files } = manifest;
  const dir = path.dirname(manifestPath);
  await writeFileAtomic(path.join(dir, files.records), recordLines);
  await writeFileAtomic(path.join(dir, files.tree), tree.serialize());
  manifest.commitSeconds = Math.round(performance.now() - started) / 1000;
  await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return datasetOf({ manifest, records, tree, hashEngine: hasher.engine });
}

/** Load a dataset committed by commitDataset, checking that the tree still matches the manifest. */
export async function loadDataset(manifestPath: string): Promise<Dataset> {
  if (!existsSync(manifestPath)) throw new ZkaiError('UNKNOWN_DATASET', `no dataset manifest at ${manifestPath}`);
  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch {
    throw new ZkaiError('BAD_DATASET', `${manifestPath} is not valid JSON`);
  }
  if (manifest?.format !== 'zkai-dataset') throw new ZkaiError('BAD_DATASET', `${manifestPath} is not a zkai dataset manifest`);
  if (manifest.version !== 2) {
    // Version 1 committed a plain Merkle tree whose root does not bind the total weight.
    throw new ZkaiError('BAD_DATASET', `${manifestPath} is a version ${manifest.version} dataset; commit its records again (version 2)`);
  }
  const dir = path.dirname(manifestPath);
  const poseidon = await getPoseidon();
  let treeBuf: Buffer;
  let recordsText: string;
  try {
    treeBuf = await readFile(path.join(dir, manifest.files.tree));
    recordsText = await readFile(path.join(dir, manifest.files.records), 'utf8');
  } catch (err) {
    throw new ZkaiError('BAD_DATASET', `dataset sidecar missing next to ${manifestPath}: ${(err as Error).message}`);
  }
  const tree = MerkleSumTree.deserialize(poseidon, treeBuf);
  if (
    tree.root.toString() !== manifest.root ||
    tree.total.toString() !== manifest.totalWeight ||
    tree.depth !== manifest.depth ||
    tree.leafCount !== manifest.leafCount
  ) {
    throw new ZkaiError(
      'BAD_DATASET',
      `${manifest.files.tree} does not match the manifest (root, total weight, depth or leaf count differ)`,
    );
  }
  const records: DatasetRecord[] = recordsText
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const r = JSON.parse(l);
      return { ...r, weight: BigInt(r.weight) };
    });
  if (records.length !== manifest.leafCount)
    throw new ZkaiError('BAD_DATASET', `${manifest.files.records} has ${records.length} records, manifest says ${manifest.leafCount}`);
  return datasetOf({ manifest, records, tree });
}

/**
 * A Dataset whose id → index map is built on first use: a million-entry Map costs ~1.5 CPU-seconds, which a commit
 * whose witnesses are asked for later (or never, in this process) need not spend.
 */
function datasetOf(fields: Omit<Dataset, 'indexOf'>): Dataset {
  let index: Map<string, number> | undefined;
  return {
    ...fields,
    get indexOf() {
      index ??= new Map(fields.records.map((r, i) => [r.id, i]));
      return index;
    },
  };
}

/**
 * A royalty epoch: any element of the BN254 scalar field (the circuit takes it as a field element, and RoyaltyVault's
 * royalty-epoch labels are hashes, not small counters; the vault refuses larger values with EpochOutOfField).
 */
export function parseEpoch(epoch: unknown): bigint {
  const text = typeof epoch === 'number' && Number.isSafeInteger(epoch) ? String(epoch) : epoch;
  if (typeof text !== 'string' || !/^[0-9]{1,78}$/.test(text) || BigInt(text) >= BN254_R) {
    throw new ZkaiError('BAD_INPUT', `epoch must be an integer 0..r-1 (the BN254 scalar field), got ${JSON.stringify(epoch)}`);
  }
  return BigInt(text);
}

/**
 * Circuit inputs proving that record `recordId` is in the dataset, for royalty epoch `epoch`.
 * The leaf is recomputed from the record and checked against the stored tree, so a corrupted
 * sidecar is caught here rather than as a failed witness.
 */
export async function membershipInput(dataset: Dataset, recordId: string, epoch: bigint | number | string): Promise<MembershipInput> {
  const e = typeof epoch === 'bigint' ? epoch : parseEpoch(epoch);
  const index = dataset.indexOf.get(recordId);
  if (index === undefined)
    throw new ZkaiError('UNKNOWN_RECORD', `record ${JSON.stringify(recordId)} is not in dataset ${dataset.manifest.rootHex}`);
  const poseidon = await getPoseidon();
  const fields = leafFields(dataset.records[index]!);
  const leaf = leafHash(poseidon, fields);
  const stored = dataset.tree.leaf(index);
  if (leaf !== stored.hash || fields.weight !== stored.sum)
    throw new ZkaiError('BAD_DATASET', `stored leaf ${index} does not match record ${recordId}`);
  const { pathElements, pathSums, pathIndices } = dataset.tree.path(index);
  return {
    root: dataset.tree.root.toString(),
    total: dataset.tree.total.toString(),
    contributor: fields.contributor.toString(),
    weight: fields.weight.toString(),
    epoch: e.toString(),
    nullifier: nullifierFor(poseidon, leaf, e).toString(),
    recordId: fields.recordId.toString(),
    contentHi: fields.contentHi.toString(),
    contentLo: fields.contentLo.toString(),
    pathElements: pathElements.map(String),
    pathSums: pathSums.map(String),
    pathIndices: pathIndices.map(String),
  };
}
