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
