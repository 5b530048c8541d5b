import type { Config } from '../../config';
import type { Database, Tx } from '../../db/database';
import type { Days } from '../days';
import { snapshotUpsert } from '../snapshot-store';
import { rankTiers, type TierCandidate } from './rank';
import { TIERS, type Tier } from './tier-names';
import { TierTables, type StoredTier } from './tier-table-store';

/**
 * Gathers, during the daily snapshot's scan of live subscriptions, what the tiers need per subscriber:
 * the residual value of all their live subscriptions and the day they started (their first live
 * subscription's start or their first active day, whichever is earlier).
 */
export class TierCollector {
  private readonly subs = new Map<number, { residual: number; startDay: number | null }>();

  constructor(private readonly days: Days) {}

  /** One live subscription with its residual value. */
  add(subscriberId: number, residualValue: number, subscribedAt: number | null, firstActiveDay: number | null): void {
    const startDay = earliest(subscribedAt === null ? null : this.days.of(subscribedAt), firstActiveDay);
    const e = this.subs.get(subscriberId);
    if (!e) this.subs.set(subscriberId, { residual: residualValue, startDay });
    else {
      e.residual += residualValue;
      e.startDay = earliest(e.startDay, startDay);
    }
  }

  /** The subscribers seen, with their tenure in days as of `today`. */
  candidates(today: number): TierCandidate[] {
    const out: TierCandidate[] = [];
    for (const [subscriberId, e] of this.subs) out.push({ subscriberId, residualValue: e.residual, tenureDays: e.startDay === null ? 0 : Math.max(0, today - e.startDay) });
    return out;
  }
}

const earliest = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));

/** What one tier computation did. */
export interface TierSummary {
  subscribers: Record<Tier, number>;
  exits: number;
  changed: number;
}

/**
 * Ranks the live subscribers into tiers (src/crm/tiers/rank.ts), replaces crm_tiers, records who left
 * since the last computation (with the residual value they had then: the value that left) and stores
 * the day's counts as the `tiers` snapshot the report reads; all of it in unit `tx`.
 */
export async function computeTiers(d: { database: Database; config: Pick<Config, 'crm'>; days: Days }, collected: TierCollector, now: number, tx: Tx): Promise<TierSummary> {
  const store = new TierTables(d.database);
  const today = d.days.of(now);
  const candidates = collected.candidates(today);
  const places = rankTiers(candidates, d.config.crm.tiers);
  const index = new Map<number, number>();
  candidates.forEach((c, i) => index.set(c.subscriberId, i));
  const prevTier: (string | undefined)[] = new Array<string | undefined>(candidates.length);
  const since = new Float64Array(candidates.length).fill(now);
  const first = new Float64Array(candidates.length).fill(now);
  let changed = 0;
  const gone: StoredTier[] = [];
  for await (const page of store.pages(tx)) for (const row of page) {
    const [sub, tier, , , tierSince, firstTieredAt] = row;
    const i = index.get(sub);
    if (i === undefined) {
      gone.push(row);
      continue;
    }
    prevTier[i] = tier;
    first[i] = firstTieredAt;
    since[i] = tier === places.get(sub)!.tier ? tierSince : now;
  }
  // No live subscription any more: the value they had at the last scoring left with them.
  const leftAt = await store.leftAt(gone.map((g) => g[0]), tx);
  await store.addExits(
    gone.map(([sub, tier, residualValue, tenureDays, , firstTieredAt]) => ({ subscriberId: sub, tier, residualValue, tenureDays, firstTieredAt, leftAt: Math.min(now, leftAt.get(sub) ?? now), noticedAt: now })),
    tx,
  );
  const exits = gone.length;
  const counts = Object.fromEntries(TIERS.map((t) => [t, 0])) as Record<Tier, number>;
  const value = Object.fromEntries(TIERS.map((t) => [t, 0])) as Record<Tier, number>;
  const floor: Partial<Record<Tier, number>> = {};
  const rows = function* (): Generator<unknown[]> {
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      const pl = places.get(c.subscriberId)!;
      if (prevTier[i] !== pl.tier) changed++;
      counts[pl.tier]++;
      value[pl.tier] += c.residualValue;
      floor[pl.tier] = Math.min(floor[pl.tier] ?? Infinity, c.residualValue);
      yield [c.subscriberId, pl.tier, pl.rank, pl.score, c.residualValue, c.tenureDays, since[i], first[i], now];
    }
  };
  await store.replace(rows(), tx);
  const round = (v: number) => Math.round(v * 100) / 100;
  const snapshot = {
    computedAt: now,
    subscribers: counts,
    residualValue: Object.fromEntries(TIERS.map((t) => [t, round(value[t])])),
    // The lowest residual value that made each ranked tier (what it takes to be core today).
    lowestResidualValue: { core: floor.core === undefined ? null : round(floor.core), growth: floor.growth === undefined ? null : round(floor.growth) },
  };
  await snapshotUpsert(d.database).run({ kind: 'tiers', day: today, data: JSON.stringify(snapshot), at: now }, tx);
  return { subscribers: counts, exits, changed };
}
