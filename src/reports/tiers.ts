
import { wilson } from '../crm/experiments';
import { TIERS, type TiersConfig } from '../crm/tiers';
import { iso } from '../lib/clock';
import { rate, type ReportRange } from './range';
import type { TiersStore } from './stores/tiers-store';

const money = (minor: number) => Math.round(minor) / 100;
const r2 = (v: number) => Math.round(v * 100) / 100;
const r4 = (v: number) => Math.round(v * 10000) / 10000;

/** How the tiers are made, for readers of the report. */
export const TIER_RULE =
  'Live subscribers at least minTenureDays old are ranked by residual value (the expected, discounted value of their live subscriptions within crm.scores.horizonDays; equal to the cent: longer tenure first). The top coreShare are core, the next growthShare growth, the rest base; younger subscribers are new.';

/**
 * The tiers report: per value tier, the subscribers now, revenue charged in the range, retention from the
 * range start to its end (share of the tier at the start still subscribed, Wilson 95% interval), the
 * subscribers who left in the range with the residual value they took (lifetime value that left), and
 * what the interventions decided for the tier cost (billed only). Everything comes from the CRM pass's
 * tables: the daily tier snapshots, revenue per day and tier, exits, and the tier noted on each intervention.
 */
export async function tiersReport(store: TiersStore, r: ReportRange, cfg: { currency: string; tiers: Pick<TiersConfig, 'coreShare' | 'growthShare' | 'minTenureDays'> }): Promise<Record<string, unknown>> {
  const now = await store.snapshot(r.toDay);
  const start = (await store.snapshot(r.fromDay)) ?? (await store.snapshot(r.fromDay, true));
  const revenue = new Map((await store.revenue(r.fromDay, r.toDay)).map((x) => [x.tier, x]));
  const churned = new Map((await store.exits(r.from - 1, r.to, Number.MAX_SAFE_INTEGER)).map((x) => [x.tier, x]));
  // Retention counts from the snapshot taken at the range start (or the first one inside it).
  const cohortAt = start ? start.data.computedAt : null;
  const lost = new Map(cohortAt === null || cohortAt > r.to ? [] : (await store.exits(cohortAt, r.to, cohortAt)).map((x) => [x.tier, x]));
  const costs = new Map((await store.costs(r.from, r.to, cfg.currency)).map((x) => [x.tier, x]));

  const tiers = TIERS.map((tier) => {
    const rev = revenue.get(tier);
    const ch = churned.get(tier);
    const c = costs.get(tier);
    let retention: Record<string, unknown> | null = null;
    if (start && cohortAt !== null && cohortAt <= r.to) {
      const atStart = start.data.subscribers[tier] ?? 0;
      const left = Math.min(atStart, lost.get(tier)?.n ?? 0);
      const ci = wilson(atStart - left, atStart);
      retention = { atStart, left, stillSubscribed: atStart - left, rate: rate(atStart - left, atStart), ci95: atStart > 0 ? [r4(ci[0]), r4(ci[1])] : null };
    }
    return {
      tier,
      subscribers: now ? (now.data.subscribers[tier] ?? 0) : null,
      residualValue: now ? (now.data.residualValue[tier] ?? 0) : null,
      revenue: { amount: money(rev?.revenueMinor ?? 0), charges: rev?.charges ?? 0 },
      retention,
      churned: { subscribers: ch?.n ?? 0, lostValue: r2(ch?.lostValue ?? 0) },
      interventions: { decided: c?.n ?? 0, treated: c?.treated ?? 0, cost: money(c?.costMinor ?? 0) },
    };
  });
  const untiered = revenue.get('none');
  return {
    currency: cfg.currency,
    rule: TIER_RULE,
    shares: { core: cfg.tiers.coreShare, growth: cfg.tiers.growthShare, minTenureDays: cfg.tiers.minTenureDays },
    computedAt: now ? iso(now.data.computedAt) : null,
    lowestResidualValue: now ? now.data.lowestResidualValue : null,
    retentionFrom: cohortAt === null || cohortAt > r.to ? null : iso(cohortAt),
    tiers,
    // Charges of subscribers without a tier when the pass read them (before the first scoring, or after they left).
    untiered: { revenue: { amount: money(untiered?.revenueMinor ?? 0), charges: untiered?.charges ?? 0 } },
    ...(now ? {} : { note: 'No tiers computed yet: they are computed with the first CRM pass of each day.' }),
  };
}
