import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  commitDataset,
  getPoseidon,
  leafFields,
  leafHash,
  loadDataset,
  membershipInput,
  PoseidonMerkleTree,
  parseRecords,
  readRecordsFile,
} from './index.ts';

const A1 = '0x1111111111111111111111111111111111111111';
const A2 = '0x2222222222222222222222222222222222222222';
const H = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

const CSV = `id,contributor,content_hash,weight
img-1,${A1},${H(1)},10
"img,2",${A2},${H(2)},30
`;

describe('dataset records', () => {
  it('parses CSV (with quoted fields) and JSONL to the same records', () => {
    const fromCsv = parseRecords(CSV, 'csv');
    const fromJsonl = parseRecords(
      [
        `{"id":"img-1","contributor":"${A1}","contentHash":"${H(1)}","weight":10}`,
        `{"id":"img,2","contributor":"${A2}","content_hash":"${H(2)}","weight":"30"}`,
      ].join('\n'),
      'jsonl',
    );
    assert.deepEqual(fromCsv, fromJsonl);
    assert.equal(fromCsv[1]!.id, 'img,2');
    assert.equal(fromCsv[1]!.weight, 30n);
  });

  it('names the line of a bad record', () => {
    const cases: [string, RegExp][] = [
      [`id,contributor,content_hash,weight\nx,0x12,${H(1)},1`, /:2: contributor/],
      [`id,contributor,content_hash,weight\nx,${A1},0xzz,1`, /:2: content hash/],
      [`id,contributor,content_hash,weight\nx,${A1},${H(1)},0`, /:2: weight/],
      [`id,contributor,content_hash,weight\nx,${A1},${H(1)},-4`, /:2: weight/],
      [`id,contributor,content_hash,weight\nx,${A1},${H(1)},1\nx,${A2},${H(2)},1`, /:3: duplicate record id/],
      [`id,who,what\nx,y,z`, /:1: CSV header/],
      [`id,contributor,content_hash,weight\nx,${A1},${H(1)}`, /:2: expected 4 fields/],
      [`id,contributor,content_hash,weight\n`, /no records/],
    ];
    for (const [text, re] of cases)
      assert.throws(
        () => parseRecords(text, 'csv'),
        (e: Error & { code?: string }) => e.code === 'BAD_DATASET' && re.test(e.message),
      );
    assert.throws(() => parseRecords('{not json', 'jsonl'), /:1: not valid JSON/);
  });
});

describe('Poseidon Merkle tree', () => {
  it('matches a naive full-tree computation and its paths lead to the root', async () => {
    const poseidon = await getPoseidon();
    const depth = 4;
    const leaves = [5n, 6n, 7n, 8n, 9n];
    const tree = await PoseidonMerkleTree.build(poseidon, depth, leaves);
    let level = [...leaves, ...Array(16 - leaves.length).fill(0n)];
    while (level.length > 1) level = Array.from({ length: level.length / 2 }, (_, i) => poseidon.hash([level[2 * i]!, level[2 * i + 1]!]));
    assert.equal(tree.root, level[0]);
    for (let i = 0; i < leaves.length; i++) assert.equal(PoseidonMerkleTree.rootFromPath(poseidon, leaves[i]!, tree.path(i)), tree.root);
    const copy = PoseidonMerkleTree.deserialize(poseidon, tree.serialize());
    assert.equal(copy.root, tree.root);
    assert.deepEqual(copy.path(4), tree.path(4));
  });

  it('rejects a dataset larger than the tree', async () => {
    const poseidon = await getPoseidon();
    await assert.rejects(PoseidonMerkleTree.build(poseidon, 2, [1n, 2n, 3n, 4n, 5n]), { code: 'BAD_DATASET' });
  });
});

describe('commitDataset / loadDataset', () => {
  it('commits, reloads and produces membership inputs', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-ds-'));
    const csvPath = path.join(dir, 'records.csv');
    await writeFile(csvPath, CSV);
    const records = await readRecordsFile(csvPath);
    const manifestPath = path.join(dir, 'dataset.json');
    const committed = await commitDataset(records, manifestPath, { depth: 8 });
    assert.equal(committed.manifest.leafCount, 2);
    assert.equal(committed.manifest.totalWeight, '40');
    assert.match(committed.manifest.rootHex, /^0x[0-9a-f]{64}$/);

    const loaded = await loadDataset(manifestPath);
    assert.equal(loaded.manifest.root, committed.manifest.root);
    const input = await membershipInput(loaded, 'img,2', 3);
    const poseidon = await getPoseidon();
    const leaf = leafHash(poseidon, leafFields(records[1]!));
    assert.equal(input.root, committed.manifest.root);
    assert.equal(input.contributor, BigInt(A2).toString());
    assert.equal(input.weight, '30');
    assert.equal(input.nullifier, poseidon.hash([leaf, 3n]).toString());
    assert.equal(input.pathElements.length, 8);
    await assert.rejects(membershipInput(loaded, 'nope', 1), { code: 'UNKNOWN_RECORD' });
    await assert.rejects(membershipInput(loaded, 'img-1', -1), { code: 'BAD_INPUT' });
    await assert.rejects(loadDataset(path.join(dir, 'missing.json')), { code: 'UNKNOWN_DATASET' });
  });
});
