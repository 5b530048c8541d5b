import { sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { billingEvents, subscribers, subscriptionRequests, subscriptions } from '../../src/db/schema';
import { DAY } from '../../src/lib/clock';
import { foldSubscription, lifecyclePolicy, type LifecyclePolicy } from '../../src/subscriptions/lifecycle';
import { ServiceCatalog } from '../../src/subscriptions/service-catalog';
import { SubscriptionLedger, type Applied } from '../../src/subscriptions/subscription-ledger';
import { toFoldEvent } from '../../src/subscriptions/subscription-repo';
import { SubscriptionStore } from '../../src/subscriptions/subscription-store';
import type { BillingNotification } from '../../src/subscriptions/types';
import { eachBackend, type Backend } from '../helpers/backends';

// A billing notification is one unit of work on both engines: the dedup (the event insert decides),
// the subscription's new state and the charge recorded together. The same notification arriving at two
// processes at once is applied once; notifications for one subscription arriving at once lose nothing.
const config = loadConfig({ env: {}, overrides: { logLevel: 'silent' } });
const catalog = new ServiceCatalog(config.services);
const b0 = config.billing;
const policies = new Map<string, LifecyclePolicy>(
  catalog.all().map((s) => [s.id, lifecyclePolicy(s.period, { graceDays: s.graceDays ?? b0.graceDays, suspendDays: s.suspendDays ?? b0.suspendDays, missedRenewalHours: b0.missedRenewalHours })]),
);
const service = catalog.require('crop-daily');
const T0 = Date.parse('2026-11-01T06:00:00Z');
const subscriber = (id: number) => ({ id, msisdn: `+2547110${String(id).padStart(5, '0')}`, firstSeenAt: T0, updatedAt: T0 });
let made = 0;

const notification = (eventId: string | null, type: BillingNotification['type'], day: number): BillingNotification => ({
  source: 'generic',
  eventId,
  msisdn: '+254711000001',
  serviceId: service.id,
  type,
  at: T0 + day * DAY,
  amount: type === 'subscribed' || type === 'renewed' ? 5 : null,
  currency: null,
});

eachBackend((get) => {
  let store: SubscriptionStore;
  let ledger: SubscriptionLedger;
  const apply = (b: Backend, subscriberId: number, n: BillingNotification, now = n.at) =>
    b.units.unit((tx) =>
      ledger.applyOperatorEvent({ notification: n, service, subscriberId, amountMinor: n.amount != null ? Math.round(n.amount * 100) : null, now, newSubscriptionId: () => `sub_t${(++made).toString(36)}` }, tx),
    );
  const eventsOf = async (b: Backend, subscriberId: number) =>
    b.database.all<{ externalId: string; type: string; amountMinor: number | null }>(
      sql`SELECT ${billingEvents.externalId} AS "externalId", ${billingEvents.type} AS "type", ${billingEvents.amountMinor} AS "amountMinor"
          FROM ${billingEvents} INNER JOIN ${subscriptions} ON ${subscriptions.id} = ${billingEvents.subscriptionId}
          WHERE ${subscriptions.subscriberId} = ${subscriberId} ORDER BY ${billingEvents.at}, ${billingEvents.id}`,
    );
  const subscriptionOf = async (b: Backend, subscriberId: number) => {
    const rows = await b.database.all<{ id: string }>(sql`SELECT ${subscriptions.id} AS "id" FROM ${subscriptions} WHERE ${subscriptions.subscriberId} = ${subscriberId}`);
    expect(rows).toHaveLength(1);
    return (await store.findById(rows[0]!.id))!;
  };

  beforeEach(async () => {
    const b = get();
    await b.clear(subscriptionRequests, billingEvents, subscriptions, subscribers);
    await b.plant(subscribers, [1, 2, 3, 4, 5].map(subscriber));
    store = new SubscriptionStore(b.database);
    ledger = new SubscriptionLedger(store, catalog, policies);
  });

  it('records a notification, its charge and the new state in one unit, and a repeat changes nothing', async () => {
    const b = get();
    const first = await apply(b, 1, notification('e1', 'subscribed', 0));
    expect(first.duplicate).toBe(false);
    const renewal = await apply(b, 1, notification('e2', 'renewed', 1));
    expect(renewal.duplicate).toBe(false);
    const again = await apply(b, 1, notification('e2', 'renewed', 1), T0 + 1.5 * DAY);
    expect(again).toMatchObject({ duplicate: true, state: 'active' });
    expect(await eventsOf(b, 1)).toEqual([
      { externalId: 'generic:crop-daily:e1', type: 'subscribed', amountMinor: 500 },
      { externalId: 'generic:crop-daily:e2', type: 'renewed', amountMinor: 500 },
    ]);
    expect(await subscriptionOf(b, 1)).toMatchObject({ state: 'active', renewals: 1, revenueMinor: 1000, lastChargedAt: T0 + DAY, autoRenew: true, entered: { active: T0 } });
  });

  it('keeps none of a unit that fails after recording the notification', async () => {
    const b = get();
    await apply(b, 2, notification('k1', 'subscribed', 0));
    const failing = b.units.unit(async (tx) => {
      await ledger.applyOperatorEvent({ notification: notification('k2', 'renewed', 1), service, subscriberId: 2, amountMinor: 500, now: T0 + DAY, newSubscriptionId: () => 'sub_never' }, tx);
      throw new Error('the usage log refused');
    });
    await expect(failing).rejects.toThrow('the usage log refused');
    expect((await eventsOf(b, 2)).map((e) => e.externalId)).toEqual(['generic:crop-daily:k1']);
    expect(await subscriptionOf(b, 2)).toMatchObject({ renewals: 0, revenueMinor: 500 });
    // The retry of the refused notification is then applied, not taken for a duplicate.
    expect((await apply(b, 2, notification('k2', 'renewed', 1))).duplicate).toBe(false);
  });

  it('applies the same notification once when it arrives at two processes at once', async () => {
    const b = get();
    // First notifications of new subscriptions (both units create the row) and renewals of an existing one.
    const firsts = [3, 4, 5].map((id) => notification(`first-${id}`, 'subscribed', 0));
    const results: Applied[] = await Promise.all([3, 4, 5].flatMap((id, i) => [apply(b, id, firsts[i]!), apply(b, id, firsts[i]!)]));
    for (let i = 0; i < 3; i++) expect([results[2 * i]!.duplicate, results[2 * i + 1]!.duplicate].sort()).toEqual([false, true]);
    const renewals = [1, 2, 3, 4].map((d) => notification(`renew-${d}`, 'renewed', d));
    const twice = await Promise.all(renewals.flatMap((n) => [apply(b, 3, n, T0 + 5 * DAY), apply(b, 3, n, T0 + 5 * DAY)]));
    expect(twice.filter((r) => !r.duplicate)).toHaveLength(4);
    for (const id of [3, 4, 5]) expect((await eventsOf(b, id)).filter((e) => e.type === 'subscribed')).toHaveLength(1);
    const sub = await subscriptionOf(b, 3);
    expect(sub).toMatchObject({ state: 'active', renewals: 4, revenueMinor: 2500 });
    // What is stored is the fold of what is stored, whatever order the units ran in.
    const f = foldSubscription((await store.foldRows(sub.id)).map(toFoldEvent), policies.get(service.id)!, sub.evaluatedAt);
    expect({ state: sub.state, renewals: sub.renewals, revenueMinor: sub.revenueMinor, nextRenewalAt: sub.nextRenewalAt, deadlineAt: sub.deadlineAt }).toEqual({
      state: f.state,
      renewals: f.renewals,
      revenueMinor: f.revenueMinor,
      nextRenewalAt: f.nextRenewalAt,
      deadlineAt: f.deadlineAt,
    });
  });

  it('loses no notification when different ones for one subscription arrive at once', async () => {
    const b = get();
    await apply(b, 4, notification('s0', 'subscribed', 0));
    const days = Array.from({ length: 12 }, (_, i) => i + 1);
    await Promise.all(days.map((d) => apply(b, 4, notification(`r${d}`, 'renewed', d), T0 + 13 * DAY)));
    expect(await eventsOf(b, 4)).toHaveLength(13);
    expect(await subscriptionOf(b, 4)).toMatchObject({ state: 'active', renewals: 12, revenueMinor: 6500, lastChargedAt: T0 + 12 * DAY });
  });

  it('treats a repeat of the last type from a platform without event ids as a retry', async () => {
    const b = get();
    const at = (type: BillingNotification['type'], day: number) => ({ ...notification(null, type, day), source: 'africastalking' as const });
    expect((await apply(b, 5, at('subscribed', 0))).duplicate).toBe(false);
    expect((await apply(b, 5, at('subscribed', 0.1))).duplicate).toBe(true);
    expect((await apply(b, 5, at('unsubscribed', 1))).duplicate).toBe(false);
    const sub = await subscriptionOf(b, 5);
    expect((await eventsOf(b, 5)).map((e) => e.externalId)).toEqual([`africastalking:${sub.id}:1`, `africastalking:${sub.id}:2`]);
    expect(sub.state).toBe('cancelled');
  });
});
