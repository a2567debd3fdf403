import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { commitDataset, membershipInput } from '../circuits/dataset/index.ts';
import { resolveHome } from '../common/config.ts';
import { ZkaiError } from '../common/errors.ts';
import { buildConsole } from '../console/build.ts';
import { openCatalogs } from '../jobs/catalogs.ts';
import { maxChildProcessesFromEnv, startLauncher } from '../jobs/children/child-process.ts';
import { datasetCommitJobHandler } from '../jobs/dataset-commit-job.ts';
import { datasetCatalog } from '../jobs/datasets.ts';
import { DEFAULT_TENANT, JobRunner, JobStore } from '../jobs/jobs.ts';
import { membershipJobHandler } from '../jobs/membership-job.ts';
import type { ModelFilesApi } from '../jobs/model-files.ts';
import { modelCompileJobHandler, modelJobHandlers, removeAttemptFolders } from '../jobs/model-jobs.ts';
import type { PgJobStore } from '../jobs/pg-store.ts';
import { type JobQueueApi, redactUrl } from '../jobs/queue/types.ts';
import { connectApiQueue } from '../jobs/queue-node.ts';
import { describeEngine } from '../prover/engine.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import { DEV_PTAU_WARNING } from '../prover/setup/index.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp, type ChainInfo } from './app.ts';
import { connectChain, startChain } from './chain.ts';
import type { ServiceConfig } from './config.ts';
import { lockDataDir } from './data-lock.ts';
import { createMetrics } from './metrics.ts';

export interface RunningService {
  app: FastifyInstance;
  /** Base URL the API listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  config: ServiceConfig;
  membership: MembershipCircuit;
  chain?: ChainInfo;
  /** With ZKAI_AUTH=keys, the key made for the tenant 'default' if this start made one (a store that never had keys). */
  apiKey?: string;
  /** Graceful stop: stop accepting, finish or park running jobs, stop workers, chain and store. Idempotent. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where progress lines go (default stderr). */
  log?: (line: string) => void;
  /** Install SIGINT/SIGTERM handlers that close the service and exit (default true). */
  handleSignals?: boolean;
}

/**
 * Start the whole service: membership circuit (compile + setup, cached), warm prover pool, job
 * store and runner (which requeues jobs a previous run left unfinished), optionally a local dev
 * chain with the contracts deployed, then the HTTP API. Each step is logged with its duration;
 * if one fails, what was already started is stopped again before the error is rethrown.
 */
export async function startService(config: ServiceConfig, opts: StartOptions = {}): Promise<RunningService> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[zkai] ${line}\n`));
  const closers: { name: string; close: () => Promise<void> | void }[] = [];
  const closeAll = async () => {
    while (closers.length) {
      const c = closers.pop()!;
      try {
        await c.close();
      } catch (err) {
        log(`error while stopping ${c.name}: ${(err as Error).message}`);
      }
    }
  };
  // One line per start-up step, when it is done; a step still running after a second also says it started, so a
  // first start (circuit compile and setup, minutes) shows what it is waiting for.
  async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const slow = setTimeout(() => log(`${name}...`), 1000);
    try {
      const out = await fn();
      log(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return out;
    } finally {
      clearTimeout(slow);
    }
  }
  // Details of a step (the setup's cache paths and its INSECURE notices) only at debug level: the summary says what
  // matters once, the INSECURE setup included.
  const verbose = config.logLevel === 'debug' || config.logLevel === 'trace';
  const detail = (msg: string) => {
    if (verbose) log(`  ${msg}`);
  };

  // Registered first, so it runs last: snarkjs's shared curve (used by setup and /v1/verify) keeps threads alive.
  closers.push({ name: 'snarkjs curve', close: () => releaseVerifierResources() });
  // Job events go to the text log until the HTTP app (and its pino logger) exists, then to pino
  // with their jobId/kind fields as structured bindings.
  let jobLog = (msg: string, fields?: Record<string, unknown>) => log(fields ? `${msg} ${JSON.stringify(fields)}` : msg);
  try {
    // First, before anything reads or writes the data directory: one service per ZKAI_HOME (server/data-lock.ts).
    const lock = lockDataDir(config.home);
    closers.push({ name: 'data directory lock', close: () => lock.release() });
    const datasetsDir = path.join(config.home, 'datasets');
    // A commit killed mid-way leaves its half-written folder under .incoming; nothing else can be using it now.
    await rm(path.join(datasetsDir, '.incoming'), { recursive: true, force: true });
    // Likewise a compile killed mid-way leaves models/<id>/compiled.attempt-<uuid>/ (jobs/model-jobs.ts).
    await removeAttemptFolders(path.join(config.home, 'models'));
    const membership = await step(`membership circuit (depth ${config.treeDepth}): compile and set up`, () =>
      prepareMembershipCircuit(config.treeDepth, detail),
    );
    const engine = (await describeEngine()).description;

    // Every process this service starts is started now, before it proves anything: a process that forks while it
    // proves slows its next proofs 1.4–1.8× (copy-on-write page faults). The launcher forks compiles and commits
    // later (jobs/children/child-process.ts); the dev chain is started here, before the pool's warm-up proof.
    const launcherPid = await step('child-process launcher', () => startLauncher());
    detail(`launcher pid ${launcherPid}`);
    let chain: ChainInfo | undefined;
    let devAccount: { address: string; privateKey: string } | undefined;
    if (config.chain === 'dev' || config.chain === 'dev-persistent') {
      const persistent = config.chain === 'dev-persistent';
      // ZKAI_BATCH_SLOTS: the batch circuit whose verifier the vault takes claimBatch with (a 2^18 setup for 16 slots
      // at depth 20 the first time, minutes; cached by content hash after, a second). Opt-in for that first cost.
      const batch =
        config.batchSlots > 0
          ? await step(`batch membership circuit (${config.batchSlots} slots, depth ${config.treeDepth}): compile and set up`, async () =>
              (await import('../prover/membership-batch.ts')).prepareMembershipBatchCircuit(config.batchSlots, config.treeDepth, detail),
            )
          : undefined;
      const started = await step(`dev chain on port ${config.chainPort}: ${persistent ? 'resume or ' : ''}start and deploy contracts`, () =>
        startChain({
          port: config.chainPort,
          membership,
          ...(batch ? { batch } : {}),
          deploymentFile: path.join(config.home, 'deployment.json'),
          ...(persistent ? { persistentDir: path.join(config.home, 'dev-chain') } : {}),
          log: detail,
        }),
      );
      closers.push({ name: 'dev chain', close: () => started.stop() });
      // A resumed dev-persistent chain keeps the vault it first deployed, whose batch verifier (or none) is fixed.
      if (batch && !started.info.contracts.MembershipBatchVerifier)
        log(
          `ZKAI_BATCH_SLOTS=${config.batchSlots}, but the resumed chain's RoyaltyVault has no batch verifier: the setting applies to a new chain (delete ${path.join(config.home, 'dev-chain')})`,
        );
      chain = started.info;
      devAccount = started.fundedAccount;
    } else if (config.chain === 'rpc') {
      const rpc = config.chainRpc!;
      chain = await step(`chain ${new URL(rpc).origin}: check the deployment`, () =>
        connectChain({
          rpc,
          home: config.home,
          deploymentFile: config.chainDeployment,
          membership: { circuitId: membership.circuit.id, vkeyHash: membership.setup.vkeyHash },
        }),
      );
    }

    // The store of record (jobs, and below tenants and models), whichever queue carries the jobs: changing ZKAI_QUEUE
    // keeps every record.
    const storeFile = path.join(config.home, 'jobs.sqlite');
    const records = await openRecords(config, storeFile, step);
    closers.push({ name: 'job store', close: () => records.close() });
    // ZKAI_QUEUE=redis://…: job ids go through BullMQ to `zkai worker` processes; this node proves nothing itself.
    const remote =
      config.queue.kind === 'redis'
        ? await step('job queue (BullMQ on Redis)', () => connectApiQueue(config, membership, records, (m) => jobLog(m)))
        : undefined;
    if (remote) closers.push({ name: 'job queue', close: () => remote.close() });

    const pool = remote ? undefined : new ProverPool({ threads: config.poolSize });
    if (pool) closers.push({ name: 'prover pool', close: () => pool.close() });
    if (pool && config.warmup)
      await step(`prover pool (${pool.threads} worker(s)): warm up with one proof`, () => warmUp(pool, membership));

    const store: JobQueueApi = remote?.store ?? records;
    // Tenants, keys and models where the job records are: tables of their own in the same SQLite file (also with the
    // Redis queue), or PostgreSQL (ZKAI_DB), shared by every API node, which also shares committed datasets there.
    const pgUrl = config.db.kind === 'postgres' ? config.db.url : undefined;
    const catalogs = await step(`tenants, keys and catalogs ${pgUrl ? `PostgreSQL ${redactUrl(pgUrl)}` : storeFile}`, () =>
      openCatalogs({ storeFile, modelsDir: path.join(config.home, 'models'), ...(pgUrl ? { pgUrl } : {}) }),
    );
    closers.push({ name: 'tenant and catalog store', close: () => catalogs.close() });
    // Models compiled here before PostgreSQL kept model files: kept there now, so every node serves them (idempotent).
    if (pgUrl) await step('models of this node kept in PostgreSQL', () => catalogs.modelFiles.backfill((msg) => log(`  ${msg}`)));
    const { tenants, models } = catalogs;
    // The process-wide catalog of this datasets folder (jobs/datasets.ts) publishes to and fills from the shared one.
    const datasets = datasetCatalog(datasetsDir);
    datasets.share(catalogs.datasets);
    closers.push({ name: 'shared datasets', close: () => datasets.share(undefined) });
    // With Redis too, model compiles run here and never on a `zkai worker`: only API nodes make circuits and keys
    // (jobs/queue/redis-transport.ts API_NODE_KINDS; docs/queue.md, "Which node runs which job").
    if (remote)
      await step('model compiles: run on this node', () =>
        remote.runApiJobs(
          {
            'model-compile': modelCompileJobHandler({
              modelsDir: models.dir,
              files: catalogs.modelFiles,
              maxConstraints: config.maxModelConstraints,
            }),
          },
          { name: `api:${os.hostname()}:${process.pid}`, concurrency: maxChildProcessesFromEnv() },
        ),
      );
    // Zero set-up: a store that never had a key gets one for the default tenant, printed once below (one node of
    // several starting together makes it: createFirstKey is atomic in the store).
    const firstKey = config.auth === 'keys' ? await tenants.createFirstKey(DEFAULT_TENANT) : undefined;

    const metrics = createMetrics();
    if (remote) metrics.attach({ workers: () => remote.transport.workers() });
    const runner = !(pool && records instanceof JobStore)
      ? undefined
      : new JobRunner(
          records,
          {
            membership: membershipJobHandler({ pool, membership, datasetsDir, observeProof: metrics.observeProof }),
            'dataset-commit': datasetCommitJobHandler({
              datasetsDir,
              claim: async (tenant, rootHex, source) => (await tenants.claimDataset(tenant, rootHex, source)).claim,
            }),
            ...modelJobHandlers({
              pool,
              modelsDir: models.dir,
              files: catalogs.modelFiles,
              maxConstraints: config.maxModelConstraints,
              observeProof: metrics.observeProof,
            }),
          },
          {
            concurrency: config.poolSize,
            timeoutMs: config.jobTimeoutMs || undefined,
            timeoutMsByKind: { 'model-compile': config.compileTimeoutMs },
            log: (msg, fields) => jobLog(msg, fields),
            onOutcome: metrics.jobOutcome,
          },
        );
    if (runner) await step('job runner', async () => runner.start());
    if (runner) closers.push({ name: 'job runner', close: () => runner.stop() });

    const consoleAssets = await step('web console assets (console/, cached by content hash)', () => buildConsole());
    const app = await buildApp({
      console: consoleAssets,
      store,
      queueStatus: remote ? () => remote.status() : undefined,
      runner: runner ?? { pump() {} },
      membership,
      datasetsDir,
      chain,
      bodyLimit: config.bodyLimit,
      logger: config.logLevel === 'silent' ? false : { level: config.logLevel, hooks: { logMethod: dropListeningLine } },
      metrics,
      pool,
      maxQueue: config.maxQueue,
      rateLimit: config.rateLimit,
      auth: config.auth === 'keys' ? { mode: 'keys', keys: tenants } : { mode: 'off' },
      tenants,
      models,
      modelFiles: catalogs.modelFiles,
      maxModelBytes: config.maxModelBytes,
      maxModelConstraints: config.maxModelConstraints,
      trustProxy: config.trustProxy,
      ...(config.workerToken ? { workerToken: config.workerToken } : {}),
      asyncCommits: runner !== undefined,
    });
    if (config.logLevel !== 'silent') {
      const jobs = app.log.child({ component: 'jobs' });
      jobLog = (msg, fields) => {
        const failed = msg === 'job failed' || msg === 'job timed out';
        if (failed) jobs.warn(fields ?? {}, msg);
        else jobs.info(fields ?? {}, msg);
      };
    }
    closers.push({ name: 'http server', close: () => app.close() });
    if (config.jobRetentionHours > 0) {
      const sweep = startRetentionSweep(store, config.jobRetentionHours, (msg) => jobLog(msg));
      closers.push({ name: 'job retention sweep', close: () => sweep.stop() });
    }
    if (pgUrl && config.blobGraceHours > 0) {
      const collection = startBlobCollection(catalogs.modelFiles, config.blobGraceHours, (msg) => jobLog(msg));
      closers.push({ name: 'model file collection', close: () => collection.stop() });
    }
    const address = await step(`http listen on ${config.host}:${config.port}`, () => app.listen({ host: config.host, port: config.port }));
    const url = baseUrl(address);

    printSummary(log, { url, config, membership, chain, devAccount, datasetsDir, engine });
    if (firstKey) printFirstKey(log, firstKey.key, url);

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        log('shutting down...');
        await closeAll();
        log('stopped');
      })();
      return closing;
    };
    if (opts.handleSignals ?? true) {
      const onSignal = (signal: NodeJS.Signals) => {
        log(`${signal} received`);
        close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
    return { app, url, config, membership, chain, ...(firstKey ? { apiKey: firstKey.key } : {}), close };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * The job store of record: SQLite in the data directory, or PostgreSQL (ZKAI_DB), which only the Redis queue can use:
 * the embedded runner claims jobs from the local SQLite file.
 */
async function openRecords(
  config: ServiceConfig,
  storeFile: string,
  step: <T>(name: string, fn: () => Promise<T>) => Promise<T>,
): Promise<JobStore | PgJobStore> {
  const db = config.db;
  if (db.kind === 'sqlite') return step(`job store ${storeFile}`, async () => new JobStore(storeFile));
  if (config.queue.kind !== 'redis')
    throw new ZkaiError('BAD_INPUT', 'ZKAI_DB=postgres://… needs ZKAI_QUEUE=redis://… (the embedded queue keeps its jobs in SQLite)');
  // Loaded only here: a node on SQLite never needs the pg driver.
  const { PgJobStore } = await import('../jobs/pg-store.ts');
  return step(`job store PostgreSQL ${redactUrl(db.url)}`, () => PgJobStore.connect(db.url));
}

/**
 * Prove once for a one-record dataset, so every worker has loaded the zkey and the witness
 * calculator before the first user request (that load is most of a cold proof's time).
 */
async function warmUp(pool: ProverPool, membership: MembershipCircuit): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-warmup-'));
  try {
    const record = { id: 'warm-up', contributor: `0x${'11'.repeat(20)}`, contentHash: `0x${'22'.repeat(32)}`, weight: 1n };
    const dataset = await commitDataset([record], path.join(dir, 'dataset.json'), { depth: membership.depth });
    const input = await membershipInput(dataset, record.id, 0n);
    await pool.warmUp(
      { circuitId: membership.circuit.id, wasmPath: membership.circuit.wasmPath, zkeyPath: membership.setup.zkeyPath },
      input as unknown as Record<string, unknown>,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** fastify's listen address uses the bound host; show a loopback one people can click. */
function baseUrl(address: string): string {
  const u = new URL(address);
  if (u.hostname === '0.0.0.0' || u.hostname === '[::]') u.hostname = '127.0.0.1';
  return u.origin;
}

/**
 * fastify logs "Server listening at …" as a JSON line in the middle of the start-up banner; the banner already says
 * where the API is. Every other line goes to pino as usual.
 */
function dropListeningLine(this: unknown, args: unknown[], method: (...a: unknown[]) => void): void {
  const [first, second] = args;
  const msg = typeof first === 'string' ? first : typeof second === 'string' ? second : '';
  if (msg.startsWith('Server listening at')) return;
  method.apply(this, args);
}

/** The first key, once: it is stored hashed, so this is the only time anyone sees it. */
function printFirstKey(log: (line: string) => void, key: string, url: string): void {
  const rule = '*'.repeat(100);
  for (const line of [
    rule,
    `** API key for the tenant '${DEFAULT_TENANT}' (made because this store had none; shown once, stored hashed):`,
    `**   ${key}`,
    `**   curl -H 'Authorization: Bearer ${key}' ${url}/v1/jobs`,
    '** More keys: zkai admin key create --tenant <name>; revoke: zkai admin key revoke <key-id>. ZKAI_AUTH=off: no keys (dev only).',
    rule,
  ])
    log(line);
}

function printSummary(
  log: (line: string) => void,
  s: {
    url: string;
    config: ServiceConfig;
    membership: MembershipCircuit;
    chain?: ChainInfo;
    devAccount?: { address: string; privateKey: string };
    datasetsDir: string;
    engine: string;
  },
): void {
  const home = resolveHome();
  const homeNote =
    s.config.home !== home.path
      ? ''
      : home.source === 'ZKAI_HOME'
        ? ' (ZKAI_HOME)'
        : home.source === 'project'
          ? " (the project's .zkai)"
          : ' (~/.zkai)';
  const lines = [
    '',
    'zkai is ready',
    `  API        ${s.url}   (console ${s.url}/, OpenAPI ${s.url}/docs, health ${s.url}/health)`,
    s.config.auth === 'keys'
      ? '  auth       API keys (Authorization: Bearer <key>); zkai admin key create --tenant <name>'
      : "  auth       OFF (ZKAI_AUTH=off): every request acts as the tenant 'default'",
    `  data       ${s.config.home}${homeNote}; job records ${s.config.db.kind === 'postgres' ? `in ${redactUrl(s.config.db.url)}` : 'in jobs.sqlite'}${s.config.queue.kind === 'redis' ? `, queue ${redactUrl(s.config.queue.url)} (BullMQ; proved by zkai worker)` : ''}`,
    `  circuit    membership depth ${s.membership.depth}, ${s.membership.circuit.nConstraints} constraints (${s.membership.circuit.id})`,
    `  engine     ${s.engine}`,
  ];
  if (!s.chain) lines.push('  chain      off (ZKAI_CHAIN=off)');
  else {
    const contracts = Object.entries(s.chain.contracts).map(([n, a]) => `${n} ${a}`);
    const kind = s.chain.kind === 'rpc' ? '' : s.chain.ephemeral ? ', a local dev chain' : ', a local dev chain kept in <data>/dev-chain';
    lines.push(`  chain      ${s.chain.url} (chain id ${s.chain.chainId})${kind}`);
    for (const c of contracts) lines.push(`             ${c}`);
    if (s.chain.ephemeral)
      lines.push(
        '             EPHEMERAL: everything on it (deployments, registrations, pots) is gone when the service stops;',
        '             ZKAI_CHAIN=dev-persistent keeps it, ZKAI_CHAIN=<rpc url> uses another chain (docs/configuration.md)',
      );
    if (s.devAccount)
      lines.push(`             funded dev account ${s.devAccount.address} (Hardhat's public test key ${s.devAccount.privateKey})`);
  }
  if (s.membership.setup.insecure) lines.push('', `  ${'!'.repeat(98)}`, `  !! ${DEV_PTAU_WARNING}`, `  ${'!'.repeat(98)}`);
  lines.push('', '  settings   zkai config (every ZKAI_* variable and its value)', '');
  for (const line of lines) log(line);
}

/** How often the retention sweep and the blob collection run. */
const RETENTION_SWEEP_MS = 60 * 60 * 1000;

/** Run `work` now and then every hour, each run after the last one ended; `work` logs its own failures. */
function hourly(work: () => Promise<void>): { stop(): void; done: Promise<void> } {
  let running: Promise<void> = work();
  const timer = setInterval(() => {
    running = running.then(work);
  }, RETENTION_SWEEP_MS);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    get done() {
      return running;
    },
  };
}

/**
 * Deletes finished proof jobs older than `hours` now and then every hour (ZKAI_JOB_RETENTION_HOURS; never compiles). With the Redis queue
 * every API node sweeps; the deletes are atomic per job, so nodes sweeping together do no harm. A failed sweep is
 * logged and retried at the next tick.
 */
export function startRetentionSweep(store: JobQueueApi, hours: number, log: (msg: string) => void): { stop(): void; done: Promise<void> } {
  return hourly(async () => {
    try {
      const pruned = await store.pruneFinished(new Date(Date.now() - hours * 3_600_000));
      if (pruned > 0) log(`job retention: deleted ${pruned} job(s) finished more than ${hours} h ago`);
    } catch (err) {
      log(`job retention sweep failed: ${(err as Error).message}`);
    }
  });
}

/**
 * Deletes the stored model files no model references any more, found so for `hours` (ZKAI_BLOB_GRACE_HOURS; with
 * ZKAI_DB: jobs/pg-blobs.ts collect), now and then every hour. Every API node collects; nodes collecting together do
 * no harm. A failed collection is logged and retried at the next tick.
 */
export function startBlobCollection(
  files: Pick<ModelFilesApi, 'collectBlobs'>,
  hours: number,
  log: (msg: string) => void,
): { stop(): void; done: Promise<void> } {
  return hourly(async () => {
    try {
      const { deleted } = await files.collectBlobs(hours * 3_600_000);
      if (deleted.length > 0) log(`model files: deleted ${deleted.length} blob(s) no model has referenced for ${hours} h`);
    } catch (err) {
      log(`model file collection failed: ${(err as Error).message}`);
    }
  });
}
