import { Type, type Static } from '@sinclair/typebox';

/**
 * The segment filter: every given key must hold (AND); a list inside one key means any of its values
 * (OR). Profile values match case-insensitively ("Nakuru" = "nakuru"). Opted-out subscribers are left
 * out unless `includeOptedOut` is true, so the count preview is the number a promotional send can reach.
 */
const OneOrMany = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 500 })]);

export const SUBSCRIPTION_STATES = ['none', 'pending', 'active', 'grace', 'suspended', 'cancelled', 'expired'] as const;
const SubscriptionState = Type.Union(SUBSCRIPTION_STATES.map((s) => Type.Literal(s)));

/** Value tiers (src/crm/tiers): core, growth, base, new. */
export const SEGMENT_TIERS = ['core', 'growth', 'base', 'new'] as const;
const TierName = Type.Union(SEGMENT_TIERS.map((t) => Type.Literal(t)));

const BestChannelValue = Type.Union(['sms', 'call', 'ussd', 'unknown'].map((c) => Type.Literal(c)));
const Days = Type.Number({ exclusiveMinimum: 0, maximum: 3650 });
const Age = Type.Integer({ minimum: 0, maximum: 150 });

/** A range of an integer or number field: either bound may be left out. */
export const NumberRange = Type.Object({ min: Type.Optional(Type.Number()), max: Type.Optional(Type.Number()) }, { additionalProperties: false, minProperties: 1 });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
/** A range of a date field (YYYY-MM-DD, both ends included). */
export const DateRange = Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) }, { additionalProperties: false, minProperties: 1 });

export const SegmentFilterSchema = Type.Object(
  {
    region: Type.Optional(OneOrMany),
    crop: Type.Optional(OneOrMany),
    language: Type.Optional(OneOrMany),
    operator: Type.Optional(OneOrMany),
    /**
     * Typed profile fields (config `profile.fields`): enum, string and list fields take a value or values
     * (a list field matches when it contains any of them); integer and number fields `{min, max}`; dates
     * `{from, to}`.
     */
    profile: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-zA-Z0-9_]{0,31}$' }), Type.Union([OneOrMany, NumberRange, DateRange]))),
    /** Age in years (this year minus birthYear), both ends included. */
    ageMin: Type.Optional(Age),
    ageMax: Type.Optional(Age),
    /** State of a subscription; with `service`, of that service's subscription. `none` = no live subscription. */
    subscriptionState: Type.Optional(Type.Union([SubscriptionState, Type.Array(SubscriptionState, { minItems: 1 })])),
    service: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    /** Activity: seen (any channel) within the last N days, or not seen for at least N days. */
    lastSeenWithinDays: Type.Optional(Days),
    notSeenForDays: Type.Optional(Days),
    /** Never heard from (e.g. imported and never dialled): true matches only them, false leaves them out. */
    neverSeen: Type.Optional(Type.Boolean()),
    /** Content reached (a `content` usage event), optionally of one flow or node, within N days. */
    content: Type.Optional(
      Type.Object(
        {
          reached: Type.Boolean(),
          flowId: Type.Optional(Type.String({ minLength: 1 })),
          nodeId: Type.Optional(Type.String({ minLength: 1 })),
          withinDays: Type.Optional(Days),
        },
        { additionalProperties: false },
      ),
    ),
    /** Value tier as of the last CRM scoring (any of the given tiers); subscribers without a live subscription have none. */
    tier: Type.Optional(Type.Union([TierName, Type.Array(TierName, { minItems: 1 })])),
    /** Best channel per subscriber as the last CRM pass found it (docs/best-channel.md); unknown = no verdict yet. */
    bestChannel: Type.Optional(Type.Union([BestChannelValue, Type.Array(BestChannelValue, { minItems: 1, maxItems: 4 })])),
    /** CRM flags currently set (any of the given kinds). */
    crmFlags: Type.Optional(OneOrMany),
    /** Poll answers: answered or not, or answered with one of these answer indexes (NPS: scores). */
    poll: Type.Optional(
      Type.Object(
        {
          pollId: Type.String({ minLength: 1 }),
          answered: Type.Optional(Type.Boolean()),
          answers: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 100 }), { minItems: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    includeOptedOut: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export type SegmentFilter = Static<typeof SegmentFilterSchema>;
