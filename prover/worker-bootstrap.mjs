// The plain-JS start of every piscina worker (pool-worker.mjs, verify-worker.mjs): it registers tsx so the
// TypeScript worker can be imported, whatever loader (or none) the parent process was started with.
import threads from 'node:worker_threads';
import { register } from 'tsx/esm/api';

/** Loads the TypeScript worker module at `url` (after the set-up below) and returns its default export. */
export async function loadTsWorker(url) {
  // snarkjs's curve library (ffjavascript) spawns its own threads through the `web-worker` package, which decides
  // *when it is loaded* whether it runs inside one of its own workers by reading worker_threads.isMainThread. Inside
  // a piscina worker that is false, so it would take the child role and crash. Load it once while presenting this
  // thread as a main thread; its own child threads still see the real value.
  const isMainThread = threads.isMainThread;
  threads.isMainThread = true;
  try {
    await import('web-worker');
  } finally {
    threads.isMainThread = isMainThread;
  }
  register();
  return (await import(url)).default;
}
