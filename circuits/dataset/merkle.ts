import { ZkaiError } from '../../common/errors.ts';
import type { PoseidonHasher } from './poseidon.ts';

export interface MerklePath {
  pathElements: bigint[];
  /** Bit i of the leaf index, least significant first (leaf level first). */
  pathIndices: number[];
}

const MAGIC = 'zkmt';
const NODE_BYTES = 32;
/** Hashes between yields to the event loop (~0.1 s of work). */
export const YIELD_EVERY = 2048;

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A Poseidon binary Merkle tree of fixed depth holding `leafCount` leaves at indices 0..leafCount-1;
 * the rest are empty (0). Only non-empty nodes are stored: an empty subtree at level l hashes to zeros[l].
 */
export class PoseidonMerkleTree {
  readonly depth: number;
  /** levels[l][i] is node i at height l (l = 0: leaves). levels[depth] = [root]. */
  private readonly levels: bigint[][];
  readonly zeros: bigint[];

  private constructor(depth: number, levels: bigint[][], zeros: bigint[]) {
    this.depth = depth;
    this.levels = levels;
    this.zeros = zeros;
  }

  static zeroHashes(poseidon: PoseidonHasher, depth: number): bigint[] {
    const zeros = [0n];
    for (let l = 0; l < depth; l++) zeros.push(poseidon.hash([zeros[l]!, zeros[l]!]));
    return zeros;
  }

  /**
   * Build the tree over `leaves`. Calls `onProgress(done, total)` now and then (hash count), and
   * yields to the event loop between batches so a server stays responsive while a large dataset
   * (seconds of hashing) is committed.
   */
  static async build(
    poseidon: PoseidonHasher,
    depth: number,
    leaves: bigint[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<PoseidonMerkleTree> {
    if (!Number.isInteger(depth) || depth < 1 || depth > 32) throw new ZkaiError('BAD_INPUT', `tree depth must be 1..32, got ${depth}`);
    if (leaves.length > 2 ** depth) {
      throw new ZkaiError(
        'BAD_DATASET',
        `${leaves.length} records do not fit a depth-${depth} tree (max ${2 ** depth}); use a larger --depth`,
      );
    }
    const zeros = PoseidonMerkleTree.zeroHashes(poseidon, depth);
    const levels: bigint[][] = [leaves.slice()];
    let total = 0;
    for (let n = leaves.length, l = 0; l < depth; l++) total += n = Math.ceil(n / 2);
    let done = 0;
    for (let l = 0; l < depth; l++) {
      const below = levels[l]!;
      const above: bigint[] = new Array(Math.ceil(below.length / 2));
      for (let i = 0; i < above.length; i++) {
        const left = below[2 * i]!;
        const right = 2 * i + 1 < below.length ? below[2 * i + 1]! : zeros[l]!;
        above[i] = poseidon.hash([left, right]);
        if (++done % YIELD_EVERY === 0) {
          onProgress?.(done, total);
          await yieldToEventLoop();
        }
      }
      if (above.length === 0) above.push(zeros[l + 1]!);
      levels.push(above);
    }
    onProgress?.(total, total);
    return new PoseidonMerkleTree(depth, levels, zeros);
  }

  get root(): bigint {
    return this.levels[this.depth]![0]!;
  }

  get leafCount(): number {
    return this.levels[0]!.length;
  }

  leaf(index: number): bigint {
    this.checkIndex(index);
    return this.levels[0]![index]!;
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.leafCount) {
      throw new ZkaiError('UNKNOWN_RECORD', `leaf index ${index} is outside the tree (0..${this.leafCount - 1})`);
    }
  }

  /** Authentication path of leaf `index`. */
  path(index: number): MerklePath {
    this.checkIndex(index);
    const pathElements: bigint[] = [];
    const pathIndices: number[] = [];
    let i = index;
    for (let l = 0; l < this.depth; l++) {
      const sibling = i ^ 1;
      const level = this.levels[l]!;
      pathElements.push(sibling < level.length ? level[sibling]! : this.zeros[l]!);
      pathIndices.push(i & 1);
      i >>= 1;
    }
    return { pathElements, pathIndices };
  }

  /** Recompute the root from a leaf and a path (what the circuit does), e.g. to check a path. */
  static rootFromPath(poseidon: PoseidonHasher, leaf: bigint, path: MerklePath): bigint {
    let cur = leaf;
    path.pathElements.forEach((sibling, l) => {
      cur = path.pathIndices[l] ? poseidon.hash([sibling, cur]) : poseidon.hash([cur, sibling]);
    });
    return cur;
  }

  /** Binary form: "zkmt", u32 version, u32 depth, u32 leafCount, then every level's nodes (32-byte big-endian). */
  serialize(): Buffer {
    const nodes = this.levels.reduce((n, level) => n + level.length, 0);
    const buf = Buffer.alloc(16 + nodes * NODE_BYTES);
    buf.write(MAGIC, 0, 'latin1');
    buf.writeUInt32LE(1, 4);
    buf.writeUInt32LE(this.depth, 8);
    buf.writeUInt32LE(this.leafCount, 12);
    let pos = 16;
    for (const level of this.levels) {
      for (const node of level) {
        buf.write(node.toString(16).padStart(64, '0'), pos, 'hex');
        pos += NODE_BYTES;
      }
    }
    return buf;
  }

  static deserialize(poseidon: PoseidonHasher, buf: Buffer): PoseidonMerkleTree {
    if (buf.length < 16 || buf.subarray(0, 4).toString('latin1') !== MAGIC || buf.readUInt32LE(4) !== 1) {
      throw new ZkaiError('BAD_DATASET', 'tree file is not a zkai Merkle tree (bad magic or version)');
    }
    const depth = buf.readUInt32LE(8);
    const leafCount = buf.readUInt32LE(12);
    const levels: bigint[][] = [];
    let pos = 16;
    for (let l = 0, n = leafCount; l <= depth; l++, n = Math.max(1, Math.ceil(n / 2))) {
      if (pos + n * NODE_BYTES > buf.length) throw new ZkaiError('BAD_DATASET', 'tree file is truncated');
      const level: bigint[] = new Array(n);
      for (let i = 0; i < n; i++, pos += NODE_BYTES) level[i] = BigInt(`0x${buf.toString('hex', pos, pos + NODE_BYTES)}`);
      levels.push(level);
    }
    return new PoseidonMerkleTree(depth, levels, PoseidonMerkleTree.zeroHashes(poseidon, depth));
  }
}
