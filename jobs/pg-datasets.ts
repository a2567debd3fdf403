import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type pg from 'pg';
import type { DatasetManifest } from '../circuits/dataset/index.ts';
import type { PublishedDataset, SharedDatasets } from './datasets.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Committed datasets' records on PostgreSQL, gzipped (JSON lines compress well); one row per root, never changed. */
export const DATASETS_DDL = `CREATE TABLE IF NOT EXISTS zkai_datasets (
  root TEXT PRIMARY KEY,
  depth INTEGER NOT NULL,
  leaf_count INTEGER NOT NULL,
  source TEXT,
  manifest TEXT NOT NULL,
  records_gz BYTEA NOT NULL,
  created_at TEXT NOT NULL
)`;

/**
 * The datasets every API node on one PostgreSQL shares (ZKAI_DB): each commit publishes its records here, and a node
 * asked for a root it lacks commits them again into its own datasets folder (DatasetCatalog.share), keeping them only
 * if they give that root. Which tenant may see a root is the tenant store's business (dataset owners), not this one's.
 * The pool is the caller's.
 */
export class PgSharedDatasets implements SharedDatasets {
  constructor(private readonly pool: pg.Pool) {}

  async publish(manifest: DatasetManifest, recordsFile: string): Promise<void> {
    const root = manifest.rootHex.toLowerCase();
    // Most commits of a known root are repeats: skip reading and compressing the records then.
    if ((await this.pool.query('SELECT 1 FROM zkai_datasets WHERE root = $1', [root])).rowCount) return;
    const records = await gzipAsync(await readFile(recordsFile));
    await this.pool.query(
      `INSERT INTO zkai_datasets (root, depth, leaf_count, source, manifest, records_gz, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (root) DO NOTHING`,
      [
        root,
        manifest.depth,
        manifest.leafCount,
        manifest.source ? JSON.stringify(manifest.source) : null,
        JSON.stringify(manifest),
        records,
        manifest.createdAt,
      ],
    );
  }

  async manifest(rootHex: string): Promise<DatasetManifest | undefined> {
    const row = (await this.pool.query<{ manifest: string }>('SELECT manifest FROM zkai_datasets WHERE root = $1', [rootHex.toLowerCase()]))
      .rows[0];
    return row ? (JSON.parse(row.manifest) as DatasetManifest) : undefined;
  }

  async fetch(rootHex: string): Promise<PublishedDataset | undefined> {
    const row = (
      await this.pool.query<{ depth: number; source: string | null; records_gz: Buffer }>(
        'SELECT depth, source, records_gz FROM zkai_datasets WHERE root = $1',
        [rootHex.toLowerCase()],
      )
    ).rows[0];
    if (!row) return undefined;
    return {
      depth: row.depth,
      ...(row.source ? { source: JSON.parse(row.source) } : {}),
      records: (await gunzipAsync(row.records_gz)).toString('utf8'),
    };
  }
}
