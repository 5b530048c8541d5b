import type { FastifyInstance } from 'fastify';
import type { Core } from '../core';
import type { ListQuery } from '../subscriptions/subscription-views';

/** GET /api/v1/subscriptions (filtered, paged) and /api/v1/subscriptions/:id with its billing events. */
export function subscriptionRoutes(app: FastifyInstance, core: Core): void {
  app.get<{ Querystring: ListQuery }>('/subscriptions', async (req) => core.subscriptions.views.list(req.query));
  app.get<{ Params: { id: string } }>('/subscriptions/:id', async (req) => core.subscriptions.views.detail(req.params.id));
}
