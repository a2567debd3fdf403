/**
 * A dataset commit in a child process (datasets of more than inlineCommitMax records) that outlives its timeout is
 * killed and fails with JOB_TIMEOUT, leaving no half-written dataset; within its time it commits as before.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DatasetRecord } from '../circuits/dataset/index.ts';
import { DatasetCatalog } from './datasets.ts';

const hex = (n: number, bytes: number) => `0x${n.toString(16).padStart(bytes * 2, '0')}`;
const RECORDS: DatasetRecord[] = Array.from({ length: 8 }, (_, i) => ({
  id: `rec-${i}`,
  contributor: hex(0xa0 + i, 20),
  contentHash: hex(1000 + i, 32),
  weight: BigInt(i + 1),
}));

describe('dataset commits in a child process', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-commit-child-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a commit past its timeout is killed and fails with JOB_TIMEOUT; nothing is left behind', async () => {
    // 1 ms: the child is killed long before it could load its hasher and answer.
    const catalog = new DatasetCatalog(path.join(dir, 'slow'), { inlineCommitMax: 0, commitTimeoutMs: 1 });
    await assert.rejects(catalog.commit(RECORDS, { depth: 4 }), { code: 'JOB_TIMEOUT' });
    const incoming = path.join(dir, 'slow', '.incoming');
    assert.deepEqual(existsSync(incoming) ? await readdir(incoming) : [], []);
  });

  it('within its time the same commit succeeds', async () => {
    const catalog = new DatasetCatalog(path.join(dir, 'ok'), { inlineCommitMax: 0 });
    const seen: string[] = [];
    const { manifest, created } = await catalog.commit(RECORDS, {
      depth: 4,
      onProgress: (phase, percent) => seen.push(`${phase} ${percent}`),
    });
    assert.equal(created, true);
    assert.equal(manifest.leafCount, RECORDS.length);
    // The child's progress reaches the caller (a background commit job's progress): leaves, then the tree, to 100%.
    assert.ok(seen.includes('leaves 100') && seen.includes('tree 100'), seen.join(', '));
    assert.ok(seen.indexOf('leaves 100') < seen.indexOf('tree 100'));
  });
});
