import { describe, expect, it } from 'vitest';
import { addPeriod, foldSubscription, lifecyclePolicy, type FoldEvent } from '../../src/subscriptions/lifecycle';
import type { BillingEventType } from '../../src/subscriptions/types';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T06:00:00Z');
const policy = lifecyclePolicy('daily', { graceDays: 3, suspendDays: 10, missedRenewalHours: 24 });

let nextId = 1;
const ev = (type: BillingEventType, day: number, extra: Partial<FoldEvent> = {}): FoldEvent => ({
  id: nextId++,
  type,
  at: T0 + day * DAY,
  amountMinor: type === 'subscribed' || type === 'renewed' ? 500 : null,
  nextRenewalAt: null,
  autoRenew: null,
  ...extra,
});

/** A whole life: subscribe, two renewals, a failure into grace, silence into suspension, recovery, cancel. */
const life = (): FoldEvent[] => [
  ev('subscribed', 0),
  ev('renewed', 1),
  ev('renewed', 2),
  ev('renewal_failed', 3, { amountMinor: 500 }),
  ev('renewal_failed', 4),
  // no news from day 4: grace ends on day 6 (3 days after day 3) -> suspended
  ev('renewed', 8),
  ev('unsubscribed', 8.5),
];

describe('subscription lifecycle fold', () => {
  it('follows a whole life through grace, suspension, recovery and cancellation', () => {
    const f = foldSubscription(life(), policy, T0 + 9 * DAY);
    expect(f.state).toBe('cancelled');
    expect(f.renewals).toBe(3);
    expect(f.revenueMinor).toBe(4 * 500); // the failed attempts took no money
    expect(f.consecutiveFailures).toBe(0);
    expect(f.lastChargedAt).toBe(T0 + 8 * DAY);
    expect(f.subscribedAt).toBe(T0);
    expect(f.nextRenewalAt).toBeNull();
    expect(f.stateEnteredAt).toBe(T0 + 8.5 * DAY);
    expect(f.entered.grace).toBe(T0 + 3 * DAY);
    expect(f.entered.suspended).toBe(T0 + 6 * DAY);
    expect(f.entered.active).toBe(T0 + 8 * DAY);
    expect(f.transitions.map((t) => `${t.from}>${t.to}${t.eventId === null ? '(time)' : ''}`)).toEqual([
      'none>active',
      'active>grace',
      'grace>suspended(time)',
      'suspended>active',
      'active>cancelled',
    ]);
    expect([...f.flags.values()].every((x) => x === null)).toBe(true);
    expect(f.deadlineAt).toBeNull();
  });

  it('counts consecutive failures while retries go on and keeps the missed due date', () => {
    const events = life().slice(0, 5);
    const f = foldSubscription(events, policy, T0 + 5 * DAY);
    expect(f.state).toBe('grace');
    expect(f.consecutiveFailures).toBe(2);
    expect(f.nextRenewalAt).toBe(T0 + 3 * DAY);
    expect(f.deadlineAt).toBe(T0 + 6 * DAY);
  });

  it('gives the same answer whatever order the events arrive in', () => {
    const events = life();
    const expected = foldSubscription(events, policy, T0 + 9 * DAY);
    // Arrival order is the id; reverse it so every event arrives after the ones that follow it in time.
    const reversed = events.map((e, i) => ({ ...e, id: 100 - i }));
    const got = foldSubscription(reversed.reverse(), policy, T0 + 9 * DAY);
    expect(got.state).toBe(expected.state);
    expect(got.renewals).toBe(expected.renewals);
    expect(got.revenueMinor).toBe(expected.revenueMinor);
    expect(got.entered).toEqual(expected.entered);
  });

  it('puts a late renewal in its place: a subscription that looked lapsed is active again', () => {
    const [sub, renewal] = [ev('subscribed', 0), ev('renewed', 1)];
    const before = foldSubscription([sub], policy, T0 + 3 * DAY);
    expect(before.state).toBe('grace'); // the day-1 renewal never came (24 h allowed) -> grace on day 2
    const after = foldSubscription([sub, renewal], policy, T0 + 3 * DAY);
    expect(after.state).toBe('grace'); // the day-2 renewal is missing now, so grace from day 3
    expect(after.entered.grace).toBe(T0 + 3 * DAY);
    expect(after.renewals).toBe(1);
    expect(foldSubscription([sub, renewal, ev('renewed', 2)], policy, T0 + 3 * DAY).state).toBe('active');
  });

  it('moves on by time alone: missed renewal -> grace -> suspended -> expired', () => {
    const events = [ev('subscribed', 0)];
    const at = (d: number) => foldSubscription(events, policy, T0 + d * DAY).state;
    expect(at(1.5)).toBe('active');
    expect(at(2)).toBe('grace');
    expect(at(4.9)).toBe('grace');
    expect(at(5)).toBe('suspended');
    expect(at(14.9)).toBe('suspended');
    expect(at(15)).toBe('expired');
    expect(foldSubscription(events, policy, T0 + 15 * DAY).deadlineAt).toBeNull();
  });

  it('expires a subscription the operator will not renew at the end of its paid period', () => {
    const f = foldSubscription([ev('subscribed', 0, { autoRenew: false, nextRenewalAt: T0 + 7 * DAY })], policy, T0 + 9 * DAY);
    expect(f.state).toBe('expired');
    expect(f.transitions.at(-1)?.cause).toBe('not_renewed');
  });

  it('flags impossible transitions and keeps the state, but counts money taken', () => {
    const events = [ev('subscribed', 0), ev('unsubscribed', 0.5), ev('renewed', 1)];
    const f = foldSubscription(events, policy, T0 + 1.5 * DAY);
    expect(f.state).toBe('cancelled');
    expect(f.flags.get(events[2]!.id)).toBe('renewed_while_cancelled');
    expect(f.revenueMinor).toBe(1000);
    expect(f.renewals).toBe(0);
  });

  it('adopts what the operator implies when the start was never seen, flagged', () => {
    const e = ev('renewal_failed', 0);
    const f = foldSubscription([e], policy, T0 + DAY);
    expect(f.state).toBe('grace');
    expect(f.flags.get(e.id)).toBe('renewal_failed_without_earlier_events');
  });

  it('tracks subscriber requests without letting them decide charging', () => {
    const req = ev('subscribe_requested', 0);
    expect(foldSubscription([req], policy, T0 + DAY)).toMatchObject({ state: 'pending', pendingAction: 'subscribe', deadlineAt: null });
    const sub = ev('subscribed', 0.1);
    const stop = ev('unsubscribe_requested', 0.5);
    const active = foldSubscription([req, sub, stop], policy, T0 + 0.6 * DAY);
    expect(active).toMatchObject({ state: 'active', pendingAction: 'unsubscribe' });
    // The operator renews anyway: the charge counts and is flagged (no renewal without consent).
    const renewed = ev('renewed', 1);
    const f = foldSubscription([req, sub, stop, renewed], policy, T0 + 1.1 * DAY);
    expect(f.state).toBe('active');
    expect(f.flags.get(renewed.id)).toBe('renewed_after_unsubscribe_request');
    // A stop before the operator confirmed cancels the pending request.
    expect(foldSubscription([req, ev('unsubscribe_requested', 0.2)], policy, T0 + DAY).state).toBe('cancelled');
  });

  it('uses the operator next charge time when given', () => {
    const f = foldSubscription([ev('subscribed', 0, { nextRenewalAt: T0 + 2 * DAY })], policy, T0 + DAY);
    expect(f.nextRenewalAt).toBe(T0 + 2 * DAY);
    expect(f.deadlineAt).toBe(T0 + 3 * DAY);
  });

  it('adds calendar months, clamped to the end of a shorter month', () => {
    expect(new Date(addPeriod(Date.parse('2026-01-31T06:00:00Z'), 'monthly')).toISOString()).toBe('2026-02-28T06:00:00.000Z');
    expect(new Date(addPeriod(Date.parse('2028-01-31T06:00:00Z'), 'monthly')).toISOString()).toBe('2028-02-29T06:00:00.000Z');
    expect(new Date(addPeriod(Date.parse('2026-12-15T06:00:00Z'), 'monthly')).toISOString()).toBe('2027-01-15T06:00:00.000Z');
    expect(addPeriod(T0, 'weekly') - T0).toBe(7 * DAY);
  });
});
