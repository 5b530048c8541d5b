import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../core';
import { notFound } from '../lib/errors';
import { Described, IdParams, errors } from './schemas/common';
import { Call, CallAccepted, CallBody } from './schemas/messaging';

/** POST /api/v1/calls (outbound dial: the answered call runs the flow) and GET /api/v1/calls/:id. */
export function callRoutes(app: FastifyInstance, core: Core): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post(
    '/calls',
    { schema: { tags: ['calls'], summary: 'Dial a subscriber; the answered call runs a flow', body: CallBody, response: { 202: Described(CallAccepted, 'Accepted and durable: queued, or blocked by a policy (with the reason).'), ...errors(400) } } },
    async (req, reply) => {
      const { to, flowId, startNode, kind } = req.body;
      const c = await core.calls.request({ to, flowId, source: 'api', ...(startNode ? { startNode } : {}), ...(kind ? { kind } : {}) });
      return reply.status(202).send({
        id: c.id,
        status: c.status,
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.sendAt !== undefined ? { sendAt: new Date(c.sendAt).toISOString() } : {}),
      });
    },
  );

  r.get(
    '/calls/:id',
    { schema: { tags: ['calls'], summary: 'A call, its attempts and outcome', params: IdParams, response: { 200: Described(Call, 'The call, its attempts and outcome.'), ...errors(400, 404) } } },
    async (req) => {
      const call = await core.calls.get(req.params.id);
      if (!call) throw notFound('CALL_NOT_FOUND', `No call with id ${req.params.id.slice(0, 64)}.`);
      return core.calls.toJson(call);
    },
  );
}
