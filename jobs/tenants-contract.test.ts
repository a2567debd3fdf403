// The tenant and model store contract (tenants-contract.ts) on the embedded SQLite stores (two connections to one
// file, as an API node and `zkai admin` use it) and on PostgreSQL (ZKAI_DB); then PostgreSQL's shared datasets: a
// dataset committed through one node's catalog is committed again, checked, in another node's own folder.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import pg from 'pg';
import { isZkaiError } from '../common/errors.ts';
import { requireOrSkip } from '../test/require-dep.ts';
import { type Catalogs, openCatalogs } from './catalogs.ts';
import { DatasetCatalog } from './datasets.ts';
import { hasPostgres, startTestPostgres, type TestPostgres } from './queue/test-postgres.ts';
import { describeTenantsContract } from './tenants-contract.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-tenants-contract-'));
after(() => rm(dir, { recursive: true, force: true }));
const storeFile = path.join(dir, 'jobs.sqlite');
const modelsDir = path.join(dir, 'models');

describeTenantsContract('SQLite (two connections to one file)', () => openCatalogs({ storeFile, modelsDir }));

const pgSkip = requireOrSkip(hasPostgres(), 'PostgreSQL (initdb, pg_ctl)');
// A throwaway cluster, started by the first connection; each connection its own pool.
let cluster: Promise<TestPostgres> | undefined;
async function pgUrl(): Promise<string> {
  cluster ??= startTestPostgres();
  return (await cluster).url;
}
after(async () => (await cluster)?.stop());

describeTenantsContract('PostgreSQL', async () => openCatalogs({ storeFile, modelsDir, pgUrl: await pgUrl() }), { skip: pgSkip });

const record = (i: number) => ({
  id: `r${i}`,
  contributor: `0x${String(i).padStart(2, '0').repeat(20)}`,
  contentHash: `0x${String(i + 50)
    .padStart(2, '0')
    .repeat(32)}`,
  weight: BigInt(i + 1),
});

describe('PostgreSQL: datasets shared between API nodes', { skip: pgSkip }, () => {
  let nodeA: Catalogs;
  let nodeB: Catalogs;
  let catalogA: DatasetCatalog;
  let catalogB: DatasetCatalog;
  before(async () => {
    const url = await pgUrl();
    nodeA = await openCatalogs({ storeFile, modelsDir, pgUrl: url });
    nodeB = await openCatalogs({ storeFile, modelsDir, pgUrl: url });
    catalogA = new DatasetCatalog(path.join(dir, 'a', 'datasets'));
    catalogB = new DatasetCatalog(path.join(dir, 'b', 'datasets'));
    catalogA.share(nodeA.datasets);
    catalogB.share(nodeB.datasets);
  });
  after(async () => {
    await nodeA?.close();
    await nodeB?.close();
  });

  it('a dataset committed on A is read and loaded on B, from its own folder, with the same root and records', async () => {
    const source = { name: 'request body (jsonl)', sha256: 'cd'.repeat(32) };
    const { manifest } = await catalogA.commit([record(1), record(2), record(3)], { depth: 2, source });
    // Read (a listing, GET): the published manifest, without committing the dataset on B yet.
    assert.deepEqual(await catalogB.describe(manifest.rootHex), manifest);
    assert.equal(existsSync(catalogB.manifestPath(manifest.rootHex)), false);
    const onB = await catalogB.manifest(manifest.rootHex.toUpperCase().replace('0X', '0x'));
    assert.equal(onB.rootHex, manifest.rootHex);
    assert.equal(onB.totalWeight, manifest.totalWeight);
    assert.deepEqual(onB.source, source);
    assert.ok(catalogB.manifestPath(manifest.rootHex).startsWith(catalogB.dir), "kept in B's own folder");
    const dataset = await catalogB.get(manifest.rootHex);
    assert.deepEqual(dataset.records, [record(1), record(2), record(3)]);
    assert.equal(dataset.indexOf.get('r2'), 1);
    // Unknown roots stay unknown on both.
    await assert.rejects(catalogB.get(`0x${'00'.repeat(32)}`), (err: unknown) => isZkaiError(err) && err.code === 'UNKNOWN_DATASET');
  });

  it('refuses shared records that do not give the root they are stored under, and keeps nothing', async () => {
    const { manifest } = await catalogA.commit([record(4), record(5)], { depth: 2 });
    // Someone with write access to the database swaps the records for other ones.
    const client = new pg.Client({ connectionString: await pgUrl() });
    await client.connect();
    try {
      const other = `${JSON.stringify({ ...record(6), weight: '7' })}\n`;
      await client.query('UPDATE zkai_datasets SET records_gz = $1 WHERE root = $2', [await promisify(gzip)(other), manifest.rootHex]);
    } finally {
      await client.end();
    }
    await assert.rejects(
      catalogB.manifest(manifest.rootHex),
      (err: unknown) => isZkaiError(err) && err.code === 'BAD_DATASET' && err.message.includes(manifest.rootHex),
    );
    // Nothing kept: B's folder holds the first test's dataset only.
    const kept = (await readdir(catalogB.dir)).filter((name) => !name.startsWith('.'));
    assert.equal(kept.length, 1);
    assert.notEqual(kept[0], manifest.rootHex);
    catalogB.share(undefined);
    await assert.rejects(catalogB.manifest(manifest.rootHex), (err: unknown) => isZkaiError(err) && err.code === 'UNKNOWN_DATASET');
    catalogB.share(nodeB.datasets);
  });
});
