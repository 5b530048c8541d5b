import type { Config } from '../config';
import type { Db } from '../db/client';
import { DAY } from '../lib/clock';
import type { Days } from './days';
import { PackageFitStore } from './package-fit-store';

/** Usage patterns, from the activity history (docs/package-fit.md). */
export const USAGE_PATTERNS = ['daily', 'weekly', 'seasonal', 'lapsed'] as const;
export type UsagePattern = (typeof USAGE_PATTERNS)[number];
/** Lifetimes are counted in whole days up to this; longer runs count as still subscribed at this age. */
export const MAX_LIFETIME_DAYS = 366;

/** One pattern x package period: lifetimes in days of the runs that ended, and of those still live (censored). */
export interface LifeTable {
  pattern: UsagePattern;
  period: 'daily' | 'weekly' | 'monthly';
  subscriptions: number;
  /** [lifetime days, runs] of runs that ended (cancelled or expired) at that age. */
  ended: [number, number][];
  /** [observed days, runs] of runs still live (or older than MAX_LIFETIME_DAYS): they lasted at least that long. */
  censored: [number, number][];
}

/**
 * The usage pattern of a subscriber judged at day `endDay` (the day the subscription ended, or today):
 * lapsed without activity in the `lapsedAfterDays` before it; else by the share of days active over their
 * history (first active day to the later of the last active day and `endDay`).
 */
export function usagePattern(cfg: Config['crm']['packageFit'], endDay: number, firstDay: number | null, lastDay: number | null, activeDays: number): UsagePattern {
  if (firstDay === null || lastDay === null || activeDays <= 0 || firstDay > endDay) return 'lapsed';
  if (lastDay < endDay - cfg.lapsedAfterDays) return 'lapsed';
  const share = activeDays / (Math.max(lastDay, endDay) - firstDay + 1);
  if (share >= cfg.dailyFrom) return 'daily';
  if (share >= cfg.weeklyFrom) return 'weekly';
  return 'seasonal';
}

/**
 * The daily package-fit snapshot: every subscription run that ever started, grouped by its subscriber's
 * usage pattern and its service's period, as life tables (ended and still-live lifetimes in days), so
 * the report estimates survival (Kaplan-Meier) from a few hundred numbers. One scan of the subscriptions.
 */
export function takePackageFitSnapshot(d: { db: Db; config: Config; days: Days }, now: number): { subscriptions: number } {
  const store = new PackageFitStore(d.db);
  const periods = new Map(d.config.services.map((s) => [s.id, s.period]));
  const cfg = d.config.crm.packageFit;
  const today = d.days.of(now);
  const groups = new Map<string, { t: LifeTable; ended: Map<number, number>; censored: Map<number, number> }>();
  let n = 0;
  for (const [serviceId, state, subscribedAt, enteredAt, firstDay, lastDay, activeDays] of store.subscriptionLives()) {
    const period = periods.get(serviceId);
    if (!period) continue;
    const ended = state === 'cancelled' || state === 'expired';
    const end = ended ? Math.max(subscribedAt, enteredAt ?? subscribedAt) : Math.max(subscribedAt, now);
    const lifetime = Math.floor((end - subscribedAt) / DAY);
    const pattern = usagePattern(cfg, ended ? d.days.of(end) : today, firstDay, lastDay, activeDays ?? 0);
    const key = `${pattern}/${period}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { t: { pattern, period, subscriptions: 0, ended: [], censored: [] }, ended: new Map(), censored: new Map() }));
    g.t.subscriptions++;
    const capped = Math.min(lifetime, MAX_LIFETIME_DAYS);
    const into = ended && lifetime < MAX_LIFETIME_DAYS ? g.ended : g.censored;
    into.set(capped, (into.get(capped) ?? 0) + 1);
    n++;
  }
  const pairs = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]);
  const tables = [...groups.values()].map((g) => ({ ...g.t, ended: pairs(g.ended), censored: pairs(g.censored) }));
  store.save(today, { subscriptions: n, tables, definitions: cfg }, now);
  return { subscriptions: n };
}
