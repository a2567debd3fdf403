/**
 * Out-of-core dataset commitment: a records file of any size (10^8 records is ~10 GB of tree) is streamed in chunks
 * and committed with memory bounded by the chunk size, not the dataset. The results are those of commitDataset over
 * the same records, byte for byte (manifest, records sidecar, tree file): the tree file's layout (header, then each
 * level's nodes, leaves first) is already a sequence of levels, so each level is appended as it is hashed from the one
 * before it, read back from the same file. Duplicate ids, which an in-memory Set finds for commitDataset, are found
 * with 64-bit fingerprints (the first 8 bytes of the record id's sha256) spread over bucket files and sorted per
 * bucket; a fingerprint seen twice sends a second pass over the file to compare the ids themselves.
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ZkaiError } from '../../common/errors.ts';
import { uniqueSuffix, writeFileAtomic } from '../../common/fs.ts';
import { DEFAULT_TREE_DEPTH } from '../membership.ts';
import { type CommitOptions, type DatasetManifest, newManifest } from './dataset.ts';
import { type DatasetHasher, datasetHasher, type HashEngineName, LEAF_INPUT_BYTES, writeLeafNodes, zeroNodeBuffers } from './hasher.ts';
import { writeLeafInputs } from './leaf.ts';
import { checkTreeShape, HEADER_BYTES, hashLevel, treeHashCount, treeHeader } from './merkle.ts';
import { NODE_BYTES, readNode } from './node.ts';
import { recordLinesBuffer } from './record-lines.ts';
import { type ColumnMap, type DatasetRecord, duplicateIdError, formatOf, recordLineParser } from './records.ts';

export interface FileCommitOptions extends Omit<CommitOptions, 'onProgress'> {
  columns?: ColumnMap;
  /** A hasher to use instead of hashEngine's (tests give one with a small batch, so that chunking is exercised). */
  hasher?: DatasetHasher;
  /** leaves: bytes of the records file read; tree: parents hashed (of the tree's total). */
  onProgress?: (phase: 'leaves' | 'tree', done: number, total: number, engine: HashEngineName) => void;
}

/** Fingerprint buckets (by the top 6 bits): at 10^8 records each holds ~12.5 MB, sorted one at a time. */
const BUCKETS = 64;
const BUCKET_BUFFER = 1 << 16;

class Fingerprints {
  private readonly files: FileHandle[] = [];
  private readonly buffers = Array.from({ length: BUCKETS }, () => Buffer.alloc(BUCKET_BUFFER));
  private readonly fill = new Array<number>(BUCKETS).fill(0);

  constructor(private readonly dir: string) {}

  async open(): Promise<void> {
    for (let b = 0; b < BUCKETS; b++) this.files.push(await open(path.join(this.dir, `fp-${b}`), 'w'));
  }

  /** The fingerprint of a leaf: bytes 1..8 of its input row (the record id's sha256, leaf.ts). */
  async add(inputs: Buffer, row: number): Promise<void> {
    const pos = row * LEAF_INPUT_BYTES + 1;
    const b = inputs[pos]! >> 2;
    inputs.copy(this.buffers[b]!, this.fill[b]!, pos, pos + 8);
    this.fill[b]! += 8;
    if (this.fill[b] === BUCKET_BUFFER) await this.flush(b);
  }

  private async flush(b: number): Promise<void> {
    await this.files[b]!.write(this.buffers[b]!, 0, this.fill[b]!);
    this.fill[b] = 0;
  }

  /** Fingerprints seen more than once (as big-endian hex). */
  async repeated(): Promise<Set<string>> {
    const out = new Set<string>();
    for (let b = 0; b < BUCKETS; b++) {
      await this.flush(b);
      await this.files[b]!.close();
      const bytes = await readFile(path.join(this.dir, `fp-${b}`));
      const values = new BigUint64Array(bytes.length / 8);
      for (let i = 0; i < values.length; i++) values[i] = bytes.readBigUInt64BE(8 * i);
      values.sort();
      for (let i = 1; i < values.length; i++) if (values[i] === values[i - 1]) out.add(values[i]!.toString(16).padStart(16, '0'));
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.files.map((f) => f.close()));
  }
}

async function* recordsOf(file: string, columns?: ColumnMap): AsyncGenerator<{ record: DatasetRecord; line: number; bytes: number }> {
  const parse = recordLineParser(formatOf(file), file, columns);
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let bytes = 0;
  try {
    for await (const text of rl) {
      line++;
      bytes += text.length + 1;
      const record = parse(text, line);
      if (record) yield { record, line, bytes };
    }
  } catch (err) {
    if (err instanceof ZkaiError) throw err;
    throw new ZkaiError('BAD_DATASET', `cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Second pass, only when two fingerprints collided: is it the same id twice (refused) or two ids (fine)? */
async function findDuplicate(file: string, suspects: Set<string>, columns?: ColumnMap): Promise<void> {
  const seen = new Map<string, number>();
  const row = Buffer.alloc(LEAF_INPUT_BYTES);
  for await (const { record, line } of recordsOf(file, columns)) {
    writeLeafInputs(record, row, 0);
    if (!suspects.has(row.toString('hex', 1, 9))) continue;
    if (seen.has(record.id)) throw duplicateIdError(`${file}:${line}`, record.id);
    seen.set(record.id, line);
  }
}

/**
 * Commit the records in `recordsFile` (CSV or JSONL, as readRecordsFile reads them) with bounded memory, writing
 * `manifestPath` and its two sidecars exactly as commitDataset does.
 */
export async function commitRecordsFile(
  recordsFile: string,
  manifestPath: string,
  opts: FileCommitOptions = {},
): Promise<{ manifest: DatasetManifest; hashEngine: HashEngineName; fallbackReason?: string }> {
  const started = performance.now();
  const depth = opts.depth ?? DEFAULT_TREE_DEPTH;
  checkTreeShape(depth, 0);
  const hasher = opts.hasher ?? (await datasetHasher(opts.hashEngine));
  const dir = path.dirname(manifestPath);
  const work = path.join(dir, `.${path.basename(manifestPath)}.${uniqueSuffix()}.parts`);
  await mkdir(work, { recursive: true });
  const fingerprints = new Fingerprints(work);
  const treePath = path.join(work, 'tree.bin');
  const recordsPath = path.join(work, 'records.jsonl');
  const tree = await open(treePath, 'w+');
  const out = await open(recordsPath, 'w');
  try {
    await fingerprints.open();
    const size = (await stat(recordsFile)).size;
    const progress = (phase: 'leaves' | 'tree', done: number, total: number) => opts.onProgress?.(phase, done, total, hasher.engine);
    let leafCount = 0;
    let writePos = HEADER_BYTES;
    // One chunk hashes (native threads) while the next is parsed (this thread); writes stay in record order.
    let pending: Promise<void> = Promise.resolve();
    const flush = async (chunk: DatasetRecord[]) => {
      const inputs = Buffer.alloc(chunk.length * LEAF_INPUT_BYTES);
      for (let k = 0; k < chunk.length; k++) {
        writeLeafInputs(chunk[k]!, inputs, k * LEAF_INPUT_BYTES);
        await fingerprints.add(inputs, k);
      }
      const lines = recordLinesBuffer(chunk);
      await pending;
      pending = (async () => {
        const nodes = Buffer.alloc(chunk.length * NODE_BYTES);
        writeLeafNodes(await hasher.leaves(inputs), inputs, chunk.length, nodes);
        await tree.write(nodes, 0, nodes.length, writePos);
        writePos += nodes.length;
        await out.write(lines);
      })();
      // Awaited by the next flush or after the loop; a parse error thrown first must not leave it unhandled.
      pending.catch(() => {});
    };
    let chunk: DatasetRecord[] = [];
    for await (const { record, bytes } of recordsOf(recordsFile, opts.columns)) {
      chunk.push(record);
      if (++leafCount > 2 ** depth) checkTreeShape(depth, leafCount);
      if (chunk.length === hasher.batch) {
        await flush(chunk);
        chunk = [];
        progress('leaves', bytes, size);
      }
    }
    if (chunk.length) await flush(chunk);
    await pending;
    if (leafCount === 0) throw new ZkaiError('BAD_DATASET', `${recordsFile}: no records`);
    progress('leaves', size, size);
    const suspects = await fingerprints.repeated();
    if (suspects.size) await findDuplicate(recordsFile, suspects, opts.columns);

    const root = await hashLevelsInFile(hasher, tree, depth, leafCount, (done, total) => progress('tree', done, total));
    await tree.write(treeHeader(depth, leafCount), 0, HEADER_BYTES, 0);
    await Promise.all([tree.close(), out.close()]);
    const manifest = newManifest(manifestPath, root, depth, leafCount, opts.source);
    await rename(recordsPath, path.join(dir, manifest.files.records));
    await rename(treePath, path.join(dir, manifest.files.tree));
    manifest.commitSeconds = Math.round(performance.now() - started) / 1000;
    await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    return { manifest, hashEngine: hasher.engine, ...(hasher.fallbackReason ? { fallbackReason: hasher.fallbackReason } : {}) };
  } finally {
    await Promise.allSettled([tree.close(), out.close(), fingerprints.close()]);
    await rm(work, { recursive: true, force: true });
  }
}

/** Every level above the leaves, each read back from the file in chunks and appended to it; returns the root. */
async function hashLevelsInFile(
  hasher: DatasetHasher,
  file: FileHandle,
  depth: number,
  leafCount: number,
  onProgress: (done: number, total: number) => void,
): Promise<{ hash: bigint; sum: bigint }> {
  const zeros = await zeroNodeBuffers(hasher, depth);
  const total = treeHashCount(depth, leafCount);
  let done = 0;
  let levelStart = HEADER_BYTES;
  let writePos = HEADER_BYTES + leafCount * NODE_BYTES;
  for (let l = 0, n = leafCount; l < depth; l++, n = Math.ceil(n / 2)) {
    const start = levelStart;
    const read = async (first: number, count: number) => {
      const buf = Buffer.alloc(count * NODE_BYTES);
      const { bytesRead } = await file.read(buf, 0, buf.length, start + first * NODE_BYTES);
      if (bytesRead !== buf.length) throw new ZkaiError('INTERNAL', 'tree file shorter than written');
      return buf;
    };
    const emit = async (parents: Buffer) => {
      await file.write(parents, 0, parents.length, writePos);
      writePos += parents.length;
    };
    await hashLevel(hasher, read, n, zeros[l]!, emit, async (parents) => {
      done += parents;
      onProgress(done, total);
    });
    levelStart = start + n * NODE_BYTES;
  }
  const rootBuf = Buffer.alloc(NODE_BYTES);
  await file.read(rootBuf, 0, NODE_BYTES, writePos - NODE_BYTES);
  return readNode(rootBuf, 0);
}
