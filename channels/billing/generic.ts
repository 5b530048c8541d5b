import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../src/lib/errors';
import { OPERATOR_EVENT_TYPES, type OperatorEventType } from '../../src/subscriptions/types';
import type { BillingDialect } from './dialect';
import { jsonObject, msisdnField, parseIsoTime, stringField } from '../../src/lib/fields';

/**
 * The gateway's generic JSON billing event (docs/contract.md):
 * `{ eventId, msisdn, serviceId, type, at, amount?, currency?, reason?, nextRenewalAt?, autoRenew? }`.
 * Idempotent on `eventId`. `amount` left out on subscribed/renewed means the service price was charged.
 */
export const genericBilling: BillingDialect = {
  name: 'generic',
  path: '/billing/events',
  contentTypes: ['application/json'],
  parse(req: FastifyRequest, ctx) {
    const body = jsonObject(req.body);
    const str = (name: string, max: number, required: boolean) => stringField(body, name, max, required);
    const time = (name: string, required: boolean): number | null => {
      const v = str(name, 40, required);
      if (v === null) return null;
      const t = parseIsoTime(v);
      if (t === null) throw badRequest('INVALID_FIELD', `Field ${name} "${v}" is not an ISO-8601 time such as 2026-11-20T06:00:00Z.`);
      return t;
    };
    const eventId = str('eventId', 128, true)!;
    const msisdn = msisdnField(str('msisdn', 32, true)!, 'msisdn', ctx.normalize);
    const serviceId = ctx.catalog.require(str('serviceId', 64, true)!).id;
    const type = str('type', 32, true)!;
    if (!(OPERATOR_EVENT_TYPES as readonly string[]).includes(type)) {
      throw badRequest('INVALID_TYPE', `type "${type}" is not one of ${OPERATOR_EVENT_TYPES.join(', ')}.`);
    }
    const at = time('at', true)!;
    let amount: number | null = null;
    if (body.amount !== undefined && body.amount !== null) {
      if (typeof body.amount !== 'number' || !Number.isFinite(body.amount) || body.amount < 0) throw badRequest('INVALID_FIELD', 'Field amount must be a number of at least 0.');
      amount = body.amount;
    }
    const currency = str('currency', 3, false);
    if (currency !== null && !/^[A-Za-z]{3}$/.test(currency)) throw badRequest('INVALID_FIELD', 'Field currency must be a 3-letter ISO 4217 code such as KES.');
    if (body.autoRenew !== undefined && typeof body.autoRenew !== 'boolean') throw badRequest('INVALID_FIELD', 'Field autoRenew must be true or false.');
    return {
      source: 'generic',
      eventId,
      msisdn,
      serviceId,
      type: type as OperatorEventType,
      at,
      amount,
      currency,
      reason: str('reason', 200, false),
      nextRenewalAt: time('nextRenewalAt', false),
      autoRenew: typeof body.autoRenew === 'boolean' ? body.autoRenew : null,
    };
  },
  render(reply, r) {
    return reply.send({ status: r.duplicate ? 'duplicate' : 'accepted', subscriptionId: r.subscriptionId, state: r.state, ...(r.flag ? { flag: r.flag } : {}) });
  },
};
