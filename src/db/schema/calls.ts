import { sqliteTable, integer, real, text, index, primaryKey } from 'drizzle-orm/sqlite-core';
import { subscribers } from './core';

/**
 * The durable outbound-call queue: one row per requested call, updated through every attempt
 * (queued -> dialing -> in_progress -> completed, or retry_wait after no answer / busy).
 */
export const calls = sqliteTable(
  'calls',
  {
    id: text('id').primaryKey(),
    subscriberId: integer('subscriber_id').notNull().references(() => subscribers.id),
    msisdn: text('msisdn').notNull(),
    flowId: text('flow_id').notNull(),
    startNode: text('start_node'),
    /** transactional | promotional: promotional calls wait out quiet hours and respect opt-out. */
    kind: text('kind').notNull(),
    /** Who asked: api, crm, campaign, ... */
    source: text('source').notNull(),
    sourceRef: text('source_ref'),
    status: text('status').notNull(),
    /** Why blocked, deferred or failed (opted_out, quiet_hours, provider_error, no_final_callback, ...). */
    reason: text('reason'),
    attempts: integer('attempts').notNull().default(0),
    /** When the next attempt is due (queued / retry_wait). */
    nextAttemptAt: integer('next_attempt_at'),
    provider: text('provider'),
    /** The provider's id for the current attempt (Africa's Talking sessionId). */
    providerRef: text('provider_ref'),
    /** The IVR session the answered call ran. */
    sessionId: text('session_id'),
    hangupCause: text('hangup_cause'),
    durationSeconds: integer('duration_seconds'),
    amount: real('amount'),
    currency: text('currency'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    dialedAt: integer('dialed_at'),
    answeredAt: integer('answered_at'),
    endedAt: integer('ended_at'),
  },
  (t) => [
    index('calls_due_idx').on(t.status, t.nextAttemptAt),
    index('calls_provider_ref_idx').on(t.providerRef),
    index('calls_subscriber_idx').on(t.subscriberId, t.createdAt),
  ],
);

/**
 * The dials of the last second, across every gateway process sharing the database: the calls-per-second
 * limit (`ivr.callsPerSecond`) is counted here, in the unit that claims a dial, so two processes together
 * stay within the provider's rate. Rows older than a second are deleted as dials are claimed. `at` is real
 * time in ms (the provider counts real seconds), not the business clock.
 */
export const callDials = sqliteTable(
  'call_dials',
  {
    callId: text('call_id').notNull(),
    attempt: integer('attempt').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.callId, t.attempt] }), index('call_dials_at_idx').on(t.at)],
);
