import { sqliteTable, integer, text, index, uniqueIndex } from 'drizzle-orm/sqlite-core';

// Times are epoch milliseconds (integers): cheap to compare and index, converted to ISO-8601 at the API.

/** A person reached on a phone number; created on first contact. */
export const subscribers = sqliteTable(
  'subscribers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    msisdn: text('msisdn').notNull(),
    language: text('language'),
    region: text('region'),
    crop: text('crop'),
    operator: text('operator'),
    /** Typed profile fields (config `profile.fields`): strings, numbers, YYYY-MM-DD dates, lists of strings. */
    profile: text('profile', { mode: 'json' }).$type<Record<string, string | number | string[]>>().notNull().default({}),
    optedOut: integer('opted_out', { mode: 'boolean' }).notNull().default(false),
    optedOutAt: integer('opted_out_at'),
    firstSeenAt: integer('first_seen_at').notNull(),
    /** Last inbound traffic; null until the subscriber is first heard from (an import is not traffic). */
    lastSeenAt: integer('last_seen_at'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('subscribers_msisdn_uq').on(t.msisdn), index('subscribers_last_seen_idx').on(t.lastSeenAt)],
);

/** One interactive session (USSD or IVR), persisted at every hop so a restart loses nothing. */
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    channel: text('channel').notNull(),
    /** The aggregator's session id, unique per channel. */
    externalId: text('external_id').notNull(),
    subscriberId: integer('subscriber_id').notNull().references(() => subscribers.id),
    flowId: text('flow_id').notNull(),
    serviceCode: text('service_code'),
    /** Engine state (JSON): node, stack, page, invalid count, language, channel extras. */
    state: text('state', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: ['active', 'ended'] }).notNull(),
    endReason: text('end_reason'),
    hops: integer('hops').notNull().default(0),
    startedAt: integer('started_at').notNull(),
    lastActivityAt: integer('last_activity_at').notNull(),
    endedAt: integer('ended_at'),
  },
  (t) => [
    uniqueIndex('sessions_channel_external_uq').on(t.channel, t.externalId),
    index('sessions_subscriber_idx').on(t.subscriberId, t.startedAt),
    // Not on last_activity_at: every hop moves it, and the sweep finds quiet sessions among those started before its cutoff.
    index('sessions_active_idx').on(t.status, t.startedAt),
  ],
);

/** The usage log: every step of every subscriber, append-only. Detectors read it incrementally by id. */
export const usageEvents = sqliteTable(
  'usage_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    subscriberId: integer('subscriber_id').notNull().references(() => subscribers.id),
    channel: text('channel').notNull(),
    type: text('type').notNull(),
    sessionId: text('session_id'),
    flowId: text('flow_id'),
    nodeId: text('node_id'),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [
    index('usage_events_subscriber_idx').on(t.subscriberId, t.id),
    index('usage_events_at_idx').on(t.at),
  ],
);
