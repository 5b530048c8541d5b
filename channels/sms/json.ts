import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../src/lib/errors';
import { jsonObject, parseIsoTime, stringField } from '../../src/lib/fields';
import type { SmsDialect } from './dialect';

/**
 * The gateway's generic JSON inbound SMS, for aggregators without a dialect of their own:
 * `{ from, to, text, id?, receivedAt? }` -> 202. With `id`, a repeat of the same id is ignored.
 */
export const jsonInbound: SmsDialect = {
  name: 'json',
  path: '/sms/inbound',
  source: 'inbound',
  contentTypes: ['application/json'],
  parse(req: FastifyRequest) {
    const body = jsonObject(req.body);
    const from = stringField(body, 'from', 32, true)!;
    const to = stringField(body, 'to', 32, true)!;
    if (typeof body.text !== 'string') throw badRequest(body.text === undefined ? 'MISSING_FIELD' : 'INVALID_FIELD', 'Field text is required and must be a string.');
    if (body.text.length > 2000) throw badRequest('INVALID_FIELD', 'Field text is longer than 2000 characters.');
    const id = stringField(body, 'id', 128, false);
    const raw = stringField(body, 'receivedAt', 64, false);
    const receivedAt = raw === null ? null : parseIsoTime(raw);
    if (raw !== null && receivedAt === null) throw badRequest('INVALID_FIELD', `Field receivedAt "${raw.slice(0, 40)}" is not an ISO-8601 time (2026-11-20T09:00:00Z).`);
    return { kind: 'mo', externalId: id, from: from.trim(), to: to.trim(), text: body.text, receivedAt };
  },
  render(reply, r) {
    return reply.status(202).send({ status: r.kind === 'mo' && r.duplicate ? 'duplicate' : 'accepted', ...(r.kind === 'mo' && r.route ? { route: r.route } : {}) });
  },
};
