import { describe, expect, it } from 'vitest';
import { canFoldForward, foldForward, foldSubscription, lifecyclePolicy, type Folded, type FoldEvent, type StoredFold } from '../../src/subscriptions/lifecycle';
import type { BillingEventType } from '../../src/subscriptions/types';
import { seededRandom } from '../helpers/rng';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Short windows on a 6-hour grid, so events, evaluations and timed moves often fall on the same instant.
const POLICY = lifecyclePolicy('daily', { graceDays: 1, suspendDays: 2, missedRenewalHours: 12 });
const TYPES: BillingEventType[] = ['subscribed', 'renewed', 'renewed', 'renewal_failed', 'suspended', 'unsubscribed', 'expired', 'subscribe_requested', 'unsubscribe_requested'];


const stored = (f: Folded, evaluatedAt: number): StoredFold => ({
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
  lastEventAt: f.lastEventAt,
  evaluatedAt,
});

/** What is saved and logged after one more event: the stored fields, the new event's flag, and the moves time alone made since the last evaluation. */
const outcome = (f: Folded, e: FoldEvent, evaluatedBefore: number, asOf: number) => ({
  ...stored(f, asOf),
  deadlineAt: f.deadlineAt,
  flag: f.flags.get(e.id) ?? null,
  derived: f.transitions.filter((t) => t.eventId === null && t.at > evaluatedBefore && t.at <= asOf),
});

describe('folding one event forward from the stored state', () => {
  it('gives what the full fold gives whenever it says it can, on a grid full of ties', () => {
    let forward = 0;
    let full = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = seededRandom(seed);
      const grid = () => Math.floor(r() * 4) * 6 * HOUR;
      const events: FoldEvent[] = [];
      let clock = 0;
      let evaluatedAt = 0;
      for (let i = 0; i < 40; i++) {
        clock += grid();
        const back = r() < 0.2 ? Math.floor(r() * 8) * 6 * HOUR : r() < 0.5 ? grid() : 0;
        const at = clock - back;
        const e: FoldEvent = {
          id: i + 1,
          type: TYPES[Math.floor(r() * TYPES.length)]!,
          at,
          amountMinor: r() < 0.9 ? 500 : 0,
          nextRenewalAt: r() < 0.15 ? at + Math.floor(r() * 8 - 2) * 6 * HOUR : null,
          autoRenew: r() < 0.1 ? r() < 0.5 : null,
        };
        const before = foldSubscription(events, POLICY, evaluatedAt);
        const s = stored(before, evaluatedAt);
        events.push(e);
        const expected = foldSubscription(events, POLICY, clock);
        if (events.length > 1 && canFoldForward(s, e, POLICY)) {
          forward++;
          expect(outcome(foldForward(s, e, POLICY, clock), e, evaluatedAt, clock), `seed ${seed} event ${i}`).toEqual(outcome(expected, e, evaluatedAt, clock));
        } else {
          full++;
        }
        // Sometimes the lifecycle job evaluates again before the next event arrives.
        evaluatedAt = r() < 0.3 ? clock + grid() : clock;
        clock = Math.max(clock, evaluatedAt);
      }
    }
    // Both paths were exercised, the forward one most of the time.
    expect(forward).toBeGreaterThan(full);
    expect(full).toBeGreaterThan(500);
  });

  it('refuses an event at the very instant a timed move it would have prevented was applied', () => {
    const sub: FoldEvent = { id: 1, type: 'subscribed', at: 0, amountMinor: 500, nextRenewalAt: null, autoRenew: null };
    // Missed renewal: due at 1 day, grace from 1 day + 12 h; the job evaluated exactly then.
    const graceAt = DAY + 12 * HOUR;
    const s = stored(foldSubscription([sub], POLICY, graceAt), graceAt);
    expect(s.state).toBe('grace');
    const renewed: FoldEvent = { id: 2, type: 'renewed', at: graceAt, amountMinor: 500, nextRenewalAt: null, autoRenew: null };
    expect(canFoldForward(s, renewed, POLICY)).toBe(false);
    expect(foldSubscription([sub, renewed], POLICY, graceAt).entered.grace).toBeUndefined();
    // A moment later the move stands, and folding forward is exact.
    const later = { ...renewed, at: graceAt + 1 };
    expect(canFoldForward(s, later, POLICY)).toBe(true);
    expect(foldForward(s, later, POLICY, graceAt + 1)).toMatchObject({ state: 'active', entered: { grace: graceAt, active: graceAt + 1 } });
  });
});
