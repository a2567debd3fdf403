import path from 'node:path';
import { DEFAULT_TREE_DEPTH, MAX_BATCH_SLOTS, MAX_TREE_DEPTH } from '../circuits/membership.ts';
import { resolveHome } from '../common/config.ts';
import { ZkaiError } from '../common/errors.ts';
import { parseQueueSetting, type QueueBackend } from '../jobs/queue/types.ts';
import { fixedBaseBudgetFrom } from '../prover/groth16/fixed-tables.ts';

/** Everything `startService` needs; `configFromEnv` fills it from ZKAI_* variables. */
export interface ServiceConfig {
  /** ZKAI_HOST, default 127.0.0.1 (local only; set 0.0.0.0 to expose). */
  host: string;
  /** ZKAI_PORT, default 8080; 0 picks a free port. */
  port: number;
  /**
   * ZKAI_HOME: circuits, keys, datasets, the job store and deployment.json. Default: the nearest `.zkai` directory
   * in the current directory or its parents, else ~/.zkai (common/config.ts resolveHome).
   */
  home: string;
  /** ZKAI_TREE_DEPTH, default 20: depth of the membership circuit, so datasets of up to 2^depth records. */
  treeDepth: number;
  /** ZKAI_POOL_SIZE, default 1: proving worker threads (one snarkjs proof already uses every core). */
  poolSize: number;
  /**
   * ZKAI_CHAIN, default 'dev': start a local Hardhat chain and deploy the contracts (ephemeral: its state is gone when
   * the service stops); 'dev-persistent': the same chain, journaled under <home>/dev-chain and replayed at the next
   * start; 'off' for none; 'rpc' when ZKAI_CHAIN is an http(s) URL (chainRpc): an existing chain whose contracts are
   * named by the deployment file chainDeployment.
   */
  chain: 'dev' | 'dev-persistent' | 'off' | 'rpc';
  /** With chain 'rpc': the JSON-RPC URL ZKAI_CHAIN gave. */
  chainRpc?: string;
  /** ZKAI_CHAIN_DEPLOYMENT, default <home>/deployments/<chain id>.json: the contracts on the ZKAI_CHAIN=<rpc> chain. */
  chainDeployment?: string;
  /** ZKAI_CHAIN_PORT, default 8545: port of the dev chain's JSON-RPC. */
  chainPort: number;
  /**
   * ZKAI_BATCH_SLOTS, default 0: the dev chain's RoyaltyVault takes no batch claims. n ≥ 1 (16 is the documented size):
   * the dev chain also deploys the batch membership verifier of n slots at treeDepth, so RoyaltyVault.claimBatch
   * works. Opt-in because its first setup takes minutes (16 slots at depth 20: a 2^18 setup; cached after).
   */
  batchSlots: number;
  /** ZKAI_BODY_LIMIT, default 52428800 (50 MB): largest request body in bytes. */
  bodyLimit: number;
  /** ZKAI_WARMUP, default 1: prove once on a one-record dataset at start so the first real proof is warm. */
  warmup: boolean;
  /** ZKAI_LOG_LEVEL, default info: fastify/pino log level ('silent' for none). */
  logLevel: string;
  /** ZKAI_MAX_QUEUE, default 1000: proof requests get 429 QUEUE_FULL (with Retry-After) while this many jobs are queued. */
  maxQueue: number;
  /** ZKAI_JOB_TIMEOUT_MS, default 300000 (5 min): a running job is failed with JOB_TIMEOUT after this; 0 for none. */
  jobTimeoutMs: number;
  /**
   * ZKAI_COMPILE_TIMEOUT_MS, default 3600000 (1 h): the limit for model-compile jobs instead of ZKAI_JOB_TIMEOUT_MS
   * (a first compile runs circom and a trusted setup); 0 for none.
   */
  compileTimeoutMs: number;
  /**
   * ZKAI_RATE_LIMIT, default 600: requests per minute per tenant (per client IP for requests without a valid key,
   * and for all requests with ZKAI_AUTH=off) (429 RATE_LIMITED); /health and /metrics are exempt.
   */
  rateLimit: number;
  /**
   * ZKAI_AUTH, default 'keys': every route but the public ones needs an API key (`zkai admin key create`); on the
   * first start of a store without keys, a key for the tenant 'default' is made and printed once. 'off': no keys,
   * every request acts as the tenant 'default' (local development only).
   */
  auth: 'keys' | 'off';
  /** ZKAI_MAX_MODEL_BYTES, default 8388608 (8 MiB): largest ONNX upload, and largest calibration CSV (each). */
  maxModelBytes: number;
  /**
   * ZKAI_MAX_MODEL_CONSTRAINTS, default 500000: an uploaded model whose circuit is larger fails to compile with
   * MODEL_TOO_LARGE, estimated from its graph before it is quantized or compiled, and counted again before its setup.
   */
  maxModelConstraints: number;
  /**
   * ZKAI_QUEUE, default '' (the embedded SQLite queue, proving in this process). `redis://host:port`: jobs go
   * through BullMQ on that Redis and are proved by `zkai worker` processes; this node only serves the API.
   */
  queue: QueueBackend;
  /**
   * ZKAI_JOB_RETENTION_HOURS, default 168 (7 days): finished proof jobs (and their bundles) older than this are deleted
   * by an hourly sweep on the API node, so the job store does not grow without bound; 0 keeps them forever. Model
   * compile jobs are kept (PRUNABLE_JOB_KINDS in jobs/jobs.ts).
   */
  jobRetentionHours: number;
  /**
   * ZKAI_BLOB_GRACE_HOURS, default 24 (with ZKAI_DB): a model file's blob that no model references any more (a setup
   * contribution replaced it) is deleted after it has been found unreferenced this long (jobs/pg-blobs.ts collect), by
   * an hourly collection on each API node and one after each contribution; 0 keeps every blob.
   */
  blobGraceHours: number;
  /** ZKAI_QUEUE_LOCK_MS, default 30000: a Redis-queue worker's hold on a job; one killed mid-proof loses it after this. */
  queueLockMs: number;
  /** ZKAI_QUEUE_STALLED_MS, default 30000: how often Redis-queue workers look for jobs whose worker was lost. */
  queueStalledMs: number;
  /** ZKAI_TRUST_PROXY, default off: X-Forwarded-For hops to believe (a count, `all`, or addresses/CIDRs). */
  trustProxy: boolean | number | string;
  /**
   * ZKAI_QUEUE_RECONCILE_MS, default 5000: how often an API node on the Redis queue checks that Redis still holds its
   * deliveries (a restart without persistence or a flush empties it); when not, it delivers every unfinished job again.
   */
  queueReconcileMs: number;
  /**
   * ZKAI_DB, default '' (records in `<ZKAI_HOME>/jobs.sqlite`). `postgres://user@host:port/db`: job records
   * (jobs/pg-store.ts), tenants, keys, models and committed datasets (jobs/catalogs.ts) in PostgreSQL, shared by API
   * nodes and workers on several machines; needs ZKAI_QUEUE=redis://… (the embedded runner proves from the local
   * SQLite store).
   */
  db: StoreBackend;
  /**
   * ZKAI_WORKER_TOKEN, default none: the secret `zkai worker` processes present to fetch circuits, keys and datasets
   * from an API node (server/routes/worker-artifacts.ts); without it the API node serves no worker routes.
   */
  workerToken?: string;
  /**
   * ZKAI_API_URL, default none: a worker's API node. Artifacts missing from the worker's own ZKAI_HOME are fetched
   * from it (jobs/worker-artifacts.ts), checked against their content hashes and cached; without it a worker reads
   * everything from ZKAI_HOME (a shared directory).
   */
  apiUrl?: string;
}

/** Where the records live (jobs, tenants and keys, catalogs): the embedded SQLite file, or PostgreSQL at `url`. */
export type StoreBackend = { kind: 'sqlite' } | { kind: 'postgres'; url: string };

/** Default request body limit: 50 MB, enough for a CSV of a few hundred thousand records. */
export const DEFAULT_BODY_LIMIT = 50 * 1024 * 1024;

export const DEFAULT_MAX_QUEUE = 1000;
export const DEFAULT_JOB_TIMEOUT_MS = 300_000;
export const DEFAULT_RATE_LIMIT = 600;
export const DEFAULT_MAX_MODEL_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_MODEL_CONSTRAINTS = 500_000;

export const DEFAULT_CONFIG: ServiceConfig = {
  host: '127.0.0.1',
  port: 8080,
  home: '.zkai',
  treeDepth: DEFAULT_TREE_DEPTH,
  poolSize: 1,
  chain: 'dev',
  chainPort: 8545,
  batchSlots: 0,
  bodyLimit: DEFAULT_BODY_LIMIT,
  warmup: true,
  logLevel: 'info',
  maxQueue: DEFAULT_MAX_QUEUE,
  jobTimeoutMs: DEFAULT_JOB_TIMEOUT_MS,
  compileTimeoutMs: 3_600_000,
  rateLimit: DEFAULT_RATE_LIMIT,
  auth: 'keys',
  maxModelBytes: DEFAULT_MAX_MODEL_BYTES,
  maxModelConstraints: DEFAULT_MAX_MODEL_CONSTRAINTS,
  queue: { kind: 'sqlite' },
  jobRetentionHours: 168,
  blobGraceHours: 24,
  queueLockMs: 30_000,
  queueStalledMs: 30_000,
  trustProxy: false,
  queueReconcileMs: 5_000,
  db: { kind: 'sqlite' },
};

/** Read the service configuration from ZKAI_* variables (see ServiceConfig for each default). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const chainSetting = (env.ZKAI_CHAIN ?? '').trim() || DEFAULT_CONFIG.chain;
  const chain = chainSetting === 'dev' || chainSetting === 'dev-persistent' || chainSetting === 'off' ? chainSetting : 'rpc';
  if (chain === 'rpc' && !/^https?:\/\/[^\s]+$/i.test(chainSetting))
    throw new ZkaiError(
      'BAD_INPUT',
      `ZKAI_CHAIN must be 'dev', 'dev-persistent', 'off' or an http(s) JSON-RPC URL, got ${JSON.stringify(chainSetting)}`,
    );
  const home = resolveHome(env).path;
  // Read by each proving worker when it loads a circuit; checked here so that a bad value stops the start, not a proof.
  fixedBaseBudgetFrom(env);
  return {
    host: env.ZKAI_HOST || DEFAULT_CONFIG.host,
    port: intFrom(env, 'ZKAI_PORT', DEFAULT_CONFIG.port, 0, 65535),
    home,
    treeDepth: intFrom(env, 'ZKAI_TREE_DEPTH', DEFAULT_CONFIG.treeDepth, 1, MAX_TREE_DEPTH),
    poolSize: intFrom(env, 'ZKAI_POOL_SIZE', DEFAULT_CONFIG.poolSize, 1, 64),
    chain,
    ...(chain === 'rpc'
      ? { chainRpc: chainSetting, chainDeployment: path.resolve(env.ZKAI_CHAIN_DEPLOYMENT || path.join(home, 'deployment.json')) }
      : {}),
    chainPort: intFrom(env, 'ZKAI_CHAIN_PORT', DEFAULT_CONFIG.chainPort, 1, 65535),
    batchSlots: intFrom(env, 'ZKAI_BATCH_SLOTS', DEFAULT_CONFIG.batchSlots, 0, MAX_BATCH_SLOTS),
    bodyLimit: intFrom(env, 'ZKAI_BODY_LIMIT', DEFAULT_CONFIG.bodyLimit, 1024, 2 ** 31 - 1),
    warmup: boolFrom(env, 'ZKAI_WARMUP', DEFAULT_CONFIG.warmup),
    logLevel: env.ZKAI_LOG_LEVEL || DEFAULT_CONFIG.logLevel,
    maxQueue: intFrom(env, 'ZKAI_MAX_QUEUE', DEFAULT_CONFIG.maxQueue, 1, 10_000_000),
    jobTimeoutMs: intFrom(env, 'ZKAI_JOB_TIMEOUT_MS', DEFAULT_CONFIG.jobTimeoutMs, 0, 2 ** 31 - 1),
    compileTimeoutMs: intFrom(env, 'ZKAI_COMPILE_TIMEOUT_MS', DEFAULT_CONFIG.compileTimeoutMs, 0, 2 ** 31 - 1),
    rateLimit: intFrom(env, 'ZKAI_RATE_LIMIT', DEFAULT_CONFIG.rateLimit, 1, 10_000_000),
    auth: authFrom(env),
    maxModelBytes: intFrom(env, 'ZKAI_MAX_MODEL_BYTES', DEFAULT_CONFIG.maxModelBytes, 1024, 256 * 1024 * 1024),
    maxModelConstraints: intFrom(env, 'ZKAI_MAX_MODEL_CONSTRAINTS', DEFAULT_CONFIG.maxModelConstraints, 1, 1 << 28),
    queue: queueFrom(env),
    jobRetentionHours: intFrom(env, 'ZKAI_JOB_RETENTION_HOURS', DEFAULT_CONFIG.jobRetentionHours, 0, 24 * 365 * 100),
    blobGraceHours: blobGraceFrom(env),
    queueLockMs: intFrom(env, 'ZKAI_QUEUE_LOCK_MS', DEFAULT_CONFIG.queueLockMs, 1000, 3_600_000),
    queueStalledMs: intFrom(env, 'ZKAI_QUEUE_STALLED_MS', DEFAULT_CONFIG.queueStalledMs, 500, 3_600_000),
    trustProxy: trustProxyFrom(env),
    queueReconcileMs: intFrom(env, 'ZKAI_QUEUE_RECONCILE_MS', DEFAULT_CONFIG.queueReconcileMs, 100, 3_600_000),
    db: dbFrom(env),
    ...workerFetchFrom(env),
  };
}

/** Shorter secrets are refused: the worker routes hand out every dataset's records. */
export const MIN_WORKER_TOKEN_LENGTH = 32;

function workerFetchFrom(env: NodeJS.ProcessEnv): Pick<ServiceConfig, 'workerToken' | 'apiUrl'> {
  const token = env.ZKAI_WORKER_TOKEN?.trim() ?? '';
  if (token !== '' && (token.length < MIN_WORKER_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)))
    throw new ZkaiError(
      'BAD_INPUT',
      `ZKAI_WORKER_TOKEN must be at least ${MIN_WORKER_TOKEN_LENGTH} printable characters without spaces (e.g. openssl rand -hex 32)`,
    );
  const apiUrl = env.ZKAI_API_URL?.trim() ?? '';
  if (apiUrl !== '') {
    let ok = false;
    try {
      const url = new URL(apiUrl);
      ok = (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && !url.username && !url.password;
    } catch {}
    if (!ok) throw new ZkaiError('BAD_INPUT', `ZKAI_API_URL must be an http(s)://host:port URL, got ${JSON.stringify(apiUrl)}`);
    if (token === '') throw new ZkaiError('BAD_INPUT', 'ZKAI_API_URL needs ZKAI_WORKER_TOKEN (the secret the API node checks)');
  }
  return { ...(token ? { workerToken: token } : {}), ...(apiUrl ? { apiUrl: apiUrl.replace(/\/+$/, '') } : {}) };
}

/** ZKAI_BLOB_GRACE_HOURS from `env` (also read by `zkai setup contribute`, which collects after it publishes). */
export function blobGraceFrom(env: NodeJS.ProcessEnv): number {
  return intFrom(env, 'ZKAI_BLOB_GRACE_HOURS', DEFAULT_CONFIG.blobGraceHours, 0, 24 * 365 * 100);
}

/** ZKAI_DB from `env` (also read by `zkai admin`, which needs no other setting). */
export function dbFrom(env: NodeJS.ProcessEnv): StoreBackend {
  const value = env.ZKAI_DB?.trim() ?? '';
  if (value === '' || value === 'sqlite') return { kind: 'sqlite' };
  try {
    const url = new URL(value);
    if ((url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname) return { kind: 'postgres', url: value };
  } catch {}
  throw new ZkaiError('BAD_INPUT', 'ZKAI_DB must be empty (embedded SQLite) or postgres://user@host:port/db');
}

function queueFrom(env: NodeJS.ProcessEnv): QueueBackend {
  const queue = parseQueueSetting(env.ZKAI_QUEUE);
  if (!queue)
    throw new ZkaiError(
      'BAD_INPUT',
      `ZKAI_QUEUE must be empty (embedded SQLite) or redis://host:port, got ${JSON.stringify(env.ZKAI_QUEUE)}`,
    );
  return queue;
}

function trustProxyFrom(env: NodeJS.ProcessEnv): ServiceConfig['trustProxy'] {
  const text = (env.ZKAI_TRUST_PROXY ?? '').trim();
  if (text === '' || text.toLowerCase() === 'off') return false;
  if (text.toLowerCase() === 'all') return true;
  if (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 16) return Number(text);
  // Addresses or CIDRs, comma-separated (IPv4 or IPv6).
  if (text.split(',').every((part) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(part.trim()))) return text;
  throw new ZkaiError(
    'BAD_INPUT',
    `ZKAI_TRUST_PROXY must be off, all, a hop count 1..16, or comma-separated addresses/CIDRs, got ${JSON.stringify(env.ZKAI_TRUST_PROXY)}`,
  );
}

function authFrom(env: NodeJS.ProcessEnv): ServiceConfig['auth'] {
  const text = (env.ZKAI_AUTH ?? '').trim().toLowerCase();
  if (text === '' || text === 'keys' || text === 'on') return 'keys';
  if (text === 'off') return 'off';
  throw new ZkaiError('BAD_INPUT', `ZKAI_AUTH must be 'keys' (the default) or 'off', got ${JSON.stringify(env.ZKAI_AUTH)}`);
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^[0-9]+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new ZkaiError('BAD_INPUT', `${name} must be an integer ${min}..${max}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function boolFrom(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const text = env[name]?.trim().toLowerCase();
  if (text === undefined || text === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new ZkaiError('BAD_INPUT', `${name} must be 1/0, true/false, yes/no or on/off, got ${JSON.stringify(env[name])}`);
}
