// Commits one dataset off the main thread (Poseidon-hashing a large dataset takes seconds to
// minutes, and the HTTP event loop must keep answering meanwhile). Started by DatasetCatalog with
// workerData { records, manifestPath, options }; posts back { ok, manifest } or { ok: false, code, message }.
import threads from 'node:worker_threads';
import { register } from 'tsx/esm/api';

// ffjavascript (under circomlibjs) loads the `web-worker` package, which decides when it is loaded
// whether it runs inside one of its own workers by reading worker_threads.isMainThread. Here that is
// false, so it would take the child role and crash: load it once while presenting this thread as a
// main thread (the same fix as prover/pool-worker.mjs).
const isMainThread = threads.isMainThread;
threads.isMainThread = true;
try {
  await import('web-worker');
} finally {
  threads.isMainThread = isMainThread;
}

register();
const { commitDataset } = await import('../circuits/dataset/index.ts');
const { records, manifestPath, options } = threads.workerData;
try {
  const dataset = await commitDataset(records, manifestPath, options);
  threads.parentPort.postMessage({ ok: true, manifest: dataset.manifest });
} catch (err) {
  // Errors cross the thread boundary as plain data so their code survives.
  const code = err && typeof err === 'object' && err.name === 'ZkaiError' ? err.code : 'INTERNAL';
  threads.parentPort.postMessage({ ok: false, code, message: String(err?.message ?? err) });
}
