import pg from 'pg';
import { ZkaiError } from '../common/errors.ts';

/**
 * A connection pool to the PostgreSQL store of record (ZKAI_DB) with `ddl` applied: CREATE … IF NOT EXISTS under an
 * advisory lock named after `what`, since nodes starting together must not race on it (it is not atomic in
 * PostgreSQL). Fails with STORE_UNAVAILABLE when the database cannot be reached.
 */
export async function connectPg(url: string, what: string, ddl: string, max = 10): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {}); // an idle client's lost connection: the pool replaces it
  try {
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [`${what} schema`]);
      try {
        await client.query(ddl);
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`${what} schema`]);
      }
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw new ZkaiError('STORE_UNAVAILABLE', `cannot open the ${what} at PostgreSQL: ${(err as Error).message}`);
  }
  return pool;
}

/** Run `fn` in one transaction on one client of `pool` (rolled back when it throws). */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
