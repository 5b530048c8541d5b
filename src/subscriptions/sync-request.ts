import type { Db } from '../db/client';
import { tx } from '../db/client';
import { badRequest, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { Subscriber, SubscriberService } from '../subscribers/subscriber-service';
import type { UsageChannel, UsageEvent, UsageLog } from '../usage/usage-log';
import { foldSubscription, type LifecyclePolicy } from './lifecycle';
import type { RequestQueue } from './request-queue';
import { decideRequest, requestEvent } from './request-decision';
import type { ServiceCatalog } from './service-catalog';
import { SubscriptionRepo, toFoldEvent } from './subscription-repo';
import { derivedUsage } from './subscription-ledger';
import type { ExitEvent, RequestOutcome } from './subscription-service';
import type { Service, SubscriptionProvider } from './types';

/** What the synchronous request path needs of the subscriptions service. */
export interface SyncRequestDeps {
  db: Db;
  log: Logger;
  catalog: ServiceCatalog;
  policies: ReadonlyMap<string, LifecyclePolicy>;
  texts: Parameters<typeof decideRequest>[2];
  subscribers: Pick<SubscriberService, 'findById'>;
  usage: Pick<UsageLog, 'record'>;
  requests: Pick<RequestQueue, 'enqueue'>;
  providers: () => readonly SubscriptionProvider[];
  confirm: (subscriber: Subscriber, service: Service, text: Record<string, string>, subscriptionId: string) => { id: number | string };
  listeners: () => ReadonlyArray<(e: ExitEvent) => unknown>;
  requestUsage: (r: { at: number; subscriberId: number; channel: UsageChannel; action: 'subscribe' | 'unsubscribe'; service: Service; subscriptionId: string; outcome: RequestOutcome['status']; state: string; messageId: number | string; providerRequestId: string | null }) => UsageEvent;
}

/**
 * A subscriber's subscribe/unsubscribe request made synchronously, inside the caller's SQLite
 * transaction: kept only for the areas that still call it that way (USSD/IVR session effects, SMS
 * keywords through the MO interceptor) until they run on units of work and call
 * `SubscriptionService.requestSubscribeIn` / `requestUnsubscribeIn` with their unit's `tx`. Same
 * decisions as the unit form (src/subscriptions/request-decision.ts).
 */
export class SyncRequests {
  private readonly repo: SubscriptionRepo;

  constructor(private readonly d: SyncRequestDeps) {
    this.repo = new SubscriptionRepo(d.db);
  }

  /** Records the request, confirms it by SMS, and queues the operator call. */
  request(action: 'subscribe' | 'unsubscribe', subscriberId: number, serviceId: string, channel: UsageChannel, now: number): RequestOutcome {
    const service = this.d.catalog.require(serviceId);
    return this.repo.atomically(() => {
      const subscriber = this.d.subscribers.findById(subscriberId);
      if (!subscriber) throw notFound('SUBSCRIBER_NOT_FOUND', `No subscriber with id ${subscriberId}.`);
      const sub = this.repo.find(subscriber.id, service.id) ?? this.repo.create(newId('sub', now), subscriber.id, service.id, service.currency, now);
      const decision = decideRequest(action, sub.state, this.d.texts);
      let state = sub.state;
      let providerRequestId: string | null = null;
      let exit: ExitEvent | null = null;
      if (decision.record) {
        this.repo.insertEvent(requestEvent(sub.id, action, channel, now));
        const policy = this.d.policies.get(sub.serviceId);
        if (!policy) throw badRequest('UNKNOWN_SERVICE', `Service "${sub.serviceId}" is no longer configured (known: ${this.d.catalog.known()}).`);
        const rows = this.repo.foldRows(sub.id);
        const f = foldSubscription(rows.map(toFoldEvent), policy, now);
        this.repo.save(sub, f, new Map(rows.map((r) => [r.id, r.flag])), now, now);
        const derived = derivedUsage(sub, f, now);
        if (derived.length > 0) this.d.usage.record(derived);
        state = f.state;
        if (action === 'unsubscribe' && decision.status === 'requested') exit = { subscriberId: subscriber.id, serviceId: service.id, subscriptionId: sub.id, channel, at: now, runStartedAt: f.subscribedAt };
        const provider = this.d.providers().find((p) => p.handles(service));
        if (provider) providerRequestId = this.d.requests.enqueue(sub.id, action, provider.name);
      }
      const message = this.d.confirm(subscriber, service, decision.text, sub.id);
      this.d.usage.record([
        this.d.requestUsage({ at: now, subscriberId: subscriber.id, channel, action, service, subscriptionId: sub.id, outcome: decision.status, state, messageId: message.id, providerRequestId }),
      ]);
      // After the confirmation is queued: whatever listeners do comes after the STOP is accepted.
      if (exit) this.exited(exit);
      return { status: decision.status, subscriptionId: sub.id, state, providerRequestId };
    });
  }

  /** Tells the exit listeners, each in its own savepoint: a failing one rolls back alone. */
  private exited(e: ExitEvent): void {
    for (const listener of this.d.listeners()) {
      try {
        tx(this.d.db, () => listener(e));
      } catch (err) {
        this.d.log.error({ err, service: e.serviceId }, 'exit listener failed; the exit itself stands');
      }
    }
  }
}
