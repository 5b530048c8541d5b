import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../core';
import { iso } from '../lib/clock';
import { badRequest, notFound } from '../lib/errors';
import { Described, IdParams, errors } from './schemas/common';
import { Message, MessageAccepted, SendBody } from './schemas/messaging';

/**
 * POST /api/v1/messages and GET /api/v1/messages/:id. A message is durable in the outbox before the
 * 202. A message a policy refuses (opted out, frequency cap) is also answered 202, with status
 * `blocked` and the reason: the request was valid and is recorded; it will not be sent.
 */
export function messageRoutes(app: FastifyInstance, core: Core): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post(
    '/messages',
    { schema: { tags: ['messages'], summary: 'Send an SMS (durable before the answer)', body: SendBody, response: { 202: Described(MessageAccepted, 'Accepted and durable: queued, or blocked by a policy (with the reason).'), ...errors(400) } } },
    async (req, reply) => {
      const b = req.body;
      let notBefore: number | undefined;
      if (b.notBefore !== undefined) {
        notBefore = Date.parse(b.notBefore);
        if (!Number.isFinite(notBefore)) throw badRequest('INVALID_TIME', 'notBefore must be an ISO-8601 date-time such as 2026-11-20T06:00:00Z.');
      }
      // A unit of work: the 202 goes out only once the row is durable.
      const m = await core.messaging.send({
        to: b.to,
        text: b.text,
        ...(b.from !== undefined ? { from: b.from } : {}),
        ...(b.kind !== undefined ? { kind: b.kind } : {}),
        ...(notBefore !== undefined ? { notBefore } : {}),
        source: 'api',
      });
      const sendAt = m.sendAt !== undefined ? iso(m.sendAt) : null;
      return reply.status(202).send({ id: m.id, status: m.status, parts: m.parts, ...(m.reason ? { reason: m.reason } : {}), ...(sendAt ? { sendAt } : {}) });
    },
  );

  r.get(
    '/messages/:id',
    { schema: { tags: ['messages'], summary: 'A message and its delivery state', params: IdParams, response: { 200: Described(Message, 'The message and its delivery state.'), ...errors(400, 404) } } },
    async (req) => {
      const m = await core.messaging.get(req.params.id);
      if (!m) throw notFound('MESSAGE_NOT_FOUND', `No message with id ${req.params.id.slice(0, 64)}.`);
      return { ...m };
    },
  );
}
