import type pg from 'pg';
import { inTransaction } from './pg-pool.ts';
import {
  type ApiKeyInfo,
  type Authenticated,
  type CreatedApiKey,
  type DatasetClaim,
  type DatasetSource,
  hashKey,
  isApiKeyShaped,
  type KeyRow,
  keyFromRow,
  newKey,
  type TenantStoreApi,
} from './tenants.ts';

/** The tables of TenantStore, on PostgreSQL; `seq` orders rows made in the same millisecond as SQLite's rowid does. */
export const TENANTS_DDL = `CREATE TABLE IF NOT EXISTS zkai_tenants (
  name TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS zkai_api_keys (
  seq BIGSERIAL UNIQUE,
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES zkai_tenants (name),
  key_hash TEXT NOT NULL UNIQUE,
  hint TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS zkai_dataset_owners (
  seq BIGSERIAL UNIQUE,
  tenant TEXT NOT NULL,
  root TEXT NOT NULL,
  created_at TEXT NOT NULL,
  source TEXT,
  PRIMARY KEY (tenant, root)
);
CREATE INDEX IF NOT EXISTS zkai_dataset_owners_tenant_created ON zkai_dataset_owners (tenant, created_at)`;

/**
 * Serialises key creation across every node on the database: the first-key rule (a key only when none was ever
 * made) holds it exclusively, every other creation shared, so a node starting while `zkai admin key create` runs
 * elsewhere either sees that key or makes its own before it; never both unseen.
 */
const KEY_LOCK = "hashtext('zkai api keys')";

/**
 * Tenants, API keys and dataset ownership in PostgreSQL (ZKAI_DB), shared by every API node and `zkai admin`: the
 * same answers as the SQLite TenantStore (tenants-contract.ts checks both). The pool is the caller's.
 */
export class PgTenantStore implements TenantStoreApi {
  constructor(private readonly pool: pg.Pool) {}

  private async insertKey(c: pg.PoolClient, k: CreatedApiKey, keyHash: string): Promise<void> {
    await c.query('INSERT INTO zkai_tenants (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [k.tenant, k.createdAt]);
    await c.query('INSERT INTO zkai_api_keys (id, tenant, key_hash, hint, created_at) VALUES ($1, $2, $3, $4, $5)', [
      k.id,
      k.tenant,
      keyHash,
      k.hint,
      k.createdAt,
    ]);
  }

  async createKey(tenant: string): Promise<CreatedApiKey> {
    const { created, keyHash } = newKey(tenant);
    await inTransaction(this.pool, async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock_shared(${KEY_LOCK})`);
      await this.insertKey(c, created, keyHash);
    });
    return created;
  }

  async createFirstKey(tenant: string): Promise<CreatedApiKey | undefined> {
    const { created, keyHash } = newKey(tenant);
    return inTransaction(this.pool, async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(${KEY_LOCK})`);
      if ((await c.query('SELECT 1 FROM zkai_api_keys LIMIT 1')).rowCount) return undefined;
      await this.insertKey(c, created, keyHash);
      return created;
    });
  }

  async listKeys(): Promise<ApiKeyInfo[]> {
    const { rows } = await this.pool.query<KeyRow>(
      'SELECT id, tenant, hint, created_at, revoked_at FROM zkai_api_keys ORDER BY created_at, seq',
    );
    return rows.map(keyFromRow);
  }

  async keyCount(): Promise<number> {
    return Number((await this.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM zkai_api_keys')).rows[0]!.n);
  }

  async revokeKey(id: string): Promise<ApiKeyInfo | undefined> {
    await this.pool.query('UPDATE zkai_api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [new Date().toISOString(), id]);
    const row = (await this.pool.query<KeyRow>('SELECT id, tenant, hint, created_at, revoked_at FROM zkai_api_keys WHERE id = $1', [id]))
      .rows[0];
    return row ? keyFromRow(row) : undefined;
  }

  async authenticate(key: string): Promise<Authenticated | undefined> {
    if (!isApiKeyShaped(key)) return undefined;
    const row = (
      await this.pool.query<{ id: string; tenant: string }>(
        'SELECT id, tenant FROM zkai_api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
        [hashKey(key)],
      )
    ).rows[0];
    return row ? { tenant: row.tenant, keyId: row.id } : undefined;
  }

  async claimDataset(tenant: string, rootHex: string, source?: DatasetSource): Promise<{ claim: DatasetClaim; created: boolean }> {
    const { rowCount } = await this.pool.query(
      'INSERT INTO zkai_dataset_owners (tenant, root, created_at, source) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, root) DO NOTHING',
      [tenant, rootHex.toLowerCase(), new Date().toISOString(), source ? JSON.stringify(source) : null],
    );
    return { claim: (await this.datasetClaim(tenant, rootHex))!, created: (rowCount ?? 0) > 0 };
  }

  async datasetClaim(tenant: string, rootHex: string): Promise<DatasetClaim | undefined> {
    const row = (
      await this.pool.query<{ created_at: string; source: string | null }>(
        'SELECT created_at, source FROM zkai_dataset_owners WHERE tenant = $1 AND root = $2',
        [tenant, rootHex.toLowerCase()],
      )
    ).rows[0];
    return row ? { createdAt: row.created_at, ...(row.source ? { source: JSON.parse(row.source) } : {}) } : undefined;
  }

  async datasetsOf(tenant: string, limit = 100): Promise<string[]> {
    const { rows } = await this.pool.query<{ root: string }>(
      'SELECT root FROM zkai_dataset_owners WHERE tenant = $1 ORDER BY created_at DESC, seq DESC LIMIT $2',
      [tenant, Math.min(limit, 1000)],
    );
    return rows.map((r) => r.root);
  }

  /** The pool is closed by whoever opened it (jobs/catalogs.ts). */
  close(): void {}
}
