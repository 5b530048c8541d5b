import type { Tx } from '../db/database';
import { badRequest } from '../lib/errors';
import type { UsageEvent } from '../usage/usage-log';
import { canFoldForward, foldForward, foldSubscription, type FoldEvent, type Folded, type LifecyclePolicy } from './lifecycle';
import type { ServiceCatalog } from './service-catalog';
import { toFoldEvent, type FoldRow, type NewBillingEvent, type SubscriptionHead, type SubscriptionWithState } from './subscription-repo';
import type { SubscriptionStore } from './subscription-store';
import type { BillingNotification, Service, SubscriptionState } from './types';

/** An operator notification as the ledger records it (the subscriber already resolved). */
export interface OperatorEvent {
  notification: BillingNotification;
  service: Service;
  subscriberId: number;
  amountMinor: number | null;
  /** Receipt time. */
  now: number;
  /** Makes a subscription id for a first event. */
  newSubscriptionId: () => string;
}

/** What recording an operator notification did. */
export type Applied =
  | { duplicate: true; subscriptionId: string; state: SubscriptionState }
  | { duplicate: false; sub: SubscriptionHead; eventId: number; folded: Folded; derived: UsageEvent[] };

/**
 * The subscriptions domain's writes, inside a caller's unit of work: billing events recorded once and
 * each subscription kept as the fold of all its events in their own time order. Everything here awaits
 * only the database; what the caller tells other domains (usage, messages, exit listeners) it does with
 * what these methods return.
 */
export class SubscriptionLedger {
  constructor(
    private readonly store: SubscriptionStore,
    private readonly catalog: ServiceCatalog,
    private readonly policies: ReadonlyMap<string, LifecyclePolicy>,
  ) {}

  /**
   * Records one operator notification and re-derives its subscription. A notification seen before
   * (same idempotency key) changes nothing: the event insert decides, so the same notification arriving
   * at two processes at once is applied by one of them only.
   */
  async applyOperatorEvent(o: OperatorEvent, tx: Tx): Promise<Applied> {
    const n = o.notification;
    // Scoped by service too: two platforms sharing the generic endpoint may reuse each other's ids.
    let externalId = n.eventId === null ? null : `${n.source}:${o.service.id}:${n.eventId}`;
    if (externalId) {
      const seen = await this.store.eventByExternal(externalId, tx);
      if (seen) return this.duplicate(seen.subscriptionId, tx);
    }
    // One read gives the subscription and the state a fold forward starts from.
    const found = await this.findOrCreate(o.subscriberId, o.service, o.now, o.newSubscriptionId, tx);
    const sub: SubscriptionHead = found.sub;
    if (!externalId) {
      // No id from the platform: additions and deletions alternate, so a repeat of the last type is a retry.
      if ((await this.store.lastTypeFromSource(sub.id, n.source, tx)) === n.type) return this.duplicate(sub.id, tx);
      externalId = `${n.source}:${sub.id}:${(await this.store.countFromSource(sub.id, n.source, tx)) + 1}`;
    }
    const eventId = await this.store.insertEvent(
      {
        subscriptionId: sub.id,
        source: n.source,
        externalId,
        type: n.type,
        at: n.at,
        receivedAt: o.now,
        amountMinor: o.amountMinor,
        currency: o.service.currency,
        reason: n.reason ?? null,
        nextRenewalAt: n.nextRenewalAt ?? null,
        autoRenew: n.autoRenew ?? null,
        detail: n.detail ?? null,
      },
      tx,
    );
    // Stored meanwhile by another process's unit, which committed first.
    if (eventId === null) return this.duplicate(sub.id, tx);
    const event: FoldEvent = { id: eventId, type: n.type, at: n.at, amountMinor: o.amountMinor, nextRenewalAt: n.nextRenewalAt ?? null, autoRenew: n.autoRenew ?? null };
    // A subscription created just now has this one event: no need to read it back.
    const stored = found.stored;
    const folded = stored
      ? ((await this.foldOn(stored, event, o.now, tx)) ?? (await this.refold(sub, o.now, tx)))
      : await this.refold(sub, o.now, tx, [{ ...event, flag: null }]);
    return { duplicate: false, sub, eventId, folded, derived: derivedUsage(sub, folded, o.now) };
  }

  /**
   * The subscription of a subscriber to a service with its stored state (`stored`, null when created
   * now), created empty (state `none`) when there is none. PostgreSQL: the row is locked for the unit.
   */
  async findOrCreate(subscriberId: number, service: Service, now: number, newId: () => string, tx: Tx): Promise<{ sub: SubscriptionHead; stored: SubscriptionWithState | null }> {
    const found = await this.store.findWithState(subscriberId, service.id, tx);
    if (found) return { sub: found, stored: found };
    const id = newId();
    if (await this.store.create(id, subscriberId, service.id, service.currency, now, tx)) {
      return { sub: { id, subscriberId, serviceId: service.id, state: 'none', evaluatedAt: now, nextRenewalAt: null, deadlineAt: null }, stored: null };
    }
    // Another process created it after our read and has committed: fold onto its row.
    const theirs = await this.store.findWithState(subscriberId, service.id, tx);
    if (!theirs) throw new Error(`subscription of subscriber ${subscriberId} to ${service.id} neither found nor created`);
    return { sub: theirs, stored: theirs };
  }

  /** Stores a subscriber's own request event (its key is fresh: never a duplicate). */
  async recordRequest(e: NewBillingEvent, tx: Tx): Promise<void> {
    if ((await this.store.insertEvent(e, tx)) === null) throw new Error(`request event ${e.externalId} stored twice`);
  }

  /**
   * Re-derives a subscription as of `now` (a deadline passed). Null when there is no such subscription;
   * a subscription whose service left the config keeps its state and is no longer evaluated.
   */
  async refresh(subscriptionId: string, now: number, tx: Tx): Promise<{ state: SubscriptionState; sub: SubscriptionHead; derived: UsageEvent[]; unconfigured: boolean } | null> {
    const sub = await this.store.head(subscriptionId, tx);
    if (!sub) return null;
    if (!this.policies.has(sub.serviceId)) {
      await this.store.clearDeadline(sub.id, tx);
      return { state: sub.state, sub, derived: [], unconfigured: true };
    }
    const f = await this.refold(sub, now, tx);
    return { state: f.state, sub, derived: derivedUsage(sub, f, now), unconfigured: false };
  }

  /** Folds all events of the subscription as of `now` (`known`: the caller holds them all) and saves the result. */
  async refold(sub: SubscriptionHead, now: number, tx: Tx, known?: FoldRow[]): Promise<Folded> {
    const policy = this.policies.get(sub.serviceId);
    if (!policy) throw badRequest('UNKNOWN_SERVICE', `Service "${sub.serviceId}" is no longer configured (known: ${this.catalog.known()}).`);
    const rows = known ?? (await this.store.foldRows(sub.id, tx));
    const f = foldSubscription(rows.map(toFoldEvent), policy, now);
    await this.store.save(sub, f, new Map(rows.map((r) => [r.id, r.flag])), now, now, tx);
    return f;
  }

  /**
   * The common case at a cost independent of the history: the new event is the latest by its time and
   * the stored state has no timed move at or after it, so the stored state is folded forward with this
   * one event and saved. Null when that would not equal the full fold: the caller folds everything.
   */
  private async foldOn(sub: SubscriptionWithState, e: FoldEvent, now: number, tx: Tx): Promise<Folded | null> {
    const policy = this.policies.get(sub.serviceId);
    if (!policy || !canFoldForward(sub, e, policy)) return null;
    const f = foldForward(sub, e, policy, now);
    await this.store.save(sub, f, new Map([[e.id, null]]), now, now, tx, sub.flags);
    return f;
  }

  private async duplicate(subscriptionId: string, tx: Tx): Promise<Applied> {
    const sub = await this.store.head(subscriptionId, tx);
    return { duplicate: true, subscriptionId, state: sub?.state ?? 'none' };
  }
}

/** A `billing` usage event for each transition that time alone caused since the previous evaluation. */
export function derivedUsage(sub: SubscriptionHead, f: Folded, now: number): UsageEvent[] {
  return f.transitions
    .filter((t) => t.eventId === null && t.at > sub.evaluatedAt && t.at <= now)
    .map((t) => ({
      at: t.at,
      subscriberId: sub.subscriberId,
      channel: 'billing' as const,
      type: 'billing' as const,
      detail: { event: t.to, serviceId: sub.serviceId, subscriptionId: sub.id, source: 'lifecycle', reason: t.cause, from: t.from, state: t.to },
    }));
}
