/**
 * Content-addressed files in the PostgreSQL store of record (ZKAI_DB), so that API nodes share model files without a
 * shared folder (pg-model-files.ts). A blob is its bytes in chunks of at most `chunkBytes` (a 100+ MB zkey is never
 * one row: PostgreSQL caps a value at 1 GB and the driver holds a row in memory) plus a header row, written last in
 * the same transaction: a blob with a header is complete. Put is idempotent (the sha256 is the key; a second put, or
 * one racing it on another node, writes nothing). Get checks the size and sha256 of what it read before anything is
 * published: a changed chunk is ARTIFACT_MISMATCH, a missing blob ARTIFACT_UNAVAILABLE.
 *
 * Garbage collection (collect): a blob no row references any more (a setup contribution replaced a model's keys) is
 * deleted once it has been seen unreferenced for a grace period, never at once: a node may be reading it right then
 * (materialising a row it read just before the row moved on, for a worker's fetch), and a put of a blob that is
 * already there writes nothing but must not find it gone before its row is written. So each collection first marks:
 * `unreferenced_since` is set when a collection first finds the blob unreferenced and cleared when it finds it
 * referenced again, and every put of the blob clears it too (the put's row follows); then it deletes the blobs marked
 * longer ago than the grace, each under the lock puts of that blob take, checking again, in the same statement, that it
 * is still marked that long and still unreferenced (docs/deploy.md, ZKAI_BLOB_GRACE_HOURS).
 */
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import type pg from 'pg';
import { ZkaiError } from '../common/errors.ts';
import { uniqueSuffix } from '../common/fs.ts';
import { sha256File } from '../common/hash.ts';
import { inTransaction } from './pg-pool.ts';

export const BLOBS_DDL = `CREATE TABLE IF NOT EXISTS zkai_blob_chunks (
  sha256 TEXT NOT NULL,
  chunk INTEGER NOT NULL,
  bytes BYTEA NOT NULL,
  PRIMARY KEY (sha256, chunk)
);
CREATE TABLE IF NOT EXISTS zkai_blobs (
  sha256 TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  chunks INTEGER NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE zkai_blobs ADD COLUMN IF NOT EXISTS unreferenced_since TIMESTAMPTZ`;

/** 4 MiB: small enough for one row and one driver buffer, large enough that a 100 MB zkey is 25 rows. */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

export interface BlobRef {
  sha256: string;
  size: number;
}

export class PgBlobStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {
    if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new RangeError(`chunkBytes must be a positive integer, not ${chunkBytes}`);
  }

  /** Whether the blob is stored (complete: its header row is written last). */
  async has(sha256: string): Promise<boolean> {
    return (await this.pool.query('SELECT 1 FROM zkai_blobs WHERE sha256 = $1', [sha256])).rowCount === 1;
  }

  /**
   * Whether the blob is stored, for a put that is to reference it: its mark cleared, so that no collection deletes it
   * before the put's row references it (it is marked again only by a collection that finds it still unreferenced).
   */
  private async keep(sha256: string): Promise<boolean> {
    return (await this.pool.query('UPDATE zkai_blobs SET unreferenced_since = NULL WHERE sha256 = $1', [sha256])).rowCount === 1;
  }

  /**
   * Delete the blobs no row references and that have been found so for longer than `graceMs` (above). `referenced`: a
   * query (fixed SQL of the references' owner, pg-model-files.ts MODEL_FILE_BLOBS) whose `sha256` column lists every
   * referenced blob. Nodes collecting at once do no harm (each step is idempotent; each delete takes the blob's lock).
   */
  async collect(referenced: string, graceMs: number): Promise<{ marked: number; deleted: string[] }> {
    if (!Number.isFinite(graceMs) || graceMs < 0) throw new RangeError(`graceMs must be ≥ 0, not ${graceMs}`);
    const unreferenced = `NOT EXISTS (SELECT 1 FROM referenced r WHERE r.sha256 = b.sha256)`;
    await this.pool.query(
      `WITH referenced AS (${referenced}) UPDATE zkai_blobs b SET unreferenced_since = NULL WHERE unreferenced_since IS NOT NULL AND NOT ${unreferenced}`,
    );
    const marked = await this.pool.query(
      `WITH referenced AS (${referenced}) UPDATE zkai_blobs b SET unreferenced_since = now() WHERE unreferenced_since IS NULL AND ${unreferenced}`,
    );
    const expired = `unreferenced_since < now() - make_interval(secs => $1::double precision / 1000)`;
    const { rows } = await this.pool.query<{ sha256: string }>(`SELECT sha256 FROM zkai_blobs b WHERE ${expired} ORDER BY sha256`, [
      graceMs,
    ]);
    const deleted: string[] = [];
    for (const { sha256 } of rows) {
      const gone = await inTransaction(this.pool, async (c) => {
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`blob ${sha256}`]);
        const head = await c.query(
          `WITH referenced AS (${referenced}) DELETE FROM zkai_blobs b WHERE sha256 = $2 AND ${expired} AND ${unreferenced}`,
          [graceMs, sha256],
        );
        if (head.rowCount !== 1) return false; // re-referenced, or put again, meanwhile
        await c.query('DELETE FROM zkai_blob_chunks WHERE sha256 = $1', [sha256]);
        return true;
      });
      if (gone) deleted.push(sha256);
    }
    return { marked: marked.rowCount ?? 0, deleted };
  }

  /** Store `file`'s bytes (read chunk by chunk, never whole) and return its content id. */
  async putFile(file: string): Promise<BlobRef> {
    const sha256 = await sha256File(file);
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      if (await this.keep(sha256)) return { sha256, size };
      await this.write(sha256, size, async (index) => {
        const buf = Buffer.alloc(Math.min(this.chunkBytes, size - index * this.chunkBytes));
        const { bytesRead } = await fh.read(buf, 0, buf.length, index * this.chunkBytes);
        if (bytesRead !== buf.length) throw new Error(`${file} changed while it was stored`);
        return buf;
      });
      return { sha256, size };
    } finally {
      await fh.close();
    }
  }

  /** Store `bytes` and return their content id. */
  async put(bytes: Uint8Array): Promise<BlobRef> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const size = bytes.length;
    if (!(await this.keep(sha256))) {
      await this.write(sha256, size, async (index) =>
        Buffer.from(bytes.buffer, bytes.byteOffset + index * this.chunkBytes, Math.min(this.chunkBytes, size - index * this.chunkBytes)),
      );
    }
    return { sha256, size };
  }

  /**
   * Write blob `sha256` to `file` (which it creates or replaces) through a temporary file, checking its size and
   * sha256 first: `file` only ever holds the bytes asked for (`want.size`: the size its lister recorded).
   */
  async getFile(want: BlobRef, file: string): Promise<void> {
    const head = (
      await this.pool.query<{ size: string; chunks: number }>('SELECT size, chunks FROM zkai_blobs WHERE sha256 = $1', [want.sha256])
    ).rows[0];
    if (!head) throw new ZkaiError('ARTIFACT_UNAVAILABLE', `blob ${want.sha256} is not in the store of record`);
    if (Number(head.size) !== want.size)
      throw new ZkaiError('ARTIFACT_MISMATCH', `blob ${want.sha256} is stored with ${head.size} bytes, not the ${want.size} listed`);
    const tmp = `${file}.${uniqueSuffix()}.blob`;
    const hash = createHash('sha256');
    let bytes = 0;
    const fh = await open(tmp, 'w');
    try {
      // One chunk per query: the driver never holds more than a chunk.
      for (let index = 0; index < head.chunks; index++) {
        const row = (
          await this.pool.query<{ bytes: Buffer }>('SELECT bytes FROM zkai_blob_chunks WHERE sha256 = $1 AND chunk = $2', [
            want.sha256,
            index,
          ])
        ).rows[0];
        if (!row) throw new ZkaiError('ARTIFACT_MISMATCH', `blob ${want.sha256} lacks its chunk ${index} in the store of record`);
        hash.update(row.bytes);
        bytes += row.bytes.length;
        await fh.write(row.bytes);
      }
      await fh.close();
      const got = hash.digest('hex');
      if (got !== want.sha256 || bytes !== want.size)
        throw new ZkaiError(
          'ARTIFACT_MISMATCH',
          `blob ${want.sha256} read from the store of record hashes to ${got} (${bytes} bytes): its rows were changed; not used`,
        );
      await rename(tmp, file);
    } catch (err) {
      await fh.close().catch(() => {});
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** The chunks then the header, in one transaction; a racing put of the same blob makes this one write nothing. */
  private async write(sha256: string, size: number, chunk: (index: number) => Promise<Buffer>): Promise<void> {
    const chunks = Math.max(1, Math.ceil(size / this.chunkBytes));
    await inTransaction(this.pool, async (c) => {
      // Serialises puts of one blob across nodes: the second sees the header and stops.
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`blob ${sha256}`]);
      if ((await c.query('SELECT 1 FROM zkai_blobs WHERE sha256 = $1', [sha256])).rowCount === 1) return;
      // Chunks of an earlier put that died before its header (none: its transaction rolled back; kept for safety).
      await c.query('DELETE FROM zkai_blob_chunks WHERE sha256 = $1', [sha256]);
      for (let index = 0; index < chunks; index++)
        await c.query('INSERT INTO zkai_blob_chunks (sha256, chunk, bytes) VALUES ($1, $2, $3)', [sha256, index, await chunk(index)]);
      await c.query('INSERT INTO zkai_blobs (sha256, size, chunks) VALUES ($1, $2, $3)', [sha256, size, chunks]);
    });
  }
}
