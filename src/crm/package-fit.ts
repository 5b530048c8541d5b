import type { Config } from '../config';
import type { Database, Tx } from '../db/database';
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
 * the report estimates survival (Kaplan-Meier) from a few hundred numbers. Fed by the daily risk
 * snapshot's scan of the subscriptions (src/crm/snapshot.ts), then saved.
 */
export class PackageFitCollector {
  private readonly periods: Map<string, Config['services'][number]['period']>;
  private readonly groups = new Map<string, { t: LifeTable; ended: Map<number, number>; censored: Map<number, number> }>();
  private readonly today: number;
  private n = 0;

  constructor(
    private readonly d: { config: Pick<Config, 'crm' | 'services'>; days: Days },
    private readonly now: number,
  ) {
    this.periods = new Map(d.config.services.map((s) => [s.id, s.period]));
    this.today = d.days.of(now);
  }

  /** One subscription run (live, or cancelled or expired) with its subscriber's activity history. */
  add(serviceId: string, state: string, subscribedAt: number, enteredAt: number | null, firstDay: number | null, lastDay: number | null, activeDays: number | null): void {
    const period = this.periods.get(serviceId);
    if (!period) return;
    const cfg = this.d.config.crm.packageFit;
    const now = this.now;
    const ended = state === 'cancelled' || state === 'expired';
    const end = ended ? Math.max(subscribedAt, enteredAt ?? subscribedAt) : Math.max(subscribedAt, now);
    const lifetime = Math.floor((end - subscribedAt) / DAY);
    const pattern = usagePattern(cfg, ended ? this.d.days.of(end) : this.today, firstDay, lastDay, activeDays ?? 0);
    const key = `${pattern}/${period}`;
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { t: { pattern, period, subscriptions: 0, ended: [], censored: [] }, ended: new Map(), censored: new Map() }));
    g.t.subscriptions++;
    const capped = Math.min(lifetime, MAX_LIFETIME_DAYS);
    const into = ended && lifetime < MAX_LIFETIME_DAYS ? g.ended : g.censored;
    into.set(capped, (into.get(capped) ?? 0) + 1);
    this.n++;
  }

  /** Stores the day's life tables, in unit `tx`. */
  async save(database: Database, tx: Tx): Promise<{ subscriptions: number }> {
    const pairs = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]);
    const tables = [...this.groups.values()].map((g) => ({ ...g.t, ended: pairs(g.ended), censored: pairs(g.censored) }));
    await new PackageFitStore(database).save(this.today, { subscriptions: this.n, tables, definitions: this.d.config.crm.packageFit }, this.now, tx);
    return { subscriptions: this.n };
  }
}
