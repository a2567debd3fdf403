/**
 * Bundle verification on worker threads, so that a large or hostile bundle never holds the caller's event loop (the
 * HTTP service keeps answering /health and every other route while a verification runs). One thread by default:
 * a verification is tens of milliseconds, and the machine's cores belong to the provers.
 */
import path from 'node:path';
import { Piscina } from 'piscina';
import { ZkaiError, type ZkaiErrorCode } from '../common/errors.ts';
import type { VerifyReport } from './verify.ts';
import type { VerifyTask, VerifyTaskResult } from './verify-worker.ts';

export interface VerifyPoolOptions {
  /** Worker threads (default 1). */
  threads?: number;
  /** Verifications waiting for a thread beyond this many are refused with QUEUE_FULL (default 64). */
  maxQueue?: number;
}

/** What the HTTP route needs: verify on a worker, and be closed with the app. */
export interface BundleVerifier {
  verify(bundle: unknown, opts: VerifyTask['opts']): Promise<VerifyReport>;
  close(): Promise<void>;
}

export class VerifyPool implements BundleVerifier {
  private readonly pool: Piscina;
  private readonly maxQueue: number;
  /** Thread ids of the workers that answered (tests: proof that the work left the main thread). */
  readonly workerThreads = new Set<number>();

  constructor(opts: VerifyPoolOptions = {}) {
    const threads = opts.threads ?? 1;
    this.maxQueue = opts.maxQueue ?? 64;
    this.pool = new Piscina({
      filename: path.join(import.meta.dirname, 'verify-worker.mjs'),
      minThreads: 0, // started on the first verification, so a service that verifies nothing pays nothing
      maxThreads: threads,
      maxQueue: this.maxQueue,
      idleTimeout: 60_000,
    });
  }

  /** Verifications completed by the workers so far. */
  get completed(): number {
    return this.pool.completed;
  }

  async verify(bundle: unknown, opts: VerifyTask['opts']): Promise<VerifyReport> {
    let out: VerifyTaskResult;
    try {
      out = (await this.pool.run({ bundle, opts } satisfies VerifyTask)) as VerifyTaskResult;
    } catch (err) {
      if (/queue is at limit/i.test((err as Error)?.message ?? '')) {
        throw new ZkaiError('QUEUE_FULL', `${this.maxQueue} verifications are already waiting; retry later`);
      }
      throw err;
    }
    if (!out.ok) throw new ZkaiError(out.code as ZkaiErrorCode, out.message);
    this.workerThreads.add(out.threadId);
    return out.report;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
