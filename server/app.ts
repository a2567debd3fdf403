import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { ZkaiError } from '../common/errors.ts';
import { proofBundleSchema } from '../prover/bundle.ts';
import type { JobRunner, JobStore } from '../prover/jobs.ts';
import type { MembershipCircuit } from '../prover/membership.ts';
import { DEFAULT_BODY_LIMIT, DEFAULT_MAX_QUEUE, DEFAULT_RATE_LIMIT } from './config.ts';
import { datasetCatalog } from './datasets.ts';
import { installErrorHandling } from './errors.ts';
import { createMetrics, type PoolStats, type ServiceMetrics } from './metrics.ts';
import { type ChainInfo, chainRoutes } from './routes/chain.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { healthRoutes } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { verifyRoutes } from './routes/verify.ts';
import { sharedSchemas } from './schemas.ts';

export type { ChainInfo } from './routes/chain.ts';

export interface AppDeps {
  store: JobStore;
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
  /** Requests per minute per client IP (default 600); /health and /metrics are exempt. */
  rateLimit?: number;
  /** Event stream poll interval in ms (default 200). */
  eventPollMs?: number;
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
    ajv: {
      // Reject what the schemas do not allow instead of quietly fixing it: no type coercion
      // ("5" is not an integer), no silent removal of unknown properties.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false },
    },
  });
  installErrorHandling(app);
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
    errorResponseBuilder: (_request, context) =>
      new ZkaiError('RATE_LIMITED', `rate limit of ${context.max} requests per ${context.after} exceeded; retry in ${context.after}`),
  });
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
          'verify proof bundles. Errors are always `{ "error": { "code", "message" } }`; the code is stable.',
      },
      tags: [
        { name: 'datasets', description: 'Commit datasets and read their manifests' },
        { name: 'proofs', description: 'Ask for and verify membership proofs' },
        { name: 'jobs', description: 'Proof jobs and their bundles' },
        { name: 'chain', description: 'The contracts that verify proofs on chain' },
        { name: 'service', description: 'Health' },
      ],
    },
    refResolver: {
      // Name shared schemas by their $id in components.schemas, not def-0, def-1...
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const catalog = datasetCatalog(deps.datasetsDir);
  await app.register(healthRoutes, { store: deps.store, membership: deps.membership, hasChain: deps.chain !== undefined });
  await app.register(datasetRoutes, {
    catalog,
    circuitDepth: deps.membership.depth,
    store: deps.store,
    runner: deps.runner,
    maxQueue: deps.maxQueue ?? DEFAULT_MAX_QUEUE,
  });
  await app.register(jobRoutes, { store: deps.store, eventPollMs: deps.eventPollMs });
  await app.register(metricsRoutes, { metrics });
  await app.register(verifyRoutes, {
    trustedVkeyHash: (circuitId) => (circuitId === deps.membership.circuit.id ? deps.membership.setup.vkeyHash : undefined),
  });
  await app.register(chainRoutes, { chain: deps.chain });
  return app;
}

/** The bundle schema from prover/bundle.ts under the id our routes reference. */
function bundleSchemaForApp(): Record<string, unknown> {
  const { $schema: _ignored, $id: _id, ...rest } = proofBundleSchema as Record<string, unknown>;
  return { ...rest, $id: 'ProofBundle' };
}
