import { sql, type SQL } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { campaignAssignments } from '../db/schema';
import { name } from '../db/statement';

/** One recipient's arm, as the fan-out writes it. */
export interface AssignmentRow {
  subscriberId: number;
  arm: string;
  channel: 'sms' | 'call' | 'none';
  ref: string | null;
  assignedAt: number;
}

/** Per arm (or holdout): who was assigned, reached, converted, what it cost, how many windows are still open. */
export interface ArmSums {
  arm: string;
  assigned: number;
  /** Delivered SMS or answered calls (as of the last CRM pass). */
  reached: number;
  /** Minor units: SMS parts the SMSC accepted and answered calls, priced by the CRM pass. */
  costMinor: number;
  conversions: number;
  /** Assignments not converted whose goal window has not closed yet. */
  open: number;
  lastOpenUntil: number | null;
}

const a = campaignAssignments;
const p = sql.placeholder;
type AssignParams = { campaignId: string; subscriberId: number; arm: string; runId: number; channel: string; ref: string | null; assignedAt: number };

/**
 * The assignment table of campaigns with arms, on either engine: written by the fan-out in the batch's
 * unit of work (first assignment wins, so a recurring campaign keeps each subscriber in one arm),
 * summed per arm for GET /campaigns/:id/results.
 */
export class ArmsRepo {
  /** One statement per value of the boolean `settled`, as a literal both engines read (nothing to bind). */
  private readonly insert: Record<'settled' | 'unsettled', Statement<never, AssignParams>>;

  constructor(private readonly database: Database) {
    const insert = (settled: SQL) =>
      database.statement<never, AssignParams>(
        sql`INSERT INTO ${a} (${name(a.campaignId)}, ${name(a.subscriberId)}, ${name(a.arm)}, ${name(a.runId)}, ${name(a.channel)}, ${name(a.ref)}, ${name(a.assignedAt)}, ${name(a.settled)})
            VALUES (${p('campaignId')}, ${p('subscriberId')}, ${p('arm')}, ${p('runId')}, ${p('channel')}, ${p('ref')}, ${p('assignedAt')}, ${settled})
            ON CONFLICT DO NOTHING`,
      );
    this.insert = { settled: insert(sql`TRUE`), unsettled: insert(sql`FALSE`) };
  }

  /** Records a batch's assignments inside the batch's unit; a subscriber already assigned keeps the first. */
  async assign(campaignId: string, runId: number, rows: readonly AssignmentRow[], tx: Tx): Promise<void> {
    // Nothing sent (the holdout, a refused request) has no delivery to wait for: settled at once.
    for (const r of rows) await this.insert[r.ref === null ? 'settled' : 'unsettled'].run({ campaignId, subscriberId: r.subscriberId, arm: r.arm, runId, channel: r.channel, ref: r.ref, assignedAt: r.assignedAt }, tx);
  }

  /**
   * Sums per arm from the assignment rows alone (one pass over a covering index): delivery, cost and
   * conversions are copied onto them by the CRM pass (arms-conversion-store.ts).
   */
  async sums(campaignId: string, windowMs: number, now: number): Promise<ArmSums[]> {
    const open = sql`${a.convertedAt} IS NULL AND ${a.assignedAt} + ${windowMs} > ${now}`;
    const rows = await this.database.all<ArmSums>(
      sql`SELECT ${a.arm} AS "arm", count(*) AS "assigned", count(${a.reachedAt}) AS "reached", coalesce(sum(${a.costMinor}), 0) AS "costMinor",
            count(${a.convertedAt}) AS "conversions", count(*) FILTER (WHERE ${open}) AS "open", max(CASE WHEN ${open} THEN ${a.assignedAt} + ${windowMs} END) AS "lastOpenUntil"
          FROM ${a} WHERE ${a.campaignId} = ${campaignId} GROUP BY ${a.arm}`,
    );
    // By arm name in code order: the engines' text collations differ ("(holdout)" sorts as "holdout" on PostgreSQL).
    rows.sort((x, y) => (x.arm < y.arm ? -1 : x.arm > y.arm ? 1 : 0));
    return rows.map((x) => ({ ...x, assigned: Number(x.assigned), reached: Number(x.reached), costMinor: Number(x.costMinor), conversions: Number(x.conversions), open: Number(x.open), lastOpenUntil: x.lastOpenUntil === null ? null : Number(x.lastOpenUntil) }));
  }
}
