import { ZkaiError } from '../../common/errors.ts';
import type { PoseidonHasher } from './poseidon.ts';

/** A node of the Merkle-sum tree: its hash and the total weight of the leaves below it. */
export interface SumNode {
  hash: bigint;
  sum: bigint;
}

export interface MerklePath {
  /** Sibling hashes, leaf level first. */
  pathElements: bigint[];
  /** Sibling sums (total weight under each sibling), leaf level first. */
  pathSums: bigint[];
  /** Bit i of the leaf index, least significant first (leaf level first). */
  pathIndices: number[];
}

const MAGIC = 'zkmt';
/** Version 2: Merkle-sum tree (version 1, a plain Poseidon tree, is refused: such datasets must be recommitted). */
const FORMAT_VERSION = 2;
const HASH_BYTES = 32;
/** Sums are below 2^(64 + depth) <= 2^96: 16 bytes is plenty. */
const SUM_BYTES = 16;
const NODE_BYTES = HASH_BYTES + SUM_BYTES;
/** Hashes between yields to the event loop (~0.1 s of work). */
export const YIELD_EVERY = 2048;

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The parent of two nodes: hash = Poseidon(leftHash, leftSum, rightHash, rightSum), sum = leftSum + rightSum.
 * Hashing the sums is what makes the root commit to the total weight; the circuit (MerkleSumRoot in
 * circuits/lib/merkle.circom) computes exactly this, with every sum range-checked.
 */
export function parentNode(poseidon: PoseidonHasher, left: SumNode, right: SumNode): SumNode {
  return { hash: poseidon.hash([left.hash, left.sum, right.hash, right.sum]), sum: left.sum + right.sum };
}

/**
 * A Poseidon binary Merkle-sum tree of fixed depth holding `leafCount` leaves at indices 0..leafCount-1;
 * the rest are empty (hash 0, sum 0). Only non-empty nodes are stored: an empty subtree at level l is zeros[l].
 * The dataset's public commitment is the root's hash; the root's sum is the dataset's total weight.
 */
export class MerkleSumTree {
  readonly depth: number;
  /** levels[l][i] is node i at height l (l = 0: leaves). levels[depth] = [root]. */
  private readonly levels: SumNode[][];
  readonly zeros: SumNode[];

  private constructor(depth: number, levels: SumNode[][], zeros: SumNode[]) {
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
   * Build the tree over `leaves` (leaf hash, weight). Calls `onProgress(done, total)` now and then (hash
   * count), and yields to the event loop between batches so a server stays responsive while a large
   * dataset (seconds of hashing) is committed.
   */
  static async build(
    poseidon: PoseidonHasher,
    depth: number,
    leaves: SumNode[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<MerkleSumTree> {
    if (!Number.isInteger(depth) || depth < 1 || depth > 32) throw new ZkaiError('BAD_INPUT', `tree depth must be 1..32, got ${depth}`);
    if (leaves.length > 2 ** depth) {
      throw new ZkaiError(
        'BAD_DATASET',
        `${leaves.length} records do not fit a depth-${depth} tree (max ${2 ** depth}); use a larger --depth`,
      );
    }
    // The circuit range-checks each weight below 2^64; a tree holding anything else could never be proved.
    for (const leaf of leaves) {
      if (leaf.sum < 0n || leaf.sum >= 1n << 64n) throw new ZkaiError('BAD_DATASET', `leaf weight ${leaf.sum} is outside 0..2^64-1`);
    }
    const zeros = MerkleSumTree.zeroNodes(poseidon, depth);
    const levels: SumNode[][] = [leaves.slice()];
    let total = 0;
    for (let n = leaves.length, l = 0; l < depth; l++) total += n = Math.ceil(n / 2);
    let done = 0;
    for (let l = 0; l < depth; l++) {
      const below = levels[l]!;
      const above: SumNode[] = new Array(Math.ceil(below.length / 2));
      for (let i = 0; i < above.length; i++) {
        const right = 2 * i + 1 < below.length ? below[2 * i + 1]! : zeros[l]!;
        above[i] = parentNode(poseidon, below[2 * i]!, right);
        if (++done % YIELD_EVERY === 0) {
          onProgress?.(done, total);
          await yieldToEventLoop();
        }
      }
      if (above.length === 0) above.push(zeros[l + 1]!);
      levels.push(above);
    }
    onProgress?.(total, total);
    return new MerkleSumTree(depth, levels, zeros);
  }

  /** The root's hash: the dataset commitment (public signal `root`, the vault's key). */
  get root(): bigint {
    return this.levels[this.depth]![0]!.hash;
  }

  /** The root's sum: the total weight of all leaves (public signal `total`). */
  get total(): bigint {
    return this.levels[this.depth]![0]!.sum;
  }

  get leafCount(): number {
    return this.levels[0]!.length;
  }

  leaf(index: number): SumNode {
    this.checkIndex(index);
    return this.levels[0]![index]!;
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
      const node = sibling < level.length ? level[sibling]! : this.zeros[l]!;
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
    const nodes = this.levels.reduce((n, level) => n + level.length, 0);
    const buf = Buffer.alloc(16 + nodes * NODE_BYTES);
    buf.write(MAGIC, 0, 'latin1');
    buf.writeUInt32LE(FORMAT_VERSION, 4);
    buf.writeUInt32LE(this.depth, 8);
    buf.writeUInt32LE(this.leafCount, 12);
    let pos = 16;
    for (const level of this.levels) {
      for (const node of level) {
        buf.write(node.hash.toString(16).padStart(HASH_BYTES * 2, '0'), pos, 'hex');
        buf.write(node.sum.toString(16).padStart(SUM_BYTES * 2, '0'), pos + HASH_BYTES, 'hex');
        pos += NODE_BYTES;
      }
    }
    return buf;
  }

  static deserialize(poseidon: PoseidonHasher, buf: Buffer): MerkleSumTree {
    if (buf.length < 16 || buf.subarray(0, 4).toString('latin1') !== MAGIC) {
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
    const levels: SumNode[][] = [];
    let pos = 16;
    for (let l = 0, n = leafCount; l <= depth; l++, n = Math.max(1, Math.ceil(n / 2))) {
      if (pos + n * NODE_BYTES > buf.length) throw new ZkaiError('BAD_DATASET', 'tree file is truncated');
      const level: SumNode[] = new Array(n);
      for (let i = 0; i < n; i++, pos += NODE_BYTES) {
        level[i] = {
          hash: BigInt(`0x${buf.toString('hex', pos, pos + HASH_BYTES)}`),
          sum: BigInt(`0x${buf.toString('hex', pos + HASH_BYTES, pos + NODE_BYTES)}`),
        };
      }
      levels.push(level);
    }
    return new MerkleSumTree(depth, levels, MerkleSumTree.zeroNodes(poseidon, depth));
  }
}
