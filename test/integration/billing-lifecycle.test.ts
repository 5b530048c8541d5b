import { describe, expect, it } from 'vitest';
import { AUTH, eventually, testGateway } from '../helpers/gateway';
import { BILLING_DAY as DAY, BILLING_HOUR as HOUR, BILLING_T0 as T0, billingDayIso as iso, BILLING_WINDOWS, lifecycleGatewayEach, genericEvent, postGeneric, subscriptionDetail, subscriptionsOf, usageOf } from '../helpers/billing';

const run = lifecycleGatewayEach();

/** Posts a generic event that happened on `day` and arrives `delayH` hours later. */
async function event(msisdn: string, id: string, type: string, day: number, delayH = 0.5) {
  run.gw.clock.set(T0 + day * DAY + delayH * HOUR);
  const r = await postGeneric(run.gw, genericEvent({ msisdn, eventId: id, type, at: iso(day) }));
  expect(r.statusCode).toBe(200);
  return r.json() as { state: string; flag?: string };
}

/** Lets time pass and runs the lifecycle job as the scheduler would. */
async function passTime(day: number) {
  run.gw.clock.set(T0 + day * DAY);
  return run.gw.core.subscriptionJob.runDeadlines();
}

const stateOf = async (msisdn: string) => (await subscriptionsOf(run.gw, msisdn))[0]!;

describe('subscription lifecycle over the wire', () => {
  it('lives a whole life: subscribe, renewals, failures into grace and suspension, recovery, cancel', async () => {
    const m = '+254711000101';
    expect((await event(m, 'l1', 'subscribed', 0)).state).toBe('active');
    expect((await event(m, 'l2', 'renewed', 1)).state).toBe('active');
    expect((await event(m, 'l3', 'renewed', 2)).state).toBe('active');
    expect((await event(m, 'l4', 'renewal_failed', 3)).state).toBe('grace');
    expect((await event(m, 'l5', 'renewal_failed', 4)).state).toBe('grace');
    expect(await stateOf(m)).toMatchObject({ consecutiveFailures: 2, renewals: 2, revenue: { amount: 15 } });

    // The operator goes quiet: the grace window (3 days from day 3) ends on day 6.
    expect(await passTime(5.9)).toBe(0);
    expect((await stateOf(m)).state).toBe('grace');
    expect(await passTime(6.1)).toBe(1);
    expect(await stateOf(m)).toMatchObject({ state: 'suspended', stateSince: iso(6) });
    const derived = (await usageOf(run.gw, m)).find((e) => e.detail?.source === 'lifecycle');
    expect(derived).toMatchObject({ channel: 'billing', type: 'billing', at: iso(6), detail: { event: 'suspended', reason: 'grace_elapsed', from: 'grace' } });

    // Recovery: the subscriber tops up and the next retry succeeds.
    expect((await event(m, 'l6', 'renewed', 8)).state).toBe('active');
    expect(await stateOf(m)).toMatchObject({ consecutiveFailures: 0, renewals: 3, revenue: { amount: 20 }, lastChargedAt: iso(8), nextRenewalAt: iso(9) });

    expect((await event(m, 'l7', 'unsubscribed', 8.5)).state).toBe('cancelled');
    const sub = await stateOf(m);
    expect(sub).toMatchObject({ state: 'cancelled', stateSince: iso(8.5), nextRenewalAt: null, subscribedAt: iso(0), flaggedEvents: 0 });
    expect(sub.enteredAt).toMatchObject({ active: iso(8), grace: iso(3), suspended: iso(6), cancelled: iso(8.5) });
    // Nothing more happens by time alone.
    expect(await passTime(60)).toBe(0);
    expect((await stateOf(m)).state).toBe('cancelled');
  });

  it('expires a subscription whose retries run out without a word from the operator', async () => {
    const m = '+254711000102';
    await event(m, 'e1', 'subscribed', 0);
    await passTime(1.5);
    expect((await stateOf(m)).state).toBe('active');
    await passTime(2.5); // the day-1 renewal is 24 h overdue since day 2
    expect(await stateOf(m)).toMatchObject({ state: 'grace', stateSince: iso(2) });
    await passTime(20);
    expect(await stateOf(m)).toMatchObject({ state: 'expired', stateSince: iso(15) });
    const lifecycle = (await usageOf(run.gw, m)).filter((e) => e.detail?.source === 'lifecycle').map((e) => e.detail?.event);
    expect(lifecycle).toEqual(['expired', 'suspended', 'grace']);
  });

  it('lands out-of-order and late notifications where they belong', async () => {
    const inOrder = '+254711000103';
    const shuffled = '+254711000104';
    const life: Array<[string, number]> = [
      ['subscribed', 0],
      ['renewed', 1],
      ['renewal_failed', 2],
      ['renewed', 3],
      ['renewed', 4],
    ];
    for (const [i, [type, day]] of life.entries()) await event(inOrder, `in-${i}`, type, day);
    // The same notifications, delivered in another order, all after the fact.
    run.gw.clock.set(T0 + 4.5 * DAY);
    for (const i of [4, 2, 0, 3, 1]) {
      const [type, day] = life[i]!;
      const r = await postGeneric(run.gw, genericEvent({ msisdn: shuffled, eventId: `sh-${i}`, type, at: iso(day) }));
      expect(r.statusCode).toBe(200);
    }
    const a = await stateOf(inOrder);
    const b = await stateOf(shuffled);
    for (const key of ['state', 'renewals', 'consecutiveFailures', 'revenue', 'lastChargedAt', 'nextRenewalAt', 'subscribedAt', 'enteredAt', 'flaggedEvents']) {
      expect(b[key], key).toEqual(a[key]);
    }
    expect(b).toMatchObject({ state: 'active', renewals: 3, revenue: { amount: 20 }, flaggedEvents: 0 });
    // Arrival order is kept for support; the fold uses the events' own times.
    expect((await subscriptionDetail(run.gw, String(b.id))).events.map((e) => e.type)).toEqual(['subscribed', 'renewed', 'renewal_failed', 'renewed', 'renewed']);
  });

  it('a late renewal rescues a subscription the job had already moved to grace', async () => {
    const m = '+254711000105';
    await event(m, 'r1', 'subscribed', 0);
    await passTime(2.5);
    expect((await stateOf(m)).state).toBe('grace');
    // The day-1 and day-2 renewals arrive now, delayed by the operator's platform.
    await postGeneric(run.gw, genericEvent({ msisdn: m, eventId: 'r2', type: 'renewed', at: iso(1) }));
    await postGeneric(run.gw, genericEvent({ msisdn: m, eventId: 'r3', type: 'renewed', at: iso(2) }));
    expect(await stateOf(m)).toMatchObject({ state: 'active', renewals: 2, nextRenewalAt: iso(3) });
  });
});

describe('background lifecycle job', () => {
  it('moves subscriptions on by itself once the gateway is started', async () => {
    const bg = await testGateway({ billing: { jobIntervalSeconds: 0.02, ...BILLING_WINDOWS } }, { now: iso(0) });
    try {
      await postGeneric(bg, genericEvent({ msisdn: '+254711000150', eventId: 'bg1', type: 'subscribed', at: iso(0) }));
      await bg.start();
      bg.clock.set(T0 + 2.5 * DAY);
      const sub = await eventually(async () => {
        const [s] = await subscriptionsOf(bg, '+254711000150');
        return s?.state === 'grace' ? s : null;
      }, { what: 'the job to move the subscription to grace' });
      expect(sub.stateSince).toBe(iso(2));
    } finally {
      await bg.stop();
    }
  });
});

describe('GET /api/v1/subscriptions', () => {
  it('filters by state and service and pages with a cursor', async () => {
    for (let i = 0; i < 5; i++) await event(`+25471100020${i}`, `p${i}`, 'subscribed', 0, 0.1);
    await event('+254711000204', 'p9', 'unsubscribed', 0.2, 0.1);
    const page = (q: string) => run.gw.app.inject({ method: 'GET', url: `/api/v1/subscriptions?${q}`, headers: AUTH });

    const first = await page('state=active&service=crop-daily&limit=2');
    expect(first.statusCode).toBe(200);
    expect(first.json().items).toHaveLength(2);
    const second = await page(`state=active&limit=2&cursor=${first.json().nextCursor}`);
    expect(second.json().items).toHaveLength(2);
    expect(second.json().nextCursor).toBeNull();
    const all = [...first.json().items, ...second.json().items].map((i: { msisdn: string }) => i.msisdn).sort();
    expect(all).toEqual(['+254711000200', '+254711000201', '+254711000202', '+254711000203']);

    const cancelled = await page('state=cancelled');
    expect(cancelled.json().items.map((i: { msisdn: string; state: string }) => [i.msisdn, i.state])).toEqual([['+254711000204', 'cancelled']]);

    expect((await page('state=happy')).json().error).toMatchObject({ code: 'INVALID_STATE' });
    expect((await page('service=horoscope')).json().error.message).toMatch(/"horoscope"/);
    expect((await page('limit=0')).statusCode).toBe(400);
    expect((await page('cursor=nope')).statusCode).toBe(400);
    expect((await run.gw.app.inject({ method: 'GET', url: '/api/v1/subscriptions' })).statusCode).toBe(401);
  });
});
