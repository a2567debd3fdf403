// Runs inside a verify-pool worker thread: one bundle verification per task, off the caller's event loop.
import { threadId } from 'node:worker_threads';
import { isZkaiError } from '../common/errors.ts';
import { type VerifyOptions, type VerifyReport, verifyBundle } from './verify.ts';

export interface VerifyTask {
  bundle: unknown;
  /** Only the pins (plain data: the options cross the thread boundary by structured cloning). */
  opts: Pick<VerifyOptions, 'expectedVkeyHash' | 'trustedVkeyHashes' | 'signalNames' | 'addressSignals'>;
}

export type VerifyTaskResult = { ok: true; report: VerifyReport; threadId: number } | { ok: false; code: string; message: string };

export default async function verify(task: VerifyTask): Promise<VerifyTaskResult> {
  try {
    return { ok: true, report: await verifyBundle(task.bundle, task.opts), threadId };
  } catch (err) {
    // Errors cross the thread boundary as plain data so their code (BAD_BUNDLE) survives structured cloning.
    if (isZkaiError(err)) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: 'INTERNAL', message: String((err as Error)?.message ?? err) };
  }
}
