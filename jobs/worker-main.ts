// A prover node: `zkai worker` (cli/worker.ts). Pulls jobs from the Redis queue (ZKAI_QUEUE) and proves them.
import os from 'node:os';
import path from 'node:path';
import { httpArtifactSource } from '../client/worker-source.ts';
import { ZkaiError } from '../common/errors.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import type { ServiceConfig } from '../server/config.ts';
import { startLauncher } from './children/child-process.ts';
import { datasetCatalog } from './datasets.ts';
import { fetchedMembershipCircuit } from './fetch-circuit.ts';
import { fetchingDatasets } from './fetch-dataset.ts';
import { currentModelCheck, fetchingModels } from './fetch-model.ts';
import { type JobHandler, type JobKind, JobStore } from './jobs.ts';
import { membershipJobHandler } from './membership-job.ts';
import { inferenceJobHandler } from './model-jobs.ts';
import { RedisTransport } from './queue/redis-transport.ts';
import { RedisJobWorker } from './queue/redis-worker.ts';
import { redactUrl } from './queue/types.ts';
import { MEMBERSHIP_CIRCUIT_NAME } from './queue-node.ts';

/** How often a worker reports itself (RedisTransport.heartbeat); well under WORKER_STALE_MS. */
const HEARTBEAT_MS = 5_000;

export interface WorkerNodeOptions {
  /** Name in logs and claim tokens (default host:pid). */
  name?: string;
  /** Proofs at once; default the pool size (ZKAI_POOL_SIZE). */
  concurrency?: number;
  /** The store of record the API node writes (default `<ZKAI_HOME>/jobs.sqlite`): where attempts are claimed and results recorded. */
  storeFile?: string;
  /** Where committed datasets are read from; default `<ZKAI_HOME>/datasets`, the folder the API node writes. */
  datasetsDir?: string;
  log?: (line: string) => void;
}

export interface RunningWorker {
  worker: RedisJobWorker;
  /** Graceful stop: take no new jobs, wait up to `timeoutMs` for running ones (the rest go to other workers), close the pool. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Start a prover node. With ZKAI_API_URL (config.apiUrl) it fetches from the API node whatever its own ZKAI_HOME lacks
 * (the membership circuit, the proving key, each dataset and compiled model a job names; fetch-circuit.ts,
 * fetch-dataset.ts, fetch-model.ts), checked against content hashes and cached. Without it, it needs the same artifacts as the API node: the membership circuit and
 * its proving key (`<ZKAI_HOME>/circuits`, content-addressed, so a shared or copied folder works)
 * and the committed datasets (`<ZKAI_HOME>/datasets/<root>/`), and the API node's store of record
 * (`<ZKAI_HOME>/jobs.sqlite`, or PostgreSQL with ZKAI_DB): Redis only carries job ids; the worker claims each attempt and records
 * its result there, in a transition guarded by its claim token. It refuses to start if the API
 * nodes published a different circuit or verifying key: its proofs would not verify there.
 */
export async function startWorker(config: ServiceConfig, opts: WorkerNodeOptions = {}): Promise<RunningWorker> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[zkai worker] ${line}\n`));
  if (config.queue.kind !== 'redis')
    throw new ZkaiError('BAD_INPUT', 'zkai worker needs ZKAI_QUEUE=redis://host:port (the queue the API node uses)');
  const url = config.queue.url;
  // Children (dataset commits) are forked by the launcher, never by this process once it proves (child-process.ts).
  await startLauncher();
  // Another machine (ZKAI_API_URL): what this ZKAI_HOME lacks comes from the API node, checked against its content hash.
  const source = config.apiUrl && config.workerToken ? httpArtifactSource(config.apiUrl, config.workerToken) : undefined;
  const membership = source
    ? await fetchedMembershipCircuit(source, config.treeDepth, (m) => log(`  ${m}`))
    : await prepareMembershipCircuit(config.treeDepth, (m) => log(`  ${m}`));
  const store = await RedisTransport.connect(url);
  const db = config.db;
  // The pg driver is loaded only for PostgreSQL.
  const records =
    db.kind === 'postgres'
      ? await (await import('./pg-store.ts')).PgJobStore.connect(db.url)
      : new JobStore(opts.storeFile ?? path.join(config.home, 'jobs.sqlite'));
  const pool = new ProverPool({ threads: config.poolSize });
  const closeAll = async () => {
    await pool.close().catch(() => {});
    await store.close();
    await records.close();
    await releaseVerifierResources();
  };
  try {
    const served = await store.publishedCircuit(MEMBERSHIP_CIRCUIT_NAME);
    if (served && (served.circuitId !== membership.circuit.id || served.vkeyHash !== membership.setup.vkeyHash)) {
      throw new ZkaiError(
        'BAD_INPUT',
        `the API nodes serve circuit ${served.circuitId} (vkey ${served.vkeyHash.slice(0, 12)}…) but this worker has ` +
          `${membership.circuit.id} (vkey ${membership.setup.vkeyHash.slice(0, 12)}…): point ZKAI_HOME at the shared artifacts and set the same ZKAI_TREE_DEPTH`,
      );
    }
    if (!served) log('no API node has published its circuit yet; proving with the local one');
    const datasetsDir = opts.datasetsDir ?? path.join(config.home, 'datasets');
    const modelsDir = path.join(config.home, 'models');
    const handlers: Partial<Record<JobKind, JobHandler>> = {
      membership: membershipJobHandler({
        pool,
        membership,
        datasetsDir,
        ...(source ? { ensureDataset: fetchingDatasets(source, datasetCatalog(datasetsDir), log) } : {}),
      }),
      // Inference proofs of uploaded models: from <ZKAI_HOME>/models/<id>/, which the API node writes, or with
      // ZKAI_API_URL fetched from the API node and checked (fetch-model.ts). No compiles: only API nodes run those
      // (jobs/queue/redis-transport.ts API_NODE_KINDS), so a worker never makes a model's circuit or keys.
      inference: inferenceJobHandler({
        pool,
        modelsDir,
        ...(source ? { fetchModel: fetchingModels(source, modelsDir, (m) => log(`  ${m}`)), checkModel: currentModelCheck(source) } : {}),
      }),
    };
    const workerName = opts.name ?? `${os.hostname()}:${process.pid}`;
    const concurrency = opts.concurrency ?? config.poolSize;
    const worker = new RedisJobWorker(url, records, store, handlers, {
      concurrency,
      timeoutMs: config.jobTimeoutMs || undefined,
      lockMs: config.queueLockMs,
      stalledMs: config.queueStalledMs,
      name: workerName,
      log: (msg, fields) => log(fields ? `${msg} ${JSON.stringify(fields)}` : msg),
    });
    worker.start();
    await worker.ready();
    // Heartbeat: lets the API nodes' /metrics show live workers, busy slots and utilisation.
    const beat = () => store.heartbeat({ name: workerName, concurrency, busy: worker.busy, utilization: pool.utilization }).catch(() => {});
    await beat();
    const heartbeat = setInterval(beat, HEARTBEAT_MS);
    heartbeat.unref();
    log(
      `pulling jobs from ${redactUrl(url)} (membership depth ${membership.depth}, circuit ${membership.circuit.id}, ` +
        `${pool.threads} prover thread(s), datasets ${datasetsDir}${source ? `, fetching what is missing from ${source.origin}` : ''})`,
    );
    let closing: Promise<void> | undefined;
    return {
      worker,
      close(timeoutMs = 30_000) {
        closing ??= (async () => {
          log('stopping: no new jobs; waiting for running ones');
          await worker.close(timeoutMs);
          clearInterval(heartbeat);
          await store.removeWorker(workerName).catch(() => {});
          await closeAll();
          log('stopped');
        })();
        return closing;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
