/**
 * A Merkle-sum tree node and its byte layout, shared by the tree (merkle.ts), the tree file and both hashing engines
 * (hasher.ts): a node is a 32-byte big-endian hash followed by a 16-byte big-endian sum, NODE_BYTES in all.
 */
import type { PoseidonHasher } from './poseidon.ts';

/** A node of the Merkle-sum tree: its hash and the total weight of the leaves below it. */
export interface SumNode {
  hash: bigint;
  sum: bigint;
}

export const HASH_BYTES = 32;
/** Sums are below 2^(64 + depth) <= 2^96: 16 bytes is plenty. */
export const SUM_BYTES = 16;
export const NODE_BYTES = HASH_BYTES + SUM_BYTES;

/**
 * The parent of two nodes: hash = Poseidon(leftHash, leftSum, rightHash, rightSum), sum = leftSum + rightSum.
 * Hashing the sums is what makes the root commit to the total weight; the circuit (MerkleSumRoot in
 * circuits/lib/merkle.circom) computes exactly this, with every sum range-checked.
 */
export function parentNode(poseidon: PoseidonHasher, left: SumNode, right: SumNode): SumNode {
  return { hash: poseidon.hash([left.hash, left.sum, right.hash, right.sum]), sum: left.sum + right.sum };
}

/** A 32-byte big-endian field element at `pos`. */
export function readField(buf: Uint8Array, pos: number): bigint {
  return BigInt(`0x${Buffer.from(buf.buffer, buf.byteOffset + pos, HASH_BYTES).toString('hex')}`);
}

export function writeField(buf: Buffer, pos: number, x: bigint): void {
  buf.write(x.toString(16).padStart(HASH_BYTES * 2, '0'), pos, 'hex');
}

export function readNode(buf: Buffer, pos: number): SumNode {
  return {
    hash: BigInt(`0x${buf.toString('hex', pos, pos + HASH_BYTES)}`),
    sum: BigInt(`0x${buf.toString('hex', pos + HASH_BYTES, pos + NODE_BYTES)}`),
  };
}

export function writeNode(buf: Buffer, pos: number, node: SumNode): void {
  writeField(buf, pos, node.hash);
  buf.write(node.sum.toString(16).padStart(SUM_BYTES * 2, '0'), pos + HASH_BYTES, 'hex');
}

export function nodeBuffer(nodes: readonly SumNode[]): Buffer {
  const buf = Buffer.alloc(nodes.length * NODE_BYTES);
  for (const [i, node] of nodes.entries()) writeNode(buf, i * NODE_BYTES, node);
  return buf;
}
