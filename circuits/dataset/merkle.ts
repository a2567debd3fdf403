import { ZkaiError } from '../../common/errors.ts';
import { type DatasetHasher, jsHasher, zeroNodeBuffers } from './hasher.ts';
import { NODE_BYTES, nodeBuffer, parentNode, readNode, type SumNode } from './node.ts';
import type { PoseidonHasher } from './poseidon.ts';

export { parentNode, type SumNode } from './node.ts';

export interface MerklePath {
  /** Sibling hashes, leaf level first. */
  pathElements: bigint[];
  /** Sibling sums (total weight under each sibling), leaf level first. */
  pathSums: bigint[];
  /** Bit i of the leaf index, least significant first (leaf level first). */
  pathIndices: number[];
}

export const MAGIC = 'zkmt';
/** Version 2: Merkle-sum tree (version 1, a plain Poseidon tree, is refused: such datasets must be recommitted). */
export const FORMAT_VERSION = 2;
export const HEADER_BYTES = 16;
/** Hashes between yields to the event loop (~0.1 s of work). */
export const YIELD_EVERY = 2048;

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The tree file's header: "zkmt", u32 version, u32 depth, u32 leafCount (little-endian). */
export function treeHeader(depth: number, leafCount: number): Buffer {
  const buf = Buffer.alloc(HEADER_BYTES);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(FORMAT_VERSION, 4);
  buf.writeUInt32LE(depth, 8);
  buf.writeUInt32LE(leafCount, 12);
  return buf;
}

/** Parents computed (hash count) for a tree of `leafCount` leaves: progress's total. */
export function treeHashCount(depth: number, leafCount: number): number {
  let total = 0;
  for (let n = leafCount, l = 0; l < depth; l++) total += n = Math.ceil(n / 2);
  return total;
}

export function checkTreeShape(depth: number, leafCount: number): void {
  if (!Number.isInteger(depth) || depth < 1 || depth > 32) throw new ZkaiError('BAD_INPUT', `tree depth must be 1..32, got ${depth}`);
  if (leafCount > 2 ** depth) {
    throw new ZkaiError('BAD_DATASET', `${leafCount} records do not fit a depth-${depth} tree (max ${2 ** depth}); use a larger --depth`);
  }
}

/** The circuit range-checks each weight below 2^64: a leaf node whose sum has any of its top 8 bytes set is refused. */
export function checkLeafSums(leaves: Buffer, first = 0): void {
  for (let pos = 32; pos < leaves.length; pos += NODE_BYTES) {
    if (leaves.readBigUInt64BE(pos) !== 0n) {
      throw new ZkaiError('BAD_DATASET', `leaf ${first + (pos - 32) / NODE_BYTES} has a weight outside 0..2^64-1`);
    }
  }
}

/**
 * The parents of `below` (a level of `n` nodes), computed `hasher.batch` at a time, each batch handed to `emit`;
 * `tick(parents)` after each batch (progress, then a yield to the event loop).
 */
export async function hashLevel(
  hasher: DatasetHasher,
  read: (first: number, count: number) => Promise<Buffer> | Buffer,
  n: number,
  zero: Buffer,
  emit: (parents: Buffer) => Promise<void> | void,
  tick: (parents: number) => Promise<void>,
): Promise<void> {
  const step = 2 * hasher.batch;
  for (let i = 0; i < n; i += step) {
    const count = Math.min(step, n - i);
    await emit(await hasher.level(await read(i, count), zero));
    await tick(Math.ceil(count / 2));
  }
}

export class MerkleSumTree {
  readonly depth: number;
  /**
   * levels[l] holds the nodes at height l (l = 0: leaves) in the tree file's layout (NODE_BYTES each: a million-leaf
   * tree is 96 MB of buffers, not millions of bigints). levels[depth] is the root alone.
   */
  private readonly levels: Buffer[];
  readonly zeros: SumNode[];

  private constructor(depth: number, levels: Buffer[], zeros: SumNode[]) {
    this.depth = depth;
    this.levels = levels;
    this.zeros = zeros;
  }

  static zeroNodes(poseidon: PoseidonHasher, depth: number): SumNode[] {
    const zeros: SumNode[] = [{ hash: 0n, sum: 0n }];
    for (let l = 0; l < depth; l++) zeros.push(parentNode(poseidon, zeros[l]!, zeros[l]!));
    return zeros;
  }

  /**
   * Build the tree over `leaves` (leaf hash, weight) with `hasher` (default: the JavaScript reference). Calls
   * `onProgress(done, total)` now and then (hash count), and yields to the event loop between batches so a server
   * stays responsive while a large dataset (seconds of hashing) is committed.
   */
  static async build(
    poseidon: PoseidonHasher,
    depth: number,
    leaves: SumNode[],
    onProgress?: (done: number, total: number) => void,
    hasher: DatasetHasher = jsHasher(poseidon),
  ): Promise<MerkleSumTree> {
    checkTreeShape(depth, leaves.length);
    // The circuit range-checks each weight below 2^64; a tree holding anything else could never be proved.
    for (const leaf of leaves) {
      if (leaf.sum < 0n || leaf.sum >= 1n << 64n) throw new ZkaiError('BAD_DATASET', `leaf weight ${leaf.sum} is outside 0..2^64-1`);
    }
    return MerkleSumTree.fromLeafNodes(hasher, depth, nodeBuffer(leaves), onProgress);
  }

  /** Build the tree over leaf nodes already in the node layout (n × NODE_BYTES), every level in memory. */
  static async fromLeafNodes(
    hasher: DatasetHasher,
    depth: number,
    leaves: Buffer,
    onProgress?: (done: number, total: number) => void,
  ): Promise<MerkleSumTree> {
    const leafCount = leaves.length / NODE_BYTES;
    checkTreeShape(depth, leafCount);
    checkLeafSums(leaves);
    const zeros = await zeroNodeBuffers(hasher, depth);
    const levels: Buffer[] = [leaves];
    const total = treeHashCount(depth, leafCount);
    let done = 0;
    const tick = async (parents: number) => {
      done += parents;
      onProgress?.(done, total);
      await yieldToEventLoop();
    };
    for (let l = 0; l < depth; l++) {
      const below = levels[l]!;
      const parts: Buffer[] = [];
      const read = (first: number, count: number) => below.subarray(first * NODE_BYTES, (first + count) * NODE_BYTES);
      await hashLevel(hasher, read, below.length / NODE_BYTES, zeros[l]!, (p) => void parts.push(p), tick);
      levels.push(parts.length ? Buffer.concat(parts) : zeros[l + 1]!);
    }
    onProgress?.(total, total);
    return new MerkleSumTree(
      depth,
      levels,
      zeros.map((z) => readNode(z, 0)),
    );
  }

  /** The root's hash: the dataset commitment (public signal `root`, the vault's key). */
  get root(): bigint {
    return readNode(this.levels[this.depth]!, 0).hash;
  }

  /** The root's sum: the total weight of all leaves (public signal `total`). */
  get total(): bigint {
    return readNode(this.levels[this.depth]!, 0).sum;
  }

  get leafCount(): number {
    return this.levels[0]!.length / NODE_BYTES;
  }

  leaf(index: number): SumNode {
    this.checkIndex(index);
    return readNode(this.levels[0]!, index * NODE_BYTES);
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.leafCount) {
      throw new ZkaiError('UNKNOWN_RECORD', `leaf index ${index} is outside the tree (0..${this.leafCount - 1})`);
    }
  }

  /** Authentication path of leaf `index`: sibling hashes and sums, and the index bits. */
  path(index: number): MerklePath {
    this.checkIndex(index);
    const pathElements: bigint[] = [];
    const pathSums: bigint[] = [];
    const pathIndices: number[] = [];
    let i = index;
    for (let l = 0; l < this.depth; l++) {
      const sibling = i ^ 1;
      const level = this.levels[l]!;
      const node = sibling < level.length / NODE_BYTES ? readNode(level, sibling * NODE_BYTES) : this.zeros[l]!;
      pathElements.push(node.hash);
      pathSums.push(node.sum);
      pathIndices.push(i & 1);
      i >>= 1;
    }
    return { pathElements, pathSums, pathIndices };
  }

  /** Recompute the root node from a leaf and a path (what the circuit does), e.g. to check a path. */
  static rootFromPath(poseidon: PoseidonHasher, leaf: SumNode, path: MerklePath): SumNode {
    let cur = leaf;
    path.pathElements.forEach((hash, l) => {
      const sibling = { hash, sum: path.pathSums[l]! };
      cur = path.pathIndices[l] ? parentNode(poseidon, sibling, cur) : parentNode(poseidon, cur, sibling);
    });
    return cur;
  }

  /**
   * Binary form: "zkmt", u32 version (2), u32 depth, u32 leafCount, then every level's nodes, each a
   * 32-byte big-endian hash followed by a 16-byte big-endian sum.
   */
  serialize(): Buffer {
    return Buffer.concat([treeHeader(this.depth, this.leafCount), ...this.levels]);
  }

  static deserialize(poseidon: PoseidonHasher, buf: Buffer): MerkleSumTree {
    if (buf.length < HEADER_BYTES || buf.subarray(0, 4).toString('latin1') !== MAGIC) {
      throw new ZkaiError('BAD_DATASET', 'tree file is not a zkai Merkle tree (bad magic)');
    }
    if (buf.readUInt32LE(4) !== FORMAT_VERSION) {
      throw new ZkaiError(
        'BAD_DATASET',
        `tree file has format version ${buf.readUInt32LE(4)}; this zkai reads Merkle-sum trees (version ${FORMAT_VERSION}): commit the records again`,
      );
    }
    const depth = buf.readUInt32LE(8);
    const leafCount = buf.readUInt32LE(12);
    if (depth < 1 || depth > 32) throw new ZkaiError('BAD_DATASET', `tree file has depth ${depth}, outside 1..32`);
    const levels: Buffer[] = [];
    let pos = HEADER_BYTES;
    for (let l = 0, n = leafCount; l <= depth; l++, n = Math.max(1, Math.ceil(n / 2))) {
      if (pos + n * NODE_BYTES > buf.length) throw new ZkaiError('BAD_DATASET', 'tree file is truncated');
      levels.push(buf.subarray(pos, pos + n * NODE_BYTES));
      pos += n * NODE_BYTES;
    }
    return new MerkleSumTree(depth, levels, MerkleSumTree.zeroNodes(poseidon, depth));
  }
}
