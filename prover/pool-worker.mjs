// Piscina loads this plain-JS entry for the proving pool (pool.ts); worker-bootstrap.mjs says why it exists.
import { loadTsWorker } from './worker-bootstrap.mjs';

export default await loadTsWorker(new URL('./pool-worker.ts', import.meta.url).href);
