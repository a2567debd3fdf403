import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { commitDataset, membershipInput } from '../circuits/dataset/index.ts';
import { zkaiHome } from '../common/config.ts';
import { ZkaiError } from '../common/errors.ts';
import { describeEngine } from '../prover/engine.ts';
import { DEFAULT_TENANT, JobRunner, JobStore } from '../prover/jobs.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import type { PgJobStore } from '../prover/pg-job-store.ts';
import { ProverPool } from '../prover/pool.ts';
import { type JobQueueApi, redactUrl } from '../prover/queue/types.ts';
import { DEV_PTAU_WARNING } from '../prover/setup/index.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp, type ChainInfo } from './app.ts';
import { startChain } from './chain.ts';
import type { ServiceConfig } from './config.ts';
import { lockDataDir } from './data-lock.ts';
import { membershipJobHandler } from './membership-job.ts';
import { createMetrics } from './metrics.ts';
import { modelJobHandlers } from './model-jobs.ts';
import { ModelCatalog } from './models.ts';
import { connectApiQueue } from './queue-node.ts';
import { TenantStore } from './tenants.ts';

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

const INSECURE_BANNER = ['!'.repeat(100), `!! ${DEV_PTAU_WARNING}`, '!'.repeat(100)].join('\n');

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
  async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    log(`${name}...`);
    const out = await fn();
    log(`${name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return out;
  }

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
    const membership = await step(`membership circuit (depth ${config.treeDepth}): compile and set up`, () =>
      prepareMembershipCircuit(config.treeDepth, (msg) => log(`  ${msg}`)),
    );
    if (membership.setup.insecure) log(`\n${INSECURE_BANNER}\n`);
    log(`proving engine: ${(await describeEngine()).description}`);

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
    // Tenants, keys and models: tables of their own in the same SQLite file (also with the Redis queue).
    const tenants = new TenantStore(storeFile);
    closers.push({ name: 'tenant store', close: () => tenants.close() });
    const models = new ModelCatalog(path.join(config.home, 'models'), storeFile);
    closers.push({ name: 'model catalog', close: () => models.close() });
    // Zero set-up: a store that never had a key gets one for the default tenant, printed once below.
    const firstKey = config.auth === 'keys' && tenants.keyCount() === 0 ? tenants.createKey(DEFAULT_TENANT) : undefined;

    const metrics = createMetrics();
    if (remote) metrics.attach({ workers: () => remote.transport.workers() });
    const runner = !(pool && records instanceof JobStore)
      ? undefined
      : new JobRunner(
          records,
          {
            membership: membershipJobHandler({ pool, membership, datasetsDir, observeProof: metrics.observeProof }),
            ...modelJobHandlers({
              pool,
              modelsDir: models.dir,
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

    let chain: ChainInfo | undefined;
    if (config.chain === 'dev') {
      const started = await step(`dev chain on port ${config.chainPort}: start and deploy contracts`, () =>
        startChain({
          port: config.chainPort,
          membership,
          deploymentFile: path.join(config.home, 'deployment.json'),
          log: (m) => log(`  ${m}`),
        }),
      );
      closers.push({ name: 'dev chain', close: () => started.stop() });
      chain = started.info;
      printChainDetails(log, started.info, started.fundedAccount);
    }

    const app = await buildApp({
      store,
      queueStatus: remote ? () => remote.status() : undefined,
      runner: runner ?? { pump() {} },
      membership,
      datasetsDir,
      chain,
      bodyLimit: config.bodyLimit,
      logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
      metrics,
      pool,
      maxQueue: config.maxQueue,
      rateLimit: config.rateLimit,
      auth: config.auth === 'keys' ? { mode: 'keys', keys: tenants } : { mode: 'off' },
      tenants,
      models,
      maxModelBytes: config.maxModelBytes,
      maxModelConstraints: config.maxModelConstraints,
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
    const address = await step(`http listen on ${config.host}:${config.port}`, () => app.listen({ host: config.host, port: config.port }));
    const url = baseUrl(address);

    printSummary(log, { url, config, membership, chain, datasetsDir });
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
  const { PgJobStore } = await import('../prover/pg-job-store.ts');
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

function printChainDetails(log: (line: string) => void, info: ChainInfo, account?: { address: string; privateKey?: string }): void {
  log(`chain ${info.url} (chain id ${info.chainId})`);
  for (const [name, address] of Object.entries(info.contracts)) log(`  ${name.padEnd(20)} ${address}`);
  if (account) log(`  funded dev account   ${account.address}${account.privateKey ? ` (private key ${account.privateKey})` : ''}`);
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
  s: { url: string; config: ServiceConfig; membership: MembershipCircuit; chain?: ChainInfo; datasetsDir: string },
): void {
  const lines = [
    '',
    'zkai is ready',
    `  API        ${s.url}`,
    `  docs       ${s.url}/docs   (OpenAPI JSON: ${s.url}/docs/json)`,
    `  health     ${s.url}/health`,
    s.config.auth === 'keys'
      ? '  auth       API keys (Authorization: Bearer <key>); zkai admin key create --tenant <name>'
      : "  auth       OFF (ZKAI_AUTH=off): every request acts as the tenant 'default'",
    `  circuit    membership depth ${s.membership.depth}, id ${s.membership.circuit.id}, ${s.membership.circuit.nConstraints} constraints`,
    s.chain
      ? `  chain      ${s.chain.url} (chain id ${s.chain.chainId}); contracts: ${Object.entries(s.chain.contracts)
          .map(([n, a]) => `${n} ${a}`)
          .join(', ')}`
      : '  chain      off (ZKAI_CHAIN=off)',
    `  data       datasets ${s.datasetsDir}, job records ${s.config.db.kind === 'postgres' ? redactUrl(s.config.db.url) : path.join(s.config.home, 'jobs.sqlite')}${s.config.queue.kind === 'redis' ? `, queue ${redactUrl(s.config.queue.url)} (BullMQ; proved by zkai worker)` : ''}`,
    `  artifacts  ${zkaiHome()} (circuits, keys; set by ZKAI_HOME)`,
  ];
  if (s.membership.setup.insecure)
    lines.push('  WARNING    INSECURE development setup: proofs from this service are not trustworthy for value.');
  lines.push('');
  for (const line of lines) log(line);
}

/** How often the retention sweep runs. */
const RETENTION_SWEEP_MS = 60 * 60 * 1000;

/**
 * Deletes finished proof jobs older than `hours` now and then every hour (ZKAI_JOB_RETENTION_HOURS; never compiles). With the Redis queue
 * every API node sweeps; the deletes are atomic per job, so nodes sweeping together do no harm. A failed sweep is
 * logged and retried at the next tick.
 */
export function startRetentionSweep(store: JobQueueApi, hours: number, log: (msg: string) => void): { stop(): void; done: Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const sweep = () => {
    running = (async () => {
      try {
        const pruned = await store.pruneFinished(new Date(Date.now() - hours * 3_600_000));
        if (pruned > 0) log(`job retention: deleted ${pruned} job(s) finished more than ${hours} h ago`);
      } catch (err) {
        log(`job retention sweep failed: ${(err as Error).message}`);
      }
    })();
  };
  sweep();
  const timer = setInterval(sweep, RETENTION_SWEEP_MS);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    get done() {
      return running;
    },
  };
}
