import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Core } from '../core';
import { VISIBLE_STATES } from '../subscriptions/types';
import { Described, ERROR_CODE_KEYWORD, Limit, MaybeTimestamp, Nullable, Open, QueryString, StringEnum, Timestamp, errors } from './schemas/common';

const ListQuery = QueryString({
  state: Type.Optional(StringEnum(VISIBLE_STATES, { [ERROR_CODE_KEYWORD]: 'INVALID_STATE' })),
  service: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'A configured service id.' })),
  limit: Limit(50, 500),
  cursor: Type.Optional(Type.String({ pattern: '^sub_[0-9a-z]+$', maxLength: 64, [ERROR_CODE_KEYWORD]: 'INVALID_CURSOR', description: 'The nextCursor of the previous page.' })),
});

const fields = {
  id: Type.String(),
  serviceId: Type.String(),
  serviceName: Nullable(Type.String()),
  state: Type.String(),
  stateSince: MaybeTimestamp(),
  enteredAt: Open({}, { description: 'When it entered each state.' }),
  subscribedAt: MaybeTimestamp(),
  renewals: Type.Integer(),
  consecutiveFailures: Type.Integer(),
  lastChargedAt: MaybeTimestamp(),
  nextRenewalAt: MaybeTimestamp(),
  autoRenew: Type.Boolean(),
  revenue: Open({ amount: Type.Number(), currency: Type.String() }),
  pendingAction: Nullable(StringEnum(['subscribe', 'unsubscribe'] as const)),
  flaggedEvents: Type.Integer(),
  lastEventAt: MaybeTimestamp(),
};

const Page = Type.Object({
  items: Type.Array(Open({ msisdn: Type.String(), ...fields })),
  nextCursor: Nullable(Type.String(), { description: 'Pass as cursor for the next page; null on the last page.' }),
});

const BillingEvent = Open({ id: Type.Integer(), at: Timestamp(), receivedAt: Timestamp(), type: Type.String(), source: Type.String() });
const Detail = Open({ ...fields, events: Type.Array(BillingEvent), operatorRequests: Type.Array(Open({})) });

/** GET /api/v1/subscriptions (filtered, paged) and /api/v1/subscriptions/:id with its billing events. */
export function subscriptionRoutes(app: FastifyInstance, core: Core): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/subscriptions',
    { schema: { tags: ['subscriptions'], summary: 'Subscriptions by state and service, paged', querystring: ListQuery, response: { 200: Described(Page, 'A page of subscriptions.'), ...errors(400) } } },
    async (req) => core.subscriptions.views.list(req.query),
  );
  r.get(
    '/subscriptions/:id',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'A subscription with its billing events and operator requests',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: Described(Detail, 'The subscription, its billing events in fold order and the operator calls made for it.'), ...errors(400, 404) },
      },
    },
    async (req) => core.subscriptions.views.detail(req.params.id),
  );
}
