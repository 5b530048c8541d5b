import { beforeAll, describe, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import type { LifeTable } from '../../src/crm/package-fit';
import { crmSnapshots } from '../../src/db/schema';
import { packageFitReport } from '../../src/reports/package-fit';
import { payingUsingReport } from '../../src/reports/paying-using';
import { parseRange } from '../../src/reports/range';
import { SnapshotStore } from '../../src/reports/stores/snapshot-store';
import { eachBackend } from '../helpers/backends';

// Paying-vs-using and package fit on both engines: both read the CRM pass's daily snapshots (a JSON
// column). Planted snapshots come back as the last one in the range with the trend oldest first,
// numbers exactly as stored, and a range without a snapshot says so.
const days = new Days('Africa/Nairobi');
const d1 = days.of(Date.parse('2026-11-02T09:00:00Z'));
const d2 = d1 + 1;
const before = d1 - 5;
const after = d1 + 10;
const range = (from = '2026-11-01', to = '2026-11-03') => parseRange({ from, to }, Date.parse('2026-12-30T00:00:00Z'), days);

const cell = (subscribers: number, monthlyRevenue: number) => ({ subscribers, monthlyRevenue });
/** A paying-vs-using matrix for two services; `atStake` is the paying-but-not-using revenue of the first. */
const matrix = (notUsing: number, atStake: number) => ({
  services: {
    'crop-daily': { payingUsing: cell(40, 6000), payingNotUsing: cell(notUsing, atStake), notPayingUsing: cell(3, 0), notPayingNotUsing: cell(1, 0), windowDays: 7, currency: 'KES', revenueAtStake: atStake },
    'market-weekly': { payingUsing: cell(9, 180), payingNotUsing: cell(2, 40), notPayingUsing: cell(0, 0), notPayingNotUsing: cell(0, 0), windowDays: 14, currency: 'KES', revenueAtStake: 40 },
  },
  usingWithoutSubscription: { subscribers: 12, windowDays: 7 },
});

const table = (pattern: LifeTable['pattern'], period: LifeTable['period'], ended: [number, number][], censored: [number, number][]): LifeTable => ({
  pattern, period, subscriptions: [...ended, ...censored].reduce((a, [, k]) => a + k, 0), ended, censored,
});

eachBackend((get) => {
  let snapshots: SnapshotStore;
  beforeAll(async () => {
    const b = get();
    snapshots = new SnapshotStore(b.database);
    // Planted newest first: the trend's order must come from the days, not from the insertion order.
    await b.plant(crmSnapshots, [
      { kind: 'paying_using', day: after, data: matrix(999, 999), at: 4 },
      { kind: 'paying_using', day: d2, data: matrix(15, 0.1 + 0.2), at: 3 },
      { kind: 'paying_using', day: d1, data: matrix(20, 1234.56), at: 2 },
      { kind: 'paying_using', day: before, data: matrix(30, 4500), at: 1 },
      { kind: 'package_fit', day: after, data: { subscriptions: 1, tables: [], definitions: {} }, at: 4 },
      {
        kind: 'package_fit',
        day: d2,
        data: {
          subscriptions: 210,
          definitions: { dailyShare: 0.5, lapsedAfterDays: 30 },
          tables: [
            // Daily users: everyone on the weekly package stayed, 60 of 100 on the daily package left on day 10.
            table('daily', 'weekly', [], [[100, 100]]),
            table('daily', 'daily', [[10, 60]], [[100, 40]]),
            // Lapsed users: 5 of 5 against 4 of 5 is too few to call.
            table('lapsed', 'monthly', [], [[100, 5]]),
            table('lapsed', 'weekly', [[5, 1]], [[100, 4]]),
          ],
        },
        at: 3,
      },
      { kind: 'package_fit', day: d1, data: { subscriptions: 2, tables: [], definitions: {} }, at: 2 },
    ]);
  });

  describe('paying vs using', () => {
    it('shows the last snapshot in the range and the trend oldest first, numbers as stored', async () => {
      const r = (await payingUsingReport(snapshots, days, range(), undefined)) as Record<string, unknown>;
      expect(r.asOf).toBe(days.iso(d2));
      expect(r.services).toEqual(matrix(15, 0.1 + 0.2).services);
      expect(r.usingWithoutSubscription).toEqual({ subscribers: 12, windowDays: 7 });
      expect(r.trend).toEqual([
        { day: days.iso(d1), services: { 'crop-daily': { payingNotUsing: 20, revenueAtStake: 1234.56 }, 'market-weekly': { payingNotUsing: 2, revenueAtStake: 40 } } },
        { day: days.iso(d2), services: { 'crop-daily': { payingNotUsing: 15, revenueAtStake: 0.30000000000000004 }, 'market-weekly': { payingNotUsing: 2, revenueAtStake: 40 } } },
      ]);
    });

    it('lists the services in the configured order, whatever order the engine kept the JSON keys in', async () => {
      const r = (await payingUsingReport(snapshots, days, range(), undefined, ['market-weekly', 'crop-daily'])) as { services: Record<string, unknown>; trend: Array<{ services: Record<string, unknown> }> };
      expect(Object.keys(r.services)).toEqual(['market-weekly', 'crop-daily']);
      expect(r.trend.map((t) => Object.keys(t.services))).toEqual([
        ['market-weekly', 'crop-daily'],
        ['market-weekly', 'crop-daily'],
      ]);
    });

    it('limits to one service', async () => {
      const r = (await payingUsingReport(snapshots, days, range(), 'market-weekly')) as { services: Record<string, unknown>; trend: Array<{ services: Record<string, unknown> }> };
      expect(Object.keys(r.services)).toEqual(['market-weekly']);
      expect(r.trend.map((t) => Object.keys(t.services))).toEqual([['market-weekly'], ['market-weekly']]);
    });

    it('says when the range holds no snapshot', async () => {
      const r = await payingUsingReport(snapshots, days, range('2026-11-20', '2026-11-25'), undefined);
      expect(r).toMatchObject({ asOf: null, services: {}, trend: [] });
      expect(r.note).toMatch(/No snapshot in this range/);
    });
  });

  describe('package fit', () => {
    type Pkg = { period: string; subscriptions: number; ended: number; stillSubscribed: number; survival: Record<string, { survival: number } | null>; medianDays: number | null };
    type Pattern = { pattern: string; subscriptions: number; packages: Pkg[]; best: { period: string | null; horizonDays: number | null; aheadOf?: string; by?: number; note?: string } };

    it('reads the last snapshot in the range and names the package that keeps a pattern longest', async () => {
      const r = (await packageFitReport(snapshots, days, range())) as { asOf: string; subscriptions: number; definitions: unknown; patterns: Pattern[] };
      expect(r).toMatchObject({ asOf: days.iso(d2), subscriptions: 210, definitions: { dailyShare: 0.5, lapsedAfterDays: 30 } });
      const daily = r.patterns.find((p) => p.pattern === 'daily')!;
      expect(daily.subscriptions).toBe(200);
      expect(daily.packages.find((p) => p.period === 'weekly')).toMatchObject({ subscriptions: 100, ended: 0, stillSubscribed: 100, medianDays: null, survival: { day30: { survival: 1 }, day90: { survival: 1 } } });
      expect(daily.packages.find((p) => p.period === 'daily')).toMatchObject({ subscriptions: 100, ended: 60, stillSubscribed: 40, medianDays: 10, survival: { day30: { survival: 0.4 }, day90: { survival: 0.4 } } });
      expect(daily.best).toMatchObject({ period: 'weekly', horizonDays: 90, aheadOf: 'daily', by: 0.6 });
      const lapsed = r.patterns.find((p) => p.pattern === 'lapsed')!;
      expect(lapsed.subscriptions).toBe(10);
      expect(lapsed.best).toMatchObject({ period: null, horizonDays: 90, note: expect.stringMatching(/^Not enough data to call: monthly leads weekly by 0.2/) });
      expect(r.patterns.find((p) => p.pattern === 'weekly')).toMatchObject({ subscriptions: 0, packages: [], best: { period: null } });
    });

    it('takes an earlier snapshot for an earlier range, and says when there is none', async () => {
      expect(await packageFitReport(snapshots, days, range('2026-11-01', '2026-11-02'))).toMatchObject({ asOf: days.iso(d1), subscriptions: 2 });
      expect(await packageFitReport(snapshots, days, range('2026-11-20', '2026-11-25'))).toMatchObject({ asOf: null, patterns: [] });
    });
  });
});
