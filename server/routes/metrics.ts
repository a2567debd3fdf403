import type { FastifyPluginAsync } from 'fastify';
import type { ServiceMetrics } from '../metrics.ts';

export interface MetricsRoutesOptions {
  metrics: ServiceMetrics;
}

/**
 * GET /metrics: Prometheus text exposition. Hidden from the OpenAPI document (it is for
 * scrapers, not API clients), exempt from the rate limit, and public (scrapers carry no API key;
 * it shows aggregates only, no tenant's ids: keep the port off the internet or filter /metrics at the proxy).
 */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { metrics }) => {
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
};
