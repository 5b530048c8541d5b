import type { FastifyInstance } from 'fastify';
import type { Core } from '../core';
import { gatewayStatus } from '../operations/gateway-status';
import { ErrorBody, errors } from './schemas/common';
import { GatewayStatus } from './schemas/operations';

/** /healthz, /readyz and /metrics: what load balancers, orchestrators and Prometheus poll. */
export function operationsRoutes(app: FastifyInstance, core: Core): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = await core.readiness.evaluate();
    return reply.status(r.ok ? 200 : 503).send({ status: r.ok ? 'ready' : 'not_ready', reasons: r.reasons, checks: r.checks });
  });
  app.get('/metrics', async (_req, reply) => {
    const body = await core.metrics.registry.metrics();
    return reply.type(core.metrics.registry.contentType).send(body);
  });
}

/** GET /api/v1/operations/status: binds, routes and queue depths, oldest due message, recent errors, running jobs (what `vasgw status` prints). */
export function operationsApiRoutes(app: FastifyInstance, core: Core): void {
  const schema = {
    tags: ['operations'],
    summary: 'Gateway state: binds, queues, oldest due message, recent errors, running jobs',
    response: { 200: GatewayStatus, ...errors(), 503: { ...ErrorBody, description: 'The database is closed: the gateway is shutting down or broken.' } },
  };
  app.get('/operations/status', { schema }, async (_req, reply) => {
    if (!core.storage.isOpen()) return reply.status(503).send({ error: { code: 'DATABASE_UNAVAILABLE', message: 'the database is closed; the gateway is shutting down or broken' } });
    return gatewayStatus({
      database: core.database,
      config: core.config,
      now: core.clock.now(),
      live: { readiness: await core.readiness.evaluate(), canCarry: (op) => core.messaging.canCarry(op) },
    });
  });
}
