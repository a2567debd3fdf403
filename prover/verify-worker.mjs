// Piscina loads this plain-JS entry for the verification pool (verify-pool.ts); worker-bootstrap.mjs says why it exists.
import { loadTsWorker } from './worker-bootstrap.mjs';

export default await loadTsWorker(new URL('./verify-worker.ts', import.meta.url).href);
