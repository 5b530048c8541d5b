import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';
import { billingFixture, genericEvent, postGeneric, postSdp, subscriptionsOf } from '../helpers/billing';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-11-01T06:00:00Z');
const iso = (day: number) => new Date(T0 + day * DAY).toISOString();

let gw: TestGateway;
beforeEach(async () => {
  gw = await testGateway({ billing: { graceDays: 3, suspendDays: 10, missedRenewalHours: 24 } }, { now: iso(0) });
});
afterEach(async () => {
  await gw.stop();
});

/** Posts a generic event that happened on `day`, received half an hour later. */
async function event(msisdn: string, id: string, type: string, day: number, extra: Record<string, unknown> = {}) {
  gw.clock.set(T0 + day * DAY + HOUR / 2);
  const r = await postGeneric(gw, genericEvent({ msisdn, eventId: id, type, at: iso(day), ...extra }));
  expect(r.statusCode).toBe(200);
  return r.json() as { state: string; subscriptionId: string };
}

/** Ids of the subscriptions GET /api/v1/subscriptions lists under `state`. */
async function listed(state: string): Promise<string[]> {
  const r = await gw.app.inject({ method: 'GET', url: `/api/v1/subscriptions?state=${state}&service=crop-daily`, headers: AUTH });
  expect(r.statusCode).toBe(200);
  return (r.json() as { items: Array<{ id: string }> }).items.map((i) => i.id);
}

/**
 * A save writes the indexed columns (state, next renewal, deadline) only when they change: what the
 * indexes serve (lists by state, the lifecycle job's due deadlines, reminders) must still see every
 * change, and the database must stay consistent.
 */
describe('billing ingest writes', () => {
  it('keeps a renewed subscription listed under its state and due at its new deadline', async () => {
    const m = '+254711000201';
    const { subscriptionId: id } = await event(m, 'w1', 'subscribed', 0);
    // Two renewals that keep the state active: only the renewal and the deadline move.
    expect((await event(m, 'w2', 'renewed', 1)).state).toBe('active');
    expect((await event(m, 'w3', 'renewed', 2)).state).toBe('active');
    expect(await listed('active')).toContain(id);
    expect((await subscriptionsOf(gw, m))[0]).toMatchObject({ state: 'active', nextRenewalAt: iso(3), renewals: 2 });

    // The renewal due on day 3 never comes; 24 hours later (day 4) the deadline moves it to grace.
    gw.clock.set(T0 + 3.9 * DAY);
    expect(gw.core.subscriptionJob.runDeadlines()).toBe(0);
    gw.clock.set(T0 + 4.1 * DAY);
    expect(gw.core.subscriptionJob.runDeadlines()).toBe(1);
    expect(await listed('grace')).toContain(id);
    expect(await listed('active')).not.toContain(id);

    // A late renewal folds back to active: listed there again, not under grace.
    expect((await event(m, 'w4', 'renewed', 4.2)).state).toBe('active');
    expect(await listed('active')).toContain(id);
    expect(await listed('grace')).not.toContain(id);
    expect(gw.core.db.$client.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('reads every event back for the fold exactly as it was stored', async () => {
    const m = '+254711000202';
    const { subscriptionId: id } = await event(m, 'r1', 'subscribed', 0, { autoRenew: true, nextRenewalAt: iso(1) });
    await event(m, 'r2', 'renewed', 1, { autoRenew: false, amount: 7.5 });
    await event(m, 'r3', 'renewal_failed', 2);
    // Out of order: the whole history is read back and folded again.
    await event(m, 'r0', 'renewed', 0.5);
    const store = gw.core.subscriptions.store;
    const stored = store.events(id).map((e) => ({ id: e.id, type: e.type, at: e.at, amountMinor: e.amountMinor, nextRenewalAt: e.nextRenewalAt, autoRenew: e.autoRenew, flag: e.flag }));
    expect(stored.map((e) => e.autoRenew)).toEqual([true, null, false, null]);
    expect(store.foldRows(id)).toEqual(stored);
  });

  it('takes an SDP addition and its renewal onto one subscription row', async () => {
    gw.clock.set(Date.parse('2026-11-21T12:00:00Z'));
    const added = await postSdp(gw, billingFixture('sdp-addition.xml'));
    expect(added.statusCode).toBe(200);
    const renewed = await postSdp(gw, billingFixture('sdp-renewal.xml'));
    expect(renewed.statusCode).toBe(200);
    const subs = await subscriptionsOf(gw, '+254711000003');
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ state: 'active', renewals: 1 });
    expect(gw.core.db.$client.pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
