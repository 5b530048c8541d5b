import { Type } from '@sinclair/typebox';
import { Localized } from '../../config/types';
import { ERROR_CODE_KEYWORD, Limit, LocalizedText, MaybeTimestamp, Nullable, Open, QueryString, StringEnum, Timestamp } from './common';

// Request and response schemas of /api/v1/campaigns.

export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'] as const;

/** When a campaign runs: once `at`, or on a `cron` in `timezone`. */
export const Schedule = Type.Object(
  {
    at: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'ISO-8601 start time (one-off).' })),
    cron: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Cron expression for repeated runs.' })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone of at/cron.' })),
  },
  { additionalProperties: false },
);
/** One arm of a campaign with arms (offers tested). */
export const Arm = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 40, description: 'Unique in the campaign; not "holdout".' }),
    text: Type.Optional(Localized),
    pollId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Poll campaigns: the poll this arm asks (else the campaign\'s).' })),
    channel: Type.Optional(StringEnum(['sms', 'call'] as const, { description: 'How this arm reaches people (default sms; call runs flowId).' })),
    flowId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    startNode: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    serviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The package this arm offers.' })),
    price: Type.Optional(Type.String({ minLength: 1, maxLength: 60, description: 'The price as told to subscribers, e.g. "KES 10 a week".' })),
    share: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'Relative weight among arms (default 1).' })),
  },
  { additionalProperties: false },
);

/** What counts as a conversion, within how many days of being assigned. */
export const Goal = Type.Object(
  {
    type: StringEnum(['subscribed', 'reached_content', 'renewed', 'answered'] as const),
    serviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'subscribed / renewed: that service only.' })),
    flowId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'reached_content: in that flow only.' })),
    nodeId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'reached_content: that content node only.' })),
    pollId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "answered: the poll (default the campaign's)." })),
    windowDays: Type.Integer({ minimum: 1, maximum: 365 }),
  },
  { additionalProperties: false },
);
const Arms = Type.Array(Arm, { minItems: 1, maxItems: 6, description: 'Arms assigned at random per subscriber (hash of campaign and subscriber).' });
const HoldoutPercent = Type.Integer({ minimum: 0, maximum: 90, description: 'Share of recipients sent nothing (the baseline of uplift).' });

const Rate = Type.Integer({ minimum: 1, maximum: 100_000, description: 'Messages or calls handed over per second.' });
const Id = Type.String({ minLength: 1, maxLength: 100 });

/** POST /api/v1/campaigns. */
export const CreateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    kind: StringEnum(['sms', 'poll', 'call'] as const),
    segmentId: Id,
    text: Type.Optional(Localized),
    pollId: Type.Optional(Id),
    channel: Type.Optional(StringEnum(['sms', 'call', 'best'] as const, { description: "best: each recipient by SMS or a call into flowId, as their best channel says (docs/best-channel.md)." })),
    fallbackChannel: Type.Optional(StringEnum(['sms', 'call'] as const, { description: 'Channel best: how to reach a recipient whose best channel is unknown (default sms).' })),
    flowId: Type.Optional(Id),
    startNode: Type.Optional(Id),
    schedule: Schedule,
    ratePerSecond: Type.Optional(Rate),
    draft: Type.Optional(Type.Boolean({ description: 'Save without scheduling; start it later.' })),
    arms: Type.Optional(Arms),
    holdoutPercent: Type.Optional(HoldoutPercent),
    goal: Type.Optional(Goal),
  },
  { additionalProperties: false },
);

/** PATCH /api/v1/campaigns/:id. */
export const PatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    segmentId: Type.Optional(Id),
    text: Type.Optional(Localized),
    flowId: Type.Optional(Id),
    startNode: Type.Optional(Id),
    schedule: Type.Optional(Schedule),
    ratePerSecond: Type.Optional(Nullable(Rate)),
    arms: Type.Optional(Arms),
    holdoutPercent: Type.Optional(HoldoutPercent),
    goal: Type.Optional(Goal),
  },
  { additionalProperties: false, minProperties: 1 },
);

const statusAlt = CAMPAIGN_STATUSES.join('|');
/** GET /api/v1/campaigns. */
export const ListQuery = QueryString({
  limit: Limit(100, 500),
  status: Type.Optional(
    Type.String({
      pattern: `^(${statusAlt})(,(${statusAlt}))*$`,
      maxLength: 200,
      [ERROR_CODE_KEYWORD]: 'INVALID_STATUS',
      description: `Only campaigns in these statuses, comma-separated: ${CAMPAIGN_STATUSES.join(', ')}.`,
    }),
  ),
});

/** GET /api/v1/campaigns/:id/recipients. */
export const RecipientsQuery = QueryString({
  run: Type.Optional(Type.Integer({ minimum: 0, [ERROR_CODE_KEYWORD]: 'INVALID_QUERY', description: 'Run id; the latest run when absent.' })),
  status: Type.Optional(StringEnum(['pending', 'queued', 'blocked'] as const, { [ERROR_CODE_KEYWORD]: 'INVALID_QUERY' })),
  after: Type.Integer({ minimum: 0, default: 0, [ERROR_CODE_KEYWORD]: 'INVALID_QUERY', description: 'The nextCursor of the previous page.' }),
  limit: Limit(100, 500),
});

/** A campaign run: how many recipients, handed over, blocked, still pending. */
export const Run = Open({
  id: Type.Integer(),
  dueAt: Timestamp(),
  status: StringEnum(['pending', 'sending', 'paused', 'done', 'cancelled'] as const),
  total: Type.Integer(),
  queued: Type.Integer(),
  blocked: Type.Integer(),
  pending: Type.Integer(),
  deferredUntil: MaybeTimestamp({ description: 'Quiet hours hold the run until then.' }),
  startedAt: MaybeTimestamp(),
  finishedAt: MaybeTimestamp(),
});

const campaignFields = {
  id: Type.String(),
  name: Type.String(),
  kind: StringEnum(['sms', 'poll', 'call'] as const),
  channel: StringEnum(['sms', 'call', 'best'] as const),
  fallbackChannel: Type.Optional(StringEnum(['sms', 'call'] as const)),
  status: StringEnum(CAMPAIGN_STATUSES),
  segmentId: Type.String(),
  text: Type.Optional(LocalizedText),
  pollId: Type.Optional(Type.String()),
  flowId: Type.Optional(Type.String()),
  startNode: Type.Optional(Type.String()),
  arms: Type.Optional(Type.Array(Open({ name: Type.String() }))),
  holdoutPercent: Type.Optional(Type.Integer()),
  goal: Type.Optional(Open({ type: Type.String(), windowDays: Type.Integer() })),
  schedule: Open({ at: Type.Optional(Timestamp()), cron: Type.Optional(Type.String()), timezone: Type.String() }),
  ratePerSecond: Nullable(Type.Integer()),
  nextRunAt: MaybeTimestamp(),
  runs: Type.Integer({ description: 'Runs so far.' }),
  lastRunAt: MaybeTimestamp(),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
};

/** A campaign as listed. */
export const Campaign = Open(campaignFields);

/** A campaign with its five latest runs. */
export const CampaignDetail = Open({ ...campaignFields, latestRuns: Type.Array(Run) });

/**
 * Per run: handed over, blocked and why, delivery; poll results for a poll campaign. Grows new sections,
 * and its fields are optional here because the results code changes on its own (a required field it
 * stopped writing would make the serializer fail).
 */
export const Results = Open({
  campaignId: Type.Optional(Type.String()),
  status: Type.Optional(StringEnum(CAMPAIGN_STATUSES)),
  channel: Type.Optional(StringEnum(['sms', 'call', 'best'] as const)),
  totals: Type.Optional(Open({}, { description: 'Channel best: byChannel gives recipients, sent, delivered and delivery per channel.' })),
  runs: Type.Optional(Type.Array(Open({}))),
  poll: Type.Optional(Open({}, { description: 'Poll results, for a poll campaign.' })),
  arms: Type.Optional(Open({}, { description: 'Campaigns with arms: per arm assigned, reach, conversions with 95% interval, uplift against the holdout, cost, pending windows, and the winner.' })),
});

/** A page of one run's recipients. */
export const Recipients = Type.Object({
  runId: Nullable(Type.Integer(), { description: 'Null before the first run.' }),
  items: Type.Array(
    Open({
      subscriberId: Type.Integer(),
      msisdn: Type.String(),
      status: Type.String(),
      ref: Nullable(Type.String({ description: 'The message or call id.' })),
      reason: Nullable(Type.String()),
      at: MaybeTimestamp(),
      delivery: Nullable(Type.String({ description: 'Outbox or call status of what was sent.' })),
    }),
  ),
  nextCursor: Nullable(Type.Integer(), { description: 'Pass as after for the next page; null on the last page.' }),
});
