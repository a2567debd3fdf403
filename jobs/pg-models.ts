import type pg from 'pg';
import { type ModelCatalogApi, ModelFolders, type ModelRecord, type ModelRow, modelFromRow } from './models.ts';

/** ModelCatalog's table on PostgreSQL; `seq` orders models made in the same millisecond as SQLite's rowid does. */
export const MODELS_DDL = `CREATE TABLE IF NOT EXISTS zkai_models (
  seq BIGSERIAL UNIQUE,
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  compile_job TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS zkai_models_tenant_created ON zkai_models (tenant, created_at)`;

/**
 * The model rows in PostgreSQL (ZKAI_DB), shared by every API node: a model uploaded through one is listed and read
 * through all (its state and manifest are its compile job's, also in PostgreSQL). The folders stay under `dir`
 * (see models.ts); their files are in PostgreSQL too (pg-model-files.ts). The pool is the caller's.
 */
export class PgModelCatalog extends ModelFolders implements ModelCatalogApi {
  constructor(
    dir: string,
    private readonly pool: pg.Pool,
  ) {
    super(dir);
  }

  async add(record: ModelRecord): Promise<void> {
    await this.pool.query('INSERT INTO zkai_models (id, tenant, name, compile_job, created_at) VALUES ($1, $2, $3, $4, $5)', [
      record.id,
      record.tenant,
      record.name,
      record.compileJobId,
      record.createdAt,
    ]);
  }

  async get(tenant: string, id: string): Promise<ModelRecord | undefined> {
    const row = (await this.pool.query<ModelRow>('SELECT * FROM zkai_models WHERE id = $1 AND tenant = $2', [id, tenant])).rows[0];
    return row ? modelFromRow(row) : undefined;
  }

  async list(tenant: string, limit = 100): Promise<ModelRecord[]> {
    const { rows } = await this.pool.query<ModelRow>(
      'SELECT * FROM zkai_models WHERE tenant = $1 ORDER BY created_at DESC, seq DESC LIMIT $2',
      [tenant, Math.min(limit, 1000)],
    );
    return rows.map(modelFromRow);
  }

  /** The pool is closed by whoever opened it (jobs/catalogs.ts). */
  close(): void {}
}
