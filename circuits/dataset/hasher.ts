/**
 * Batched Poseidon for dataset commitments: leaf hashes and whole Merkle-sum tree levels over buffers, on the native
 * engine (prover/native: C++, every core, off the event loop) or in JavaScript (circomlibjs, one hash at a time: the
 * reference the native path is tested against, and the fallback when the addon is not built). Both take and give the
 * same bytes: a field element is 32 bytes big-endian, a node is node.ts's NODE_BYTES (hash, sum).
 */
import { ZkaiError } from '../../common/errors.ts';
import type { NativeEngine } from '../../prover/native/api.ts';
import { loadNativeEngine, nativeEngineStatus } from '../../prover/native/index.ts';
import { HASH_BYTES, NODE_BYTES, parentNode, readField, readNode, writeField, writeNode } from './node.ts';
import { getPoseidon, type PoseidonHasher, poseidonTables } from './poseidon.ts';

/** Inputs of one leaf hash: recordId, contributor, contentHi, contentLo, weight (leaf.ts). */
export const LEAF_INPUTS = 5;
export const LEAF_INPUT_BYTES = LEAF_INPUTS * HASH_BYTES;

export type HashEngineName = 'native' | 'js';
export type HashEngineChoice = HashEngineName | 'auto';

export interface DatasetHasher {
  readonly engine: HashEngineName;
  /** Why the JavaScript hasher is used when native was asked for or is the default (auto). */
  readonly fallbackReason?: string;
  /** Hashes per call that keep a call near 0.1 s: the granularity of progress reports and event-loop yields. */
  readonly batch: number;
  /** n leaves: `inputs` is n × LEAF_INPUTS elements; n × 32-byte hashes out. */
  leaves(inputs: Buffer): Promise<Buffer>;
  /** One tree level: n nodes in, ⌈n/2⌉ parents out, an odd last node paired with `zero` (one node). */
  level(nodes: Buffer, zero: Buffer): Promise<Buffer>;
}

/** The JavaScript reference: circomlibjs's Poseidon on bigints, node by node (parentNode, as before the engine). */
export function jsHasher(poseidon: PoseidonHasher, fallbackReason?: string): DatasetHasher {
  return {
    engine: 'js',
    ...(fallbackReason ? { fallbackReason } : {}),
    batch: 1024,
    async leaves(inputs) {
      const n = inputs.length / LEAF_INPUT_BYTES;
      const out = Buffer.alloc(n * HASH_BYTES);
      for (let i = 0; i < n; i++) {
        const fields = Array.from({ length: LEAF_INPUTS }, (_, k) => readField(inputs, (i * LEAF_INPUTS + k) * HASH_BYTES));
        writeField(out, i * HASH_BYTES, poseidon.hash(fields));
      }
      return out;
    },
    async level(nodes, zero) {
      const n = nodes.length / NODE_BYTES;
      const out = Buffer.alloc(Math.ceil(n / 2) * NODE_BYTES);
      for (let i = 0; 2 * i < n; i++) {
        const right = 2 * i + 1 < n ? readNode(nodes, (2 * i + 1) * NODE_BYTES) : readNode(zero, 0);
        writeNode(out, i * NODE_BYTES, parentNode(poseidon, readNode(nodes, 2 * i * NODE_BYTES), right));
      }
      return out;
    },
  };
}

/** The native engine's batched Poseidon, given circomlibjs's constants (poseidon.ts) at first use. */
export async function nativeHasher(engine: NativeEngine): Promise<DatasetHasher> {
  const handle = async (t: number) => {
    const k = await poseidonTables(t);
    return engine.poseidonParams(k.t, k.nRoundsF, k.nRoundsP, k.C, k.S, k.M, k.P);
  };
  const leafHandle = await handle(LEAF_INPUTS + 1);
  const nodeHandle = await handle(5);
  const bytes = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  return {
    engine: 'native',
    batch: 1 << 15,
    leaves: async (inputs) => bytes(await engine.poseidonHash(leafHandle, inputs)),
    level: async (nodes, zero) => bytes(await engine.merkleSumLevel(nodeHandle, nodes, zero)),
  };
}

const CHOICES: readonly HashEngineChoice[] = ['auto', 'native', 'js'];

/** Reads ZKAI_DATASET_HASH (or an explicit choice): auto, native or js. */
export function parseHashEngine(value: string | undefined): HashEngineChoice {
  const v = (value ?? '').trim().toLowerCase() || 'auto';
  if (!(CHOICES as readonly string[]).includes(v)) {
    throw new ZkaiError(
      'BAD_INPUT',
      `dataset hash engine ${JSON.stringify(value)} is not one of ${CHOICES.join(', ')} (ZKAI_DATASET_HASH)`,
    );
  }
  return v as HashEngineChoice;
}

const cached = new Map<HashEngineChoice, Promise<DatasetHasher>>();

/**
 * The hasher a commit uses: native when the addon is loaded (and ZKAI_NATIVE is not off), JavaScript otherwise or
 * when asked. Without a usable addon, auto and native fall back to JavaScript with the reason in `fallbackReason`,
 * as ZKAI_ENGINE=native does for proofs: the roots are the same either way, only slower.
 */
export function datasetHasher(choice: HashEngineChoice = parseHashEngine(process.env.ZKAI_DATASET_HASH)): Promise<DatasetHasher> {
  let hasher = cached.get(choice);
  if (!hasher) {
    hasher = (async () => {
      if (choice === 'js') return jsHasher(await getPoseidon());
      const off = process.env.ZKAI_NATIVE === 'off' || process.env.ZKAI_NATIVE === '0';
      const engine = off ? null : loadNativeEngine();
      let reason = off ? 'ZKAI_NATIVE=off' : `native engine unavailable: ${nativeEngineStatus().reason ?? 'unknown'}`;
      if (engine) {
        try {
          return await nativeHasher(engine);
        } catch (err) {
          // An addon built before Poseidon was added (not rebuilt since): commit in JavaScript rather than fail.
          reason = `native Poseidon unavailable: ${(err as Error).message} (run npm run build:native)`;
        }
      }
      return jsHasher(await getPoseidon(), reason);
    })();
    cached.set(choice, hasher);
    hasher.catch(() => cached.delete(choice));
  }
  return hasher;
}

/** Empty-subtree nodes for levels 0..depth (zeros[0] is the empty leaf (0, 0)), one NODE_BYTES buffer each. */
export async function zeroNodeBuffers(hasher: DatasetHasher, depth: number): Promise<Buffer[]> {
  const zeros: Buffer[] = [Buffer.alloc(NODE_BYTES)];
  for (let l = 0; l < depth; l++) zeros.push(await hasher.level(Buffer.concat([zeros[l]!, zeros[l]!]), zeros[l]!));
  return zeros;
}

/**
 * Leaf nodes from leaf hashes and the input rows they were hashed from: node k = (hashes[k], the row's weight as the
 * 16-byte sum, the weight being the row's last element, < 2^64), written into `out` from node `first` on. Copied as
 * 32-bit words when the three buffers allow (a Buffer method call per field costs ~1 µs a record at a million).
 */
export function writeLeafNodes(hashes: Buffer, inputs: Buffer, n: number, out: Buffer, first = 0): void {
  if (((hashes.byteOffset | inputs.byteOffset | out.byteOffset) & 3) === 0) {
    const h = new Uint32Array(hashes.buffer, hashes.byteOffset, n * (HASH_BYTES / 4));
    const row = new Uint32Array(inputs.buffer, inputs.byteOffset, n * (LEAF_INPUT_BYTES / 4));
    const o = new Uint32Array(out.buffer, out.byteOffset + first * NODE_BYTES, n * (NODE_BYTES / 4));
    for (let k = 0; k < n; k++) {
      const p = 12 * k;
      const q = 8 * k;
      for (let j = 0; j < 8; j++) o[p + j] = h[q + j]!;
      o[p + 8] = 0;
      o[p + 9] = 0;
      o[p + 10] = row[40 * k + 38]!;
      o[p + 11] = row[40 * k + 39]!;
    }
    return;
  }
  for (let k = 0; k < n; k++) {
    const pos = (first + k) * NODE_BYTES;
    hashes.copy(out, pos, k * HASH_BYTES, (k + 1) * HASH_BYTES);
    out.fill(0, pos + HASH_BYTES, pos + HASH_BYTES + 8);
    inputs.copy(out, pos + HASH_BYTES + 8, (k + 1) * LEAF_INPUT_BYTES - 8, (k + 1) * LEAF_INPUT_BYTES);
  }
}
