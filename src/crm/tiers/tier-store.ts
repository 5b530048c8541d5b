import { sql } from 'drizzle-orm';
import { BatchInsert } from '../../db/batch-insert';
import type { Db } from '../../db/client';
import { crmInterventionTiers, crmTierExits, crmTierRevenueDaily, crmTiers, subscriptions } from '../../db/schema';
import { name, prepare, type Prepared } from '../../db/statement';
import { fields } from '../../reports/stores/rollup-store';
import { isTier, type Tier } from './tier-names';

type TierRow = typeof crmTiers.$inferSelect;
/** A stored tier row as raw columns: [subscriber id, tier, residual value, tenure days, since, first tiered at]. */
export type StoredTier = [number, string, number, number, number, number];
/** One subscriber's tier as the profile shows it. */
export type SubscriberTier = Pick<TierRow, 'tier' | 'rank' | 'score' | 'residualValue' | 'tenureDays' | 'since' | 'computedAt'>;

const p = sql.placeholder;
const TIER_COLUMNS = ['subscriberId', 'tier', 'rank', 'score', 'residualValue', 'tenureDays', 'since', 'firstTieredAt', 'computedAt'] as const satisfies ReadonlyArray<keyof TierRow>;

/** The CRM pass's reads and writes of the value tiers (crm_tiers, exits, revenue per tier, intervention tiers). */
export class TierStore {
  private readonly allStmt: Prepared<StoredTier>;
  private readonly oneStmt: Prepared<SubscriberTier, { id: number }>;
  private readonly tierStmt: Prepared<{ tier: string }, { id: number }>;
  private readonly clearStmt: Prepared<never>;
  private readonly leftStmt: Prepared<{ at: number | null }, { id: number }>;
  private readonly exitStmt: Prepared<never, Omit<typeof crmTierExits.$inferInsert, 'id'>>;
  private readonly revenueStmt: Prepared<never, { day: number; tier: string; rev: number; n: number }>;
  private readonly noteStmt: Prepared<never, { id: string; tier: string; at: number }>;

  constructor(private readonly db: Db) {
    const t = crmTiers;
    this.allStmt = prepare(db, sql`SELECT ${t.subscriberId}, ${t.tier}, ${t.residualValue}, ${t.tenureDays}, ${t.since}, ${t.firstTieredAt} FROM ${t}`);
    this.allStmt.statement.raw();
    this.oneStmt = prepare(
      db,
      sql`SELECT ${fields({ tier: t.tier, rank: t.rank, score: t.score, residualValue: t.residualValue, tenureDays: t.tenureDays, since: t.since, computedAt: t.computedAt })} FROM ${t} WHERE ${t.subscriberId} = ${p('id')}`,
    );
    this.tierStmt = prepare(db, sql`SELECT ${t.tier} AS tier FROM ${t} WHERE ${t.subscriberId} = ${p('id')}`);
    this.clearStmt = prepare(db, sql`DELETE FROM ${t}`);
    const s = subscriptions;
    this.leftStmt = prepare(db, sql`SELECT max(${s.stateEnteredAt}) AS at FROM ${s} WHERE ${s.subscriberId} = ${p('id')}`);
    const e = crmTierExits;
    this.exitStmt = prepare(
      db,
      sql`INSERT INTO ${e} (${name(e.subscriberId)}, ${name(e.tier)}, ${name(e.residualValue)}, ${name(e.tenureDays)}, ${name(e.firstTieredAt)}, ${name(e.leftAt)}, ${name(e.noticedAt)})
          VALUES (${p('subscriberId')}, ${p('tier')}, ${p('residualValue')}, ${p('tenureDays')}, ${p('firstTieredAt')}, ${p('leftAt')}, ${p('noticedAt')})`,
    );
    const r = crmTierRevenueDaily;
    this.revenueStmt = prepare(
      db,
      sql`INSERT INTO ${r} (${name(r.day)}, ${name(r.tier)}, ${name(r.revenueMinor)}, ${name(r.charges)}) VALUES (${p('day')}, ${p('tier')}, ${p('rev')}, ${p('n')})
          ON CONFLICT (${name(r.day)}, ${name(r.tier)}) DO UPDATE SET ${name(r.revenueMinor)} = ${r.revenueMinor} + excluded.${name(r.revenueMinor)}, ${name(r.charges)} = ${r.charges} + excluded.${name(r.charges)}`,
    );
    const it = crmInterventionTiers;
    this.noteStmt = prepare(db, sql`INSERT OR REPLACE INTO ${it} (${name(it.interventionId)}, ${name(it.tier)}, ${name(it.at)}) VALUES (${p('id')}, ${p('tier')}, ${p('at')})`);
  }

  /** The store of `db` (one per connection, so its statements are prepared once). */
  static of(db: Db): TierStore {
    let s = stores.get(db);
    if (!s) stores.set(db, (s = new TierStore(db)));
    return s;
  }

  /** Every stored tier, one at a time. */
  all(): IterableIterator<StoredTier> {
    return this.allStmt.iterate();
  }

  /** The tier of one subscriber as of the last computation (null: not live, or not computed yet). */
  tierOf(subscriberId: number): Tier | null {
    const t = this.tierStmt.get({ id: subscriberId })?.tier;
    return isTier(t) ? t : null;
  }

  /** One subscriber's tier row, or null. */
  row(subscriberId: number): SubscriberTier | null {
    return this.oneStmt.get({ id: subscriberId }) ?? null;
  }

  /** Replaces every tier row (rows in TIER_COLUMNS order). */
  replace(rows: Iterable<readonly unknown[]>): void {
    this.clearStmt.run();
    const t = crmTiers;
    const ins = new BatchInsert(this.db, sql`INSERT INTO ${t} (${sql.join(TIER_COLUMNS.map((k) => name(t[k])), sql`, `)}) VALUES`, TIER_COLUMNS.length);
    for (const r of rows) ins.add(r);
    ins.flush();
  }

  /** When the subscriber's last subscription changed state (their leaving), or null. */
  leftAt(subscriberId: number): number | null {
    return this.leftStmt.get({ id: subscriberId })?.at ?? null;
  }

  /** Records a subscriber who left a tier. */
  addExit(row: Omit<typeof crmTierExits.$inferInsert, 'id'>): void {
    this.exitStmt.run(row);
  }

  /** Adds charges to a day's revenue of a tier. */
  addRevenue(day: number, tier: string, revenueMinor: number, charges: number): void {
    this.revenueStmt.run({ day, tier, rev: revenueMinor, n: charges });
  }

  /** Remembers the tier a subscriber had when an intervention was decided. */
  noteIntervention(interventionId: string, tier: Tier, at: number): void {
    this.noteStmt.run({ id: interventionId, tier, at });
  }
}

const stores = new WeakMap<Db, TierStore>();

/** The tier of a subscriber as of the last CRM scoring: core, growth, base, new; null when not live or not computed yet. */
export function tierOf(db: Db, subscriberId: number): Tier | null {
  return TierStore.of(db).tierOf(subscriberId);
}
