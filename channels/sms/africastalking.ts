import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../src/lib/errors';
import { formField } from '../../src/lib/fields';
import type { SmsDialect } from './dialect';

/** AT's delivery report states: Success is delivered, Failed and Rejected final, the rest on the way. */
const STATES: Record<string, string> = { success: 'DELIVRD', failed: 'UNDELIV', rejected: 'REJECTD', sent: 'ENROUTE', submitted: 'ENROUTE', buffered: 'ENROUTE', queued: 'ACCEPTD' };

/** AT writes `date` as "2026-11-20 09:00:00" (UTC) or ISO-8601; anything else is left out. */
function atDate(v: unknown): number | null {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/.test(v)) return null;
  const iso = v.includes('T') ? v : `${v.replace(' ', 'T')}Z`;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

const form = (req: FastifyRequest) => (req.body ?? {}) as Record<string, unknown>;

/**
 * Africa's Talking incoming SMS: a form post with `from, to, text, id, date, linkId` (and `networkCode`)
 * for each SMS sent to the account's short code or long number. `id` makes retries duplicates.
 * `linkId` (premium on-demand replies) is not used: replies are ordinary messages from the short code.
 */
export const africasTalkingIncoming: SmsDialect = {
  name: 'africastalking',
  path: '/sms/africastalking/incoming',
  source: 'africastalking',
  contentTypes: ['application/x-www-form-urlencoded'],
  parse(req) {
    const body = form(req);
    const from = formField(body, 'from', 32);
    const to = formField(body, 'to', 32);
    const id = formField(body, 'id', 128);
    // An empty text is a message too (a keyword-less reply); a missing one is a broken callback.
    if (typeof body.text !== 'string') throw badRequest('MISSING_FIELD', 'Form field text is required.');
    return { kind: 'mo', externalId: id, from, to, text: body.text.slice(0, 2000), receivedAt: atDate(body.date) };
  },
  render(reply, r) {
    return reply.status(200).send({ status: r.kind === 'mo' && r.duplicate ? 'duplicate' : 'accepted' });
  },
};

/**
 * Africa's Talking SMS delivery reports: a form post with `id, status` (Success, Failed, Rejected,
 * Sent, Queued, Buffered, Submitted), `failureReason` for failures, `phoneNumber`, `networkCode`.
 * `id` is the messageId AT answered the send with.
 */
export const africasTalkingDelivery: SmsDialect = {
  name: 'africastalking-delivery',
  path: '/sms/africastalking/delivery',
  source: 'africastalking',
  contentTypes: ['application/x-www-form-urlencoded'],
  parse(req) {
    const body = form(req);
    const messageId = formField(body, 'id', 128);
    const status = formField(body, 'status', 32);
    const reason = typeof body.failureReason === 'string' && body.failureReason.trim() ? body.failureReason.trim().slice(0, 64) : null;
    return { kind: 'receipt', messageId, stat: STATES[status.toLowerCase()] ?? 'UNKNOWN', err: reason };
  },
  render(reply) {
    return reply.status(200).send({ status: 'accepted' });
  },
};
