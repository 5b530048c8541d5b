import { sql } from 'drizzle-orm';
import type { Database, Statement } from '../../db/database';
import { json, least, roundHalfAway } from '../../db/portable';
import { calls, crmInterventions, crmInterventionTiers, crmSnapshots, crmTierExits, crmTierRevenueDaily, messages } from '../../db/schema';
import { acceptedParts } from './delivery-store';
import { fields } from './rollup-store';

/** Revenue of one tier over a range of days. */
export interface TierRevenueSum {
  tier: string;
  revenueMinor: number;
  charges: number;
}
/** Subscribers who left a tier in a range, and the residual value they took. */
export interface TierExitSum {
  tier: string;
  n: number;
  lostValue: number;
}
/** Interventions decided for a tier in a range, and what was billed for them. */
export interface TierCostSum {
  tier: string;
  n: number;
  treated: number;
  costMinor: number;
}

const p = sql.placeholder;

/** The tiers report's read model: daily revenue per tier, exits, intervention costs and the daily tier snapshots. */
export class TiersStore {
  private readonly revenueStmt: Statement<TierRevenueSum, { fromDay: number; toDay: number }>;
  private readonly exitsStmt: Statement<TierExitSum, { from: number; to: number; tieredBy: number }>;
  private readonly costsStmt: Statement<TierCostSum, { from: number; to: number; currency: string }>;
  private readonly snapshotStmt: Statement<{ day: number; data: unknown }, { day: number }>;
  private readonly firstSnapshotStmt: Statement<{ day: number; data: unknown }, { day: number }>;

  constructor(db: Database) {
    const r = crmTierRevenueDaily;
    this.revenueStmt = db.statement(
      sql`SELECT ${r.tier} AS "tier", sum(${r.revenueMinor}) AS "revenueMinor", sum(${r.charges}) AS "charges" FROM ${r}
          WHERE ${r.day} BETWEEN ${p('fromDay')} AND ${p('toDay')} GROUP BY ${r.tier}`,
    );
    const e = crmTierExits;
    this.exitsStmt = db.statement(
      sql`SELECT ${e.tier} AS "tier", count(*) AS "n", coalesce(sum(${e.residualValue}), 0) AS "lostValue" FROM ${e}
          WHERE ${e.leftAt} > ${p('from')} AND ${e.leftAt} <= ${p('to')} AND ${e.firstTieredAt} <= ${p('tieredBy')} GROUP BY ${e.tier}`,
    );
    const t = crmInterventionTiers;
    const i = crmInterventions;
    // Billed cost as the interventions report counts it: the SMS parts the SMSC accepted at the quoted
    // price; an answered call at the provider's price (the quote when it reported none or in another currency).
    this.costsStmt = db.statement(
      sql`SELECT ${t.tier} AS "tier", count(*) AS "n", count(*) FILTER (WHERE ${i.arm} = 'treatment') AS "treated", coalesce(sum(
            CASE WHEN ${i.channel} = 'sms' AND ${i.parts} > 0 AND ${messages.id} IS NOT NULL THEN 1.0 * ${i.costMinor} * ${least(db.dialect, acceptedParts(), i.parts)} / ${i.parts}
                 WHEN ${i.channel} = 'call' AND ${calls.answeredAt} IS NOT NULL THEN
                   CASE WHEN ${calls.amount} IS NOT NULL AND (${calls.currency} IS NULL OR upper(${calls.currency}) = upper(${p('currency')})) THEN ${roundHalfAway(db.dialect, sql`${calls.amount} * 100`)} ELSE ${i.costMinor} END
                 ELSE 0 END), 0) AS "costMinor"
          FROM ${t} JOIN ${i} ON ${i.id} = ${t.interventionId}
          LEFT JOIN ${messages} ON ${i.channel} = 'sms' AND ${messages.id} = ${i.messageId}
          LEFT JOIN ${calls} ON ${i.channel} = 'call' AND ${calls.id} = ${i.callId}
          WHERE ${t.at} BETWEEN ${p('from')} AND ${p('to')} GROUP BY ${t.tier}`,
    );
    const s = crmSnapshots;
    const cols = fields({ day: s.day, data: s.data });
    this.snapshotStmt = db.statement(sql`SELECT ${cols} FROM ${s} WHERE ${s.kind} = 'tiers' AND ${s.day} <= ${p('day')} ORDER BY ${s.day} DESC LIMIT 1`);
    this.firstSnapshotStmt = db.statement(sql`SELECT ${cols} FROM ${s} WHERE ${s.kind} = 'tiers' AND ${s.day} >= ${p('day')} ORDER BY ${s.day} LIMIT 1`);
  }

  /** Successful charges per tier on the days fromDay..toDay. */
  async revenue(fromDay: number, toDay: number): Promise<TierRevenueSum[]> {
    return this.revenueStmt.all({ fromDay, toDay });
  }

  /** Who left each tier after `from` up to `to`, among those tiered by `tieredBy`. */
  async exits(from: number, to: number, tieredBy: number): Promise<TierExitSum[]> {
    return this.exitsStmt.all({ from, to, tieredBy });
  }

  /** Interventions decided per tier in from..to and their billed cost (minor units). */
  async costs(from: number, to: number, currency: string): Promise<TierCostSum[]> {
    return this.costsStmt.all({ from, to, currency });
  }

  /** The tier snapshot of `day` or the latest before it (`after`: the first on or after it), or null. */
  async snapshot(day: number, after = false): Promise<{ day: number; data: TierSnapshot } | null> {
    const row = await (after ? this.firstSnapshotStmt : this.snapshotStmt).get({ day });
    return row ? { day: row.day, data: json<TierSnapshot>(row.data) } : null;
  }
}

/** What computeTiers stores each day (crm_snapshots kind `tiers`). */
export interface TierSnapshot {
  computedAt: number;
  subscribers: Record<string, number>;
  residualValue: Record<string, number>;
  lowestResidualValue: { core: number | null; growth: number | null };
}
