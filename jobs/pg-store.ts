import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { type CancelOutcome, DEFAULT_TENANT, type Job, type JobKind, type JobProgress, type JobState, PRUNABLE_JOB_KINDS } from './jobs.ts';
import { connectPg, inTransaction } from './pg-pool.ts';
import type { JobRecordsApi } from './queue/types.ts';

interface Row {
  id: string;
  kind: JobKind;
  tenant: string;
  state: JobState;
  request: string;
  result: string | null;
  error: string | null;
  attempts: number;
  cancel_requested: boolean;
  progress: string | null;
  token: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

function fromRow(row: Row): Job {
  return {
    id: row.id,
    kind: row.kind,
    tenant: row.tenant,
    state: row.state,
    request: JSON.parse(row.request),
    ...(row.result ? { result: JSON.parse(row.result) } : {}),
    ...(row.error ? { error: JSON.parse(row.error) } : {}),
    attempts: row.attempts,
    cancelRequested: row.cancel_requested,
    ...(row.progress ? { progress: JSON.parse(row.progress) } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.started_at ? { startedAt: row.started_at } : {}),
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
  };
}

// Times are ISO strings (as JobStore keeps them), so both stores answer byte-identical jobs; `seq` breaks ties.
const SCHEMA = `CREATE TABLE IF NOT EXISTS zkai_jobs (
  seq BIGSERIAL UNIQUE,
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  tenant TEXT NOT NULL,
  state TEXT NOT NULL,
  request TEXT NOT NULL,
  result TEXT,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
  progress TEXT,
  token TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);
CREATE INDEX IF NOT EXISTS zkai_jobs_state_created ON zkai_jobs (state, created_at);
CREATE INDEX IF NOT EXISTS zkai_jobs_tenant_created ON zkai_jobs (tenant, created_at)`;

/**
 * The job store of record on PostgreSQL (ZKAI_DB=postgres://…), for several API nodes and workers on several
 * machines: the same records and guarded transitions as the SQLite JobStore (store-contract.ts checks both). Every
 * transition that reads before it writes locks the row (SELECT … FOR UPDATE) inside one transaction, so two nodes
 * claiming or finishing the same job are serialised and only the current claim token's holder records an outcome.
 */
export class PgJobStore implements JobRecordsApi {
  private constructor(private readonly pool: pg.Pool) {}

  static async connect(url: string): Promise<PgJobStore> {
    return new PgJobStore(await connectPg(url, 'job store', SCHEMA));
  }

  private tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }

  private async locked(c: pg.PoolClient, id: string): Promise<Row | undefined> {
    return (await c.query<Row>('SELECT * FROM zkai_jobs WHERE id = $1 FOR UPDATE', [id])).rows[0];
  }

  async enqueue(kind: JobKind, request: Record<string, unknown>, tenant: string = DEFAULT_TENANT): Promise<Job> {
    const now = new Date().toISOString();
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO zkai_jobs (id, kind, tenant, state, request, attempts, created_at, updated_at)
       VALUES ($1, $2, $3, 'queued', $4, 0, $5, $5) RETURNING *`,
      [randomUUID(), kind, tenant, JSON.stringify(request), now],
    );
    return fromRow(rows[0]!);
  }

  async get(id: string): Promise<Job | undefined> {
    const row = (await this.pool.query<Row>('SELECT * FROM zkai_jobs WHERE id = $1', [id])).rows[0];
    return row ? fromRow(row) : undefined;
  }

  async list(opts: { state?: JobState; limit?: number; tenant?: string } = {}): Promise<Job[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (opts.state) where.push(`state = $${params.push(opts.state)}`);
    if (opts.tenant !== undefined) where.push(`tenant = $${params.push(opts.tenant)}`);
    const limit = `$${params.push(Math.min(opts.limit ?? 100, 1000))}`;
    const sql = `SELECT * FROM zkai_jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, seq DESC LIMIT ${limit}`;
    return (await this.pool.query<Row>(sql, params)).rows.map(fromRow);
  }

  async counts(): Promise<Record<JobState, number>> {
    const out: Record<JobState, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    const { rows } = await this.pool.query<{ state: JobState; n: string }>('SELECT state, COUNT(*) AS n FROM zkai_jobs GROUP BY state');
    for (const r of rows) out[r.state] = Number(r.n);
    return out;
  }

  async queuedCount(): Promise<number> {
    return Number((await this.pool.query<{ n: string }>("SELECT COUNT(*) AS n FROM zkai_jobs WHERE state = 'queued'")).rows[0]!.n);
  }

  async cancel(id: string): Promise<{ outcome: CancelOutcome; job: Job } | undefined> {
    return this.tx(async (c) => {
      const row = await this.locked(c, id);
      if (!row) return undefined;
      const now = new Date().toISOString();
      let outcome: CancelOutcome = 'finished';
      if (row.state === 'queued') {
        await c.query("UPDATE zkai_jobs SET state = 'cancelled', finished_at = $2, updated_at = $2 WHERE id = $1", [id, now]);
        outcome = 'cancelled';
      } else if (row.state === 'running') {
        await c.query('UPDATE zkai_jobs SET cancel_requested = TRUE, updated_at = $2 WHERE id = $1', [id, now]);
        outcome = 'cancel-requested';
      }
      const job = fromRow((await c.query<Row>('SELECT * FROM zkai_jobs WHERE id = $1', [id])).rows[0]!);
      return { outcome, job };
    });
  }

  async pruneFinished(before: Date): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM zkai_jobs WHERE state IN ('succeeded', 'failed', 'cancelled') AND kind = ANY($1)
       AND COALESCE(finished_at, updated_at) < $2`,
      [PRUNABLE_JOB_KINDS, before.toISOString()],
    );
    return rowCount ?? 0;
  }

  /** As JobStore.claim. */
  async claim(id: string, token: string, maxAttempts: number): Promise<JobState | 'missing'> {
    return this.tx(async (c) => {
      const row = await this.locked(c, id);
      if (!row) return 'missing';
      if (row.state !== 'queued' && row.state !== 'running') return row.state;
      const now = new Date().toISOString();
      if (row.cancel_requested) {
        await c.query("UPDATE zkai_jobs SET state = 'cancelled', finished_at = $2, updated_at = $2 WHERE id = $1", [id, now]);
        return 'cancelled';
      }
      if (row.state === 'running' && row.attempts >= maxAttempts) {
        const error = { code: 'INTERNAL', message: `the job's worker was lost on each of its ${maxAttempts} attempts` };
        await c.query("UPDATE zkai_jobs SET state = 'failed', error = $3, finished_at = $2, updated_at = $2 WHERE id = $1", [
          id,
          now,
          JSON.stringify(error),
        ]);
        return 'failed';
      }
      await c.query(
        "UPDATE zkai_jobs SET state = 'running', token = $3, attempts = attempts + 1, progress = NULL, started_at = $2, updated_at = $2 WHERE id = $1",
        [id, now, token],
      );
      return 'running';
    });
  }

  /** As JobStore.finishHeld. */
  async finishHeld(
    id: string,
    token: string,
    to: 'succeeded' | 'failed' | 'queued',
    value?: { result: Record<string, unknown> } | { error: { code: string; message: string } },
  ): Promise<JobState | undefined> {
    return this.tx(async (c) => {
      const row = await this.locked(c, id);
      if (row?.state !== 'running' || row.token !== token) return undefined;
      const now = new Date().toISOString();
      if (row.cancel_requested) {
        await c.query("UPDATE zkai_jobs SET state = 'cancelled', finished_at = $2, updated_at = $2 WHERE id = $1", [id, now]);
        return 'cancelled';
      }
      const result = value && 'result' in value ? JSON.stringify(value.result) : null;
      const error = value && 'error' in value ? JSON.stringify(value.error) : null;
      await c.query('UPDATE zkai_jobs SET state = $2, result = $3, error = $4, finished_at = $5, updated_at = $6 WHERE id = $1', [
        id,
        to,
        result,
        error,
        to === 'queued' ? null : now,
        now,
      ]);
      return to;
    });
  }

  /** As JobStore.setProgress (with a token, only that attempt's holder may write). */
  async setProgress(id: string, progress: JobProgress, token?: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE zkai_jobs SET progress = $2, updated_at = $3 WHERE id = $1 AND state = 'running'${token === undefined ? '' : ' AND token = $4'}`,
      [id, JSON.stringify(progress), progress.updatedAt, ...(token === undefined ? [] : [token])],
    );
    return (rowCount ?? 0) > 0;
  }

  async unfinished(): Promise<{ id: string; kind: JobKind; state: 'queued' | 'running'; attempts: number }[]> {
    const { rows } = await this.pool.query<{ id: string; kind: JobKind; state: 'queued' | 'running'; attempts: number }>(
      "SELECT id, kind, state, attempts FROM zkai_jobs WHERE state IN ('queued', 'running') ORDER BY created_at, seq",
    );
    return rows;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
