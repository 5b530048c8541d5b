import { beforeAll, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import { calls, crmFindings, crmInterventions, crmInterventionTiers, crmSnapshots, crmTierExits, crmTierRevenueDaily, messageParts, messages, subscribers } from '../../src/db/schema';
import { parseRange } from '../../src/reports/range';
import { TiersStore } from '../../src/reports/stores/tiers-store';
import { tiersReport } from '../../src/reports/tiers';
import { eachBackend } from '../helpers/backends';

// The tiers report on both engines: planted tier snapshots (a JSON column), daily revenue per tier,
// exits and the tier noted on each intervention come back as subscribers now, revenue, retention from
// the snapshot at the range start, the value that left, and the billed cost of the interventions.
const days = new Days('Africa/Nairobi');
const DAY = 86_400_000;
const now = Date.parse('2026-12-10T09:00:00Z');
const range = (from: string, to: string) => parseRange({ from, to }, now, days);
const nov = range('2026-11-01', '2026-11-30');
const cfg = { currency: 'KES', tiers: { coreShare: 0.05, growthShare: 0.15, minTenureDays: 30 } };
const startAt = nov.from - 2 * DAY + 3_600_000;
const at = nov.from + 3 * DAY;

const snapshot = (day: number, computedAt: number, subs: Record<string, number>, kind = 'tiers') => ({
  kind, day, at: computedAt, data: { computedAt, subscribers: subs, residualValue: { core: 900.5, growth: 300.25, base: 50, new: 0 }, lowestResidualValue: { core: 12.5, growth: 3.25 } },
});
let exitId = 0;
const exit = (tier: string, leftAt: number, residualValue: number, firstTieredAt: number) => ({ id: ++exitId, subscriberId: 1, tier, residualValue, tenureDays: 100, firstTieredAt, leftAt, noticedAt: leftAt });
type I = typeof crmInterventions.$inferInsert;
let seq = 0;
const iv = (arm: 'treatment' | 'holdout', channel: string, o: Partial<I> = {}): I => {
  const id = `i${++seq}`;
  return { id, findingId: `f-${id}`, subscriberId: 1, kind: 'save', findingKind: 'lapsing', arm, channel, status: arm === 'holdout' ? 'held_out' : 'queued', at, windowEndsAt: at + 7 * DAY, ...o };
};
const msg = (id: string, status: string, parts: number) => ({ id, subscriberId: 1, msisdn: '254700000001', text: 'hi', kind: 'promotional', source: 'crm', status, encoding: 'gsm7', parts, dueAt: at, expiresAt: at + DAY, createdAt: at, updatedAt: at });

type Tier = {
  tier: string;
  subscribers: number | null;
  residualValue: number | null;
  revenue: { amount: number; charges: number };
  retention: { atStart: number; left: number; stillSubscribed: number; rate: number | null } | null;
  churned: { subscribers: number; lostValue: number };
  interventions: { decided: number; treated: number; cost: number };
};
type Report = { computedAt: string | null; retentionFrom: string | null; lowestResidualValue: unknown; tiers: Tier[]; untiered: { revenue: { amount: number; charges: number } }; note?: string };

eachBackend((get) => {
  let store: TiersStore;
  const report = async (r = nov) => (await tiersReport(store, r, cfg)) as unknown as Report;
  const tier = (r: Report, name: string) => r.tiers.find((t) => t.tier === name)!;

  beforeAll(async () => {
    const b = get();
    store = new TiersStore(b.database);
    seq = 0;
    exitId = 0;
    await b.plant(subscribers, [{ id: 1, msisdn: '254700000001', firstSeenAt: 0, updatedAt: 0 }]);
    await b.plant(crmSnapshots, [
      snapshot(nov.fromDay - 2, startAt, { core: 10, growth: 20, base: 30, new: 5 }),
      snapshot(nov.toDay - 3, nov.to - 3 * DAY, { core: 9, growth: 21, base: 28, new: 7 }),
      snapshot(nov.toDay + 5, nov.to + 5 * DAY, { core: 1, growth: 1, base: 1, new: 1 }),
      snapshot(nov.toDay, nov.to, { core: 99 }, 'paying_using'),
    ]);
    await b.plant(crmTierRevenueDaily, [
      { day: nov.fromDay + 1, tier: 'core', revenueMinor: 1000, charges: 2 },
      { day: nov.toDay, tier: 'core', revenueMinor: 500, charges: 1 },
      { day: nov.fromDay + 1, tier: 'growth', revenueMinor: 300, charges: 3 },
      { day: nov.fromDay + 2, tier: 'none', revenueMinor: 200, charges: 1 },
      { day: nov.toDay + 1, tier: 'core', revenueMinor: 99_999, charges: 50 },
    ]);
    await b.plant(crmTierExits, [
      exit('core', nov.from + 5 * DAY, 12.25, nov.from - 100 * DAY),
      // Left after the start snapshot but before the range: lost to retention, not churned in the range.
      exit('core', nov.from - DAY, 5, nov.from - 100 * DAY),
      // Tiered after the start snapshot: churned in the range, not part of the starting cohort.
      exit('growth', nov.from + 6 * DAY, 2.5, nov.from),
      exit('base', nov.from - 10 * DAY, 7, nov.from - 100 * DAY),
    ]);
    await b.plant(messages, [msg('m1', 'delivered', 2), msg('m2', 'failed', 3)]);
    await b.plant(messageParts, [{ messageId: 'm2', seq: 1, smsc: 's', smscId: 'x1', bindId: 'b', status: 'failed', submittedAt: at }]);
    await b.plant(calls, [{ id: 'c1', subscriberId: 1, msisdn: '254700000001', flowId: 'voice-guide', kind: 'promotional', source: 'crm', status: 'completed', answeredAt: at, amount: 0.35, currency: 'KES', createdAt: at, updatedAt: at }]);
    const ivs = [
      iv('treatment', 'sms', { messageId: 'm1', parts: 2, costMinor: 300 }),
      iv('treatment', 'call', { callId: 'c1', costMinor: 50, kind: 'save_call' }),
      iv('holdout', 'none'),
      iv('treatment', 'sms', { messageId: 'm2', parts: 3, costMinor: 300 }),
      iv('treatment', 'sms', { messageId: 'm1', parts: 2, costMinor: 300, at: nov.to + 1 }),
    ];
    await b.plant(crmFindings, ivs.map((i) => ({ id: i.findingId, subscriberId: 1, kind: 'lapsing', dedupeKey: i.findingId, status: 'acted', reason: 'r', detail: {}, detectedAt: at, notBefore: at, expiresAt: at, closedAt: at })));
    await b.plant(crmInterventions, ivs);
    await b.plant(crmInterventionTiers, [
      { interventionId: 'i1', tier: 'core', at },
      { interventionId: 'i2', tier: 'core', at },
      { interventionId: 'i3', tier: 'core', at },
      { interventionId: 'i4', tier: 'growth', at },
      { interventionId: 'i5', tier: 'core', at: nov.to + 1 },
    ]);
  });

  it('reads the tiers now from the latest snapshot in the range, and revenue per tier', async () => {
    const r = await report();
    expect(r.computedAt).toBe(new Date(nov.to - 3 * DAY).toISOString());
    expect(r.lowestResidualValue).toEqual({ core: 12.5, growth: 3.25 });
    expect(r.tiers.map((t) => [t.tier, t.subscribers, t.residualValue])).toEqual([
      ['core', 9, 900.5],
      ['growth', 21, 300.25],
      ['base', 28, 50],
      ['new', 7, 0],
    ]);
    expect(tier(r, 'core').revenue).toEqual({ amount: 15, charges: 3 });
    expect(tier(r, 'growth').revenue).toEqual({ amount: 3, charges: 3 });
    expect(r.untiered.revenue).toEqual({ amount: 2, charges: 1 });
    expect(r.note).toBeUndefined();
  });

  it('counts retention from the snapshot at the range start and the value that left in the range', async () => {
    const r = await report();
    expect(r.retentionFrom).toBe(new Date(startAt).toISOString());
    expect(tier(r, 'core').retention).toMatchObject({ atStart: 10, left: 2, stillSubscribed: 8, rate: 0.8 });
    expect(tier(r, 'growth').retention).toMatchObject({ atStart: 20, left: 0, rate: 1 });
    expect(tier(r, 'core').churned).toEqual({ subscribers: 1, lostValue: 12.25 });
    expect(tier(r, 'growth').churned).toEqual({ subscribers: 1, lostValue: 2.5 });
    expect(tier(r, 'base').churned).toEqual({ subscribers: 0, lostValue: 0 });
  });

  it("charges each tier what its interventions were billed: accepted SMS parts, the provider's call price", async () => {
    const r = await report();
    expect(tier(r, 'core').interventions).toEqual({ decided: 3, treated: 2, cost: 3.35 });
    expect(tier(r, 'growth').interventions).toEqual({ decided: 1, treated: 1, cost: 1 });
    expect(tier(r, 'base').interventions).toEqual({ decided: 0, treated: 0, cost: 0 });
  });

  it('says no tiers are computed before the first snapshot', async () => {
    const r = await report(range('2025-01-01', '2025-01-31'));
    expect(r).toMatchObject({ computedAt: null, retentionFrom: null, lowestResidualValue: null, untiered: { revenue: { amount: 0, charges: 0 } } });
    expect(r.note).toMatch(/No tiers computed yet/);
    expect(r.tiers.every((t) => t.subscribers === null && t.retention === null && t.churned.subscribers === 0 && t.interventions.decided === 0)).toBe(true);
  });
});
