import type { FastifyPluginAsync } from 'fastify';
import type { ServiceMetrics } from '../metrics.ts';

export interface MetricsRoutesOptions {
  metrics: ServiceMetrics;
}

/**
 * GET /metrics: Prometheus text exposition. Hidden from the OpenAPI document (it is for
 * scrapers, not API clients) and exempt from the rate limit.
 */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { metrics }) => {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
};
