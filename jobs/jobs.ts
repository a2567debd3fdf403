import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isZkaiError, ZkaiError } from '../common/errors.ts';
import { type JobContext, type JobProgress, progressReporter, type ReportedPhase } from '../prover/progress.ts';
import { JobTimeout, startAttempt } from './time-limit.ts';

export type { JobContext, JobProgress };

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
/** States a job never leaves. */
export const FINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];
/**
 * Where a job is: queued, then while running the phase its worker reported (a proof: witness, quotient, msm with
 * zkai's prover, witness, proving with snarkjs; a model compile: import, quantize, circuit, setup, commitment, store;
 * a dataset commit: leaves, tree: prover/progress.ts) or plain `running` before the first report, then done.
 */
export type JobPhase = 'queued' | 'running' | ReportedPhase | 'done';

/** The phase a job in `state` is in, given the progress it reported (only meaningful while running). */
export function phaseOf(state: JobState, progress?: JobProgress): JobPhase {
  if (state === 'queued') return 'queued';
  if (state === 'running') return progress?.phase ?? 'running';
  return 'done';
}

/** What `JobStore.cancel` did: cancelled at once, marked to be cancelled when its proof returns, or too late. */
export type CancelOutcome = 'cancelled' | 'cancel-requested' | 'finished';
/** membership: a dataset-membership proof; model-compile: compile an uploaded ONNX model; inference: prove one inference. */
export type JobKind = 'membership' | 'model-compile' | 'inference' | 'dataset-commit';

/**
 * The job kinds the retention sweep may delete once finished: proofs (and their bundles). A model-compile job is the
 * record its model's status and files are read from (jobs/models.ts), so it lives as long as the model: deleting
 * it after ZKAI_JOB_RETENTION_HOURS made every older model read `failed` and refuse to prove (issue 18).
 */
export const PRUNABLE_JOB_KINDS: readonly JobKind[] = ['membership', 'inference', 'dataset-commit'];

/** The tenant of jobs enqueued without one (and of jobs stored before tenancy existed); also the auth-off tenant. */
export const DEFAULT_TENANT = 'default';

export interface Job {
  id: string;
  kind: JobKind;
  /** Who asked for it: only this tenant's API keys can see, cancel or download it (the routes check). */
  tenant: string;
  state: JobState;
  request: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  attempts: number;
  /** Set when a cancel was asked for while the job was running; it ends `cancelled` when the proof returns. */
  cancelRequested: boolean;
  /** The proving phase last reported by the current attempt (cleared when an attempt starts). */
  progress?: JobProgress;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
}

interface JobRow {
  id: string;
  kind: JobKind;
  tenant: string | null;
  state: JobState;
  request: string;
  result: string | null;
  error: string | null;
  attempts: number;
  cancel_requested: number | null;
  progress: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

function fromRow(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    tenant: row.tenant ?? DEFAULT_TENANT,
    state: row.state,
    request: JSON.parse(row.request),
    ...(row.result ? { result: JSON.parse(row.result) } : {}),
    ...(row.error ? { error: JSON.parse(row.error) } : {}),
    attempts: row.attempts,
    cancelRequested: Boolean(row.cancel_requested),
    ...(row.progress ? { progress: JSON.parse(row.progress) } : {}),
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
  private readonly progressListeners = new Set<(id: string) => void>();

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
    // Added after the first release: stores made before it get the column here.
    const columns = this.db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'cancel_requested'))
      this.db.exec('ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0');
    if (!columns.some((c) => c.name === 'tenant'))
      this.db.exec(`ALTER TABLE jobs ADD COLUMN tenant TEXT NOT NULL DEFAULT '${DEFAULT_TENANT}'`);
    if (!columns.some((c) => c.name === 'progress')) this.db.exec('ALTER TABLE jobs ADD COLUMN progress TEXT');
    // The claim token of a queue worker's current attempt (claim/finishHeld): only its holder can record the outcome.
    if (!columns.some((c) => c.name === 'token')) this.db.exec('ALTER TABLE jobs ADD COLUMN token TEXT');
    this.db.exec('CREATE INDEX IF NOT EXISTS jobs_tenant_created ON jobs (tenant, created_at)');
  }

  enqueue(kind: JobKind, request: Record<string, unknown>, tenant: string = DEFAULT_TENANT): Job {
    const now = new Date().toISOString();
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO jobs (id, kind, tenant, state, request, attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)')
      .run(id, kind, tenant, 'queued', JSON.stringify(request), now, now);
    return this.get(id)!;
  }

  get(id: string): Job | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Newest first; only `tenant`'s jobs when given. */
  list(opts: { state?: JobState; limit?: number; tenant?: string } = {}): Job[] {
    const limit = Math.min(opts.limit ?? 100, 1000);
    const where: string[] = [];
    const params: unknown[] = [];
    if (opts.state) {
      where.push('state = ?');
      params.push(opts.state);
    }
    if (opts.tenant !== undefined) {
      where.push('tenant = ?');
      params.push(opts.tenant);
    }
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, limit) as JobRow[]).map(fromRow);
  }

  counts(): Record<JobState, number> {
    const out: Record<JobState, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as { state: JobState; n: number }[])
      out[r.state] = r.n;
    return out;
  }

  /** How many jobs wait in the queue (uses the state index; cheap enough for every request). */
  queuedCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE state = 'queued'").get() as { n: number }).n;
  }

  /**
   * Cancel a job. A queued job is cancelled at once (the runner only claims queued jobs, so it
   * never runs). A running job cannot be interrupted (snarkjs has no abort), so it is marked and
   * becomes cancelled, its result discarded, when its handler returns. A finished job is left alone.
   */
  cancel(id: string): { outcome: CancelOutcome; job: Job } | undefined {
    return this.db.transaction(() => {
      const job = this.get(id);
      if (!job) return undefined;
      const now = new Date().toISOString();
      if (job.state === 'queued') {
        this.db
          .prepare("UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ? AND state = 'queued'")
          .run(now, now, id);
        return { outcome: 'cancelled' as const, job: this.get(id)! };
      }
      if (job.state === 'running') {
        this.db.prepare("UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ? AND state = 'running'").run(now, id);
        return { outcome: 'cancel-requested' as const, job: this.get(id)! };
      }
      return { outcome: 'finished' as const, job };
    })();
  }

  /**
   * Deletes finished proof jobs (succeeded, failed, cancelled; kinds PRUNABLE_JOB_KINDS) that finished before
   * `before`, with their results: the retention sweep (ZKAI_JOB_RETENTION_HOURS). Queued and running jobs, and model
   * compiles, are never touched. Returns how many.
   */
  pruneFinished(before: Date): number {
    const kinds = PRUNABLE_JOB_KINDS.map(() => '?').join(', ');
    return this.db
      .prepare(
        `DELETE FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled') AND kind IN (${kinds}) AND COALESCE(finished_at, updated_at) < ?`,
      )
      .run(...PRUNABLE_JOB_KINDS, before.toISOString()).changes;
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
          "UPDATE jobs SET state = 'running', attempts = attempts + 1, progress = NULL, started_at = ?, updated_at = ? WHERE id = ? AND state = 'queued'",
        )
        .run(now, now, row.id);
      return this.get(row.id);
    })();
  }

  /**
   * Record a running job's progress; ignored (false) unless it is running. Listeners (onProgress) hear of it at
   * once, because a phase can be shorter than an event stream's poll interval.
   */
  setProgress(id: string, progress: JobProgress, token?: string): boolean {
    // With a token (a queue worker's attempt), only that attempt's holder may write: a worker that lost the job must
    // not overwrite the new attempt's progress.
    const changed = this.db
      .prepare(
        `UPDATE jobs SET progress = ?, updated_at = ? WHERE id = ? AND state = 'running'${token === undefined ? '' : ' AND token = ?'}`,
      )
      .run(JSON.stringify(progress), progress.updatedAt, id, ...(token === undefined ? [] : [token])).changes;
    if (changed) for (const listener of this.progressListeners) listener(id);
    return changed > 0;
  }

  /** Hear of every progress write in this process (the job's id); returns the unsubscribe function. */
  onProgress(listener: (id: string) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  /**
   * Record a running job's result. Returns the state it ended in: `cancelled` (result discarded)
   * if a cancel was asked for meanwhile, or undefined if it was no longer running (timed out).
   */
  succeed(id: string, result: Record<string, unknown>): JobState | undefined {
    if (this.cancelIfRequested(id)) return 'cancelled';
    const now = new Date().toISOString();
    const changed = this.db
      .prepare(
        "UPDATE jobs SET state = 'succeeded', result = ?, error = NULL, finished_at = ?, updated_at = ? WHERE id = ? AND state = 'running'",
      )
      .run(JSON.stringify(result), now, now, id).changes;
    return changed ? 'succeeded' : undefined;
  }

  /** Fail a running job (or cancel it, if that was asked for). Returns the state it ended in, undefined if it was not running. */
  fail(id: string, error: { code: string; message: string }): JobState | undefined {
    if (this.cancelIfRequested(id)) return 'cancelled';
    const now = new Date().toISOString();
    const changed = this.db
      .prepare("UPDATE jobs SET state = 'failed', error = ?, finished_at = ?, updated_at = ? WHERE id = ? AND state = 'running'")
      .run(JSON.stringify(error), now, now, id).changes;
    return changed ? 'failed' : undefined;
  }

  /** Put a running job back in the queue for another attempt (or cancel it, if that was asked for). */
  requeue(id: string): JobState | undefined {
    if (this.cancelIfRequested(id)) return 'cancelled';
    const changed = this.db
      .prepare("UPDATE jobs SET state = 'queued', updated_at = ? WHERE id = ? AND state = 'running'")
      .run(new Date().toISOString(), id).changes;
    return changed ? 'queued' : undefined;
  }

  /**
   * A queue worker takes job `id` for an attempt under `token` (a delivery from the transport, which may come more
   * than once): queued, or running when its previous worker was lost, becomes running under this token, attempts + 1.
   * A job whose worker was lost on each of `maxAttempts` attempts fails instead; one whose cancel was asked for ends
   * cancelled. Answers the state it is in afterwards: only `running` means "prove it"; `missing` if there is no such job.
   */
  claim(id: string, token: string, maxAttempts: number): JobState | 'missing' {
    return this.db.transaction((): JobState | 'missing' => {
      const job = this.get(id);
      if (!job) return 'missing';
      if (job.state !== 'queued' && job.state !== 'running') return job.state;
      const now = new Date().toISOString();
      if (job.cancelRequested) {
        this.db.prepare("UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ?").run(now, now, id);
        return 'cancelled';
      }
      if (job.state === 'running' && job.attempts >= maxAttempts) {
        const error = { code: 'INTERNAL', message: `the job's worker was lost on each of its ${maxAttempts} attempts` };
        this.db
          .prepare("UPDATE jobs SET state = 'failed', error = ?, finished_at = ?, updated_at = ? WHERE id = ?")
          .run(JSON.stringify(error), now, now, id);
        return 'failed';
      }
      this.db
        .prepare(
          "UPDATE jobs SET state = 'running', token = ?, attempts = attempts + 1, progress = NULL, started_at = ?, updated_at = ? WHERE id = ?",
        )
        .run(token, now, now, id);
      return 'running';
    })();
  }

  /**
   * A queue worker ends the attempt it holds under `token`: succeeded (with its result), failed (with its error) or
   * queued again for a retry. Only the current token's holder may, and only while the job runs, so a job succeeds at
   * most once whoever proved it; a cancel asked for meanwhile wins (the result is dropped). Returns the state it ended
   * in, undefined if the attempt was no longer this worker's.
   */
  finishHeld(
    id: string,
    token: string,
    to: 'succeeded' | 'failed' | 'queued',
    value?: { result: Record<string, unknown> } | { error: { code: string; message: string } },
  ): JobState | undefined {
    return this.db.transaction((): JobState | undefined => {
      const held = this.db.prepare("SELECT cancel_requested FROM jobs WHERE id = ? AND state = 'running' AND token = ?").get(id, token) as
        | { cancel_requested: number }
        | undefined;
      if (!held) return undefined;
      const now = new Date().toISOString();
      if (held.cancel_requested) {
        this.db.prepare("UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ?").run(now, now, id);
        return 'cancelled';
      }
      const result = value && 'result' in value ? JSON.stringify(value.result) : null;
      const error = value && 'error' in value ? JSON.stringify(value.error) : null;
      this.db
        .prepare('UPDATE jobs SET state = ?, result = ?, error = ?, finished_at = ?, updated_at = ? WHERE id = ?')
        .run(to, result, error, to === 'queued' ? null : now, now, id);
      return to;
    })();
  }

  /**
   * Jobs not yet finished (queued or running), oldest first, with their attempts: what a queue transport that lost
   * its contents (a Redis restart without persistence, a flush, a new queue backend) must be given again.
   */
  unfinished(): { id: string; kind: JobKind; state: 'queued' | 'running'; attempts: number }[] {
    return this.db
      .prepare("SELECT id, kind, state, attempts FROM jobs WHERE state IN ('queued', 'running') ORDER BY created_at, rowid")
      .all() as { id: string; kind: JobKind; state: 'queued' | 'running'; attempts: number }[];
  }

  /** End a running job as cancelled if a cancel was asked for while it ran. */
  private cancelIfRequested(id: string): boolean {
    const now = new Date().toISOString();
    return (
      this.db
        .prepare(
          "UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ? AND state = 'running' AND cancel_requested = 1",
        )
        .run(now, now, id).changes > 0
    );
  }

  /**
   * Put jobs a crashed process left `running` back in the queue. Returns how many. Those whose
   * cancel was asked for end cancelled instead: a restart never resurrects a cancelled job.
   */
  requeueInterrupted(): number {
    const now = new Date().toISOString();
    return this.db.transaction(() => {
      this.db
        .prepare("UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ? WHERE state = 'running' AND cancel_requested = 1")
        .run(now, now);
      return this.db.prepare("UPDATE jobs SET state = 'queued', updated_at = ? WHERE state = 'running'").run(now).changes;
    })();
  }

  close(): void {
    this.db.close();
  }
}

/** Runs one job. `ctx` (always given by the runners; optional for older callers) takes progress reports. */
export type JobHandler = (job: Job, ctx?: JobContext) => Promise<Record<string, unknown>>;

export interface JobRunnerOptions {
  concurrency?: number;
  /** Attempts before an unexpected (non-ZkaiError) failure becomes final. */
  maxAttempts?: number;
  pollMs?: number;
  /**
   * A running job still unfinished after this long is failed with JOB_TIMEOUT at once. The proof
   * itself cannot be interrupted: it runs on in its worker, its result is discarded, and the runner
   * slot stays taken until it returns (so the next job does not start its clock waiting behind it).
   * Default: no timeout.
   */
  timeoutMs?: number;
  /** Per-kind limits that replace timeoutMs (0: none), e.g. a longer one for model compiles. */
  timeoutMsByKind?: Partial<Record<JobKind, number>>;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Called once per attempt when it ends: how, and how long it took (for metrics). */
  onOutcome?: (job: Job, outcome: JobOutcome, seconds: number) => void;
}

/** The time limit of a job of this kind: its own (timeoutMsByKind) or the general one; undefined (or 0) for none. */
export function jobTimeoutMs(
  opts: { timeoutMs?: number; timeoutMsByKind?: Partial<Record<JobKind, number>> },
  kind: JobKind,
): number | undefined {
  return (opts.timeoutMsByKind?.[kind] ?? opts.timeoutMs) || undefined;
}

/** How one attempt ended: `retried` went back to the queue; `timeout` was failed with JOB_TIMEOUT. */
export type JobOutcome = 'succeeded' | 'failed' | 'cancelled' | 'retried' | 'timeout';

/** The outcome to report for a store update: `cancelled` if the job was cancelled instead, none if it had already ended (timed out). */
function ended(state: JobState | undefined, outcome: JobOutcome): JobOutcome | undefined {
  return state === 'cancelled' ? 'cancelled' : state ? outcome : undefined;
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
    /** Kinds without a handler fail with BAD_INPUT (a service that does not serve them). */
    private readonly handlers: Partial<Record<JobKind, JobHandler>>,
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
    const fields = { jobId: job.id, kind: job.kind };
    const done = (outcome: JobOutcome | undefined, msg: string, extra: Record<string, unknown> = {}) => {
      const ms = Math.round(performance.now() - started);
      this.opts.log?.(outcome === 'cancelled' ? 'job cancelled' : msg, { ...fields, ...extra, ms });
      if (outcome) this.opts.onOutcome?.(job, outcome, ms / 1000);
    };
    this.opts.log?.('job started', { ...fields, attempt: job.attempts });
    // The attempt under its time limit (time-limit.ts): a timed-out job holds its slot until its handler returns.
    let attempt: ReturnType<typeof startAttempt<Record<string, unknown>>> | undefined;
    try {
      const handler = this.handlers[job.kind];
      if (!handler) throw new ZkaiError('BAD_INPUT', `no handler for job kind ${job.kind}`);
      const progress = progressReporter(
        (p) => this.store.setProgress(job.id, p),
        (err) => this.opts.log?.('progress not recorded', { ...fields, message: (err as Error)?.message }),
      );
      attempt = startAttempt((signal) => handler(job, { ...progress, signal }), jobTimeoutMs(this.opts, job.kind));
      const result = await attempt.result;
      const state = this.store.succeed(job.id, result);
      done(ended(state, 'succeeded'), 'job succeeded');
    } catch (err) {
      if (this.stopped) return; // shutting down: leave it running, requeued at next start
      if (err instanceof JobTimeout) {
        const message = `job did not finish within ${jobTimeoutMs(this.opts, job.kind)} ms (its proof may still complete; the result will be discarded)`;
        const state = this.store.fail(job.id, { code: 'JOB_TIMEOUT', message });
        done(ended(state, 'timeout'), 'job timed out', { code: 'JOB_TIMEOUT' });
        // Keep the slot until the proof really returns: its worker is still busy, and a job claimed
        // now would only wait behind it inside the pool, its own timeout running.
        await attempt?.settled; // no limit needed: a snarkjs proof always returns
      } else if (isZkaiError(err) || job.attempts >= this.maxAttempts) {
        const code = isZkaiError(err) ? err.code : 'INTERNAL';
        const state = this.store.fail(job.id, { code, message: (err as Error).message });
        done(ended(state, 'failed'), 'job failed', { code, message: (err as Error).message });
      } else {
        const state = this.store.requeue(job.id);
        done(ended(state, 'retried'), 'job will be retried', { message: (err as Error).message });
      }
    } finally {
      attempt?.clear();
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
