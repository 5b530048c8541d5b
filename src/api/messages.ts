import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Core } from '../core';
import { iso } from '../lib/clock';
import { badRequest, notFound } from '../lib/errors';

const SendBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 32 }),
    text: Type.String({ minLength: 1, maxLength: 5000 }),
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    kind: Type.Optional(Type.Union([Type.Literal('transactional'), Type.Literal('promotional')])),
    /** Earliest send time, ISO-8601. */
    notBefore: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  },
  { additionalProperties: false },
);

/**
 * POST /api/v1/messages and GET /api/v1/messages/:id. A message is durable in the outbox before the
 * 202. A message a policy refuses (opted out, frequency cap) is also answered 202, with status
 * `blocked` and the reason: the request was valid and is recorded; it will not be sent.
 */
export function messageRoutes(app: FastifyInstance, core: Core): void {
  app.post<{ Body: Static<typeof SendBody> }>('/messages', { schema: { body: SendBody } }, async (req, reply) => {
    const b = req.body;
    let notBefore: number | undefined;
    if (b.notBefore !== undefined) {
      notBefore = Date.parse(b.notBefore);
      if (!Number.isFinite(notBefore)) throw badRequest('INVALID_TIME', 'notBefore must be an ISO-8601 date-time such as 2026-11-20T06:00:00Z.');
    }
    // Through the group commit: the 202 goes out only once the row is committed.
    const r = await core.commits.run(() =>
      core.messaging.enqueue({
      to: b.to,
      text: b.text,
      ...(b.from !== undefined ? { from: b.from } : {}),
      ...(b.kind !== undefined ? { kind: b.kind } : {}),
        ...(notBefore !== undefined ? { notBefore } : {}),
        source: 'api',
      }),
    );
    return reply.status(202).send({
      id: r.id,
      status: r.status,
      parts: r.parts,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.sendAt !== undefined ? { sendAt: iso(r.sendAt) } : {}),
    });
  });

  app.get<{ Params: { id: string } }>('/messages/:id', async (req) => {
    const m = core.messaging.get(req.params.id);
    if (!m) throw notFound('MESSAGE_NOT_FOUND', `No message with id ${req.params.id.slice(0, 64)}.`);
    return m;
  });
}
