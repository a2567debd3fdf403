import path from 'node:path';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { ZkaiError } from '../common/errors.ts';
import type { ConsoleAssets } from '../console/build.ts';
import { datasetCatalog } from '../jobs/datasets.ts';
import type { JobRunner } from '../jobs/jobs.ts';
import { LocalModelFiles, type ModelFilesApi } from '../jobs/model-files.ts';
import { ModelCatalog, type ModelCatalogApi } from '../jobs/models.ts';
import type { QueueStatus } from '../jobs/queue/redis-transport.ts';
import type { JobQueueApi } from '../jobs/queue/types.ts';
import { TenantStore, type TenantStoreApi } from '../jobs/tenants.ts';
import { proofBundleSchema } from '../prover/bundle-schema.ts';
import type { MembershipCircuit } from '../prover/membership.ts';
import { type BundleVerifier, VerifyPool } from '../prover/verify-pool.ts';
import { type AuthOptions, installTenantResolution, openApiSecuritySchemes, rateLimitKey, requireTenantOnPrivateRoutes } from './auth.ts';
import { DEFAULT_BODY_LIMIT, DEFAULT_MAX_MODEL_BYTES, DEFAULT_MAX_QUEUE, DEFAULT_RATE_LIMIT } from './config.ts';
import { frameworkErrorHandler, installErrorHandling } from './errors.ts';
import { createMetrics, type PoolStats, type ServiceMetrics } from './metrics.ts';
import { type ChainInfo, chainRoutes } from './routes/chain.ts';
import { consoleRoutes } from './routes/console.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { economyRoutes } from './routes/economy.ts';
import { healthRoutes } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { modelRoutes } from './routes/models.ts';
import { verifyRoutes } from './routes/verify.ts';
import { workerArtifactRoutes } from './routes/worker-artifacts.ts';
import { sharedSchemas } from './schemas.ts';
import { serviceTrustedKeys } from './trusted-keys.ts';

export type { ChainInfo } from './routes/chain.ts';

export interface AppDeps {
  /**
   * The job API over the store of record: the embedded JobStore, or with ZKAI_QUEUE the same records with each new job
   * also delivered to Redis (jobs/queue-node.ts; then `runner.pump` does nothing).
   */
  store: JobQueueApi;
  /** The distributed queue's state for /health (absent: the embedded queue, always reachable and persistent). */
  queueStatus?: () => Promise<QueueStatus>;
  /** Only `pump()` is used: the app nudges the runner when it enqueues a job. */
  runner: Pick<JobRunner, 'pump'>;
  membership: MembershipCircuit;
  /** Committed datasets live in `<datasetsDir>/<rootHex>/`. */
  datasetsDir: string;
  chain?: ChainInfo;
  /** Passed to fastify: false (default) for silence, true or pino options for logs. */
  logger?: boolean | Record<string, unknown>;
  bodyLimit?: number;
  /** Metrics to expose at /metrics (share them with the runner and the job handler); a fresh set by default. */
  metrics?: ServiceMetrics;
  /** The prover pool, for the utilisation gauges. */
  pool?: PoolStats;
  /** Proof requests are refused with 429 QUEUE_FULL while this many jobs are queued (default 1000). */
  maxQueue?: number;
  /** Requests per minute per tenant (per client IP without a key, or with auth off) (default 600); /health and /metrics are exempt. */
  rateLimit?: number;
  /** Event stream poll interval in ms (default 200). */
  eventPollMs?: number;
  /** API keys (`{ mode: 'keys', keys: tenants }`) or none (`{ mode: 'off' }`: every request is the default tenant). No default: say which. */
  auth: AuthOptions;
  /** Tenants' keys and dataset ownership (default: a fresh in-memory store, for tests). */
  tenants?: TenantStoreApi;
  /** Uploaded models (default: in-memory rows, files in `<datasetsDir>/../models`, for tests). */
  models?: ModelCatalogApi;
  /** Their files beyond this node (jobs/catalogs.ts modelFiles; default: the models folder only). */
  modelFiles?: ModelFilesApi;
  /** Largest ONNX upload and calibration CSV, bytes each (default 8 MiB). */
  maxModelBytes?: number;
  /** Refuse uploads whose circuit is estimated above this many constraints, 413 MODEL_TOO_LARGE (default: no check here). */
  maxModelConstraints?: number;
  /** Where POST /v1/verify runs its checks, off the event loop (default: a one-thread VerifyPool closed with the app). */
  verifier?: BundleVerifier;
  /** Keys /v1/verify trusts per circuit id (default serviceTrustedKeys: membership's, and every model set up in ZKAI_HOME). */
  trustedVkeyHashes?: (circuitId: string) => Promise<readonly string[]>;
  /** Most public signals /v1/verify accepts (default DEFAULT_VERIFY_MAX_SIGNALS). */
  verifyMaxSignals?: number;
  /**
   * Behind a reverse proxy (ZKAI_TRUST_PROXY): which X-Forwarded-For hops to believe, so the client IP (rate limits
   * of requests without a key, logs) is the caller's, not the proxy's. fastify's trustProxy: true, a hop count, or
   * addresses/CIDRs. Default false: the socket's address.
   */
  trustProxy?: boolean | number | string;
  /** This node runs dataset-commit jobs (the embedded runner), so POST /v1/datasets may be `async` (default false). */
  asyncCommits?: boolean;
  /** The web console's built assets (console/build.ts), served at / and /assets; no console without them. */
  console?: ConsoleAssets;
  /** ZKAI_WORKER_TOKEN: serve the worker routes (/v1/worker/…) to requests that present it; none without it. */
  workerToken?: string;
}

/** Routes the rate limit never applies to: probes and scrapers. */
const UNLIMITED_ROUTES = new Set(['/health', '/metrics']);

/**
 * Build the HTTP API (not listening yet: call `listen`, or `inject` in tests). Each route group
 * is a plugin with its own request and response schemas; the same schemas drive validation,
 * serialisation and the OpenAPI document at /docs/json (browsable at /docs).
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // fastify takes a hop count too (proxy-addr's trust), though its type lists only the other forms.
    trustProxy: (deps.trustProxy ?? false) as boolean | string,
    frameworkErrors: frameworkErrorHandler,
    ajv: {
      // Reject what the schemas do not allow instead of quietly fixing it: no type coercion
      // ("5" is not an integer), no silent removal of unknown properties.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false },
    },
  });
  installErrorHandling(app);
  // Resolve the tenant before the rate limit (which counts per tenant); refuse private routes after it.
  installTenantResolution(app, deps.auth);
  const tenants = deps.tenants ?? ownedStore(app, new TenantStore(':memory:'));
  const models =
    deps.models ?? ownedStore(app, new ModelCatalog(path.join(path.dirname(path.resolve(deps.datasetsDir)), 'models'), ':memory:'));
  const metrics = deps.metrics ?? createMetrics();
  metrics.attach({ store: deps.store, pool: deps.pool });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL, keeps the label set small; unmatched URLs share one label.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
  await app.register(rateLimit, {
    max: deps.rateLimit ?? DEFAULT_RATE_LIMIT,
    timeWindow: 60_000,
    allowList: (request) => UNLIMITED_ROUTES.has(request.routeOptions.url ?? ''),
    keyGenerator: rateLimitKey(deps.auth),
    errorResponseBuilder: (_request, context) =>
      new ZkaiError('RATE_LIMITED', `rate limit of ${context.max} requests per ${context.after} exceeded; retry in ${context.after}`),
  });
  requireTenantOnPrivateRoutes(app);
  // Only JSON bodies: a text/plain body would otherwise reach the handlers as a string.
  app.removeContentTypeParser('text/plain');

  for (const schema of sharedSchemas) app.addSchema(schema);
  app.addSchema(bundleSchemaForApp());

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'zkai',
        version: '0.1.0',
        description:
          'Zero-knowledge proving service: commit a dataset as a Poseidon Merkle root, prove that a record is in it (Groth16), ' +
          'upload ONNX models and prove inferences, verify proof bundles. Errors are always `{ "error": { "code", "message" } }`; ' +
          'the code is stable. Every route but health, the docs, /v1/verify, /v1/chain, /v1/economy/… and /metrics needs an API key ' +
          '(`Authorization: Bearer zkai_…` or `x-api-key`); each tenant sees only its own datasets, models and jobs.',
      },
      components: {
        securitySchemes: {
          ...openApiSecuritySchemes,
          workerToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'ZKAI_WORKER_TOKEN: only the /v1/worker/… routes, only for zkai workers',
          },
        },
      },
      security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
      tags: [
        { name: 'datasets', description: 'Commit datasets and read their manifests' },
        { name: 'models', description: 'Upload ONNX models; they compile to circuits with committed weights' },
        { name: 'proofs', description: 'Ask for membership and inference proofs, verify bundles' },
        { name: 'jobs', description: 'Proof jobs and their bundles' },
        { name: 'chain', description: 'The contracts that verify proofs on chain' },
        { name: 'economy', description: 'Paid inference and royalties, read from the chain (public)' },
        { name: 'service', description: 'Health' },
        {
          name: 'workers',
          description:
            'Internal: circuits, keys, datasets and compiled models that `zkai worker` processes fetch by content hash (ZKAI_WORKER_TOKEN)',
        },
      ],
    },
    refResolver: {
      // Name shared schemas by their $id in components.schemas, not def-0, def-1...
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const catalog = datasetCatalog(deps.datasetsDir);
  await app.register(healthRoutes, {
    store: deps.store,
    membership: deps.membership,
    hasChain: deps.chain !== undefined,
    queueStatus: deps.queueStatus,
  });
  await app.register(datasetRoutes, {
    catalog,
    circuitDepth: deps.membership.depth,
    store: deps.store,
    runner: deps.runner,
    maxQueue: deps.maxQueue ?? DEFAULT_MAX_QUEUE,
    tenants,
    asyncCommits: deps.asyncCommits ?? false,
  });
  const modelFiles = deps.modelFiles ?? new LocalModelFiles(models.dir);
  await app.register(modelRoutes, {
    models,
    files: modelFiles,
    store: deps.store,
    runner: deps.runner,
    maxQueue: deps.maxQueue ?? DEFAULT_MAX_QUEUE,
    maxModelBytes: deps.maxModelBytes ?? DEFAULT_MAX_MODEL_BYTES,
    ...(deps.maxModelConstraints !== undefined ? { maxModelConstraints: deps.maxModelConstraints } : {}),
  });
  await app.register(jobRoutes, { store: deps.store, eventPollMs: deps.eventPollMs });
  await app.register(metricsRoutes, { metrics });
  await app.register(verifyRoutes, {
    trustedVkeyHashes: deps.trustedVkeyHashes ?? serviceTrustedKeys(deps.membership, (id) => modelFiles.vkeyHashes(id)),
    verifier: deps.verifier ?? ownedStore(app, new VerifyPool()),
    maxSignals: deps.verifyMaxSignals,
    appBodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
  });
  await app.register(chainRoutes, { chain: deps.chain });
  await app.register(economyRoutes, { chain: deps.chain });
  await app.register(workerArtifactRoutes, { token: deps.workerToken, membership: deps.membership, catalog, modelFiles });
  if (deps.console) await app.register(consoleRoutes, { assets: deps.console, chainRpcUrl: deps.chain?.url });
  return app;
}

/** A store the app made itself (no caller to close it): closed with the app. */
function ownedStore<T extends { close(): void }>(app: FastifyInstance, store: T): T {
  app.addHook('onClose', async () => store.close());
  return store;
}

/** The bundle schema from prover/bundle.ts under the id our routes reference. */
function bundleSchemaForApp(): Record<string, unknown> {
  const { $schema: _ignored, $id: _id, ...rest } = proofBundleSchema as Record<string, unknown>;
  return { ...rest, $id: 'ProofBundle' };
}
