import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../src/lib/errors';
import type { BillingDialect } from './dialect';
import { formField, msisdnField } from '../../src/lib/fields';

/**
 * Africa's Talking premium SMS subscription notifications: a form post with `phoneNumber, shortCode,
 * keyword, updateType` (Addition | Deletion, any case). The service is the one configured with that
 * short code and keyword. AT sends no notification id and no charge (premium SMS is charged per
 * message), so a repeat of the previous update type for the same subscription is taken as a retry.
 */
export const africasTalkingBilling: BillingDialect = {
  name: 'africastalking',
  path: '/billing/africastalking',
  contentTypes: ['application/x-www-form-urlencoded'],
  parse(req: FastifyRequest, ctx) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const field = (name: string, max = 64) => formField(body, name, max);
    const msisdn = msisdnField(field('phoneNumber', 32), 'phoneNumber', ctx.normalize);
    const shortCode = field('shortCode');
    const keyword = field('keyword');
    const updateType = field('updateType', 16).toLowerCase();
    if (updateType !== 'addition' && updateType !== 'deletion') {
      throw badRequest('INVALID_FIELD', `Form field updateType "${updateType}" must be Addition or Deletion.`);
    }
    const service = ctx.catalog.byAfricasTalking(shortCode, keyword);
    if (!service) {
      throw badRequest('UNKNOWN_SERVICE', `No service is configured for Africa's Talking short code ${shortCode} and keyword ${keyword} (known: ${ctx.catalog.known()}).`);
    }
    return {
      source: 'africastalking',
      eventId: null,
      msisdn,
      serviceId: service.id,
      type: updateType === 'addition' ? 'subscribed' : 'unsubscribed',
      // AT sends no event time: the time of receipt is the event's time.
      at: ctx.now,
      amount: 0,
      detail: { shortCode, keyword },
    };
  },
  render(reply, r) {
    return reply.send({ status: r.duplicate ? 'duplicate' : 'accepted', subscriptionId: r.subscriptionId, state: r.state });
  },
};
