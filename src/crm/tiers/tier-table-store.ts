import { sql } from 'drizzle-orm';
import { BatchWriter } from '../../db/batch-writer';
import type { Database, Statement, Tx } from '../../db/database';
import { jsonArrayIds } from '../../db/portable';
import { crmTierExits, crmTiers, subscriptions } from '../../db/schema';
import { name } from '../../db/statement';
import type { Tier } from './tier-names';

/** A stored tier row as raw columns: [subscriber id, tier, residual value, tenure days, since, first tiered at]. */
export type StoredTier = [number, string, number, number, number, number];

const p = sql.placeholder;
/** Rows per page of the stored tiers (a million live subscribers are read page by page). */
const PAGE = 5000;
/** Subscribers per look-up of when they left. */
const LEFT_BATCH = 500;

type TierRow = typeof crmTiers.$inferSelect;
/** The columns of a tier row as {@link TierTables.replace} takes them, in this order. */
export const TIER_COLUMNS = ['subscriberId', 'tier', 'rank', 'score', 'residualValue', 'tenureDays', 'since', 'firstTieredAt', 'computedAt'] as const satisfies ReadonlyArray<keyof TierRow>;
type Exit = Omit<typeof crmTierExits.$inferInsert, 'id'>;
const EXIT_COLUMNS = ['subscriberId', 'tier', 'residualValue', 'tenureDays', 'firstTieredAt', 'leftAt', 'noticedAt'] as const satisfies ReadonlyArray<keyof Exit>;

/**
 * The tier computation's reads and writes of crm_tiers and crm_tier_exits, on either engine: the stored
 * tiers read page by key, the table replaced and the exits recorded inside the caller's unit of work
 * (100 rows a statement). The pass's per-charge reads and revenue sums stay in tier-store.ts.
 */
export class TierTables {
  private readonly page: Statement<StoredTier, { after: number; limit: number }>;
  private readonly left: Statement<{ id: number; at: number | null }, { ids: string }>;
  private readonly clear: Statement<never>;
  private readonly tiers: Statement<{ id: number; tier: string }, { ids: string }>;

  constructor(database: Database) {
    const t = crmTiers;
    this.page = database.statement(
      sql`SELECT ${t.subscriberId}, ${t.tier}, ${t.residualValue}, ${t.tenureDays}, ${t.since}, ${t.firstTieredAt} FROM ${t}
          WHERE ${t.subscriberId} > ${p('after')} ORDER BY ${t.subscriberId} LIMIT ${p('limit')}`,
      { raw: true },
    );
    const s = subscriptions;
    this.left = database.statement(
      sql`SELECT ${s.subscriberId} AS "id", max(${s.stateEnteredAt}) AS "at" FROM ${s} WHERE ${s.subscriberId} IN ${jsonArrayIds(database.dialect, p('ids'))} GROUP BY ${s.subscriberId}`,
    );
    this.clear = database.statement(sql`DELETE FROM ${t}`);
    this.tiers = database.statement(sql`SELECT ${t.subscriberId} AS "id", ${t.tier} AS "tier" FROM ${t} WHERE ${t.subscriberId} IN ${jsonArrayIds(database.dialect, p('ids'))}`);
  }

  /** Every stored tier, a page at a time (in unit `tx` when given). */
  async *pages(tx?: Tx): AsyncGenerator<StoredTier[]> {
    let after = 0;
    for (;;) {
      const rows = await this.page.all({ after, limit: PAGE }, tx);
      if (rows.length === 0) return;
      yield rows;
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]![0];
    }
  }

  /** The stored tier of each of these subscribers (absent: none), in unit `tx` when given. */
  async tiersOf(subscriberIds: readonly number[], tx?: Tx): Promise<Map<number, Tier>> {
    const out = new Map<number, Tier>();
    for (let i = 0; i < subscriberIds.length; i += LEFT_BATCH) {
      for (const r of await this.tiers.all({ ids: JSON.stringify(subscriberIds.slice(i, i + LEFT_BATCH)) }, tx)) out.set(r.id, r.tier as Tier);
    }
    return out;
  }

  /** When each of these subscribers' last subscription changed state (their leaving); absent: no subscription. */
  async leftAt(subscriberIds: readonly number[], tx?: Tx): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (let i = 0; i < subscriberIds.length; i += LEFT_BATCH) {
      const rows = await this.left.all({ ids: JSON.stringify(subscriberIds.slice(i, i + LEFT_BATCH)) }, tx);
      for (const r of rows) if (r.at !== null) out.set(Number(r.id), Number(r.at));
    }
    return out;
  }

  /** Records subscribers who left a tier, in unit `tx`. */
  async addExits(rows: readonly Exit[], tx: Tx): Promise<void> {
    const e = crmTierExits;
    const w = new BatchWriter(tx, sql`INSERT INTO ${e} (${sql.join(EXIT_COLUMNS.map((k) => name(e[k])), sql`, `)}) VALUES`, EXIT_COLUMNS.length);
    for (const r of rows) await w.add(EXIT_COLUMNS.map((k) => r[k]), tx);
    await w.flush(tx);
  }

  /** Replaces every tier row (rows in TIER_COLUMNS order), in unit `tx`. */
  async replace(rows: Iterable<readonly unknown[]>, tx: Tx): Promise<void> {
    await this.clear.run(undefined, tx);
    const t = crmTiers;
    const w = new BatchWriter(tx, sql`INSERT INTO ${t} (${sql.join(TIER_COLUMNS.map((k) => name(t[k])), sql`, `)}) VALUES`, TIER_COLUMNS.length);
    for (const r of rows) await w.add(r, tx);
    await w.flush(tx);
  }
}
