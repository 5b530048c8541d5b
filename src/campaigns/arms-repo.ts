import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { campaignAssignments } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';

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

/**
 * The assignment table of campaigns with arms: written by the fan-out (first assignment wins, so a
 * recurring campaign keeps each subscriber in one arm), summed per arm for GET /campaigns/:id/results.
 */
export class ArmsRepo {
  private readonly insert: Prepared<never, { campaignId: string; subscriberId: number; arm: string; runId: number; channel: string; ref: string | null; assignedAt: number; settled: number }>;

  constructor(private readonly db: Db) {
    this.insert = prepare(
      db,
      sql`INSERT INTO ${a} (${name(a.campaignId)}, ${name(a.subscriberId)}, ${name(a.arm)}, ${name(a.runId)}, ${name(a.channel)}, ${name(a.ref)}, ${name(a.assignedAt)}, ${name(a.settled)})
          VALUES (${p('campaignId')}, ${p('subscriberId')}, ${p('arm')}, ${p('runId')}, ${p('channel')}, ${p('ref')}, ${p('assignedAt')}, ${p('settled')})
          ON CONFLICT DO NOTHING`,
    );
  }

  /** Records a batch's assignments (inside the batch's transaction); a subscriber already assigned keeps the first. */
  assign(campaignId: string, runId: number, rows: readonly AssignmentRow[]): void {
    const stmt = this.insert.statement;
    // Positional in the statement's placeholder order (a million recipients: no per-value name lookup).
    // Nothing sent (the holdout, a refused request) has no delivery to wait for: settled at once.
    for (const r of rows) stmt.run(campaignId, r.subscriberId, r.arm, runId, r.channel, r.ref, r.assignedAt, r.ref === null ? 1 : 0);
  }

  /**
   * Sums per arm from the assignment rows alone (one pass over a covering index): delivery, cost and
   * conversions are copied onto them by the CRM pass (arms-conversion-store.ts).
   */
  sums(campaignId: string, windowMs: number, now: number): ArmSums[] {
    const open = sql`${a.convertedAt} IS NULL AND ${a.assignedAt} + ${windowMs} > ${now}`;
    return prepare<ArmSums>(
      this.db,
      sql`SELECT ${a.arm} AS arm, count(*) AS assigned, count(${a.reachedAt}) AS reached, coalesce(sum(${a.costMinor}), 0) AS costMinor,
            count(${a.convertedAt}) AS conversions, coalesce(sum(${open}), 0) AS open, max(CASE WHEN ${open} THEN ${a.assignedAt} + ${windowMs} END) AS lastOpenUntil
          FROM ${a} WHERE ${a.campaignId} = ${campaignId} GROUP BY ${a.arm}`,
    ).all();
  }
}
