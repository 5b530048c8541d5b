import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { subscribers } from './core';

/**
 * One row per exit (a subscription run that ended by the subscriber's wish or the operator's deletion):
 * the one question asked about why, and the answer. The run's start is part of the key so an exit is
 * asked about once, whichever of the request and the operator's confirmation arrives first.
 */
export const exitSurveys = sqliteTable(
  'exit_surveys',
  {
    id: text('id').primaryKey(),
    subscriberId: integer('subscriber_id').notNull().references(() => subscribers.id),
    serviceId: text('service_id').notNull(),
    subscriptionId: text('subscription_id').notNull(),
    /** Start of the subscription run that ended (0 when unknown). */
    runStartedAt: integer('run_started_at').notNull(),
    exitAt: integer('exit_at').notNull(),
    /** How they left: sms (STOP keyword), ussd / ivr (menu), billing (the operator's deletion). */
    exitChannel: text('exit_channel').notNull(),
    /** asked | answered | not_asked. */
    status: text('status', { enum: ['asked', 'answered', 'not_asked'] }).notNull(),
    /** Why no question went out (opted_out, no_messaging, blocked:<reason>). */
    notAskedReason: text('not_asked_reason'),
    /** Where the question was put: sms or ussd (in the session); null when not asked. */
    askedChannel: text('asked_channel'),
    askedAt: integer('asked_at'),
    /** A reply after this is routed as any other SMS. */
    windowEndsAt: integer('window_ends_at'),
    messageId: text('message_id'),
    answeredAt: integer('answered_at'),
    reason: text('reason', { enum: ['too_expensive', 'not_useful', 'hard_to_use', 'poor_network', 'other'] }),
    freeText: text('free_text'),
    /** Days from the run's start to the exit. */
    tenureDays: integer('tenure_days'),
    /** Copied at exit so the report groups without joining a million subscribers. */
    region: text('region'),
    /** Month the run started (YYYY-MM). */
    cohort: text('cohort'),
    language: text('language'),
    /** The follow-up finding raised for the answer (when its reason routes to one). */
    findingId: text('finding_id'),
  },
  (t) => [
    uniqueIndex('exit_surveys_run_uq').on(t.subscriptionId, t.runStartedAt),
    index('exit_surveys_subscriber_idx').on(t.subscriberId, t.askedAt),
    index('exit_surveys_exit_at_idx').on(t.exitAt),
    // Questions still inside their reply window (the report's "pending"): a few days of exits at most.
    index('exit_surveys_window_idx').on(t.windowEndsAt),
    // The latest written answers, without reading every answer.
    index('exit_surveys_free_text_idx').on(t.answeredAt).where(sql`free_text IS NOT NULL`),
  ],
);

/**
 * Exit surveys counted per local day of the exit, per grouping (all, cohort, tenure, region, channel)
 * and value, status, reason and why not asked: what the exit-reasons report sums, kept as surveys are
 * stored and answered. Empty strings stand for "none" so the key stays unique.
 */
export const exitReasonsDaily = sqliteTable(
  'exit_reasons_daily',
  {
    day: integer('day').notNull(),
    dim: text('dim').notNull(),
    value: text('value').notNull(),
    status: text('status').notNull(),
    reason: text('reason').notNull(),
    notAsked: text('not_asked').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ columns: [t.dim, t.day, t.value, t.status, t.reason, t.notAsked] })],
);
