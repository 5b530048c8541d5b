import type { Config } from '../config';
import type { Database, Tx, UnitOfWork } from '../db/database';
import type { Clock } from '../lib/clock';
import { badRequest, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { EnqueueRequest, EnqueueResult } from '../messaging/types';
import type { OperatorDirectory } from '../subscribers/operators';
import type { Subscriber, SubscriberService } from '../subscribers/subscriber-service';
import type { UsageChannel, UsageEvent, UsageLog } from '../usage/usage-log';
import { lifecyclePolicy, type LifecyclePolicy } from './lifecycle';
import { decideRequest, requestEvent } from './request-decision';
import { RequestQueue } from './request-queue';
import { ServiceCatalog } from './service-catalog';
import { SubscriptionLedger, derivedUsage } from './subscription-ledger';
import { SubscriptionStore } from './subscription-store';
import { SubscriptionViews } from './subscription-views';
import { fill, pickText, serviceVars } from './texts';
import type { BillingNotification, IngestResult, Service, SubscriptionProvider, SubscriptionState } from './types';
import { inSavepoint } from '../db/savepoint';

export interface SubscriptionServiceDeps {
  /** The two-engine database every store of this domain is written against. */
  database: Database;
  /** Units of work (the group commit on SQLite): each write of this domain is one. */
  units: UnitOfWork;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  config: Pick<Config, 'services' | 'billing' | 'defaults' | 'messaging'>;
  subscribers: Pick<SubscriberService, 'findByIdIn' | 'ensureIn'>;
  usage: Pick<UsageLog, 'recordIn'>;
  operators: Pick<OperatorDirectory, 'timezoneOf'>;
  messaging: { enqueueIn(req: EnqueueRequest, tx: Tx): Promise<EnqueueResult> };
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
/**
 * Told of an exit inside the unit that records it (`tx`; absent on the synchronous request path), in a
 * savepoint of its own: a listener that throws is logged and rolls back alone, never undoing the exit.
 */
export type ExitListener = (e: ExitEvent, tx: Tx) => unknown;

const toMinor = (amount: number): number => Math.round(amount * 100);

/**
 * Subscriptions: ingests operator billing notifications (idempotent), records subscriber requests,
 * and keeps each subscription's state as the fold of all its events in their own time order.
 * Every event is also a `billing` usage event. The operator's notification stays the source of truth
 * for charging: our requests only move a subscription to `pending` (or cancel an unconfirmed one).
 * Each write is one unit of work, resolved once durable.
 */
export class SubscriptionService {
  readonly catalog: ServiceCatalog;
  readonly requests: RequestQueue;
  /** Read side for the API and the subscriber view. */
  readonly views: SubscriptionViews;
  private readonly repo: SubscriptionStore;
  private readonly ledger: SubscriptionLedger;
  private readonly providers: SubscriptionProvider[] = [];
  private readonly log: Logger;
  private readonly policies = new Map<string, LifecyclePolicy>();
  private readonly exitListeners: ExitListener[] = [];

  constructor(private readonly d: SubscriptionServiceDeps) {
    this.catalog = new ServiceCatalog(d.config.services);
    this.repo = new SubscriptionStore(d.database);
    this.log = d.log.child({ comp: 'subscriptions' });
    const b = d.config.billing;
    for (const s of this.catalog.all()) {
      this.policies.set(s.id, lifecyclePolicy(s.period, { graceDays: s.graceDays ?? b.graceDays, suspendDays: s.suspendDays ?? b.suspendDays, missedRenewalHours: b.missedRenewalHours }));
    }
    this.ledger = new SubscriptionLedger(this.repo, this.catalog, this.policies);
    this.requests = new RequestQueue({
      database: d.database,
      units: d.units,
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
    d.metrics.gauge('subscriptions', 'Subscriptions by lifecycle state', ['state'], async (g) => {
      g.reset();
      try {
        for (const r of await this.repo.countByState()) g.set({ state: r.state }, r.n);
      } catch (err) {
        // A scrape during shutdown, or a database that does not answer: no figures rather than a failed scrape.
        this.log.warn({ err }, 'subscriptions by state could not be read');
      }
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
  get store(): SubscriptionStore {
    return this.repo;
  }

  /**
   * Records one operator notification and re-derives the subscription, as one unit of work resolved
   * once durable. A notification seen before (same source and event id) changes nothing and is
   * reported as a duplicate, also when two processes receive it at once.
   */
  async ingest(n: BillingNotification): Promise<IngestResult> {
    return this.d.units.unit((tx) => this.ingestIn(n, tx));
  }

  /** {@link ingest} inside the caller's unit `tx`. */
  async ingestIn(n: BillingNotification, tx: Tx): Promise<IngestResult> {
    const service = this.catalog.require(n.serviceId);
    if (n.currency && n.currency.toUpperCase() !== service.currency) {
      throw badRequest('CURRENCY_MISMATCH', `currency ${n.currency.slice(0, 8)} does not match ${service.id}, which is sold in ${service.currency}.`);
    }
    const charge = n.type === 'subscribed' || n.type === 'renewed';
    const amountMinor = n.amount != null ? toMinor(n.amount) : charge ? toMinor(service.price) : null;
    const now = this.d.clock.now();
    const subscriber = await this.d.subscribers.ensureIn(tx, n.msisdn, { operator: n.operator ?? null, at: now, touch: false });
    const applied = await this.ledger.applyOperatorEvent({ notification: n, service, subscriberId: subscriber.id, amountMinor, now, newSubscriptionId: () => newId('sub', now) }, tx);
    if (applied.duplicate) return { duplicate: true, subscriptionId: applied.subscriptionId, state: applied.state, flag: null };
    const { sub, folded: f } = applied;
    const flag = f.flags.get(applied.eventId) ?? null;
    const event: UsageEvent = {
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
    };
    await this.d.usage.recordIn(tx, applied.derived.length > 0 ? [...applied.derived, event] : [event]);
    if (flag) this.log.warn({ msisdn: n.msisdn, service: service.id, event: n.type, flag }, 'impossible billing transition recorded');
    if (n.type === 'unsubscribed' && f.state === 'cancelled' && !flag) {
      await this.exited({ subscriberId: subscriber.id, serviceId: service.id, subscriptionId: sub.id, channel: 'billing', at: now, runStartedAt: f.subscribedAt }, tx);
    }
    return { duplicate: false, subscriptionId: sub.id, state: f.state, flag };
  }

  /** The subscriber asks to subscribe, inside the caller's unit `tx`: record, confirm, ask the operator. */
  requestSubscribeIn(subscriberId: number, serviceId: string, channel: UsageChannel, tx: Tx): Promise<RequestOutcome> {
    return this.request('subscribe', subscriberId, serviceId, channel, tx);
  }

  /** The subscriber asks to stop, inside the caller's unit `tx`. Always recorded and passed to the operator. */
  requestUnsubscribeIn(subscriberId: number, serviceId: string, channel: UsageChannel, tx: Tx): Promise<RequestOutcome> {
    return this.request('unsubscribe', subscriberId, serviceId, channel, tx);
  }

  /** Re-derives a subscription as of now, as one unit (the lifecycle job calls this when a deadline passes). */
  async refresh(subscriptionId: string): Promise<SubscriptionState | null> {
    return this.d.units.unit((tx) => this.refreshIn(subscriptionId, tx));
  }

  /** {@link refresh} inside the caller's unit `tx`. */
  async refreshIn(subscriptionId: string, tx: Tx): Promise<SubscriptionState | null> {
    const r = await this.ledger.refresh(subscriptionId, this.d.clock.now(), tx);
    if (!r) return null;
    // The service was removed from config: keep what we knew, stop evaluating it.
    if (r.unconfigured) this.log.warn({ service: r.sub.serviceId }, 'subscription of an unconfigured service left as it was');
    if (r.derived.length > 0) await this.d.usage.recordIn(tx, r.derived);
    return r.state;
  }

  private async request(action: 'subscribe' | 'unsubscribe', subscriberId: number, serviceId: string, channel: UsageChannel, tx: Tx): Promise<RequestOutcome> {
    const service = this.catalog.require(serviceId);
    const now = this.d.clock.now();
    const subscriber = await this.d.subscribers.findByIdIn(tx, subscriberId);
    if (!subscriber) throw notFound('SUBSCRIBER_NOT_FOUND', `No subscriber with id ${subscriberId}.`);
    const { sub } = await this.ledger.findOrCreate(subscriber.id, service, now, () => newId('sub', now), tx);
    const decision = decideRequest(action, sub.state, this.d.config.billing.texts);
    let state = sub.state;
    let providerRequestId: string | null = null;
    let exit: ExitEvent | null = null;
    if (decision.record) {
      await this.ledger.recordRequest(
        requestEvent(sub.id, action, channel, now),
        tx,
      );
      const f = await this.ledger.refold(sub, now, tx);
      const derived = derivedUsage(sub, f, now);
      if (derived.length > 0) await this.d.usage.recordIn(tx, derived);
      state = f.state;
      if (action === 'unsubscribe' && decision.status === 'requested') exit = { subscriberId: subscriber.id, serviceId: service.id, subscriptionId: sub.id, channel, at: now, runStartedAt: f.subscribedAt };
      const provider = this.providers.find((p) => p.handles(service));
      if (provider) {
        providerRequestId = await this.requests.enqueueIn(sub.id, action, provider.name, tx);
        // The worker's claim is a unit of its own, after this one; on PostgreSQL a claim that runs before
        // this unit commits does not see the request yet, and the next poll takes it.
        this.requests.wake();
      }
    }
    const message = await this.confirmIn(tx, subscriber, service, decision.text, sub.id);
    await this.d.usage.recordIn(tx, [requestUsage({ at: now, subscriberId: subscriber.id, channel, action, service, subscriptionId: sub.id, outcome: decision.status, state, messageId: message.id, providerRequestId })]);
    // After the confirmation is queued: whatever listeners do comes after the STOP is accepted.
    if (exit) await this.exited(exit, tx);
    return { status: decision.status, subscriptionId: sub.id, state, providerRequestId };
  }

  /** Tells the exit listeners, each in its own savepoint of the unit: a failing one rolls back alone. */
  private async exited(e: ExitEvent, tx: Tx): Promise<void> {
    for (const listener of this.exitListeners) {
      try {
        // joins this unit on SQLite; takes the unit's tx once exit reasons are converted
        await inSavepoint(tx, 'subscription_step', () => listener(e, tx));
      } catch (err) {
        this.log.error({ err, service: e.serviceId }, 'exit listener failed; the exit itself stands');
      }
    }
  }

  private confirmIn(tx: Tx, subscriber: Subscriber, service: Service, text: Record<string, string>, subscriptionId: string): Promise<EnqueueResult> {
    return this.d.messaging.enqueueIn(this.confirmation(subscriber, service, text, subscriptionId), tx);
  }

  /** A transactional SMS to the subscriber who just asked (no quiet hours: they are awake and waiting). */
  private confirmation(subscriber: Subscriber, service: Service, text: Record<string, string>, subscriptionId: string): EnqueueRequest {
    const cfg = this.d.config;
    const body = fill(pickText(text, subscriber.language, cfg.defaults.language), serviceVars(service, subscriber.language, cfg));
    return {
      to: subscriber.msisdn,
      text: body,
      kind: 'transactional',
      source: 'subscription',
      sourceRef: subscriptionId,
      ...(service.shortCode ? { from: service.shortCode } : {}),
    };
  }
}

/** The `billing` usage event of a subscriber's request. */
function requestUsage(r: {
  at: number;
  subscriberId: number;
  channel: UsageChannel;
  action: 'subscribe' | 'unsubscribe';
  service: Service;
  subscriptionId: string;
  outcome: RequestOutcome['status'];
  state: string;
  messageId: number | string;
  providerRequestId: string | null;
}): UsageEvent {
  return {
    at: r.at,
    subscriberId: r.subscriberId,
    channel: r.channel,
    type: 'billing',
    detail: {
      event: `${r.action}_requested`,
      serviceId: r.service.id,
      subscriptionId: r.subscriptionId,
      outcome: r.outcome,
      state: r.state,
      messageId: r.messageId,
      ...(r.providerRequestId ? { operatorRequest: r.providerRequestId } : {}),
    },
  };
}
