import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { commitRecordsFile } from './commit-file.ts';
import { commitDataset, loadDataset, membershipInput } from './dataset.ts';
import { datasetHasher } from './hasher.ts';
import { readRecordsFile } from './records.ts';

function jsonl(n: number): string {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      id: `r-${i}`,
      contributor: `0x${randomBytes(20).toString('hex')}`,
      contentHash: `0x${randomBytes(32).toString('hex')}`,
      weight: String(1 + i),
    }),
  ).join('\n');
}

describe('commitRecordsFile (out of core)', () => {
  for (const hashEngine of ['native', 'js'] as const) {
    const skip = hashEngine === 'native' && process.env.ZKAI_NATIVE === 'off' ? 'ZKAI_NATIVE=off' : false;
    it(`writes the same manifest, records and tree as commitDataset (${hashEngine})`, { skip }, async (t) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-cf-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const file = path.join(dir, 'records.jsonl');
      // Batches of 100 over 1001 records: eleven chunks in flight one after another, odd levels, a short last chunk.
      await writeFile(file, `${jsonl(1001)}\n`);
      const hasher = { ...(await datasetHasher(hashEngine)), batch: 100 };
      const streamed = await commitRecordsFile(file, path.join(dir, 's.json'), { depth: 13, hasher });
      const inMemory = await commitDataset(await readRecordsFile(file), path.join(dir, 'm.json'), { depth: 13, hashEngine });
      assert.equal(streamed.hashEngine, hashEngine);
      const strip = (m: object) => ({ ...m, files: undefined, createdAt: undefined, commitSeconds: undefined });
      assert.deepEqual(strip(streamed.manifest), strip(inMemory.manifest));
      for (const [a, b] of [
        ['s.tree.bin', 'm.tree.bin'],
        ['s.records.jsonl', 'm.records.jsonl'],
      ]) {
        assert.deepEqual(await readFile(path.join(dir, a!)), await readFile(path.join(dir, b!)), a);
      }
      const loaded = await loadDataset(path.join(dir, 's.json'));
      assert.deepEqual(await membershipInput(loaded, 'r-77', 3), await membershipInput(inMemory, 'r-77', 3));
    });
  }

  it('refuses a duplicate id (naming its line), a bad record and an empty file, leaving nothing behind', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-cf-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const body = jsonl(40).split('\n');
    const dup = path.join(dir, 'dup.jsonl');
    await writeFile(dup, [...body, body[7]!.replace(/"weight":"\d+"/, '"weight":"5"')].join('\n'));
    await assert.rejects(
      commitRecordsFile(dup, path.join(dir, 'd.json'), { depth: 8 }),
      (e: Error & { code?: string }) => e.code === 'BAD_DATASET' && /dup\.jsonl:41: duplicate record id "r-7"/.test(e.message),
    );
    const bad = path.join(dir, 'bad.csv');
    await writeFile(bad, 'id,contributor,content_hash,weight\nx,0x12,0x34,1\n');
    await assert.rejects(commitRecordsFile(bad, path.join(dir, 'b.json'), { depth: 8 }), /bad\.csv:2: contributor/);
    const empty = path.join(dir, 'empty.jsonl');
    await writeFile(empty, '\n');
    await assert.rejects(commitRecordsFile(empty, path.join(dir, 'e.json'), { depth: 8 }), /no records/);
    await assert.rejects(commitRecordsFile(dup, path.join(dir, 'f.json'), { depth: 3 }), /do not fit a depth-3 tree/);
    assert.deepEqual((await readdir(dir)).sort(), ['bad.csv', 'dup.jsonl', 'empty.jsonl']);
  });
});
