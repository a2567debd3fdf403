import { ZkaiError } from '../common/errors.ts';

/** Thrown (to the runner, not the handler) when an attempt outlives its time limit. */
export class JobTimeout extends Error {}

/**
 * Starts one attempt of a job handler under its time limit (the embedded runner and `zkai worker` share this).
 * `result` rejects with JobTimeout at the limit, and the handler's signal is aborted then (with JOB_TIMEOUT), so a
 * handler running a child process kills it and its slot frees at once. `settled` resolves when the handler's own
 * promise has settled, whatever its outcome: a timed-out proof still holds its prover thread, so the runner waits for
 * it before taking another job, and a late failure is never unhandled. Call `clear` when the attempt is over.
 */
export function startAttempt<T>(
  start: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number | undefined,
): { result: Promise<T>; settled: Promise<void>; clear(): void } {
  const giveUp = new AbortController();
  const work = start(giveUp.signal);
  const settled = work.then(
    () => {},
    () => {},
  );
  if (!timeoutMs) return { result: work, settled, clear() {} };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new JobTimeout());
      giveUp.abort(new ZkaiError('JOB_TIMEOUT', `job did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  return { result: Promise.race([work, timeout]), settled, clear: () => clearTimeout(timer) };
}
