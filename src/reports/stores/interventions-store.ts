import { sql, type SQL } from 'drizzle-orm';
import type { Database, Dialect, Statement } from '../../db/database';
import { least, roundHalfAway } from '../../db/portable';
import { calls, crmInterventions, messages } from '../../db/schema';
import { acceptedParts, callPlaced, callState } from './delivery-store';

/** Per (kind, arm, delivery state): sums over the interventions in it. */
export interface ArmStateSums {
  kind: string;
  arm: string;
  channel: string;
  state: string | null;
  n: number;
  /** Accepted by the SMSC (any part) or placed with the provider. */
  sent: number;
  reached: number;
  content: number;
  renewed: number;
  returned: number;
  contentReached: number;
  renewedReached: number;
  returnedReached: number;
  rev: number;
  rev2: number;
  revReached: number;
  cost: number;
  parts: number;
}

/** Interventions whose outcome window is still open, per kind, arm and quarter hour of the window's end. */
export interface PendingBucket {
  kind: string;
  arm: string;
  q: number;
  n: number;
  first: number;
  last: number;
}

// Every time zone's offset is a whole number of quarter hours, so quarter-hour buckets map to local days exactly.
export const QUARTER = 15 * 60_000;

type SumsParams = { from: number; to: number; kind: string | null; currency: string };
type PendingParams = { from: number; to: number; kind: string | null };

/** The interventions report's read model: exposure, outcome and cost sums, and the windows still open. */
export class InterventionsStore {
  private readonly sums = new Map<string, Statement<ArmStateSums, SumsParams>>();
  private readonly pending = new Map<string, Statement<PendingBucket, PendingParams>>();

  constructor(private readonly db: Database) {}

  /**
   * Sums per kind, arm and delivery state of the interventions acted on in from..to (of one kind, and
   * only those whose outcome window has closed when `closedOnly`).
   */
  async armStateSums(from: number, to: number, kind: string | null, closedOnly: boolean, currency: string): Promise<ArmStateSums[]> {
    const key = `${kind !== null ? 'k' : ''}${closedOnly ? 'c' : ''}`;
    let p = this.sums.get(key);
    if (!p) this.sums.set(key, (p = this.db.statement(sumsQuery(this.db.dialect, kind !== null, closedOnly))));
    return p.all({ from, to, kind, currency });
  }

  /** Interventions acted on in from..to (of one kind) whose outcome window is open, by kind, arm and quarter hour of its end. */
  async pendingBuckets(from: number, to: number, kind: string | null): Promise<PendingBucket[]> {
    const key = kind !== null ? 'k' : '';
    let p = this.pending.get(key);
    if (!p) {
      const i = crmInterventions;
      const where = [sql`${i.at} BETWEEN ${sql.placeholder('from')} AND ${sql.placeholder('to')}`, sql`${i.outcomeClosed} = FALSE`];
      if (kind !== null) where.push(sql`${i.kind} = ${sql.placeholder('kind')}`);
      const q = sql`${i.windowEndsAt} / ${sql.raw(String(QUARTER))}`;
      p = this.db.statement<PendingBucket, PendingParams>(
        sql`SELECT ${i.kind} AS "kind", ${i.arm} AS "arm", ${q} AS "q", count(*) AS "n", min(${i.windowEndsAt}) AS "first", max(${i.windowEndsAt}) AS "last"
            FROM ${i} WHERE ${sql.join(where, sql` AND `)} GROUP BY ${i.kind}, ${i.arm}, ${q}`,
      );
      this.pending.set(key, p);
    }
    return p.all({ from, to, kind });
  }
}

// One row per intervention with its delivery state, read from the outbox or call row it points at
// (never copied: a late receipt or callback shows here at once). Cost: an SMS costs the parts the SMSC
// accepted at the price quoted when it was queued (operators bill on submit, delivered or not); a call
// costs what the provider reported for it when it was answered (the configured price when the provider
// reported none, or in another currency), and nothing otherwise.
function sumsQuery(dialect: Dialect, byKind: boolean, closedOnly: boolean): SQL {
  const i = crmInterventions;
  const where = [sql`${i.at} BETWEEN ${sql.placeholder('from')} AND ${sql.placeholder('to')}`];
  if (byKind) where.push(sql`${i.kind} = ${sql.placeholder('kind')}`);
  if (closedOnly) where.push(sql`${i.outcomeClosed} = TRUE`);
  // Booleans stay booleans (PostgreSQL cannot sum them, nor mix them with integers in a CASE): they are
  // counted with FILTER. Aliases are quoted so PostgreSQL keeps their case.
  const perIntervention = sql`
    SELECT ${i.kind} AS "kind", ${i.arm} AS "arm", ${i.channel} AS "channel", ${i.parts} AS "quotedParts", ${i.costMinor} AS "quote",
      ${i.reachedContentAt} IS NOT NULL AS "content", ${i.renewedAt} IS NOT NULL AS "renewed", ${i.returnedAt} IS NOT NULL AS "returned", ${i.revenueMinor} AS "rev",
      CASE WHEN ${i.arm} = 'holdout' THEN NULL
           WHEN ${i.channel} = 'sms' THEN coalesce(${messages.status}, ${i.status})
           WHEN ${i.channel} = 'call' AND ${calls.id} IS NOT NULL THEN ${callState()}
           ELSE ${i.status} END AS "state",
      CASE WHEN ${i.channel} = 'sms' AND ${messages.id} IS NOT NULL THEN ${acceptedParts()} ELSE 0 END AS "accepted",
      (${i.channel} = 'call' AND ${calls.id} IS NOT NULL AND ${callPlaced()}) AS "placed",
      CASE WHEN ${calls.answeredAt} IS NULL THEN 0
           WHEN ${calls.amount} IS NOT NULL AND (${calls.currency} IS NULL OR upper(${calls.currency}) = upper(${sql.placeholder('currency')})) THEN ${roundHalfAway(dialect, sql`${calls.amount} * 100`)}
           ELSE ${i.costMinor} END AS "callCost"
    FROM ${i}
    LEFT JOIN ${messages} ON ${i.channel} = 'sms' AND ${messages.id} = ${i.messageId}
    LEFT JOIN ${calls} ON ${i.channel} = 'call' AND ${calls.id} = ${i.callId}
    WHERE ${sql.join(where, sql` AND `)}`;
  const reached = sql`"state" IN ('delivered', 'answered')`;
  // Materialized so each intervention's state, accepted parts and call cost are computed once. The outer
  // query names the columns of the CTE above, not of a table.
  return sql`WITH per AS MATERIALIZED (${perIntervention})
    SELECT "kind", "arm", max("channel") AS "channel", "state", count(*) AS "n",
      count(*) FILTER (WHERE "accepted" > 0 OR "placed") AS "sent",
      count(*) FILTER (WHERE ${reached}) AS "reached",
      count(*) FILTER (WHERE "content") AS "content", count(*) FILTER (WHERE "renewed") AS "renewed", count(*) FILTER (WHERE "returned") AS "returned",
      count(*) FILTER (WHERE "content" AND ${reached}) AS "contentReached",
      count(*) FILTER (WHERE "renewed" AND ${reached}) AS "renewedReached",
      count(*) FILTER (WHERE "returned" AND ${reached}) AS "returnedReached",
      sum("rev") AS "rev", sum("rev" * "rev") AS "rev2", sum(CASE WHEN ${reached} THEN "rev" ELSE 0 END) AS "revReached",
      sum(CASE WHEN "channel" = 'sms' AND "quotedParts" > 0 THEN 1.0 * "quote" * ${least(dialect, sql`"accepted"`, sql`"quotedParts"`)} / "quotedParts" WHEN "channel" = 'call' THEN "callCost" ELSE 0 END) AS "cost",
      sum("accepted") AS "parts"
    FROM per GROUP BY "kind", "arm", "state"`;
}
