import type { Days } from '../crm/days';
import { USAGE_PATTERNS, type LifeTable } from '../crm/package-fit';
import type { ReportRange } from './range';
import type { SnapshotStore } from './stores/snapshot-store';
import { kaplanMeier } from './survival';

/** The ages (days) survival is reported at; the later one decides the best package when it can. */
export const FIT_HORIZONS = [30, 90] as const;
const PERIODS = ['daily', 'weekly', 'monthly'] as const;

const r4 = (x: number) => Math.round(x * 10000) / 10000;

type Point = { survival: number; ci95: [number, number]; atRisk: number } | null;

/**
 * Package fit (issue 15, journey 4): for each usage pattern, which package period keeps subscribers
 * longest. Per pattern x period: runs, how many ended, Kaplan-Meier survival at 30 and 90 days with 95%
 * intervals, the median and the mean lifetime within 90 days (censoring handled: live runs count for as
 * long as they were followed). The best package per pattern is named only when its survival interval
 * difference to every other package excludes zero; otherwise the report says there is not enough data.
 * Read from the daily package-fit snapshot: the last one in the range.
 */
export async function packageFitReport(snapshots: SnapshotStore, days: Days, r: ReportRange): Promise<Record<string, unknown>> {
  const rows = await snapshots.between('package_fit', r.fromDay, r.toDay);
  if (rows.length === 0) return { asOf: null, patterns: [], note: 'No package-fit snapshot in this range yet: it is taken by the first detector pass of each day.' };
  const last = rows[rows.length - 1]!;
  const data = last.data as { subscriptions: number; tables: LifeTable[]; definitions: Record<string, number> };
  const patterns = USAGE_PATTERNS.map((pattern) => {
    const packages = PERIODS.flatMap((period) => {
      const t = data.tables.find((x) => x.pattern === pattern && x.period === period);
      if (!t) return [];
      const km = kaplanMeier(t.ended, t.censored);
      const point = (h: number) => {
        const p: Point = km.at(h);
        return p ? { survival: r4(p.survival), ci95: [r4(p.ci95[0]), r4(p.ci95[1])] as [number, number], atRisk: p.atRisk } : null;
      };
      const mean = km.restrictedMean(90);
      return [
        {
          period,
          subscriptions: t.subscriptions,
          ended: t.ended.reduce((a, [, k]) => a + k, 0),
          stillSubscribed: t.censored.reduce((a, [, k]) => a + k, 0),
          survival: Object.fromEntries(FIT_HORIZONS.map((h) => [`day${h}`, point(h)])) as Record<string, ReturnType<typeof point>>,
          medianDays: km.median(),
          meanDaysWithin90: mean === null ? null : Math.round(mean * 10) / 10,
        },
      ];
    });
    return { pattern, subscriptions: packages.reduce((a, p) => a + p.subscriptions, 0), packages, best: bestPackage(packages) };
  });
  return { asOf: days.iso(last.day), subscriptions: data.subscriptions, definitions: data.definitions, horizonsDays: FIT_HORIZONS, patterns };
}

type Pkg = { period: string; survival: Record<string, { survival: number; ci95: [number, number] } | null> };

/**
 * The package that keeps a pattern longest, at the latest horizon at least two packages were followed to:
 * named when the 95% interval of its survival difference to each other package (the Newcombe hybrid of
 * their two intervals) excludes zero.
 */
function bestPackage(packages: Pkg[]): Record<string, unknown> {
  for (const h of [...FIT_HORIZONS].reverse()) {
    const key = `day${h}`;
    const known = packages.filter((p) => p.survival[key]).map((p) => ({ period: p.period, ...p.survival[key]! }));
    if (known.length < 2) continue;
    known.sort((a, b) => b.survival - a.survival);
    const top = known[0]!;
    const clear = known.slice(1).every((o) => {
      const diff = top.survival - o.survival;
      const lower = diff - Math.sqrt((top.survival - top.ci95[0]) ** 2 + (o.ci95[1] - o.survival) ** 2);
      return lower > 0;
    });
    const runnerUp = known[1]!;
    const diff = r4(top.survival - runnerUp.survival);
    if (clear) return { period: top.period, horizonDays: h, survival: top.survival, aheadOf: runnerUp.period, by: diff };
    return { period: null, horizonDays: h, note: `Not enough data to call: ${top.period} leads ${runnerUp.period} by ${diff} at ${h} days, within the 95% intervals.` };
  }
  return { period: null, horizonDays: null, note: 'Not enough data: fewer than two packages followed to 30 days.' };
}
