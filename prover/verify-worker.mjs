// Piscina loads this plain-JS entry for the verification pool (verify-pool.ts); like pool-worker.mjs it registers tsx
// and loads web-worker as a main thread, so snarkjs's curve library can start its own threads from this worker.
import threads from 'node:worker_threads';
import { register } from 'tsx/esm/api';

const isMainThread = threads.isMainThread;
threads.isMainThread = true;
try {
  await import('web-worker');
} finally {
  threads.isMainThread = isMainThread;
}

register();
const mod = await import('./verify-worker.ts');
export default mod.default;
