import { beforeAll, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import { crmFits } from '../../src/db/schema';
import { parseRange } from '../../src/reports/range';
import { retentionReport } from '../../src/reports/retention';
import { FitsStore } from '../../src/reports/stores/fits-store';
import { eachBackend } from '../helpers/backends';

// Retention on both engines: planted model fits (three JSON columns: parameters, the observed data, the
// fit's quality with its booleans and lists) come back as the same curves, in model, service and cohort
// order (the pooled cohort '*' first), with the range choosing cohorts and the service filter.
const days = new Days('Africa/Nairobi');
const FITTED = Date.parse('2026-11-03T02:00:00Z');
const range = (from = '2026-11-01', to = '2026-11-03') => parseRange({ from, to }, Date.parse('2026-12-30T00:00:00Z'), days);
const config = { annualDiscountRate: 0, periodDays: (id: string) => (id === 'market-weekly' ? 7 : 1) };

const goodQuality = {
  n: 100,
  converged: true,
  identified: true,
  atBound: [],
  shrunk: false,
  params: { a: { estimate: 1, seLog: 0.1, low: 0.8, high: 1.25 }, b: { estimate: 3, seLog: null, low: null, high: null } },
};
const sbg = (serviceId: string, cohort: string, quality: Record<string, unknown> = goodQuality) => ({
  model: 'sbg', serviceId, cohort, params: { a: 1, b: 3 }, size: 100, logLikelihood: -123.456,
  // 100 subscribers: 20 lost at the first renewal, 10 at the second, 70 still subscribed after two.
  observed: { lost: [0, 20, 10], active: [0, 0, 70] }, quality, fittedAt: FITTED,
});
const interval = (estimate: number) => ({ estimate, seLog: 0.2, low: estimate / 2, high: estimate * 2 });
const bgbb = (cohort: string, repeat: number[]) => ({
  model: 'bgbb', serviceId: '', cohort, params: { a: 1, b: 4, g: 1, d: 9 }, size: 40, logLikelihood: -50, observed: { repeatDays: { observed: repeat, fitted: [4.8, 3.1, 2.1] } }, quality: { converged: false, atBound: ['g'], params: { a: interval(1), b: interval(4), g: interval(1), d: interval(9) } }, fittedAt: FITTED,
});

type Cohort = { serviceId: string; cohort: string; subscriptions: number; churned: number; curve: string; sbg: Record<string, number>; quality: Record<string, unknown>; observed: unknown[]; fitted: Array<{ period: number; survival: number }>; observedVsFitted: unknown[]; fittedAt: string };
type Activity = { cohort: string; curve: string; bgbb: Record<string, number>; meanDailyActivity: number; quality: Record<string, unknown>; observedVsFitted: unknown[] };
type Report = { subscriptions: Cohort[]; activity: Activity[] };

eachBackend((get) => {
  let store: FitsStore;
  const report = async (r = range(), service?: string) => (await retentionReport(store, r, service, config)) as unknown as Report;

  beforeAll(async () => {
    const b = get();
    store = new FitsStore(b.database);
    // Planted out of order: the report's order is the store's.
    await b.plant(crmFits, [
      sbg('market-weekly', '2026-10-26'),
      sbg('crop-daily', '2026-11', { usedPooled: true, reason: 'too_small', explanation: 'fewer than 30 subscriptions' }),
      sbg('crop-daily', '2026-09'),
      bgbb('2026-11', [5, 3, 2]),
      sbg('crop-daily', '*'),
      sbg('crop-daily', '2026-10'),
      bgbb('*', [50, 30, 20]),
    ]);
  });

  it('shows every cohort overlapping the range, observed against fitted, in service and cohort order', async () => {
    const r = await report();
    expect(r.subscriptions.map((c) => [c.serviceId, c.cohort, c.curve])).toEqual([
      ['crop-daily', 'all', 'pooled'],
      ['crop-daily', '2026-10', 'own'],
      ['crop-daily', '2026-11', 'pooled'],
      ['market-weekly', '2026-10-26', 'own'],
    ]);
    const own = r.subscriptions[1]!;
    expect(own).toMatchObject({ subscriptions: 100, churned: 30, sbg: { a: 1, b: 3, meanChurnPerPeriod: 0.25, logLikelihood: -123.46 }, fittedAt: new Date(FITTED).toISOString() });
    expect(own.observed).toEqual([
      { period: 0, atRisk: 100, survival: 1 },
      { period: 1, atRisk: 100, survival: 0.8 },
      { period: 2, atRisk: 80, survival: 0.7 },
    ]);
    // sBG with a = 1, b = 3: S(1) = 3/4, S(2) = 3/4 x 4/5.
    expect(own.observedVsFitted).toEqual([
      { period: 0, atRisk: 100, observed: 1, fitted: 1 },
      { period: 1, atRisk: 100, observed: 0.8, fitted: 0.75 },
      { period: 2, atRisk: 80, observed: 0.7, fitted: 0.6 },
    ]);
    expect(own.quality).toEqual({
      n: 100,
      logLikelihood: -123.46,
      ageDays: null,
      usedPooled: false,
      shrunkTowardPooled: false,
      converged: true,
      identified: true,
      atBound: [],
      intervals95: { a: { estimate: 1, low: 0.8, high: 1.25, seLog: 0.1 }, b: { estimate: 3, low: null, high: null, seLog: null } },
    });
    expect(r.subscriptions[2]!.quality).toMatchObject({ usedPooled: true, reason: 'too_small', reasons: ['too_small'], explanation: 'fewer than 30 subscriptions' });
  });

  it('shows the activity fits with repeat days observed against fitted', async () => {
    const r = await report();
    expect(r.activity.map((a) => [a.cohort, a.curve])).toEqual([
      ['all', 'pooled'],
      ['2026-11', 'own'],
    ]);
    expect(r.activity[1]).toMatchObject({
      bgbb: { a: 1, b: 4, g: 1, d: 9 },
      meanDailyActivity: 0.2,
      quality: { converged: false, atBound: ['g'], intervals95: { d: { estimate: 9, low: 4.5, high: 18, seLog: 0.2 } } },
      observedVsFitted: [
        { repeatActiveDays: '0', observed: 5, fitted: 4.8 },
        { repeatActiveDays: '1', observed: 3, fitted: 3.1 },
        { repeatActiveDays: '2+', observed: 2, fitted: 2.1 },
      ],
    });
    // The model's own parameter order (jsonb would keep a, b, d, g).
    expect(Object.keys(r.activity[1]!.quality.intervals95 as object)).toEqual(['a', 'b', 'g', 'd']);
  });

  it('limits to a service, and keeps only the pooled fits for a range no cohort overlaps', async () => {
    expect((await report(range(), 'market-weekly')).subscriptions.map((c) => c.cohort)).toEqual(['2026-10-26']);
    const r = await report(range('2025-03-01', '2025-03-05'));
    expect(r.subscriptions.map((c) => [c.serviceId, c.cohort])).toEqual([['crop-daily', 'all']]);
    expect(r.activity.map((a) => a.cohort)).toEqual(['all']);
  });

  it('has nothing before the first scoring', async () => {
    await get().clear(crmFits);
    expect(await report()).toEqual({ subscriptions: [], activity: [] });
  });
});
