import type { Config } from '../config';
import type { Db } from '../db/client';
import { tx } from '../db/client';
import type { Clock } from '../lib/clock';
import { badRequest, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { EnqueueResult, MessagingPort } from '../messaging/types';
import type { OperatorDirectory } from '../subscribers/operators';
import type { Subscriber, SubscriberService } from '../subscribers/subscriber-service';
import type { UsageChannel, UsageLog } from '../usage/usage-log';
import { canFoldForward, foldForward, foldSubscription, lifecyclePolicy, type FoldEvent, type Folded, type LifecyclePolicy } from './lifecycle';
import { RequestQueue } from './request-queue';
import { ServiceCatalog } from './service-catalog';
import { SubscriptionRepo, toFoldEvent, type FoldRow, type SubscriptionHead, type SubscriptionWithState } from './subscription-repo';
import { SubscriptionViews } from './subscription-views';
import { fill, pickText, serviceVars } from './texts';
import type { BillingNotification, IngestResult, Service, SubscriptionProvider, SubscriptionState } from './types';

export interface SubscriptionServiceDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  config: Pick<Config, 'services' | 'billing' | 'defaults' | 'messaging'>;
  subscribers: Pick<SubscriberService, 'findById' | 'ensure'>;
  usage: Pick<UsageLog, 'record'>;
  operators: Pick<OperatorDirectory, 'timezoneOf'>;
  messaging: Pick<MessagingPort, 'enqueue'>;
  /** Request worker poll interval (ms), for tests. */
  requestPollMs?: number;
}

/** What a subscriber's subscribe/unsubscribe request led to. */
export interface RequestOutcome {
  status: 'requested' | 'already_subscribed' | 'not_subscribed';
  subscriptionId: string;
  state: SubscriptionState;
  /** The operator API call queued, if a provider handles the service. */
  providerRequestId: string | null;
}

/**
 * A subscriber leaving a service: their own request (USSD, IVR, an SMS STOP keyword) once accepted, or
 * the operator's deletion. Told once per event; listeners dedupe a request and its later confirmation.
 */
export interface ExitEvent {
  subscriberId: number;
  serviceId: string;
  subscriptionId: string;
  /** sms | ussd | ivr (the subscriber's request) or billing (the operator's notification). */
  channel: UsageChannel | 'billing';
  at: number;
  /** Start of the run that ends (null when no start is known). */
  runStartedAt: number | null;
}
export type ExitListener = (e: ExitEvent) => void;

const LIVE: readonly SubscriptionState[] = ['active', 'grace', 'suspended'];
const toMinor = (amount: number): number => Math.round(amount * 100);

/**
 * Subscriptions: ingests operator billing notifications (idempotent), records subscriber requests,
 * and keeps each subscription's state as the fold of all its events in their own time order.
 * Every event is also a `billing` usage event. The operator's notification stays the source of truth
 * for charging: our requests only move a subscription to `pending` (or cancel an unconfirmed one).
 */
export class SubscriptionService {
  readonly catalog: ServiceCatalog;
  readonly requests: RequestQueue;
  /** Read side for the API and the subscriber view. */
  readonly views: SubscriptionViews;
  private readonly repo: SubscriptionRepo;
  private readonly providers: SubscriptionProvider[] = [];
  private readonly log: Logger;
  private readonly policies = new Map<string, LifecyclePolicy>();
  private readonly exitListeners: ExitListener[] = [];

  constructor(private readonly d: SubscriptionServiceDeps) {
    this.catalog = new ServiceCatalog(d.config.services);
    this.repo = new SubscriptionRepo(d.db);
    this.log = d.log.child({ comp: 'subscriptions' });
    const b = d.config.billing;
    for (const s of this.catalog.all()) {
      this.policies.set(s.id, lifecyclePolicy(s.period, { graceDays: s.graceDays ?? b.graceDays, suspendDays: s.suspendDays ?? b.suspendDays, missedRenewalHours: b.missedRenewalHours }));
    }
    this.requests = new RequestQueue({
      db: d.db,
      clock: d.clock,
      log: d.log,
      metrics: d.metrics,
      catalog: this.catalog,
      providers: () => this.providers,
      maxAttempts: b.requests.maxAttempts,
      retryBaseMs: b.requests.retryBaseSeconds * 1000,
      ...(d.requestPollMs !== undefined ? { pollMs: d.requestPollMs } : {}),
    });
    this.views = new SubscriptionViews(this.repo, this.catalog, (id) => this.requests.forSubscription(id));
    d.metrics.gauge('subscriptions', 'Subscriptions by lifecycle state', ['state'], (g) => {
      g.reset();
      for (const r of this.repo.countByState()) g.set({ state: r.state }, r.n);
    });
  }

  /** Adds an operator subscription API (called by a channel at start-up). */
  attachProvider(p: SubscriptionProvider): void {
    this.providers.push(p);
  }

  /** Listens to exits (exit reasons); a listener that throws is logged and never undoes the exit. */
  onExit(listener: ExitListener): void {
    this.exitListeners.push(listener);
  }

  /** The data access object (for the lifecycle job and views). */
  get store(): SubscriptionRepo {
    return this.repo;
  }

  /**
   * Records one operator notification and re-derives the subscription. A notification seen before
   * (same source and event id) changes nothing and is reported as a duplicate.
   */
  ingest(n: BillingNotification): IngestResult {
    const service = this.catalog.require(n.serviceId);
    if (n.currency && n.currency.toUpperCase() !== service.currency) {
      throw badRequest('CURRENCY_MISMATCH', `currency ${n.currency.slice(0, 8)} does not match ${service.id}, which is sold in ${service.currency}.`);
    }
    const charge = n.type === 'subscribed' || n.type === 'renewed';
    const amountMinor = n.amount != null ? toMinor(n.amount) : charge ? toMinor(service.price) : null;
    const now = this.d.clock.now();
    return this.inTx(() => {
      // Scoped by service too: two platforms sharing the generic endpoint may reuse each other's ids.
      let externalId = n.eventId === null ? null : `${n.source}:${service.id}:${n.eventId}`;
      if (externalId) {
        const seen = this.repo.eventByExternal(externalId);
        if (seen) return this.duplicate(seen.subscriptionId);
      }
      const subscriber = this.d.subscribers.ensure(n.msisdn, { operator: n.operator ?? null, at: now, touch: false });
      // One read gives the subscription and the state a fold forward starts from.
      const found = this.repo.findWithState(subscriber.id, service.id);
      const sub: SubscriptionHead = found ?? this.repo.create(newId('sub', now), subscriber.id, service.id, service.currency, now);
      if (!externalId) {
        // No id from the platform: additions and deletions alternate, so a repeat of the last type is a retry.
        if (this.repo.lastTypeFromSource(sub.id, n.source) === n.type) return this.duplicate(sub.id);
        externalId = `${n.source}:${sub.id}:${this.repo.countFromSource(sub.id, n.source) + 1}`;
      }
      const eventId = this.repo.insertEvent({
        subscriptionId: sub.id,
        source: n.source,
        externalId,
        type: n.type,
        at: n.at,
        receivedAt: now,
        amountMinor,
        currency: service.currency,
        reason: n.reason ?? null,
        nextRenewalAt: n.nextRenewalAt ?? null,
        autoRenew: n.autoRenew ?? null,
        detail: n.detail ?? null,
      });
      const event: FoldEvent = { id: eventId, type: n.type, at: n.at, amountMinor, nextRenewalAt: n.nextRenewalAt ?? null, autoRenew: n.autoRenew ?? null };
      // A subscription created just now has this one event: no need to read it back.
      const f = found ? (this.foldOn(found, event, now) ?? this.refold(sub, now)) : this.refold(sub, now, [{ ...event, flag: null }]);
      const flag = f.flags.get(eventId) ?? null;
      this.d.usage.record([
        {
          at: n.at,
          subscriberId: subscriber.id,
          channel: 'billing',
          type: 'billing',
          detail: {
            event: n.type,
            serviceId: service.id,
            subscriptionId: sub.id,
            source: n.source,
            state: f.state,
            ...(amountMinor !== null ? { amount: amountMinor / 100, currency: service.currency } : {}),
            ...(n.reason ? { reason: n.reason } : {}),
            ...(flag ? { flag } : {}),
          },
        },
      ]);
      if (flag) this.log.warn({ msisdn: n.msisdn, service: service.id, event: n.type, flag }, 'impossible billing transition recorded');
      if (n.type === 'unsubscribed' && f.state === 'cancelled' && !flag) {
        this.exited({ subscriberId: subscriber.id, serviceId: service.id, subscriptionId: sub.id, channel: 'billing', at: now, runStartedAt: f.subscribedAt });
      }
      return { duplicate: false, subscriptionId: sub.id, state: f.state, flag };
    });
  }

  /** The subscriber asks to subscribe (USSD action, SMS keyword): record, confirm, ask the operator. */
  requestSubscribe(subscriberId: number, serviceId: string, channel: UsageChannel): RequestOutcome {
    return this.request('subscribe', subscriberId, serviceId, channel);
  }

  /** The subscriber asks to stop. Always recorded and always passed to the operator: STOP must work. */
  requestUnsubscribe(subscriberId: number, serviceId: string, channel: UsageChannel): RequestOutcome {
    return this.request('unsubscribe', subscriberId, serviceId, channel);
  }

  /** Re-derives a subscription as of now (the lifecycle job calls this when a deadline passes). */
  refresh(subscriptionId: string): SubscriptionState | null {
    return this.inTx(() => {
      const sub = this.repo.head(subscriptionId);
      if (!sub) return null;
      if (!this.policies.has(sub.serviceId)) {
        // The service was removed from config: keep what we knew, stop evaluating it.
        this.repo.clearDeadline(sub.id);
        this.log.warn({ service: sub.serviceId }, 'subscription of an unconfigured service left as it was');
        return sub.state;
      }
      return this.refold(sub, this.d.clock.now()).state;
    });
  }

  private request(action: 'subscribe' | 'unsubscribe', subscriberId: number, serviceId: string, channel: UsageChannel): RequestOutcome {
    const service = this.catalog.require(serviceId);
    return this.inTx(() => {
      const now = this.d.clock.now();
      const subscriber = this.d.subscribers.findById(subscriberId);
      if (!subscriber) throw notFound('SUBSCRIBER_NOT_FOUND', `No subscriber with id ${subscriberId}.`);
      const sub = this.repo.find(subscriber.id, service.id) ?? this.repo.create(newId('sub', now), subscriber.id, service.id, service.currency, now);
      const before = sub.state;
      const texts = this.d.config.billing.texts;
      let status: RequestOutcome['status'];
      let text: Record<string, string>;
      if (action === 'subscribe') {
        status = LIVE.includes(before) ? 'already_subscribed' : 'requested';
        text = status === 'requested' ? texts.subscribeRequested : texts.alreadySubscribed;
      } else {
        status = LIVE.includes(before) || before === 'pending' ? 'requested' : 'not_subscribed';
        text = status === 'requested' ? texts.unsubscribeRequested : texts.notSubscribed;
      }
      const record = action === 'unsubscribe' || status === 'requested';
      let state = before;
      let providerRequestId: string | null = null;
      let exit: ExitEvent | null = null;
      if (record) {
        const type = action === 'subscribe' ? 'subscribe_requested' : 'unsubscribe_requested';
        this.repo.insertEvent({
          subscriptionId: sub.id,
          source: 'request',
          externalId: `request:${newId('req', now)}`,
          type,
          at: now,
          receivedAt: now,
          amountMinor: null,
          currency: null,
          reason: null,
          nextRenewalAt: null,
          autoRenew: null,
          detail: { channel },
        });
        const f = this.refold(sub, now);
        state = f.state;
        if (action === 'unsubscribe' && status === 'requested') exit = { subscriberId: subscriber.id, serviceId: service.id, subscriptionId: sub.id, channel, at: now, runStartedAt: f.subscribedAt };
        const provider = this.providers.find((p) => p.handles(service));
        if (provider) providerRequestId = this.requests.enqueue(sub.id, action, provider.name);
      }
      const message = this.confirm(subscriber, service, text, sub.id);
      this.d.usage.record([
        {
          at: now,
          subscriberId: subscriber.id,
          channel,
          type: 'billing',
          detail: {
            event: `${action}_requested`,
            serviceId: service.id,
            subscriptionId: sub.id,
            outcome: status,
            state,
            messageId: message.id,
            ...(providerRequestId ? { operatorRequest: providerRequestId } : {}),
          },
        },
      ]);
      // After the confirmation is queued: whatever listeners do comes after the STOP is accepted.
      if (exit) this.exited(exit);
      return { status, subscriptionId: sub.id, state, providerRequestId };
    });
  }

  /** Tells the exit listeners, each in its own savepoint: a failing one rolls back alone. */
  private exited(e: ExitEvent): void {
    for (const listener of this.exitListeners) {
      try {
        tx(this.d.db, () => listener(e));
      } catch (err) {
        this.log.error({ err, service: e.serviceId }, 'exit listener failed; the exit itself stands');
      }
    }
  }

  /** A transactional SMS to the subscriber who just asked (no quiet hours: they are awake and waiting). */
  private confirm(subscriber: Subscriber, service: Service, text: Record<string, string>, subscriptionId: string): EnqueueResult {
    const cfg = this.d.config;
    const body = fill(pickText(text, subscriber.language, cfg.defaults.language), serviceVars(service, subscriber.language, cfg));
    return this.d.messaging.enqueue({
      to: subscriber.msisdn,
      text: body,
      kind: 'transactional',
      source: 'subscription',
      sourceRef: subscriptionId,
      ...(service.shortCode ? { from: service.shortCode } : {}),
    });
  }

  private duplicate(subscriptionId: string): IngestResult {
    const sub = this.repo.head(subscriptionId);
    return { duplicate: true, subscriptionId, state: sub?.state ?? 'none', flag: null };
  }

  /**
   * Folds all events of the subscription as of `now` (`known`: the caller holds them all), saves the
   * result, and logs a `billing` usage event for each transition that time alone caused since the
   * previous evaluation.
   */
  private refold(sub: SubscriptionHead, now: number, known?: FoldRow[]): Folded {
    const policy = this.policies.get(sub.serviceId);
    if (!policy) throw badRequest('UNKNOWN_SERVICE', `Service "${sub.serviceId}" is no longer configured (known: ${this.catalog.known()}).`);
    const rows = known ?? this.repo.foldRows(sub.id);
    const f = foldSubscription(rows.map(toFoldEvent), policy, now);
    this.repo.save(sub, f, new Map(rows.map((r) => [r.id, r.flag])), now, now);
    this.recordDerived(sub, f, now);
    return f;
  }

  /** A `billing` usage event for each transition that time alone caused since the previous evaluation. */
  private recordDerived(sub: SubscriptionHead, f: Folded, now: number): void {
    const derived = f.transitions.filter((t) => t.eventId === null && t.at > sub.evaluatedAt && t.at <= now);
    if (derived.length > 0) {
      this.d.usage.record(
        derived.map((t) => ({
          at: t.at,
          subscriberId: sub.subscriberId,
          channel: 'billing' as const,
          type: 'billing' as const,
          detail: { event: t.to, serviceId: sub.serviceId, subscriptionId: sub.id, source: 'lifecycle', reason: t.cause, from: t.from, state: t.to },
        })),
      );
    }
  }

  /**
   * The common case at a cost independent of the history: the new event is the latest by its time
   * and the stored state has no timed move at or after it, so the stored state is folded forward
   * with this one event and saved. Null when that would not equal the full fold (an event out of
   * order, one landing before a timed move already applied): the caller folds everything.
   */
  private foldOn(sub: SubscriptionWithState, e: FoldEvent, now: number): Folded | null {
    const policy = this.policies.get(sub.serviceId);
    if (!policy || !canFoldForward(sub, e, policy)) return null;
    const f = foldForward(sub, e, policy, now);
    this.repo.save(sub, f, new Map([[e.id, null]]), now, now, sub.flags);
    this.recordDerived(sub, f, now);
    return f;
  }

  /** Runs `fn` in a write transaction, or inside the caller's (a USSD hop, an MO) when one is open. */
  private inTx<T>(fn: () => T): T {
    return this.repo.atomically(fn);
  }
}
