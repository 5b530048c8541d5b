import { beforeAll, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import { crmRiskRankings, crmSnapshots, subscribers } from '../../src/db/schema';
import { riskReport } from '../../src/reports/risk';
import { RiskStore } from '../../src/reports/stores/risk-store';
import { SnapshotStore } from '../../src/reports/stores/snapshot-store';
import { eachBackend } from '../helpers/backends';

// The risk report on both engines: planted rankings (floats, nullable evidence) joined to their
// subscribers come back in the promised order (value at risk, then risk, then subscriber), with the
// service and state filters, the limit, the summary snapshot (JSON) and nothing before the first scoring.
const days = new Days('Africa/Nairobi');
const d1 = days.of(Date.parse('2026-11-02T09:00:00Z'));
const SCORED = Date.parse('2026-11-03T03:00:00Z');

const subscriber = (id: number, region: string | null, crop: string | null) => ({ id, msisdn: `25470000000${id}`, region, crop, firstSeenAt: 1, updatedAt: 1 });
type Evidence = Partial<typeof crmRiskRankings.$inferInsert>;
const ranked = (kind: string, subscriberId: number, serviceId: string, state: string, valueAtRisk: number, risk: number, e: Evidence = {}) => ({
  kind, subscriberId, serviceId, state, valueAtRisk, risk,
  pAlive: 0.5, lastActiveDay: d1, activeDays: 4, renewProbability: 0.6, renewals: 2, consecutiveFailures: 0, recentFailedCharges: 0,
  residualPeriods: 10, residualValue: 100, computedAt: SCORED - 1000, ...e,
});
const state = (subscribers: number, lapseValueAtRisk: number) => ({ subscribers, lapseValueAtRisk, disengagementValueAtRisk: 20, residualValue: 62.5 });
const summary = { subscriptions: 5, atRiskFrom: 0.2, atRisk: { lapse: 4, disengagement: 2, notYetJudged: 1 }, byState: { suspended: state(1, 50), grace: state(1, 50), active: state(2, 60.12) } };

type Item = { rank: number; msisdn: string; region: string | null; crop: string | null; serviceId: string; risk: number; valueAtRisk: number; residualValue: number; residualPeriods: number; evidence: Record<string, unknown> };
type Report = { computedAt: string | null; summary: unknown; lapse: Item[]; disengagement: Item[] };

eachBackend((get) => {
  let stores: { risk: RiskStore; snapshots: SnapshotStore };
  const report = async (service?: string, state?: 'active' | 'grace' | 'suspended', limit = 100) => (await riskReport(stores, days, service, state, limit)) as unknown as Report;
  const order = (items: Item[]) => items.map((i) => [i.msisdn.slice(-1), i.serviceId]);

  beforeAll(async () => {
    const b = get();
    stores = { risk: new RiskStore(b.database), snapshots: new SnapshotStore(b.database) };
    await b.plant(subscribers, [subscriber(1, 'Nakuru', 'maize'), subscriber(2, 'Kisumu', null), subscriber(3, null, 'beans'), subscriber(4, 'Nakuru', 'maize')]);
    // Planted out of order: the ranking's order is the statement's, not the table's.
    await b.plant(crmRiskRankings, [
      ranked('lapse', 4, 'crop-daily', 'active', 10.1234, 0.3, { pAlive: null, lastActiveDay: null, activeDays: 0 }),
      ranked('lapse', 3, 'market-weekly', 'suspended', 50, 0.9),
      ranked('lapse', 1, 'crop-daily', 'grace', 50, 0.8, { renewProbability: 0.2, renewals: 3, consecutiveFailures: 2, recentFailedCharges: 4, residualPeriods: 12.5, residualValue: 62.5, computedAt: SCORED }),
      ranked('lapse', 2, 'crop-daily', 'active', 50, 0.9),
      ranked('disengagement', 1, 'crop-daily', 'grace', 20, 0.4),
      ranked('disengagement', 4, 'crop-daily', 'active', 30, 0.7, { pAlive: 0.3 }),
    ]);
    await b.plant(crmSnapshots, [
      { kind: 'risk', day: d1 - 1, data: { subscriptions: 1 }, at: 1 },
      { kind: 'risk', day: d1, data: summary, at: 2 },
    ]);
  });

  it('ranks each kind by value at risk, then risk, then subscriber, with the evidence of both risks', async () => {
    const r = await report();
    expect(r.computedAt).toBe(new Date(SCORED).toISOString());
    expect(r.summary).toEqual(summary);
    // Listed in lifecycle order: PostgreSQL's jsonb keeps keys by length, SQLite as written (here neither).
    expect(Object.keys((r.summary as typeof summary).byState)).toEqual(['active', 'grace', 'suspended']);
    expect(order(r.lapse)).toEqual([
      ['2', 'crop-daily'],
      ['3', 'market-weekly'],
      ['1', 'crop-daily'],
      ['4', 'crop-daily'],
    ]);
    expect(r.lapse.map((i) => i.rank)).toEqual([1, 2, 3, 4]);
    expect(r.lapse[2]).toEqual({
      rank: 3,
      msisdn: '254700000001',
      region: 'Nakuru',
      crop: 'maize',
      serviceId: 'crop-daily',
      risk: 0.8,
      valueAtRisk: 50,
      residualValue: 62.5,
      residualPeriods: 12.5,
      evidence: { state: 'grace', renewProbability: 0.2, renewals: 3, consecutiveFailures: 2, recentFailedCharges: 4, pAlive: 0.5, neverActive: false, lastActiveDay: '2026-11-02', activeDays: 4 },
    });
    expect(r.lapse[3]).toMatchObject({ valueAtRisk: 10.123, evidence: { pAlive: null, neverActive: true, lastActiveDay: null, activeDays: 0 } });
    expect(r.lapse[1]).toMatchObject({ region: null, crop: 'beans' });
    expect(order(r.disengagement)).toEqual([
      ['4', 'crop-daily'],
      ['1', 'crop-daily'],
    ]);
  });

  it('limits to a service, a state and a length', async () => {
    expect(order((await report('market-weekly')).lapse)).toEqual([['3', 'market-weekly']]);
    const grace = await report(undefined, 'grace');
    expect(order(grace.lapse)).toEqual([['1', 'crop-daily']]);
    expect(order(grace.disengagement)).toEqual([['1', 'crop-daily']]);
    expect(order((await report('crop-daily', 'active')).lapse)).toEqual([
      ['2', 'crop-daily'],
      ['4', 'crop-daily'],
    ]);
    expect(order((await report(undefined, undefined, 2)).lapse)).toEqual([
      ['2', 'crop-daily'],
      ['3', 'market-weekly'],
    ]);
    expect(await report('market-weekly', 'active')).toMatchObject({ lapse: [], disengagement: [] });
  });

  it('has nothing before the first scoring', async () => {
    await get().clear(crmRiskRankings, crmSnapshots);
    expect(await report()).toMatchObject({ computedAt: null, summary: null, lapse: [], disengagement: [] });
  });
});
