import type { FastifyInstance } from 'fastify';
import type { Core } from '../core';

/** /healthz, /readyz and /metrics: what load balancers, orchestrators and Prometheus poll. */
export function operationsRoutes(app: FastifyInstance, core: Core): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = core.readiness.evaluate();
    return reply.status(r.ok ? 200 : 503).send({ status: r.ok ? 'ready' : 'not_ready', reasons: r.reasons, checks: r.checks });
  });
  app.get('/metrics', async (_req, reply) => {
    const body = await core.metrics.registry.metrics();
    return reply.type(core.metrics.registry.contentType).send(body);
  });
}
