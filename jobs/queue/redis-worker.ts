import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { type Job as BullJob, Worker } from 'bullmq';
import { isZkaiError, ZkaiError } from '../../common/errors.ts';
import { progressReporter } from '../../prover/progress.ts';
import { type Job, type JobHandler, type JobKind, type JobOutcome, jobTimeoutMs } from '../jobs.ts';
import { JobTimeout, startAttempt } from '../time-limit.ts';
import { DEFAULT_PREFIX, QUEUE_NAME, type QueuedJobData, type RedisTransport, redisOptions } from './redis-transport.ts';
import type { JobRecordsApi } from './types.ts';

/** What a worker needs of the store of record: the guarded transitions of an attempt (JobStore's, maybe async). */
export type JobRecords = Pick<JobRecordsApi, 'claim' | 'finishHeld' | 'get' | 'setProgress'>;

export interface RedisJobWorkerOptions {
  /** Attempts (including ones whose worker was lost) before a job fails for good. Default 3. */
  maxAttempts?: number;
  /** Proofs at once (normally the prover pool's thread count). */
  concurrency?: number;
  /** A running job still unfinished after this long fails with JOB_TIMEOUT (its proof's result is discarded). Default none. */
  timeoutMs?: number;
  /** Per-kind limits that replace timeoutMs (0: none), e.g. a longer one for model compiles. */
  timeoutMsByKind?: Partial<Record<JobKind, number>>;
  /**
   * How long a worker's hold on a job lasts without being renewed (renewed every half of it while
   * the worker lives). A worker killed mid-proof stops renewing; within about lockMs + stalledMs
   * another worker's stalled-job check puts the job back in the queue. Default 30 s.
   */
  lockMs?: number;
  /** How often each worker looks for jobs whose worker was lost. Default 30 s. */
  stalledMs?: number;
  /** A name for this worker in logs and claim tokens (default host:pid). */
  name?: string;
  /** The BullMQ queue it takes jobs from: QUEUE_NAME (default, `zkai worker`) or API_QUEUE_NAME (an API node's compiles). */
  queueName?: string;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Called once per attempt when it ends (for metrics), as JobRunnerOptions.onOutcome. */
  onOutcome?: (job: Job, outcome: JobOutcome, seconds: number) => void;
}

/**
 * A `zkai worker`'s consumer: pulls job ids from the BullMQ queue and runs the jobs through handlers
 * by kind, with the same rules as the embedded JobRunner: a ZkaiError fails the job, anything else
 * is retried (up to maxAttempts, which also counts attempts whose worker was lost).
 *
 * Redis only carries ids; the job records live in the store of record (`records`). Exactly-once
 * success: every attempt claims the record under a fresh token, and only the current token's holder
 * can record an outcome (JobStore.finishHeld, one guarded transition in the store). A worker that
 * lost its job (killed, stalled past its lock, or Redis flushed and the job delivered again) has its
 * result dropped; a delivery of a job that already finished is skipped.
 */
export class RedisJobWorker {
  private readonly worker: Worker<QueuedJobData>;
  private readonly name: string;
  private readonly active = new Map<string, Promise<unknown>>();
  private closing?: Promise<void>;
  private readonly maxAttempts: number;

  constructor(
    url: string,
    private readonly records: JobRecords,
    private readonly transport: RedisTransport,
    private readonly handlers: Partial<Record<JobKind, JobHandler>>,
    private readonly opts: RedisJobWorkerOptions = {},
  ) {
    this.name = opts.name ?? `${os.hostname()}:${process.pid}`;
    this.maxAttempts = opts.maxAttempts ?? 3;
    const lockDuration = opts.lockMs ?? 30_000;
    this.worker = new Worker<QueuedJobData>(opts.queueName ?? QUEUE_NAME, (job) => this.process(job), {
      connection: redisOptions(url),
      prefix: transport.prefix ?? DEFAULT_PREFIX,
      concurrency: opts.concurrency ?? 1,
      autorun: false,
      lockDuration,
      stalledInterval: opts.stalledMs ?? 30_000,
      // Lost workers are counted on the job record (LUA_CLAIM fails the job after maxAttempts), not by BullMQ.
      maxStalledCount: 1_000_000,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 0 },
    });
    this.worker.on('error', (err) => this.opts.log?.('queue connection error', { message: err.message }));
  }

  /** Start pulling jobs (resolves once the worker is running; it runs until close()). */
  start(): void {
    this.worker.run().catch((err: Error) => this.opts.log?.('worker stopped on an error', { message: err.message }));
  }

  /** Resolves when the worker is connected and waiting for jobs. */
  async ready(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** Jobs being proved now. */
  get busy(): number {
    return this.active.size;
  }

  /**
   * One delivery, counted as active from the start: a close() that came between the claim and the run would
   * otherwise see nothing active, close BullMQ gracefully, and wait forever for a proof that never returns.
   */
  private async process(bullJob: BullJob<QueuedJobData>): Promise<{ state: string }> {
    const id = bullJob.data.id;
    if (this.active.has(id)) {
      // Delivered again while this worker still runs it (Redis lost the delivery and the reconciliation re-made it):
      // taking it over would run the same attempt twice here; this worker's outcome is still the one recorded.
      this.opts.log?.('job skipped: already running on this worker', { jobId: id });
      return { state: 'running' };
    }
    const work = this.claimAndRun(id);
    this.active.set(id, work);
    try {
      return await work;
    } catch (err) {
      // BullMQ fails (and removes) this delivery; the job's record is untouched or still this attempt's, and the API
      // node's periodic sweep delivers it again (jobs/queue/delivery.ts).
      this.opts.log?.('delivery failed; the API node will deliver the job again', { jobId: id, message: (err as Error)?.message });
      throw err;
    } finally {
      this.active.delete(id);
    }
  }

  private async claimAndRun(id: string): Promise<{ state: string }> {
    // A delivery of a kind this node does not run (a compile queued for workers by an older release): left unclaimed,
    // for the API node's reconciliation to deliver it again to the queue of the nodes that run it (queueFor).
    const before = await this.records.get(id);
    if (before && !this.handlers[before.kind]) {
      this.opts.log?.('job skipped: not a kind this node runs', { jobId: id, kind: before.kind });
      return { state: 'not-mine' };
    }
    const token = `${this.name}/${randomUUID()}`;
    const state = await this.records.claim(id, token, this.maxAttempts);
    if (state !== 'running') {
      // Cancelled while queued, already finished by an earlier attempt, or given up: nothing to do.
      this.opts.log?.('job skipped', { jobId: id, state });
      return { state };
    }
    const job = (await this.records.get(id))!;
    return { state: (await this.run(job, token)) ?? 'lost' };
  }

  private async run(job: Job, token: string): Promise<string | undefined> {
    const started = performance.now();
    const fields = { jobId: job.id, kind: job.kind, worker: this.name };
    const done = (state: string | undefined, outcome: JobOutcome, msg: string, extra: Record<string, unknown> = {}) => {
      const ms = Math.round(performance.now() - started);
      if (!state) {
        this.opts.log?.('job outcome dropped: the job is no longer this worker’s', { ...fields, ms });
        return;
      }
      const reported: JobOutcome = state === 'cancelled' ? 'cancelled' : outcome;
      this.opts.log?.(state === 'cancelled' ? 'job cancelled' : msg, { ...fields, ...extra, ms });
      this.opts.onOutcome?.(job, reported, ms / 1000);
    };
    this.opts.log?.('job started', { ...fields, attempt: job.attempts });
    let attempt: ReturnType<typeof startAttempt<Record<string, unknown>>> | undefined;
    try {
      const handler = this.handlers[job.kind];
      if (!handler) throw new ZkaiError('BAD_INPUT', `this worker has no handler for job kind ${job.kind}`);
      const progress = progressReporter(
        (p) => this.records.setProgress(job.id, p, token),
        (err) => this.opts.log?.('progress not recorded', { ...fields, message: (err as Error)?.message }),
      );
      // Aborted at the timeout: a compile's child process is killed then (jobs/children/child-process.ts).
      attempt = startAttempt((signal) => handler(job, { ...progress, signal }), jobTimeoutMs(this.opts, job.kind));
      const result = await attempt.result;
      const state = await this.records.finishHeld(job.id, token, 'succeeded', { result });
      done(state, 'succeeded', 'job succeeded');
      return state;
    } catch (err) {
      if (err instanceof JobTimeout) {
        const message = `job did not finish within ${jobTimeoutMs(this.opts, job.kind)} ms (its proof may still complete; the result will be discarded)`;
        const state = await this.records.finishHeld(job.id, token, 'failed', { error: { code: 'JOB_TIMEOUT', message } });
        done(state, 'timeout', 'job timed out', { code: 'JOB_TIMEOUT' });
        // Hold the slot until the proof returns: its prover thread is still busy.
        await attempt?.settled;
        return state;
      }
      const message = (err as Error).message;
      if (isZkaiError(err) || job.attempts >= this.maxAttempts) {
        const code = isZkaiError(err) ? err.code : 'INTERNAL';
        const state = await this.records.finishHeld(job.id, token, 'failed', { error: { code, message } });
        done(state, 'failed', 'job failed', { code, message });
        return state;
      }
      const state = await this.records.finishHeld(job.id, token, 'queued');
      done(state, 'retried', 'job will be retried', { message });
      // Deliver it again, as its next attempt (a new delivery id; the current one is still active until it completes).
      if (state === 'queued') await this.transport.deliver(job.id, job.attempts, job.kind);
      return state;
    } finally {
      attempt?.clear();
    }
  }

  /**
   * Graceful stop: take no new jobs and wait up to `timeoutMs` for the running ones to finish.
   * Jobs still running then are left to the stalled-job check: their lock expires and another
   * worker takes them over (their attempt counts).
   */
  close(timeoutMs = 30_000): Promise<void> {
    this.closing ??= (async () => {
      await this.worker.pause(true).catch(() => {}); // stop pulling; running jobs go on
      const drained = await Promise.race([
        Promise.allSettled([...this.active.values()]).then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref()),
      ]);
      if (!drained) this.opts.log?.('jobs still running at shutdown are left to another worker', { jobs: [...this.active.keys()] });
      // Forced: stop renewing the locks of jobs still running, so the stalled-job check hands them on.
      await this.worker.close(!drained).catch(() => {});
    })();
    return this.closing;
  }
}
