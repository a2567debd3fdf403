import { parseArgs } from 'node:util';
import { ZkaiError } from '../common/errors.ts';

export const WORKER_USAGE = `zkai worker [--name <text>] [--concurrency <n>] [--datasets <dir>] [--shutdown-timeout <ms>]
  Pull proof jobs from the Redis queue at ZKAI_QUEUE (redis://host:port) and prove them; run any number,
  on any machines that share ZKAI_HOME (circuits, keys, datasets) and the job records (ZKAI_HOME's jobs.sqlite
  on one machine, or PostgreSQL at ZKAI_DB=postgres://… for several machines). With ZKAI_API_URL and
  ZKAI_WORKER_TOKEN, a worker with its own ZKAI_HOME fetches the circuit, the proving key and datasets from the API
  node instead, checked against their content hashes (docs/deploy.md). SIGTERM/SIGINT: stop pulling, finish
  the running jobs (up to --shutdown-timeout, default 30000 ms; unfinished ones go to another worker).`;

/**
 * `zkai worker`: start a prover node (jobs/worker-main.ts) and keep it running until a signal.
 * Returns -1 (keep the process alive), like `zkai serve`.
 */
export async function workerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      concurrency: { type: 'string' },
      datasets: { type: 'string' },
      'shutdown-timeout': { type: 'string' },
    },
  });
  const int = (text: string | undefined, name: string, min: number): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || Number(text) < min)
      throw new ZkaiError('BAD_INPUT', `--${name} must be an integer >= ${min}\n\n${WORKER_USAGE}`);
    return Number(text);
  };
  const concurrency = int(values.concurrency, 'concurrency', 1);
  const shutdownMs = int(values['shutdown-timeout'], 'shutdown-timeout', 0) ?? 30_000;
  const { applyWitnessCompile, witnessCompileFrom } = await import('../prover/witness-compile.ts');
  applyWitnessCompile(witnessCompileFrom()); // before any circuit loads (prover/witness-compile.ts)
  const { configFromEnv } = await import('../server/config.ts');
  const { startWorker } = await import('../jobs/worker-main.ts');
  const node = await startWorker(configFromEnv(), { name: values.name, concurrency, datasetsDir: values.datasets });
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`[zkai worker] ${signal} received\n`);
    // Bounded, whatever happens: exit non-zero if closing hangs (its jobs go to other workers anyway).
    setTimeout(() => process.exit(1), shutdownMs + 15_000).unref();
    node.close(shutdownMs).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return -1;
}
