import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Core } from '../core';
import { notFound } from '../lib/errors';

const CallBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 32 }),
    flowId: Type.String({ minLength: 1, maxLength: 64 }),
    startNode: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    kind: Type.Optional(Type.Union([Type.Literal('transactional'), Type.Literal('promotional')])),
  },
  { additionalProperties: false },
);

/** POST /api/v1/calls (outbound dial: the answered call runs the flow) and GET /api/v1/calls/:id. */
export function callRoutes(app: FastifyInstance, core: Core): void {
  app.post<{ Body: Static<typeof CallBody> }>('/calls', { schema: { body: CallBody } }, async (req, reply) => {
    const { to, flowId, startNode, kind } = req.body;
    const r = core.calls.enqueue({ to, flowId, source: 'api', ...(startNode ? { startNode } : {}), ...(kind ? { kind } : {}) });
    return reply.status(202).send({
      id: r.id,
      status: r.status,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.sendAt !== undefined ? { sendAt: new Date(r.sendAt).toISOString() } : {}),
    });
  });

  app.get<{ Params: { id: string } }>('/calls/:id', async (req) => {
    const call = core.calls.get(req.params.id);
    if (!call) throw notFound('CALL_NOT_FOUND', `No call with id ${req.params.id.slice(0, 64)}.`);
    return core.calls.toJson(call);
  });
}
