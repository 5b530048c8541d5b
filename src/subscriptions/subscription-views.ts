import { iso } from '../lib/clock';
import { notFound } from '../lib/errors';
import type { ServiceCatalog } from './service-catalog';
import type { BillingEvent, Subscription } from './subscription-repo';
import type { SubscriptionStore } from './subscription-store';
import type { SubscriptionState } from './types';

/** The public JSON shape of a subscription (API, subscriber view). */
export function subscriptionJson(row: Subscription, catalog: ServiceCatalog): Record<string, unknown> {
  return {
    id: row.id,
    serviceId: row.serviceId,
    serviceName: catalog.byId(row.serviceId)?.name ?? null,
    state: row.state,
    stateSince: iso(row.stateEnteredAt),
    enteredAt: Object.fromEntries(Object.entries(row.entered).map(([k, v]) => [k, iso(v)])),
    subscribedAt: iso(row.subscribedAt),
    renewals: row.renewals,
    consecutiveFailures: row.consecutiveFailures,
    lastChargedAt: iso(row.lastChargedAt),
    nextRenewalAt: iso(row.nextRenewalAt),
    autoRenew: row.autoRenew,
    revenue: { amount: row.revenueMinor / 100, currency: row.currency },
    pendingAction: row.pendingAction,
    flaggedEvents: row.flags,
    lastEventAt: iso(row.lastEventAt),
  };
}

/** One stored billing event in the API's shape. */
export function billingEventJson(r: BillingEvent): Record<string, unknown> {
  return {
    id: r.id,
    at: iso(r.at),
    receivedAt: iso(r.receivedAt),
    type: r.type,
    source: r.source,
    ...(r.amountMinor !== null ? { amount: r.amountMinor / 100, currency: r.currency } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.nextRenewalAt !== null ? { nextRenewalAt: iso(r.nextRenewalAt) } : {}),
    flag: r.flag,
    ...(r.detail ? { detail: r.detail } : {}),
  };
}

/** The list's filters, already checked and coerced by the route's schema (src/api/subscriptions.ts). */
export interface ListQuery {
  state?: string | undefined;
  service?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Read side of subscriptions for the API: validated filters, cursor paging, per-subscriber lists. */
export class SubscriptionViews {
  constructor(
    private readonly repo: SubscriptionStore,
    private readonly catalog: ServiceCatalog,
    private readonly operatorRequests: (subscriptionId: string) => Promise<Record<string, unknown>[]>,
  ) {}

  /** A page of subscriptions filtered by state and service; `nextCursor` is null on the last page. */
  async list(q: ListQuery): Promise<{ items: Record<string, unknown>[]; nextCursor: string | null }> {
    // The configured services are known only here; state, limit and cursor were checked by the schema.
    if (q.service !== undefined) this.catalog.require(q.service);
    const limit = q.limit;
    // The route's schema admits only the visible states.
    const rows = await this.repo.list({ state: q.state as SubscriptionState | undefined, serviceId: q.service, after: q.cursor, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({ msisdn: r.msisdn, ...subscriptionJson(r, this.catalog) })),
      nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
    };
  }

  /** A subscriber's subscriptions (for GET /api/v1/subscribers/:msisdn). */
  async forSubscriber(subscriberId: number): Promise<Record<string, unknown>[]> {
    return (await this.repo.bySubscriber(subscriberId)).map((r) => subscriptionJson(r, this.catalog));
  }

  /** One subscription with its events in fold order and the operator API calls made for it; 404 when unknown. */
  async detail(id: string): Promise<Record<string, unknown>> {
    const row = await this.repo.findById(id);
    if (!row) throw notFound('SUBSCRIPTION_NOT_FOUND', `No subscription with id ${id.slice(0, 40)}.`);
    const [events, operatorRequests] = [await this.repo.events(id), await this.operatorRequests(id)];
    return { ...subscriptionJson(row, this.catalog), events: events.map(billingEventJson), operatorRequests };
  }
}
