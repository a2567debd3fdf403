/**
 * API-key authentication and the tenant of each request.
 *
 * Two hooks, so that the rate limit sits between them: an app-level onRequest hook resolves the key
 * (if any) into `request.tenant`; the rate limit (a per-route onRequest hook that @fastify/rate-limit
 * adds) then counts the request against its tenant, or its IP when it has none; a per-route hook added
 * last refuses private routes without a tenant (401 UNAUTHORIZED). So unauthenticated floods are limited
 * per IP, and nothing is read or parsed for a request that will be refused.
 */
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { ZkaiError } from '../common/errors.ts';
import { DEFAULT_TENANT } from '../jobs/jobs.ts';
import type { MaybePromise } from '../jobs/queue/types.ts';

/** Something that maps a presented API key to its tenant (the tenant store, jobs/tenants.ts). */
export interface KeyVerifier {
  authenticate(key: string): MaybePromise<{ tenant: string; keyId: string } | undefined>;
}

/**
 * `keys`: every private route needs a valid key (production). `off`: no keys, every request acts as the
 * default tenant (local development, tests; set explicitly with ZKAI_AUTH=off).
 */
export type AuthOptions = { mode: 'keys'; keys: KeyVerifier } | { mode: 'off' };

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant this request acts for; '' when it carries no valid key (only public routes then answer). */
    tenant: string;
  }
  interface FastifyContextConfig {
    /** Public routes answer without an API key (health, OpenAPI, bundle verification, chain addresses, metrics). */
    public?: boolean;
  }
}

/** Routes under these prefixes are public whatever their config says (the OpenAPI UI and document). */
const PUBLIC_PREFIXES = ['/docs'];

/** The API key a request carries: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
function presentedKey(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    return m ? m[1] : auth; // a malformed header is a wrong key, not a missing one
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' ? header.trim() : undefined;
}

function isPublic(url: string | undefined, config: { public?: boolean } | undefined): boolean {
  return config?.public === true || (url !== undefined && PUBLIC_PREFIXES.some((p) => url === p || url.startsWith(`${p}/`)));
}

/**
 * Resolve tenants on every request. Call before registering the rate limit; then call
 * `requireTenantOnPrivateRoutes` after it and before any route is registered.
 */
export function installTenantResolution(app: FastifyInstance, auth: AuthOptions): void {
  app.decorateRequest('tenant', '');
  app.addHook('onRequest', async (request) => {
    if (auth.mode === 'off') {
      request.tenant = DEFAULT_TENANT;
      return;
    }
    const key = presentedKey(request);
    if (key !== undefined) request.tenant = (await auth.keys.authenticate(key))?.tenant ?? '';
  });
}

/** Add, to every private route registered from now on, a last onRequest hook that answers 401 without a tenant. */
export function requireTenantOnPrivateRoutes(app: FastifyInstance): void {
  const requireTenant: onRequestAsyncHookHandler = async (request, reply) => {
    if (request.tenant) return;
    // Same answer for an unknown and a revoked key: which keys existed is nobody's business.
    const message = presentedKey(request)
      ? 'invalid or revoked API key'
      : 'this route needs an API key: send "Authorization: Bearer <key>" (or "x-api-key: <key>"); see zkai admin key create';
    reply.header('www-authenticate', 'Bearer realm="zkai"');
    throw new ZkaiError('UNAUTHORIZED', message);
  };
  app.addHook('onRoute', (route) => {
    if (isPublic(route.url, route.config as { public?: boolean } | undefined)) return;
    const existing = route.onRequest;
    route.onRequest = [...(Array.isArray(existing) ? existing : existing ? [existing] : []), requireTenant];
  });
}

/** Rate-limit key: the tenant with keys on, else the client IP (auth off: every request is the default tenant). */
export function rateLimitKey(auth: AuthOptions): (request: FastifyRequest) => string {
  return (request) => (auth.mode === 'keys' && request.tenant ? `tenant:${request.tenant}` : `ip:${request.ip}`);
}

/** OpenAPI security schemes for the document, and the `security` of a public route. */
export const openApiSecuritySchemes = {
  bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key (zkai_…) from `zkai admin key create`' },
  apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
} as const;
export const PUBLIC_SECURITY: Record<string, string[]>[] = [];
