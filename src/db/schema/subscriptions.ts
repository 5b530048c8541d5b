import { sqliteTable, integer, text, index, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { subscribers } from './core';

// Money is stored in minor units (amount x 100, integers) so revenue sums never drift.

/**
 * One subscriber's subscription to one service: the state derived by folding its billing events in
 * their own time order (src/subscriptions/lifecycle.ts), stored so lists and detectors can query it.
 */
export const subscriptions = sqliteTable(
  'subscriptions',
  {
    id: text('id').primaryKey(),
    subscriberId: integer('subscriber_id').notNull().references(() => subscribers.id),
    serviceId: text('service_id').notNull(),
    state: text('state', { enum: ['none', 'pending', 'active', 'grace', 'suspended', 'cancelled', 'expired'] }).notNull(),
    stateEnteredAt: integer('state_entered_at'),
    /** Last entry time of each state (JSON: { active: ms, grace: ms, ... }). */
    entered: text('entered', { mode: 'json' }).$type<Record<string, number>>().notNull().default({}),
    /** Start of the current run (last activation). */
    subscribedAt: integer('subscribed_at'),
    renewals: integer('renewals').notNull().default(0),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    lastChargedAt: integer('last_charged_at'),
    nextRenewalAt: integer('next_renewal_at'),
    revenueMinor: integer('revenue_minor').notNull().default(0),
    currency: text('currency').notNull(),
    autoRenew: integer('auto_renew', { mode: 'boolean' }).notNull().default(true),
    /** Asked by the subscriber, not yet confirmed by the operator. */
    pendingAction: text('pending_action', { enum: ['subscribe', 'unsubscribe'] }),
    flags: integer('flags').notNull().default(0),
    /** When the state changes by time alone (grace ends, retries run out, a renewal never came). */
    deadlineAt: integer('deadline_at'),
    /** The instant the stored state was derived for. */
    evaluatedAt: integer('evaluated_at').notNull(),
    /** The expected renewal a reminder was sent for. */
    reminderFor: integer('reminder_for'),
    lastEventAt: integer('last_event_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('subscriptions_subscriber_service_uq').on(t.subscriberId, t.serviceId),
    index('subscriptions_state_idx').on(t.state, t.serviceId, t.id),
    index('subscriptions_renewal_idx').on(t.state, t.nextRenewalAt),
    index('subscriptions_deadline_idx').on(t.deadlineAt),
  ],
);

/** Every billing event as received (operator notifications, subscriber requests), kept forever. */
export const billingEvents = sqliteTable(
  'billing_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    subscriptionId: text('subscription_id').notNull().references(() => subscriptions.id),
    source: text('source', { enum: ['generic', 'africastalking', 'sdp', 'request'] }).notNull(),
    /** Idempotency key: `<source>:<eventId | transactionID | ...>`. */
    externalId: text('external_id').notNull(),
    type: text('type', { enum: ['subscribed', 'renewed', 'renewal_failed', 'suspended', 'unsubscribed', 'expired', 'subscribe_requested', 'unsubscribe_requested'] }).notNull(),
    /** The event's own time (what the fold orders by). */
    at: integer('at').notNull(),
    receivedAt: integer('received_at').notNull(),
    amountMinor: integer('amount_minor'),
    currency: text('currency'),
    reason: text('reason'),
    /** Expected next renewal as the operator states it (SDP nextChargeTime, generic nextRenewalAt). */
    nextRenewalAt: integer('next_renewal_at'),
    autoRenew: integer('auto_renew', { mode: 'boolean' }),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
    /** Why this event is an impossible transition (recorded, never applied blindly). */
    flag: text('flag'),
  },
  (t) => [uniqueIndex('billing_events_external_uq').on(t.externalId), index('billing_events_subscription_idx').on(t.subscriptionId, t.at, t.id)],
);

/** Calls to an operator's subscription API on behalf of a subscriber; retried until done or given up. */
export const subscriptionRequests = sqliteTable(
  'subscription_requests',
  {
    id: text('id').primaryKey(),
    subscriptionId: text('subscription_id').notNull().references(() => subscriptions.id),
    action: text('action', { enum: ['subscribe', 'unsubscribe'] }).notNull(),
    provider: text('provider').notNull(),
    status: text('status', { enum: ['pending', 'done', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('subscription_requests_due_idx').on(t.status, t.nextAttemptAt)],
);
