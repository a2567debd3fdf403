import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * The service's SQLite file (`<ZKAI_HOME>/jobs.sqlite`): job records (jobs.ts), models (models.ts), and the API keys
 * and tenants of tenants.ts, each in tables of their own (PostgreSQL holds them instead with ZKAI_DB: catalogs.ts). WAL, so the admin CLI and workers on the same
 * machine can use it while the service runs.
 */
export function openServiceDb(file: string): Database.Database {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}
