import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Core } from '../core';
import { badRequest } from '../lib/errors';
import { subscriberView } from '../subscribers/subscriber-views';
import { Described, ERROR_CODE_KEYWORD, Limit, MaybeTimestamp, Open, QueryString, Timestamp, errors } from './schemas/common';

const MsisdnParams = Type.Object({ msisdn: Type.String({ minLength: 1, maxLength: 32, description: 'Phone number: +2547..., 2547... or 07...' }) });

// The profile's fixed columns; configured profile fields and what other domains add (subscriptions,
// CRM state) pass through.
const Subscriber = Open(
  {
    msisdn: Type.String({ description: 'E.164 with the leading +.' }),
    language: Type.Union([Type.String(), Type.Null()]),
    region: Type.Union([Type.String(), Type.Null()]),
    crop: Type.Union([Type.String(), Type.Null()]),
    operator: Type.Union([Type.String(), Type.Null()]),
    profile: Open({}, { description: 'Typed profile fields configured under profile.fields.' }),
    optedOut: Type.Boolean(),
    optedOutAt: MaybeTimestamp(),
    firstSeenAt: MaybeTimestamp(),
    lastSeenAt: MaybeTimestamp(),
  },
  { description: "A subscriber's profile, with what each domain adds (subscriptions, CRM state)." },
);

const UsageEvent = Open({
  id: Type.Integer({ description: 'Event id; pass as `before` for the next page.' }),
  at: Timestamp(),
  channel: Type.String(),
  type: Type.String(),
  sessionId: Type.Optional(Type.String()),
  flowId: Type.Optional(Type.String()),
  nodeId: Type.Optional(Type.String()),
  detail: Type.Optional(Type.Unknown()),
});

const EventsQuery = QueryString({
  limit: Limit(100, 1000),
  before: Type.Optional(Type.Integer({ [ERROR_CODE_KEYWORD]: 'INVALID_CURSOR', description: 'Only events older than this event id (paging).' })),
});

/** GET/PATCH /api/v1/subscribers/:msisdn and the usage log at /events. */
export function subscriberRoutes(app: FastifyInstance, core: Core): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const view = async (id: number) => {
    const s = (await core.subscribers.findByIdIn(undefined, id))!;
    return subscriberView(core.subscribers.toJson(s), core.subscriberViews, s);
  };

  r.get(
    '/subscribers/:msisdn',
    { schema: { tags: ['subscribers'], summary: "A subscriber's profile", params: MsisdnParams, response: { 200: Subscriber, ...errors(400, 404) } } },
    async (req) => view((await core.subscribers.requireIn(undefined, req.params.msisdn)).id),
  );

  r.get(
    '/subscribers/:msisdn/events',
    {
      schema: {
        tags: ['subscribers'],
        summary: "A subscriber's usage log, newest first",
        params: MsisdnParams,
        querystring: EventsQuery,
        response: { 200: Described(Type.Array(UsageEvent), 'Usage events, newest first.'), ...errors(400, 404) },
      },
    },
    async (req) => {
      const s = await core.subscribers.requireIn(undefined, req.params.msisdn);
      const { limit, before } = req.query;
      return core.usage.list(s.id, { limit, ...(before !== undefined ? { beforeId: before } : {}) });
    },
  );

  // Values are checked against the profile schema by the service, which names the field and what it allows.
  r.patch(
    '/subscribers/:msisdn',
    {
      schema: {
        tags: ['subscribers'],
        summary: 'Create or update a profile (only the fields sent)',
        params: MsisdnParams,
        body: Type.Record(Type.String(), Type.Unknown(), { minProperties: 1, description: 'Profile fields to set; null clears one.' }),
        response: { 200: Subscriber, ...errors(400) },
      },
    },
    async (req) => {
      const msisdn = core.subscribers.normalize(req.params.msisdn);
      if (!msisdn) throw badRequest('INVALID_MSISDN', `"${req.params.msisdn.slice(0, 32)}" is not a phone number (use +2547..., 2547... or 07...).`);
      const { msisdn: _ignored, ...patch } = req.body;
      // Checked before the subscriber is created: a refused patch leaves nothing behind.
      const valid = core.subscribers.validateProfile(patch);
      // Creating a profile is not hearing from the subscriber: last-seen stays as it was.
      const { id } = await core.subscribers.saveProfile(msisdn, valid);
      return view(id);
    },
  );
}
