import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  commitDataset,
  getPoseidon,
  LEAF_SCHEMA,
  leafFields,
  leafHash,
  loadDataset,
  MerkleSumTree,
  membershipInput,
  nullifierFor,
  parseColumnMap,
  parseRecords,
  readRecordsFile,
  recordIdField,
  type SumNode,
} from './index.ts';
import {
  KAT_CONTENT_HI_1,
  KAT_CONTENT_LO_1,
  KAT_LEAF_1,
  KAT_NULLIFIER_1_E7,
  KAT_RECORD_ID_1,
  KAT_RECORDS,
  KAT_ROOT_D2,
  KAT_ROOT_D2_HEX,
  KAT_TOTAL,
  KAT_ZERO_1,
} from './kat-vectors.ts';

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

describe('dataset column mapping', () => {
  const theirs = `record_id,owner_wallet,content_sha256,weight\nimg-1,${A1},${H(1)},10\n"img,2",${A2},${H(2)},30\n`;

  it("maps csv columns and jsonl keys named otherwise to the same records as zkai's own names", () => {
    assert.throws(
      () => parseRecords(theirs, 'csv'),
      (e: Error & { code?: string }) =>
        e.code === 'BAD_DATASET' && /no column for contributor, content_hash/.test(e.message) && /--columns/.test(e.message),
    );
    const columns = parseColumnMap('contributor=owner_wallet,content_hash=content_sha256');
    assert.deepEqual(parseRecords(theirs, 'csv', 'csv', columns), parseRecords(CSV, 'csv'));
    const jsonl = [
      `{"key":"img-1","wallet":"${A1}","sha":"${H(1)}","w":10}`,
      `{"key":"img,2","wallet":"${A2}","sha":"${H(2)}","w":"30"}`,
    ].join('\n');
    const map = parseColumnMap({ id: 'key', contributor: 'wallet', content_hash: 'sha', weight: 'w' });
    assert.deepEqual(parseRecords(jsonl, 'jsonl', 'jsonl', map), parseRecords(CSV, 'csv'));
  });

  it('a mapped column wins over a column that has the usual name, and a missing mapped column is named', () => {
    // Both "id" and "record_id" exist; the mapping says record_id is the id.
    const both = `id,record_id,contributor,content_hash,weight\nzzz,img-1,${A1},${H(1)},10\n`;
    assert.equal(parseRecords(both, 'csv', 'csv', parseColumnMap('id=record_id'))[0]!.id, 'img-1');
    assert.equal(parseRecords(both, 'csv')[0]!.id.length > 0, true);
    assert.throws(
      () => parseRecords(CSV, 'csv', 'csv', parseColumnMap('weight=share')),
      (e: Error) => /no column for weight \(mapped to "share"\)/.test(e.message),
    );
  });

  it('refuses a malformed mapping with BAD_INPUT', () => {
    for (const [spec, re] of [
      ['id', /must be field=column/],
      ['colour=c', /unknown field "colour"/],
      ['id=', /needs a column name/],
      ['id=a,id=b', /names id twice/],
      ['id=a,weight=a', /column "a" for two fields/],
      [',', /empty/],
    ] as const)
      assert.throws(
        () => parseColumnMap(spec),
        (e: Error & { code?: string }) => e.code === 'BAD_INPUT' && re.test(e.message),
        spec,
      );
  });
});

describe('Poseidon Merkle-sum tree', () => {
  it('matches a naive full-tree computation, carries the sums up, and its paths lead to the root', async () => {
    const poseidon = await getPoseidon();
    const depth = 4;
    const leaves: SumNode[] = [5n, 6n, 7n, 8n, 9n].map((hash, i) => ({ hash, sum: BigInt(10 * (i + 1)) }));
    const tree = await MerkleSumTree.build(poseidon, depth, leaves);
    let level: SumNode[] = [...leaves, ...Array.from({ length: 16 - leaves.length }, () => ({ hash: 0n, sum: 0n }))];
    while (level.length > 1) {
      level = Array.from({ length: level.length / 2 }, (_, i) => {
        const [l, r] = [level[2 * i]!, level[2 * i + 1]!];
        return { hash: poseidon.hash([l.hash, l.sum, r.hash, r.sum]), sum: l.sum + r.sum };
      });
    }
    assert.equal(tree.root, level[0]!.hash);
    assert.equal(tree.total, 150n);
    for (let i = 0; i < leaves.length; i++) {
      assert.deepEqual(MerkleSumTree.rootFromPath(poseidon, leaves[i]!, tree.path(i)), { hash: tree.root, sum: tree.total });
    }
    const copy = MerkleSumTree.deserialize(poseidon, tree.serialize());
    assert.equal(copy.root, tree.root);
    assert.equal(copy.total, tree.total);
    assert.deepEqual(copy.path(4), tree.path(4));
  });

  it('rejects a dataset larger than the tree, a weight outside 0..2^64-1, and a version-1 tree file', async () => {
    const poseidon = await getPoseidon();
    const leaf = (sum: bigint) => ({ hash: 1n, sum });
    await assert.rejects(MerkleSumTree.build(poseidon, 2, [1n, 2n, 3n, 4n, 5n].map(leaf)), { code: 'BAD_DATASET' });
    await assert.rejects(MerkleSumTree.build(poseidon, 2, [leaf(1n << 64n)]), { code: 'BAD_DATASET' });
    await assert.rejects(MerkleSumTree.build(poseidon, 2, [leaf(-1n)]), { code: 'BAD_DATASET' });
    const v1 = (await MerkleSumTree.build(poseidon, 2, [leaf(1n)])).serialize();
    v1.writeUInt32LE(1, 4);
    assert.throws(() => MerkleSumTree.deserialize(poseidon, v1), { code: 'BAD_DATASET' });
  });
});

/**
 * Known-answer vectors: the encoding third parties rely on (dataset.json's `schema`), frozen. They were computed once
 * (and cross-checked with circomlibjs's Poseidon directly, outside this package's code) and must never be derived
 * by the code under test: a change to the leaf encoding, the tree's node hash or the nullifier fails here.
 */
describe('known-answer vectors', () => {
  it('the leaf encoding of a fixed record', async () => {
    const poseidon = await getPoseidon();
    assert.equal(recordIdField('kat-1'), KAT_RECORD_ID_1);
    assert.deepEqual(leafFields(KAT_RECORDS[0]!), {
      recordId: KAT_RECORD_ID_1,
      contributor: 0x1111111111111111111111111111111111111111n,
      contentHi: KAT_CONTENT_HI_1,
      contentLo: KAT_CONTENT_LO_1,
      weight: 10n,
    });
    assert.equal(leafHash(poseidon, leafFields(KAT_RECORDS[0]!)), KAT_LEAF_1);
  });

  it('the Merkle-sum root and total of a fixed three-record dataset, through commitDataset and dataset.json', async (t) => {
    const poseidon = await getPoseidon();
    assert.equal(MerkleSumTree.zeroNodes(poseidon, 2)[1]!.hash, KAT_ZERO_1);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-kat-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const { manifest } = await commitDataset(KAT_RECORDS, path.join(dir, 'dataset.json'), { depth: 2 });
    assert.equal(BigInt(manifest.root), KAT_ROOT_D2);
    assert.equal(manifest.rootHex, KAT_ROOT_D2_HEX);
    assert.equal(manifest.totalWeight, KAT_TOTAL.toString());
    const written = JSON.parse(await readFile(path.join(dir, 'dataset.json'), 'utf8'));
    assert.equal(written.rootHex, manifest.rootHex);
    assert.deepEqual(written.schema, LEAF_SCHEMA);
  });

  it('the nullifier of a fixed record and epoch, as membershipInput gives it to the circuit', async (t) => {
    const poseidon = await getPoseidon();
    assert.equal(nullifierFor(poseidon, KAT_LEAF_1, 7n), KAT_NULLIFIER_1_E7);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-kat-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const dataset = await commitDataset(KAT_RECORDS, path.join(dir, 'dataset.json'), { depth: 2 });
    const input = await membershipInput(dataset, 'kat-1', 7n);
    assert.equal(BigInt(input.nullifier), KAT_NULLIFIER_1_E7);
    assert.equal(BigInt(input.root), KAT_ROOT_D2);
    assert.equal(BigInt(input.total), KAT_TOTAL);
    assert.deepEqual(input.pathSums, ['30', '60']);
  });
});

describe('commitDataset / loadDataset', () => {
  it('commits, reloads and produces membership inputs', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-ds-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
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
    assert.equal(input.total, '40');
    assert.deepEqual(input.pathSums.slice(0, 2), ['10', '0']);
    assert.equal(input.contributor, BigInt(A2).toString());
    assert.equal(input.weight, '30');
    assert.equal(input.nullifier, poseidon.hash([leaf, 3n]).toString());
    assert.equal(input.pathElements.length, 8);
    await assert.rejects(membershipInput(loaded, 'nope', 1), { code: 'UNKNOWN_RECORD' });
    await assert.rejects(membershipInput(loaded, 'img-1', -1), { code: 'BAD_INPUT' });
    await assert.rejects(loadDataset(path.join(dir, 'missing.json')), { code: 'UNKNOWN_DATASET' });
    // A version-1 manifest (plain Merkle tree, its root binding no total) must be recommitted.
    const v1Path = path.join(dir, 'v1.json');
    await writeFile(v1Path, JSON.stringify({ ...committed.manifest, version: 1 }));
    await assert.rejects(
      loadDataset(v1Path),
      (e: Error & { code?: string }) => e.code === 'BAD_DATASET' && /commit its records again/.test(e.message),
    );
  });
});
