import { sqliteTable, integer, real, text, index } from 'drizzle-orm/sqlite-core';
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
