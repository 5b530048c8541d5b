import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { calls, campaignAssignments, messages } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';
import { acceptedParts, callState } from '../reports/stores/delivery-store';

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
  /** Delivered SMS or answered calls. */
  reached: number;
  /** SMS parts the SMSC accepted (what operators bill). */
  parts: number;
  answeredCalls: number;
  /** What the provider billed for answered calls, in minor units, where it said (else null rows add nothing). */
  callAmountMinor: number;
  /** Answered calls the provider put no price on (charged at the configured price). */
  unpricedCalls: number;
  conversions: number;
  /** Assignments whose goal window has not closed yet. */
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
  private readonly insert: Prepared<never, { campaignId: string; subscriberId: number; arm: string; runId: number; channel: string; ref: string | null; assignedAt: number }>;

  constructor(private readonly db: Db) {
    this.insert = prepare(
      db,
      sql`INSERT INTO ${a} (${name(a.campaignId)}, ${name(a.subscriberId)}, ${name(a.arm)}, ${name(a.runId)}, ${name(a.channel)}, ${name(a.ref)}, ${name(a.assignedAt)})
          VALUES (${p('campaignId')}, ${p('subscriberId')}, ${p('arm')}, ${p('runId')}, ${p('channel')}, ${p('ref')}, ${p('assignedAt')})
          ON CONFLICT DO NOTHING`,
    );
  }

  /** Records a batch's assignments (inside the batch's transaction); a subscriber already assigned keeps the first. */
  assign(campaignId: string, runId: number, rows: readonly AssignmentRow[]): void {
    const stmt = this.insert.statement;
    // Positional in the statement's placeholder order (a million recipients: no per-value name lookup).
    for (const r of rows) stmt.run(campaignId, r.subscriberId, r.arm, runId, r.channel, r.ref, r.assignedAt);
  }

  /**
   * Sums per arm, reading delivery from the outbox and call rows the assignments point at (a late receipt
   * counts at once) and conversions from the assignment rows (set by the CRM pass).
   */
  sums(campaignId: string, windowMs: number, now: number, currency: string): ArmSums[] {
    const q = sql`WITH per AS MATERIALIZED (
        SELECT ${a.arm} AS arm, ${a.convertedAt} IS NOT NULL AS converted, ${a.assignedAt} + ${windowMs} AS until,
          CASE WHEN ${a.channel} = 'sms' THEN ${messages.status} = 'delivered' WHEN ${a.channel} = 'call' THEN ${calls.answeredAt} IS NOT NULL ELSE 0 END AS reached,
          CASE WHEN ${a.channel} = 'sms' AND ${messages.id} IS NOT NULL THEN ${acceptedParts()} ELSE 0 END AS parts,
          CASE WHEN ${a.channel} = 'call' AND ${calls.id} IS NOT NULL AND ${callState()} = 'answered' THEN 1 ELSE 0 END AS answered,
          ${calls.amount} AS amount, ${calls.currency} AS currency
        FROM ${a}
        LEFT JOIN ${messages} ON ${a.channel} = 'sms' AND ${messages.id} = ${a.ref}
        LEFT JOIN ${calls} ON ${a.channel} = 'call' AND ${calls.id} = ${a.ref}
        WHERE ${a.campaignId} = ${campaignId})
      SELECT arm, count(*) AS assigned, sum(reached) AS reached, sum(parts) AS parts, sum(answered) AS answeredCalls,
        sum(CASE WHEN answered AND amount IS NOT NULL AND (currency IS NULL OR upper(currency) = upper(${currency})) THEN round(amount * 100) ELSE 0 END) AS callAmountMinor,
        sum(CASE WHEN answered AND NOT (amount IS NOT NULL AND (currency IS NULL OR upper(currency) = upper(${currency}))) THEN 1 ELSE 0 END) AS unpricedCalls,
        sum(converted) AS conversions, sum(NOT converted AND until > ${now}) AS open, max(CASE WHEN until > ${now} THEN until END) AS lastOpenUntil
      FROM per GROUP BY arm`;
    return prepare<ArmSums>(this.db, q).all();
  }
}
