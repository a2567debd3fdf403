/**
 * Tenants and their API keys, and which datasets each tenant has committed: TenantStoreApi, kept by TenantStore in
 * the service's SQLite file (the same `jobs.sqlite` as the job store, own tables, own connection: WAL lets the
 * service and `zkai admin` use it at the same time), or by PgTenantStore (pg-tenants.ts) in PostgreSQL with
 * ZKAI_DB, shared by every API node; tenants-contract.ts is the behaviour both show.
 *
 * A key is 32 random bytes shown once as `zkai_<base64url>`; only its SHA-256 is stored. A slow
 * password hash would add nothing: the key has 256 bits of entropy, so its hash cannot be brute-forced.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ZkaiError } from '../common/errors.ts';
import type { MaybeAsync } from './queue/types.ts';
import { openServiceDb } from './service-db.ts';

export const API_KEY_PREFIX = 'zkai_';
/** `zkai_` and 43 base64url characters (32 bytes). Anything else is rejected before a lookup. */
const API_KEY_PATTERN = /^zkai_[A-Za-z0-9_-]{43}$/;
/** Tenant names: lowercase letters, digits, '.', '_' and '-', up to 64 characters. */
export const TENANT_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface ApiKeyInfo {
  /** Public identifier (what `zkai admin key revoke` takes); not a secret. */
  id: string;
  tenant: string;
  /** The key's first characters, so people can tell their keys apart. */
  hint: string;
  createdAt: string;
  revokedAt?: string;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** The secret itself: shown once, never stored. */
  key: string;
}

export interface DatasetSource {
  name: string;
  sha256: string;
}

/** A tenant's own view of a dataset it committed: when, and from what. */
export interface DatasetClaim {
  createdAt: string;
  source?: DatasetSource;
}

type TenantMethod =
  | 'createKey'
  | 'createFirstKey'
  | 'listKeys'
  | 'keyCount'
  | 'revokeKey'
  | 'authenticate'
  | 'claimDataset'
  | 'datasetClaim'
  | 'datasetsOf'
  | 'close';

/**
 * The tenant store as the service, its routes and `zkai admin` use it: the embedded SQLite TenantStore answers
 * synchronously, PostgreSQL's with promises, so callers `await` each answer. Derived from TenantStore's signatures
 * (as JobRecordsApi is from JobStore's), so the implementations cannot drift apart.
 */
export type TenantStoreApi = { [K in TenantMethod]: MaybeAsync<TenantStore[K]> };

/** The part of the tenant store the dataset routes use. */
export type DatasetOwnership = Pick<TenantStoreApi, 'claimDataset' | 'datasetClaim' | 'datasetsOf'>;

export interface Authenticated {
  tenant: string;
  keyId: string;
}

export interface KeyRow {
  id: string;
  tenant: string;
  hint: string;
  created_at: string;
  revoked_at: string | null;
}

/** The stored form of a key: its SHA-256 (hex). */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Whether `key` has the shape of an API key (anything else is refused before a lookup). */
export function isApiKeyShaped(key: string): boolean {
  return API_KEY_PATTERN.test(key);
}

/** BAD_INPUT unless `tenant` is a valid tenant name (TENANT_NAME_PATTERN). */
export function checkTenantName(tenant: string): void {
  if (!TENANT_NAME_PATTERN.test(tenant)) {
    throw new ZkaiError('BAD_INPUT', `tenant name must match ${TENANT_NAME_PATTERN.source}, got ${JSON.stringify(tenant)}`);
  }
}

/** A fresh key for `tenant`: the secret, its public id and hint, and what is stored of it. */
export function newKey(tenant: string): { created: CreatedApiKey; keyHash: string } {
  checkTenantName(tenant);
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const id = `key_${randomBytes(8).toString('hex')}`;
  const hint = `${key.slice(0, API_KEY_PREFIX.length + 4)}…`;
  return { created: { id, tenant, hint, createdAt: new Date().toISOString(), key }, keyHash: hashKey(key) };
}

/** A key's public view from its stored row (either store's: the columns are the same). */
export function keyFromRow(row: KeyRow): ApiKeyInfo {
  return {
    id: row.id,
    tenant: row.tenant,
    hint: row.hint,
    createdAt: row.created_at,
    ...(row.revoked_at ? { revokedAt: row.revoked_at } : {}),
  };
}

/** The embedded tenant store: tables of the service's SQLite file, answering synchronously. */
export class TenantStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = openServiceDb(file);
    this.db.exec(`CREATE TABLE IF NOT EXISTS tenants (
      name TEXT PRIMARY KEY,
      created_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS api_keys (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL REFERENCES tenants (name),
      key_hash TEXT NOT NULL UNIQUE,
      hint TEXT NOT NULL,
      created_at TEXT NOT NULL,
      revoked_at TEXT
    );
    CREATE TABLE IF NOT EXISTS dataset_owners (
      tenant TEXT NOT NULL,
      root TEXT NOT NULL,
      created_at TEXT NOT NULL,
      source TEXT,
      PRIMARY KEY (tenant, root)
    );`);
  }

  /** Make a new key for `tenant` (creating the tenant if it is new). The returned `key` is the only copy. */
  createKey(tenant: string): CreatedApiKey {
    const { created, keyHash } = newKey(tenant);
    this.db.transaction(() => this.insertKey(created, keyHash)).immediate();
    return created;
  }

  /**
   * A key for `tenant` only if no key was ever made (revoked ones count): the service's zero-set-up first key.
   * One IMMEDIATE transaction (the write lock taken before the count), so two processes on one file make one.
   */
  createFirstKey(tenant: string): CreatedApiKey | undefined {
    const { created, keyHash } = newKey(tenant);
    return this.db
      .transaction(() => {
        if (this.keyCount() > 0) return undefined;
        this.insertKey(created, keyHash);
        return created;
      })
      .immediate();
  }

  private insertKey(k: CreatedApiKey, keyHash: string): void {
    this.db.prepare('INSERT OR IGNORE INTO tenants (name, created_at) VALUES (?, ?)').run(k.tenant, k.createdAt);
    this.db
      .prepare('INSERT INTO api_keys (id, tenant, key_hash, hint, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(k.id, k.tenant, keyHash, k.hint, k.createdAt);
  }

  /** Every key ever made, revoked ones included (oldest first). */
  listKeys(): ApiKeyInfo[] {
    return (
      this.db.prepare('SELECT id, tenant, hint, created_at, revoked_at FROM api_keys ORDER BY created_at, rowid').all() as KeyRow[]
    ).map(keyFromRow);
  }

  /** How many keys exist, revoked or not (the service makes a first key only when there has never been one). */
  keyCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM api_keys').get() as { n: number }).n;
  }

  /** Revoke a key by id (idempotent: the first revocation time is kept). Undefined for an unknown id. */
  revokeKey(id: string): ApiKeyInfo | undefined {
    this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(new Date().toISOString(), id);
    const row = this.db.prepare('SELECT id, tenant, hint, created_at, revoked_at FROM api_keys WHERE id = ?').get(id) as KeyRow | undefined;
    return row ? keyFromRow(row) : undefined;
  }

  /** The tenant a presented key belongs to; undefined for a malformed, unknown or revoked key. */
  authenticate(key: string): Authenticated | undefined {
    if (!isApiKeyShaped(key)) return undefined;
    const row = this.db.prepare('SELECT id, tenant FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL').get(hashKey(key)) as
      | { id: string; tenant: string }
      | undefined;
    return row ? { tenant: row.tenant, keyId: row.id } : undefined;
  }

  /**
   * Record that `tenant` has committed the dataset `rootHex`. Datasets are stored once per root (the same
   * records give the same root), but each tenant sees only the roots it committed itself, with its own
   * commit time and source (never another tenant's). Returns the claim and whether it is new.
   */
  claimDataset(tenant: string, rootHex: string, source?: DatasetSource): { claim: DatasetClaim; created: boolean } {
    const changes = this.db
      .prepare('INSERT OR IGNORE INTO dataset_owners (tenant, root, created_at, source) VALUES (?, ?, ?, ?)')
      .run(tenant, rootHex.toLowerCase(), new Date().toISOString(), source ? JSON.stringify(source) : null).changes;
    return { claim: this.datasetClaim(tenant, rootHex)!, created: changes > 0 };
  }

  /** `tenant`'s claim on a dataset; undefined if it never committed it (whether or not another tenant did). */
  datasetClaim(tenant: string, rootHex: string): DatasetClaim | undefined {
    const row = this.db
      .prepare('SELECT created_at, source FROM dataset_owners WHERE tenant = ? AND root = ?')
      .get(tenant, rootHex.toLowerCase()) as { created_at: string; source: string | null } | undefined;
    return row ? { createdAt: row.created_at, ...(row.source ? { source: JSON.parse(row.source) } : {}) } : undefined;
  }

  /** The roots `tenant` has committed, newest first. */
  datasetsOf(tenant: string, limit = 100): string[] {
    const rows = this.db
      .prepare('SELECT root FROM dataset_owners WHERE tenant = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(tenant, Math.min(limit, 1000)) as { root: string }[];
    return rows.map((r) => r.root);
  }

  close(): void {
    this.db.close();
  }
}
