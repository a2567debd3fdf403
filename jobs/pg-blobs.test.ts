// The PostgreSQL blob store (pg-blobs.ts): bytes round-trip at every chunk boundary, a second put (or a racing one)
// writes nothing, and what comes back is checked: a missing blob is ARTIFACT_UNAVAILABLE, changed or missing chunk
// rows are ARTIFACT_MISMATCH, and neither leaves a file (not even a temporary one) behind. Garbage collection keeps
// referenced blobs, deletes unreferenced ones only once found so for longer than the grace, and never one referenced
// or put again in between.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { isZkaiError } from '../common/errors.ts';
import { requireOrSkip } from '../test/require-dep.ts';
import { BLOBS_DDL, PgBlobStore } from './pg-blobs.ts';
import { connectPg } from './pg-pool.ts';
import { hasPostgres, startTestPostgres, type TestPostgres } from './queue/test-postgres.ts';

const CHUNK = 8;
const refused = (code: string) => (err: unknown) => isZkaiError(err) && err.code === code;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** `n` bytes that differ from one size to the next (no two test blobs share a hash by accident). */
const bytesOf = (n: number, salt = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + n + salt) & 0xff));

describe('PostgreSQL blob store', { skip: requireOrSkip(hasPostgres(), 'PostgreSQL (initdb, pg_ctl)') }, () => {
  let db: TestPostgres;
  let pool: pg.Pool;
  let blobs: PgBlobStore;
  let dir: string;

  before(async () => {
    db = await startTestPostgres();
    pool = await connectPg(db.url, 'blob store', BLOBS_DDL);
    blobs = new PgBlobStore(pool, CHUNK);
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-blobs-'));
  });

  after(async () => {
    await pool?.end();
    await db?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const rows = async (sha256: string) =>
    (await pool.query<{ n: string }>('SELECT count(*) AS n FROM zkai_blob_chunks WHERE sha256 = $1', [sha256])).rows[0]!.n;

  it('round-trips bytes at every chunk boundary, one row per chunk', async () => {
    for (const n of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 1, 5 * CHUNK + 3]) {
      const bytes = bytesOf(n);
      const ref = await blobs.put(bytes);
      assert.deepEqual(ref, { sha256: sha(bytes), size: n });
      assert.equal(Number(await rows(ref.sha256)), Math.max(1, Math.ceil(n / CHUNK)), `chunks of ${n} bytes`);
      const out = path.join(dir, `out-${n}`);
      await blobs.getFile(ref, out);
      assert.deepEqual(await readFile(out), bytes, `${n} bytes back`);
    }
  });

  it('stores a file chunk by chunk, and a store with another chunk size reads it', async () => {
    const bytes = bytesOf(3 * CHUNK + 5, 1);
    const file = path.join(dir, 'in.bin');
    await writeFile(file, bytes);
    const ref = await blobs.putFile(file);
    assert.deepEqual(ref, { sha256: sha(bytes), size: bytes.length });
    assert.equal(Number(await rows(ref.sha256)), 4);
    const out = path.join(dir, 'in.back');
    await new PgBlobStore(pool, 1024).getFile(ref, out);
    assert.deepEqual(await readFile(out), bytes);
  });

  it('a second put, and puts racing each other, write nothing more', async () => {
    const bytes = bytesOf(2 * CHUNK + 2, 2);
    const [first, ...others] = await Promise.all([blobs.put(bytes), blobs.put(bytes), new PgBlobStore(pool, CHUNK).put(bytes)]);
    for (const o of others) assert.deepEqual(o, first);
    assert.deepEqual(await blobs.put(bytes), first);
    assert.equal(Number(await rows(first!.sha256)), 3);
    const headers = await pool.query('SELECT * FROM zkai_blobs WHERE sha256 = $1', [first!.sha256]);
    assert.equal(headers.rowCount, 1);
  });

  it('a missing blob is ARTIFACT_UNAVAILABLE and leaves no file', async () => {
    const out = path.join(dir, 'missing');
    await assert.rejects(blobs.getFile({ sha256: 'ab'.repeat(32), size: 3 }, out), refused('ARTIFACT_UNAVAILABLE'));
    assert.equal(existsSync(out), false);
  });

  it('changed, missing or mis-sized rows are ARTIFACT_MISMATCH, and nothing is written', async () => {
    const bytes = bytesOf(2 * CHUNK + 1, 3);
    const ref = await blobs.put(bytes);
    const tampered = path.join(dir, 'tampered');
    await pool.query('UPDATE zkai_blob_chunks SET bytes = set_byte(bytes, 0, get_byte(bytes, 0) # 1) WHERE sha256 = $1 AND chunk = 1', [
      ref.sha256,
    ]);
    await assert.rejects(blobs.getFile(ref, tampered), refused('ARTIFACT_MISMATCH'));
    // Flipped back: the check is on the bytes read each time, not a mark left by the failed read.
    await pool.query('UPDATE zkai_blob_chunks SET bytes = set_byte(bytes, 0, get_byte(bytes, 0) # 1) WHERE sha256 = $1 AND chunk = 1', [
      ref.sha256,
    ]);
    await blobs.getFile(ref, tampered);
    assert.deepEqual(await readFile(tampered), bytes, 'the changed row restored, the blob reads again');
    await rm(tampered);

    await assert.rejects(blobs.getFile({ ...ref, size: ref.size + 1 }, tampered), refused('ARTIFACT_MISMATCH'));
    await pool.query('DELETE FROM zkai_blob_chunks WHERE sha256 = $1 AND chunk = 2', [ref.sha256]);
    await assert.rejects(blobs.getFile(ref, tampered), refused('ARTIFACT_MISMATCH'));
    assert.equal(existsSync(tampered), false);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith('tampered')),
      [],
      'no temporary file left',
    );
  });

  describe('garbage collection', () => {
    // The references' owner, as pg-model-files.ts MODEL_FILE_BLOBS is in the service: a table of its own here.
    const REFERENCED = 'SELECT sha256 FROM test_blob_refs';
    const HOUR = 3_600_000;
    const refer = (sha256: string) => pool.query('INSERT INTO test_blob_refs (sha256) VALUES ($1)', [sha256]);
    const unreferencedSince = async (sha256: string) =>
      (await pool.query<{ at: Date | null }>('SELECT unreferenced_since AS at FROM zkai_blobs WHERE sha256 = $1', [sha256])).rows[0]?.at;
    /** As if every mark were set two hours ago (the grace is one): no sleeping through a real grace period. */
    const marksAged = () =>
      pool.query("UPDATE zkai_blobs SET unreferenced_since = unreferenced_since - interval '2 hours' WHERE unreferenced_since IS NOT NULL");

    before(async () => {
      await pool.query('CREATE TABLE test_blob_refs (sha256 TEXT)');
    });

    it('keeps referenced blobs, deletes unreferenced ones after the grace, never one referenced or put again meanwhile', async () => {
      const kept = await blobs.put(bytesOf(CHUNK + 1, 10));
      const garbage = await blobs.put(bytesOf(2 * CHUNK + 3, 11));
      const referencedAgain = await blobs.put(bytesOf(3, 12));
      const putAgain = await blobs.put(bytesOf(5, 13));
      await refer(kept.sha256);

      // First seen unreferenced: marked, not deleted, however short the grace would make it look.
      const first = await blobs.collect(REFERENCED, HOUR);
      assert.ok(first.marked >= 3, `marked ${first.marked}`);
      for (const b of [garbage, referencedAgain, putAgain]) {
        assert.ok(await unreferencedSince(b.sha256), 'marked');
        assert.ok(!first.deleted.includes(b.sha256), 'not deleted before the grace');
      }
      assert.equal(await unreferencedSince(kept.sha256), null, 'a referenced blob is never marked');

      await marksAged();
      // Within the grace: a model's row references one again, and a put (whose row is still to come) keeps another.
      await refer(referencedAgain.sha256);
      assert.deepEqual(await blobs.put(bytesOf(5, 13)), putAgain);
      assert.equal(await unreferencedSince(putAgain.sha256), null, 'a put clears the mark');

      const second = await blobs.collect(REFERENCED, HOUR);
      assert.ok(second.deleted.includes(garbage.sha256), 'unreferenced for longer than the grace: deleted');
      for (const b of [kept, referencedAgain, putAgain]) assert.ok(!second.deleted.includes(b.sha256));
      assert.equal(await blobs.has(garbage.sha256), false);
      assert.equal(await rows(garbage.sha256), '0', 'its chunks too');
      await assert.rejects(blobs.getFile(garbage, path.join(dir, 'gone')), refused('ARTIFACT_UNAVAILABLE'));
      for (const b of [kept, referencedAgain, putAgain]) {
        const out = path.join(dir, `kept-${b.sha256}`);
        await blobs.getFile(b, out);
        assert.equal(sha(await readFile(out)), b.sha256);
      }
      assert.equal(await unreferencedSince(referencedAgain.sha256), null, 'referenced again: the mark is cleared');
      // putAgain is still unreferenced: marked anew, from now, and kept a whole grace again.
      assert.ok(await unreferencedSince(putAgain.sha256));

      // A deleted blob put again is stored again, whole.
      assert.deepEqual(await blobs.put(bytesOf(2 * CHUNK + 3, 11)), garbage);
      assert.equal(await rows(garbage.sha256), '3');
    });

    it('with no grace an unreferenced blob goes at once, and a negative grace is refused', async () => {
      const b = await blobs.put(bytesOf(7, 14));
      assert.ok((await blobs.collect(REFERENCED, 0)).deleted.includes(b.sha256));
      await assert.rejects(blobs.collect(REFERENCED, -1), RangeError);
    });
  });
});
