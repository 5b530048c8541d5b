import { describe, expect, it } from 'vitest';
import { AUTH } from '../helpers/gateway';
import { BILLING_DAY as DAY, BILLING_HOUR as HOUR, BILLING_T0 as T0, billingDayIso as iso, lifecycleGatewayEach, billingFixture, genericEvent, postGeneric, postSdp, subscriptionsOf } from '../helpers/billing';

const run = lifecycleGatewayEach();

/** Posts a generic event that happened on `day`, received half an hour later. */
async function event(msisdn: string, id: string, type: string, day: number, extra: Record<string, unknown> = {}) {
  run.gw.clock.set(T0 + day * DAY + HOUR / 2);
  const r = await postGeneric(run.gw, genericEvent({ msisdn, eventId: id, type, at: iso(day), ...extra }));
  expect(r.statusCode).toBe(200);
  return r.json() as { state: string; subscriptionId: string };
}

/** Ids of the subscriptions GET /api/v1/subscriptions lists under `state`. */
async function listed(state: string): Promise<string[]> {
  const r = await run.gw.app.inject({ method: 'GET', url: `/api/v1/subscriptions?state=${state}&service=crop-daily`, headers: AUTH });
  expect(r.statusCode).toBe(200);
  return (r.json() as { items: Array<{ id: string }> }).items.map((i) => i.id);
}

/**
 * SQLite's own check of its file (b-trees, indexes against their tables). PostgreSQL has no such check of
 * its tables to ask for: there the listings and fold above are what show the indexes saw every change.
 */
function expectIntact(): void {
  if (run.gw.core.database.dialect === 'sqlite') expect(run.gw.core.db.$client.pragma('integrity_check', { simple: true })).toBe('ok');
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
    expect((await subscriptionsOf(run.gw, m))[0]).toMatchObject({ state: 'active', nextRenewalAt: iso(3), renewals: 2 });

    // The renewal due on day 3 never comes; 24 hours later (day 4) the deadline moves it to grace.
    run.gw.clock.set(T0 + 3.9 * DAY);
    expect(await run.gw.core.subscriptionJob.runDeadlines()).toBe(0);
    run.gw.clock.set(T0 + 4.1 * DAY);
    expect(await run.gw.core.subscriptionJob.runDeadlines()).toBe(1);
    expect(await listed('grace')).toContain(id);
    expect(await listed('active')).not.toContain(id);

    // A late renewal folds back to active: listed there again, not under grace.
    expect((await event(m, 'w4', 'renewed', 4.2)).state).toBe('active');
    expect(await listed('active')).toContain(id);
    expect(await listed('grace')).not.toContain(id);
    expectIntact();
  });

  it('reads every event back for the fold exactly as it was stored', async () => {
    const m = '+254711000202';
    const { subscriptionId: id } = await event(m, 'r1', 'subscribed', 0, { autoRenew: true, nextRenewalAt: iso(1) });
    await event(m, 'r2', 'renewed', 1, { autoRenew: false, amount: 7.5 });
    await event(m, 'r3', 'renewal_failed', 2);
    // Out of order: the whole history is read back and folded again.
    await event(m, 'r0', 'renewed', 0.5);
    const store = run.gw.core.subscriptions.store;
    const stored = (await store.events(id)).map((e) => ({ id: e.id, type: e.type, at: e.at, amountMinor: e.amountMinor, nextRenewalAt: e.nextRenewalAt, autoRenew: e.autoRenew, flag: e.flag }));
    expect(stored.map((e) => e.autoRenew)).toEqual([true, null, false, null]);
    expect(await store.foldRows(id)).toEqual(stored);
  });

  it('takes an SDP addition and its renewal onto one subscription row', async () => {
    run.gw.clock.set(Date.parse('2026-11-21T12:00:00Z'));
    const added = await postSdp(run.gw, billingFixture('sdp-addition.xml'));
    expect(added.statusCode).toBe(200);
    const renewed = await postSdp(run.gw, billingFixture('sdp-renewal.xml'));
    expect(renewed.statusCode).toBe(200);
    const subs = await subscriptionsOf(run.gw, '+254711000003');
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ state: 'active', renewals: 1 });
    expectIntact();
  });
});
