import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/client';
import type { Folded, FoldEvent } from './lifecycle';
import type { BillingEventType, BillingSource, SubscriptionState } from './types';

/** A subscriptions row as stored. */
export interface SubscriptionRow {
  id: string;
  subscriber_id: number;
  service_id: string;
  state: SubscriptionState;
  state_entered_at: number | null;
  entered: string;
  subscribed_at: number | null;
  renewals: number;
  consecutive_failures: number;
  last_charged_at: number | null;
  next_renewal_at: number | null;
  revenue_minor: number;
  currency: string;
  auto_renew: number;
  pending_action: 'subscribe' | 'unsubscribe' | null;
  flags: number;
  deadline_at: number | null;
  evaluated_at: number;
  reminder_for: number | null;
  last_event_at: number | null;
  created_at: number;
  updated_at: number;
}

/** A row with the subscriber's number, for lists. */
export type SubscriptionListRow = SubscriptionRow & { msisdn: string };

/** A billing_events row as stored. */
export interface BillingEventRow {
  id: number;
  subscription_id: string;
  source: BillingSource;
  external_id: string;
  type: BillingEventType;
  at: number;
  received_at: number;
  amount_minor: number | null;
  currency: string | null;
  reason: string | null;
  next_renewal_at: number | null;
  auto_renew: number | null;
  detail: string | null;
  flag: string | null;
}

/** A new billing event. */
export interface NewBillingEvent {
  subscriptionId: string;
  source: BillingSource;
  externalId: string;
  type: BillingEventType;
  at: number;
  receivedAt: number;
  amountMinor: number | null;
  currency: string | null;
  reason: string | null;
  nextRenewalAt: number | null;
  autoRenew: boolean | null;
  detail: Record<string, unknown> | null;
}

/** The fold's view of a stored event. */
export const toFoldEvent = (r: BillingEventRow): FoldEvent => ({
  id: r.id,
  type: r.type,
  at: r.at,
  amountMinor: r.amount_minor,
  nextRenewalAt: r.next_renewal_at,
  autoRenew: r.auto_renew === null ? null : r.auto_renew === 1,
});

/**
 * Data access for subscriptions and their billing events. Ingest is the hot path (one notification
 * = a lookup, an insert, a read of the subscription's events and an update), so every statement is
 * prepared once.
 */
export class SubscriptionRepo {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: Db) {
    const c = db.$client;
    this.s = {
      bySubscriberService: c.prepare('SELECT * FROM subscriptions WHERE subscriber_id = ? AND service_id = ?'),
      byId: c.prepare('SELECT * FROM subscriptions WHERE id = ?'),
      bySubscriber: c.prepare("SELECT * FROM subscriptions WHERE subscriber_id = ? AND state <> 'none' ORDER BY created_at"),
      create: c.prepare(
        "INSERT INTO subscriptions (id, subscriber_id, service_id, state, currency, evaluated_at, created_at, updated_at) VALUES (?, ?, ?, 'none', ?, ?, ?, ?) RETURNING *",
      ),
      eventByExternal: c.prepare('SELECT id, subscription_id FROM billing_events WHERE external_id = ?'),
      insertEvent: c.prepare(
        `INSERT INTO billing_events (subscription_id, source, external_id, type, at, received_at, amount_minor, currency, reason, next_renewal_at, auto_renew, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      events: c.prepare('SELECT * FROM billing_events WHERE subscription_id = ? ORDER BY at, id'),
      lastFromSource: c.prepare('SELECT type FROM billing_events WHERE subscription_id = ? AND source = ? ORDER BY id DESC LIMIT 1'),
      countFromSource: c.prepare('SELECT count(*) AS n FROM billing_events WHERE subscription_id = ? AND source = ?'),
      setFlag: c.prepare('UPDATE billing_events SET flag = ? WHERE id = ?'),
      save: c.prepare(
        `UPDATE subscriptions SET state = ?, state_entered_at = ?, entered = ?, subscribed_at = ?, renewals = ?, consecutive_failures = ?,
           last_charged_at = ?, next_renewal_at = ?, revenue_minor = ?, auto_renew = ?, pending_action = ?, flags = ?, deadline_at = ?,
           evaluated_at = ?, last_event_at = ?, updated_at = ? WHERE id = ?`,
      ),
      due: c.prepare('SELECT id FROM subscriptions WHERE deadline_at IS NOT NULL AND deadline_at <= ? ORDER BY deadline_at LIMIT ?'),
      reminderCandidates: c.prepare(
        `SELECT * FROM subscriptions WHERE state = 'active' AND service_id = ? AND auto_renew = 1 AND next_renewal_at > ? AND next_renewal_at <= ?
           AND (reminder_for IS NULL OR reminder_for <> next_renewal_at) ORDER BY next_renewal_at LIMIT ?`,
      ),
      markReminder: c.prepare('UPDATE subscriptions SET reminder_for = ? WHERE id = ?'),
      clearDeadline: c.prepare('UPDATE subscriptions SET deadline_at = NULL WHERE id = ?'),
      countByState: c.prepare("SELECT state, count(*) AS n FROM subscriptions WHERE state <> 'none' GROUP BY state"),
    };
  }

  /** The subscription of a subscriber to a service, or null. */
  find(subscriberId: number, serviceId: string): SubscriptionRow | null {
    return (this.s.bySubscriberService!.get(subscriberId, serviceId) as SubscriptionRow | undefined) ?? null;
  }

  /** The subscription by id, or null. */
  findById(id: string): SubscriptionRow | null {
    return (this.s.byId!.get(id) as SubscriptionRow | undefined) ?? null;
  }

  /** A subscriber's subscriptions (rows that only hold requests for services never had are left out). */
  bySubscriber(subscriberId: number): SubscriptionRow[] {
    return this.s.bySubscriber!.all(subscriberId) as SubscriptionRow[];
  }

  /** Creates an empty subscription (state `none`) to hang events on. */
  create(id: string, subscriberId: number, serviceId: string, currency: string, now: number): SubscriptionRow {
    return this.s.create!.get(id, subscriberId, serviceId, currency, now, now, now) as SubscriptionRow;
  }

  /** The event already stored under this idempotency key, if any. */
  eventByExternal(externalId: string): { id: number; subscription_id: string } | null {
    return (this.s.eventByExternal!.get(externalId) as { id: number; subscription_id: string } | undefined) ?? null;
  }

  /** Stores an event; returns its id. */
  insertEvent(e: NewBillingEvent): number {
    const r = this.s.insertEvent!.run(
      e.subscriptionId,
      e.source,
      e.externalId,
      e.type,
      e.at,
      e.receivedAt,
      e.amountMinor,
      e.currency,
      e.reason,
      e.nextRenewalAt,
      e.autoRenew === null ? null : e.autoRenew ? 1 : 0,
      e.detail ? JSON.stringify(e.detail) : null,
    );
    return Number(r.lastInsertRowid);
  }

  /** Every event of a subscription in fold order. */
  events(subscriptionId: string): BillingEventRow[] {
    return this.s.events!.all(subscriptionId) as BillingEventRow[];
  }

  /** Type of the latest event received from `source` for this subscription. */
  lastTypeFromSource(subscriptionId: string, source: BillingSource): BillingEventType | null {
    return ((this.s.lastFromSource!.get(subscriptionId, source) as { type: BillingEventType } | undefined)?.type ?? null);
  }

  /** How many events `source` sent for this subscription. */
  countFromSource(subscriptionId: string, source: BillingSource): number {
    return (this.s.countFromSource!.get(subscriptionId, source) as { n: number }).n;
  }

  /** Writes the folded state, and every event flag that changed. */
  save(id: string, f: Folded, previousFlags: ReadonlyMap<number, string | null>, evaluatedAt: number, now: number): void {
    let flags = 0;
    for (const [eventId, flag] of f.flags) {
      if (flag) flags++;
      if ((previousFlags.get(eventId) ?? null) !== flag) this.s.setFlag!.run(flag, eventId);
    }
    this.s.save!.run(
      f.state,
      f.stateEnteredAt,
      JSON.stringify(f.entered),
      f.subscribedAt,
      f.renewals,
      f.consecutiveFailures,
      f.lastChargedAt,
      f.nextRenewalAt,
      f.revenueMinor,
      f.autoRenew ? 1 : 0,
      f.pendingAction,
      flags,
      f.deadlineAt,
      evaluatedAt,
      f.lastEventAt,
      now,
      id,
    );
  }

  /** Ids of subscriptions whose state changes by time alone at or before `now`. */
  dueDeadlines(now: number, limit: number): string[] {
    return (this.s.due!.all(now, limit) as { id: string }[]).map((r) => r.id);
  }

  /** Active, auto-renewing subscriptions of a service renewing in (after, until] without a reminder for that renewal. */
  reminderCandidates(serviceId: string, after: number, until: number, limit: number): SubscriptionRow[] {
    return this.s.reminderCandidates!.all(serviceId, after, until, limit) as SubscriptionRow[];
  }

  /** Remembers that the reminder for this renewal went out (or was decided against). */
  markReminder(id: string, nextRenewalAt: number): void {
    this.s.markReminder!.run(nextRenewalAt, id);
  }

  /** Stops time-based evaluation of a subscription (its service is no longer configured). */
  clearDeadline(id: string): void {
    this.s.clearDeadline!.run(id);
  }

  /** How many subscriptions are in each state (for /metrics). */
  countByState(): { state: string; n: number }[] {
    return this.s.countByState!.all() as { state: string; n: number }[];
  }

  /** A page of subscriptions (with the subscriber's number), by id, after the cursor. */
  list(opts: { state?: string | undefined; serviceId?: string | undefined; after?: string | undefined; limit: number }): SubscriptionListRow[] {
    const where: string[] = ["s.state <> 'none'"];
    const args: unknown[] = [];
    if (opts.state) {
      where.push('s.state = ?');
      args.push(opts.state);
    }
    if (opts.serviceId) {
      where.push('s.service_id = ?');
      args.push(opts.serviceId);
    }
    if (opts.after) {
      where.push('s.id > ?');
      args.push(opts.after);
    }
    args.push(opts.limit);
    const sql = `SELECT s.*, sub.msisdn AS msisdn FROM subscriptions s JOIN subscribers sub ON sub.id = s.subscriber_id WHERE ${where.join(' AND ')} ORDER BY s.id LIMIT ?`;
    return this.db.$client.prepare(sql).all(...args) as SubscriptionListRow[];
  }
}
