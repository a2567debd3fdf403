import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isZkaiError, ZkaiError } from '../common/errors.ts';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';
export type JobKind = 'membership';

export interface Job {
  id: string;
  kind: JobKind;
  state: JobState;
  request: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  attempts: number;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
}

interface JobRow {
  id: string;
  kind: JobKind;
  state: JobState;
  request: string;
  result: string | null;
  error: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

function fromRow(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    request: JSON.parse(row.request),
    ...(row.result ? { result: JSON.parse(row.result) } : {}),
    ...(row.error ? { error: JSON.parse(row.error) } : {}),
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.started_at ? { startedAt: row.started_at } : {}),
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
  };
}

/**
 * Durable job store in embedded SQLite (WAL). A job is written before the API answers with its
 * id, so an accepted job survives a crash; jobs found `running` at start-up were interrupted
 * and go back to the queue.
 */
export class JobStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS jobs (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      state TEXT NOT NULL,
      request TEXT NOT NULL,
      result TEXT,
      error TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      started_at TEXT,
      finished_at TEXT
    );
    CREATE INDEX IF NOT EXISTS jobs_state_created ON jobs (state, created_at);`);
  }

  enqueue(kind: JobKind, request: Record<string, unknown>): Job {
    const now = new Date().toISOString();
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO jobs (id, kind, state, request, attempts, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)')
      .run(id, kind, 'queued', JSON.stringify(request), now, now);
    return this.get(id)!;
  }

  get(id: string): Job | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(opts: { state?: JobState; limit?: number } = {}): Job[] {
    const limit = Math.min(opts.limit ?? 100, 1000);
    const rows = opts.state
      ? this.db.prepare('SELECT * FROM jobs WHERE state = ? ORDER BY created_at DESC LIMIT ?').all(opts.state, limit)
      : this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?').all(limit);
    return (rows as JobRow[]).map(fromRow);
  }

  counts(): Record<JobState, number> {
    const out: Record<JobState, number> = { queued: 0, running: 0, succeeded: 0, failed: 0 };
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as { state: JobState; n: number }[])
      out[r.state] = r.n;
    return out;
  }

  /** Atomically take the oldest queued job and mark it running. */
  claimNext(): Job | undefined {
    return this.db.transaction(() => {
      const row = this.db.prepare("SELECT id FROM jobs WHERE state = 'queued' ORDER BY created_at, rowid LIMIT 1").get() as
        | { id: string }
        | undefined;
      if (!row) return undefined;
      const now = new Date().toISOString();
      this.db
        .prepare(
          "UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = ?, updated_at = ? WHERE id = ? AND state = 'queued'",
        )
        .run(now, now, row.id);
      return this.get(row.id);
    })();
  }

  succeed(id: string, result: Record<string, unknown>): void {
    const now = new Date().toISOString();
    this.db
      .prepare(
        "UPDATE jobs SET state = 'succeeded', result = ?, error = NULL, finished_at = ?, updated_at = ? WHERE id = ? AND state = 'running'",
      )
      .run(JSON.stringify(result), now, now, id);
  }

  fail(id: string, error: { code: string; message: string }): void {
    const now = new Date().toISOString();
    this.db
      .prepare("UPDATE jobs SET state = 'failed', error = ?, finished_at = ?, updated_at = ? WHERE id = ? AND state = 'running'")
      .run(JSON.stringify(error), now, now, id);
  }

  requeue(id: string): void {
    this.db
      .prepare("UPDATE jobs SET state = 'queued', updated_at = ? WHERE id = ? AND state = 'running'")
      .run(new Date().toISOString(), id);
  }

  /** Put jobs a crashed process left `running` back in the queue. Returns how many. */
  requeueInterrupted(): number {
    return this.db.prepare("UPDATE jobs SET state = 'queued', updated_at = ? WHERE state = 'running'").run(new Date().toISOString())
      .changes;
  }

  close(): void {
    this.db.close();
  }
}

export type JobHandler = (job: Job) => Promise<Record<string, unknown>>;

export interface JobRunnerOptions {
  concurrency?: number;
  /** Attempts before an unexpected (non-ZkaiError) failure becomes final. */
  maxAttempts?: number;
  pollMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Pulls jobs from a JobStore and runs them through handlers by kind. A ZkaiError from a handler
 * is a definite answer (bad input, false statement) and fails the job; anything else is treated
 * as transient and retried up to maxAttempts.
 */
export class JobRunner {
  private running = 0;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly concurrency: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly store: JobStore,
    private readonly handlers: Record<JobKind, JobHandler>,
    private readonly opts: JobRunnerOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 1;
    this.maxAttempts = opts.maxAttempts ?? 3;
  }

  start(): void {
    const requeued = this.store.requeueInterrupted();
    if (requeued) this.opts.log?.(`requeued ${requeued} job(s) interrupted by a restart`);
    this.timer = setInterval(() => this.pump(), this.opts.pollMs ?? 500);
    this.timer.unref();
    this.pump();
  }

  /** Look for work now (call after enqueueing). */
  pump(): void {
    while (!this.stopped && this.running < this.concurrency) {
      const job = this.store.claimNext();
      if (!job) return;
      this.running++;
      const p = this.run(job).finally(() => {
        this.running--;
        this.inFlight.delete(p);
        this.pump();
      });
      this.inFlight.add(p);
    }
  }

  private async run(job: Job): Promise<void> {
    const started = performance.now();
    this.opts.log?.('job started', { jobId: job.id, kind: job.kind, attempt: job.attempts });
    try {
      const handler = this.handlers[job.kind];
      if (!handler) throw new ZkaiError('BAD_INPUT', `no handler for job kind ${job.kind}`);
      const result = await handler(job);
      this.store.succeed(job.id, result);
      this.opts.log?.('job succeeded', { jobId: job.id, ms: Math.round(performance.now() - started) });
    } catch (err) {
      if (this.stopped) return; // shutting down: leave it running, requeued at next start
      if (isZkaiError(err) || job.attempts >= this.maxAttempts) {
        const code = isZkaiError(err) ? err.code : 'INTERNAL';
        this.store.fail(job.id, { code, message: (err as Error).message });
        this.opts.log?.('job failed', { jobId: job.id, code, message: (err as Error).message });
      } else {
        this.store.requeue(job.id);
        this.opts.log?.('job will be retried', { jobId: job.id, message: (err as Error).message });
      }
    }
  }

  /** Stop taking jobs and wait for the running ones (up to timeoutMs). Unfinished ones stay `running` and are requeued on the next start. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const all = Promise.all(this.inFlight);
    this.stopped = true;
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}
