import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldSubscription, lifecyclePolicy } from '../../src/subscriptions/lifecycle';
import { toFoldEvent } from '../../src/subscriptions/subscription-repo';
import { BILLING_DAY as DAY, BILLING_HOUR as HOUR, BILLING_T0 as T0, BILLING_WINDOWS as WINDOWS, genericEvent, postGeneric, subscriptionsOf } from '../helpers/billing';
import { testGateway, type TestGateway } from '../helpers/gateway';
import { seededRandom } from '../helpers/rng';

const POLICY = lifecyclePolicy('daily', WINDOWS);
const TYPES = ['subscribed', 'renewed', 'renewed', 'renewed', 'renewal_failed', 'renewal_failed', 'suspended', 'unsubscribed', 'expired'] as const;


let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway({ billing: WINDOWS }, { now: new Date(T0).toISOString() });
});
afterAll(async () => {
  await gw.stop();
});

/**
 * The stored subscription equals a full fold of all its stored events as of its evaluation time:
 * every derived field, the flag on each event and the count of flagged events, and what the API shows.
 */
async function expectFullFold(msisdn: string, context: string): Promise<void> {
  const store = gw.core.subscriptions.store;
  const listed = await subscriptionsOf(gw, msisdn);
  const id = listed[0]?.id as string | undefined;
  if (!id) return;
  const row = (await store.findById(id))!;
  const rows = await store.foldRows(id);
  const f = foldSubscription(rows.map(toFoldEvent), POLICY, row.evaluatedAt);
  const stored = {
    state: row.state,
    stateEnteredAt: row.stateEnteredAt,
    entered: row.entered,
    subscribedAt: row.subscribedAt,
    renewals: row.renewals,
    consecutiveFailures: row.consecutiveFailures,
    lastChargedAt: row.lastChargedAt,
    nextRenewalAt: row.nextRenewalAt,
    revenueMinor: row.revenueMinor,
    autoRenew: row.autoRenew,
    pendingAction: row.pendingAction,
    deadlineAt: row.deadlineAt,
    lastEventAt: row.lastEventAt,
    flags: row.flags,
    eventFlags: rows.map((r) => r.flag),
  };
  const full = {
    state: f.state,
    stateEnteredAt: f.stateEnteredAt,
    entered: f.entered,
    subscribedAt: f.subscribedAt,
    renewals: f.renewals,
    consecutiveFailures: f.consecutiveFailures,
    lastChargedAt: f.lastChargedAt,
    nextRenewalAt: f.nextRenewalAt,
    revenueMinor: f.revenueMinor,
    autoRenew: f.autoRenew,
    pendingAction: f.pendingAction,
    deadlineAt: f.deadlineAt,
    lastEventAt: f.lastEventAt,
    flags: [...f.flags.values()].filter(Boolean).length,
    eventFlags: rows.map((r) => f.flags.get(r.id) ?? null),
  };
  expect(stored, context).toEqual(full);
  expect(listed[0]!.state, context).toBe(f.state);
}

/**
 * Replays one random life of a subscriber: notifications mostly in order and a little late, some
 * out of order, some repeated, gaps long enough to cross the missed-renewal, grace and suspension
 * windows, lifecycle job runs and subscriber requests in between.
 */
async function replay(seed: number, steps: number): Promise<{ kinds: Record<string, number> }> {
  const r = seededRandom(seed);
  const msisdn = `+2547119${String(seed).padStart(5, '0')}`;
  const sent: Array<Record<string, unknown>> = [];
  const kinds: Record<string, number> = {};
  let t = T0;
  let n = 0;
  for (let i = 0; i < steps; i++) {
    // Mostly about a day apart; sometimes minutes, sometimes long enough for grace (3 d) and suspension (10 d) to run out.
    const gap = r() < 0.15 ? r() * HOUR : r() < 0.85 ? DAY * (0.5 + r()) : DAY * (2 + r() * 14);
    t += gap;
    gw.clock.set(t);
    const roll = r();
    let kind: string;
    if (roll < 0.08 && sent.length > 0) {
      kind = 'duplicate';
      const again = sent[Math.floor(r() * sent.length)]!;
      const res = await postGeneric(gw, again);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'duplicate' });
    } else if (roll < 0.14) {
      kind = 'lifecycle_job';
      await gw.core.subscriptionJob.runDeadlines();
    } else if (roll < 0.18 && sent.length > 0) {
      kind = 'request';
      const sub = (await subscriptionsOf(gw, msisdn))[0];
      const subscriberId = sub ? (await gw.core.subscriptions.store.findById(sub.id as string))!.subscriberId : null;
      if (subscriberId !== null) {
        const subs = gw.core.subscriptions;
        if (r() < 0.5) await gw.core.commits.unit((tx) => subs.requestSubscribeIn(subscriberId, 'crop-daily', 'ussd', tx));
        else await gw.core.commits.unit((tx) => subs.requestUnsubscribeIn(subscriberId, 'crop-daily', 'ussd', tx));
      }
    } else {
      const how = r();
      kind = how < 0.15 ? 'out_of_order' : how < 0.35 ? 'delayed' : 'in_order';
      // In order: happened a little before it arrives (or exactly then). Delayed: any time since the
      // previous step, so possibly before a timed move the lifecycle job already applied. Out of order: days earlier.
      const at = kind === 'out_of_order' ? t - DAY * r() * 6 : kind === 'delayed' ? t - gap * r() : t - (r() < 0.2 ? 0 : r() * 2 * HOUR);
      const type = TYPES[Math.floor(r() * TYPES.length)]!;
      const body: Record<string, unknown> = genericEvent({ msisdn, eventId: `s${seed}-${n++}`, type, at: new Date(at).toISOString() });
      if (r() < 0.1) body.nextRenewalAt = new Date(at + DAY * (r() * 3 - 0.5)).toISOString();
      if (r() < 0.1) body.autoRenew = r() < 0.5;
      if (r() < 0.1) body.amount = 0;
      const res = await postGeneric(gw, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(200);
      sent.push(body);
    }
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    await expectFullFold(msisdn, `seed ${seed}, step ${i} (${kind})`);
  }
  return { kinds };
}

describe('a billing notification folds forward from the stored state', () => {
  it('leaves every subscription exactly as a full fold of its events would, after every step of random lives', async () => {
    const total: Record<string, number> = {};
    for (let seed = 1; seed <= 40; seed++) {
      const { kinds } = await replay(seed, 60);
      for (const [k, v] of Object.entries(kinds)) total[k] = (total[k] ?? 0) + v;
    }
    // The sequences really mixed every kind of step.
    for (const k of ['in_order', 'delayed', 'out_of_order', 'duplicate', 'lifecycle_job', 'request']) expect(total[k] ?? 0).toBeGreaterThan(10);
  }, 120_000);

  it('keeps a long daily history correct: a year of renewals, then a late one, a gap into suspension and a recovery', async () => {
    const msisdn = '+254711800001';
    const post = async (id: string, type: string, at: number, now = at + 60_000) => {
      gw.clock.set(now);
      const res = await postGeneric(gw, genericEvent({ msisdn, eventId: id, type, at: new Date(at).toISOString() }));
      expect(res.statusCode).toBe(200);
      return res.json() as { state: string; status: string };
    };
    const start = T0 + 400 * DAY;
    await post('y0', 'subscribed', start);
    for (let d = 1; d <= 365; d++) await post(`y${d}`, 'renewed', start + d * DAY);
    await expectFullFold(msisdn, 'after a year');
    const year = start + 365 * DAY;
    // A renewal the operator reports days late, after the next ones.
    await post('late', 'renewal_failed', year - 3 * DAY + HOUR, year + HOUR);
    await expectFullFold(msisdn, 'after a late event');
    // Silence: missed renewal (1 day + 24 h), then grace (3 d), into suspension.
    gw.clock.set(year + 7 * DAY);
    await gw.core.subscriptionJob.runDeadlines();
    expect((await subscriptionsOf(gw, msisdn))[0]).toMatchObject({ state: 'suspended' });
    expect(await post('back', 'renewed', year + 8 * DAY)).toMatchObject({ state: 'active' });
    await expectFullFold(msisdn, 'after recovery');
    // The job moves it into grace when the renewal is 24 h overdue; then the renewal that happened
    // before that arrives: it lands before the move, as if the job had never run.
    const due = year + 9 * DAY + 24 * HOUR;
    gw.clock.set(due + HOUR);
    await gw.core.subscriptionJob.runDeadlines();
    expect((await subscriptionsOf(gw, msisdn))[0]).toMatchObject({ state: 'grace' });
    expect(await post('overdue', 'renewed', due - HOUR, due + 2 * HOUR)).toMatchObject({ state: 'active' });
    await expectFullFold(msisdn, 'after a renewal reported after the job moved on');
    const sub = (await subscriptionsOf(gw, msisdn))[0]!;
    expect(sub).toMatchObject({ renewals: 367, consecutiveFailures: 0, stateSince: new Date(year + 8 * DAY).toISOString() });
  }, 60_000);
});
