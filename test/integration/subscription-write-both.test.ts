import { beforeEach, expect, it } from 'vitest';
import { inSavepoint } from '../../src/db/savepoint';
import { billingEvents, subscribers, subscriptionRequests, subscriptions } from '../../src/db/schema';
import { DAY } from '../../src/lib/clock';
import { foldSubscription, lifecyclePolicy } from '../../src/subscriptions/lifecycle';
import { SubscriptionRequestStore } from '../../src/subscriptions/subscription-request-store';
import { SubscriptionStore } from '../../src/subscriptions/subscription-store';
import { eachBackend } from '../helpers/backends';

// The subscription store's and the operator request queue's writes on both engines: each inside a unit,
// read back as written (JSON, booleans, nulls), and the request claim deciding itself so two workers
// never take one request.
const T0 = Date.parse('2026-11-01T06:00:00Z');
const POLICY = lifecyclePolicy('daily', { graceDays: 3, suspendDays: 10, missedRenewalHours: 24 });
const subscriber = (id: number) => ({ id, msisdn: `+2547120${String(id).padStart(5, '0')}`, firstSeenAt: T0, updatedAt: T0 });
const planted = (id: string, subscriberId: number, o: Partial<typeof subscriptions.$inferInsert> = {}) => ({
  id,
  subscriberId,
  serviceId: 'crop-daily',
  state: 'active' as const,
  currency: 'KES',
  evaluatedAt: T0,
  createdAt: T0,
  updatedAt: T0,
  ...o,
});

eachBackend((get) => {
  let store: SubscriptionStore;
  let requests: SubscriptionRequestStore;

  beforeEach(async () => {
    const b = get();
    await b.clear(subscriptionRequests, billingEvents, subscriptions, subscribers);
    await b.plant(subscribers, [1, 2, 3].map(subscriber));
    store = new SubscriptionStore(b.database);
    requests = new SubscriptionRequestStore(b.database);
  });

  it('creates a subscription once, stores events once per key, and saves the fold as it reads back', async () => {
    const b = get();
    const { created, again, ids, repeat, f } = await b.units.unit(async (tx) => {
      const created = await store.create('sub_a', 1, 'crop-daily', 'KES', T0, tx);
      const again = await store.create('sub_b', 1, 'crop-daily', 'KES', T0, tx);
      const base = { subscriptionId: 'sub_a', source: 'generic' as const, receivedAt: T0, currency: 'KES', reason: null, nextRenewalAt: null };
      const ids = [
        await store.insertEvent({ ...base, externalId: 'g:1', type: 'subscribed', at: T0, amountMinor: 500, autoRenew: true, detail: { channel: 'sms', n: 1 } }, tx),
        await store.insertEvent({ ...base, externalId: 'g:2', type: 'renewed', at: T0 + DAY, amountMinor: 500, autoRenew: false, detail: null }, tx),
        await store.insertEvent({ ...base, externalId: 'g:3', type: 'subscribed', at: T0 + 2 * DAY, amountMinor: null, autoRenew: null, detail: null }, tx),
      ];
      const repeat = await store.insertEvent({ ...base, externalId: 'g:2', type: 'renewed', at: T0 + DAY, amountMinor: 500, autoRenew: null, detail: null }, tx);
      const head = (await store.head('sub_a', tx))!;
      const rows = await store.foldRows('sub_a', tx);
      const f = foldSubscription(rows.map((r) => ({ ...r })), POLICY, T0 + 2 * DAY);
      await store.save(head, f, new Map(rows.map((r) => [r.id, r.flag])), T0 + 2 * DAY, T0 + 2 * DAY, tx);
      return { created, again, ids, repeat, f };
    });
    expect([created, again, repeat]).toEqual([true, false, null]);
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    const events = await store.events('sub_a');
    expect(events.map((e) => [e.externalId, e.autoRenew, e.detail, e.flag])).toEqual([
      ['g:1', true, { channel: 'sms', n: 1 }, null],
      ['g:2', false, null, null],
      // A second "subscribed" while active is an impossible transition: flagged, counted.
      ['g:3', null, null, 'subscribed_while_active'],
    ]);
    const sub = (await store.findById('sub_a'))!;
    expect(sub).toMatchObject({ state: 'active', renewals: 1, revenueMinor: 1000, autoRenew: false, flags: 1, entered: { active: T0 }, evaluatedAt: T0 + 2 * DAY });
    expect([sub.nextRenewalAt, sub.deadlineAt, sub.lastChargedAt, sub.lastEventAt, sub.stateEnteredAt]).toEqual([f.nextRenewalAt, f.deadlineAt, f.lastChargedAt, f.lastEventAt, f.stateEnteredAt]);
    expect(await store.bySubscriber(1)).toHaveLength(1);
    const other = await b.reopen();
    try {
      expect(await new SubscriptionStore(other.database).findById('sub_a')).toEqual(sub);
    } finally {
      await other.close();
    }
  });

  it('marks a reminder once per renewal, clears deadlines, and lists and counts by state', async () => {
    const b = get();
    await b.plant(subscriptions, [
      planted('sub_r1', 1, { nextRenewalAt: T0 + DAY, deadlineAt: T0 + 2 * DAY }),
      planted('sub_r2', 2, { nextRenewalAt: T0 + DAY, autoRenew: false }),
      planted('sub_r3', 3, { state: 'grace', deadlineAt: T0 + DAY }),
    ]);
    expect((await store.reminderCandidates('crop-daily', T0, T0 + 2 * DAY, 10)).map((s) => s.id)).toEqual(['sub_r1']);
    const marks = await b.units.unit(async (tx) => [await store.markReminder('sub_r1', T0 + DAY, tx), await store.markReminder('sub_r1', T0 + DAY, tx)]);
    expect(marks).toEqual([true, false]);
    expect(await store.reminderCandidates('crop-daily', T0, T0 + 2 * DAY, 10)).toEqual([]);
    expect(await store.dueDeadlines(T0 + 3 * DAY, 10)).toEqual(['sub_r3', 'sub_r1']);
    await b.units.unit((tx) => store.clearDeadline('sub_r3', tx));
    expect(await store.dueDeadlines(T0 + 3 * DAY, 10)).toEqual(['sub_r1']);
    expect(await store.countByState()).toEqual([
      { state: 'active', n: 2 },
      { state: 'grace', n: 1 },
    ]);
    expect((await store.list({ state: 'active', limit: 10 })).map((r) => [r.id, r.msisdn, r.autoRenew])).toEqual([
      ['sub_r1', subscriber(1).msisdn, true],
      ['sub_r2', subscriber(2).msisdn, false],
    ]);
    expect((await store.list({ after: 'sub_r1', limit: 1 })).map((r) => r.id)).toEqual(['sub_r2']);
  });

  it('undoes only the isolated step that failed, keeping the rest of the unit', async () => {
    const b = get();
    await b.plant(subscriptions, [planted('sub_i', 1, { deadlineAt: T0 })]);
    await b.units.unit(async (tx) => {
      await store.markReminder('sub_i', T0 + DAY, tx);
      await expect(
        inSavepoint(tx, 'subscription_step', async () => {
          await store.clearDeadline('sub_i', tx);
          throw new Error('step refused');
        }),
      ).rejects.toThrow('step refused');
    });
    const sub = (await store.findById('sub_i'))!;
    expect([sub.reminderFor, sub.deadlineAt]).toEqual([T0 + DAY, T0]);
  });

  it('queues operator calls, gives each to one worker only, and records outcomes', async () => {
    const b = get();
    await b.plant(subscriptions, [planted('sub_q', 1)]);
    await b.units.unit(async (tx) => {
      for (const n of [1, 2, 3, 4, 5, 6]) await requests.enqueue(`sreq_${n}`, 'sub_q', n % 2 ? 'subscribe' : 'unsubscribe', 'africastalking', T0 + n, tx);
    });
    // Two workers claim at once (on PostgreSQL, two connections): every request goes to exactly one.
    const claims = await Promise.all([0, 1, 2].map(() => b.units.unit((tx) => requests.claimDue(T0 + 10, T0 + 60_000, 10, tx))));
    const taken = claims.flatMap((c) => c.map((r) => r.id)).sort();
    expect(taken).toEqual(['sreq_1', 'sreq_2', 'sreq_3', 'sreq_4', 'sreq_5', 'sreq_6']);
    expect(claims.flat()[0]).toMatchObject({ serviceId: 'crop-daily', msisdn: subscriber(1).msisdn, attempts: 0, provider: 'africastalking' });
    await b.units.unit(async (tx) => {
      await requests.finish('sreq_1', 'done', 1, 'accepted', T0 + 20, tx);
      await requests.retryAt('sreq_2', 1, 'timeout', T0 + 1_000, T0 + 20, tx);
    });
    // Leased until T0 + 60 s: only the retried one is due again, at its own time.
    expect(await b.units.unit((tx) => requests.claimDue(T0 + 999, T0 + 60_000, 10, tx))).toEqual([]);
    expect((await b.units.unit((tx) => requests.claimDue(T0 + 1_000, T0 + 60_000, 10, tx))).map((r) => [r.id, r.attempts])).toEqual([['sreq_2', 1]]);
    const rows = await requests.forSubscription('sub_q');
    expect(rows.slice(0, 2).map((r) => [r.id, r.status, r.attempts, r.lastError])).toEqual([
      ['sreq_1', 'done', 1, 'accepted'],
      ['sreq_2', 'pending', 1, 'timeout'],
    ]);
  });
});
