import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { calls, campaignRecipients, campaignRuns, campaigns, messages, pollAnswers, subscribers } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';
import { callPlacedSql, callStateSql, smsSentSql, smsStateSql } from '../reports/delivery';
import type { SegmentWhere } from './segment-repo';

export type Campaign = typeof campaigns.$inferSelect;
export type CampaignRun = typeof campaignRuns.$inferSelect;
export type CampaignStatus = Campaign['status'];
export type RunStatus = CampaignRun['status'];
type RecipientStatus = (typeof campaignRecipients.$inferSelect)['status'];

/** A recipient handed over in one batch. */
export interface RecipientUpdate {
  subscriberId: number;
  status: 'queued' | 'blocked';
  ref: string | null;
  reason: string | null;
}

/** A recipient to hand over, with what the text and the outbox policies need (read in the batch's transaction). */
export interface RecipientRow {
  /** The recipient row's rowid, for writing its outcome in the same batch transaction (no key lookup). */
  rid: number;
  subscriberId: number;
  msisdn: string;
  language: string | null;
  operator: string | null;
  /** The subscriber's opt-out flag as stored (0/1). */
  optedOut: number;
}

/** What became of a run's messages or calls in one delivery state. */
export interface ExposureCount {
  state: string;
  n: number;
  sent: number;
  reached: number;
}

const OPEN_RUN = ['pending', 'sending', 'paused'] as const;
const r = campaignRecipients;
const runs = campaignRuns;

/**
 * The fan-out of a campaign run on the SQLite handle: its recipients selected and handed over batch by
 * batch, the lease renewed, and the campaign and run rows those batches read and move, plus the run
 * results' reads. Still synchronous: the batch runs in one SQLite transaction (src/campaigns/campaign-scheduler.ts).
 * Everything else about campaigns and runs (create, edit, status, run creation, the lease's claim and
 * release) is CampaignStore's, on either engine, in units of work. The lease is renewed with a
 * conditional UPDATE, so two processes sharing the database never hand the same batch to the outbox.
 */
export class CampaignRepo {
  private readonly nextRecipients: Prepared<RecipientRow, { runId: number; after: number; limit: number }>;
  private readonly setRecipient: Prepared<never, { status: RecipientStatus; ref: string | null; reason: string | null; at: number; rid: number }>;
  private readonly renew: Prepared<never, { expiresAt: number; runId: number; owner: string }>;
  private readonly advance: Prepared<never, { cursor: number; queued: number; blocked: number; runId: number }>;
  // Read once per batch: prepared, not rebuilt by the query builder each time.
  private readonly runById;

  constructor(private readonly db: Db) {
    const s = subscribers;
    const p = sql.placeholder;
    this.runById = db.select().from(runs).where(eq(runs.id, p('id'))).prepare();
    this.nextRecipients = prepare(
      db,
      sql`SELECT ${r}.rowid AS rid, ${r.subscriberId} AS subscriberId, ${s.msisdn} AS msisdn, ${s.language} AS language, ${s.operator} AS operator, ${s.optedOut} AS optedOut
          FROM ${r} JOIN ${s} ON ${s.id} = ${r.subscriberId}
          WHERE ${r.runId} = ${p('runId')} AND ${r.subscriberId} > ${p('after')} ORDER BY ${r.subscriberId} LIMIT ${p('limit')}`,
    );
    this.setRecipient = prepare(
      db,
      // By rowid, read in the same transaction: a direct seek into the table instead of one through the key's index first.
      sql`UPDATE ${r} SET ${name(r.status)} = ${p('status')}, ${name(r.ref)} = ${p('ref')}, ${name(r.reason)} = ${p('reason')}, ${name(r.at)} = ${p('at')}
          WHERE rowid = ${p('rid')}`,
    );
    this.renew = prepare(
      db,
      sql`UPDATE ${runs} SET ${name(runs.leaseExpiresAt)} = ${p('expiresAt')} WHERE ${runs.id} = ${p('runId')} AND ${runs.status} = 'sending' AND ${runs.leaseOwner} = ${p('owner')}`,
    );
    this.advance = prepare(
      db,
      sql`UPDATE ${runs} SET ${name(runs.cursor)} = ${p('cursor')}, ${name(runs.queued)} = ${runs.queued} + ${p('queued')}, ${name(runs.blocked)} = ${runs.blocked} + ${p('blocked')}
          WHERE ${runs.id} = ${p('runId')}`,
    );
  }

  /** Writes a campaign's fields. */
  save(c: Campaign): void {
    const { id, ...rest } = c;
    this.db.update(campaigns).set(rest).where(eq(campaigns.id, id)).run();
  }

  /** The campaign or null. */
  find(id: string): Campaign | null {
    return this.db.select().from(campaigns).where(eq(campaigns.id, id)).get() ?? null;
  }

  /** The run or null. */
  run(id: number): CampaignRun | null {
    return this.runById.get({ id }) ?? null;
  }

  /** A campaign's runs, newest first. */
  runsOf(campaignId: string, limit = 50): CampaignRun[] {
    return this.db.select().from(runs).where(eq(runs.campaignId, campaignId)).orderBy(desc(runs.id)).limit(limit).all();
  }

  /** The campaign's oldest unfinished run (pending, sending or paused), or null. */
  openRun(campaignId: string): CampaignRun | null {
    return (
      this.db
        .select()
        .from(runs)
        .where(and(eq(runs.campaignId, campaignId), inArray(runs.status, [...OPEN_RUN])))
        .orderBy(asc(runs.id))
        .limit(1)
        .get() ?? null
    );
  }

  /** Extends the lease of a run still sending; false when the lease is lost or the run paused or cancelled. */
  renewLease(runId: number, owner: string, expiresAt: number): boolean {
    return this.renew.run({ expiresAt, runId, owner }) === 1;
  }

  /**
   * Fills a pending run's recipient list with one INSERT ... SELECT (set-based: a million rows in
   * seconds) and marks it sending. `unansweredPoll` leaves out who has answered that poll already.
   */
  selectRecipients(runId: number, owner: string, where: SegmentWhere, now: number, unansweredPoll?: string): number | null {
    if (where.dialect !== 'sqlite') throw new Error(`segment filter compiled for ${where.dialect}, the fan-out runs on SQLite`);
    const claimed = this.db
      .update(runs)
      .set({ status: 'sending', startedAt: now, paceFromAt: now, paceFromCount: 0 })
      .where(and(eq(runs.id, runId), eq(runs.status, 'pending'), eq(runs.leaseOwner, owner)))
      .run();
    if (claimed.changes !== 1) return null;
    const s = subscribers;
    const pa = pollAnswers;
    const notAnswered = unansweredPoll ? sql` AND NOT EXISTS (SELECT 1 FROM ${pa} WHERE ${pa.pollId} = ${unansweredPoll} AND ${pa.subscriberId} = ${s.id})` : sql``;
    const total = prepare(
      this.db,
      sql`INSERT INTO ${r} (${name(r.runId)}, ${name(r.subscriberId)}, ${name(r.status)})
          SELECT ${runId}, ${s.id}, 'pending' FROM ${s} WHERE ${where.sql}${notAnswered} ORDER BY ${s.id}`,
    ).run();
    this.db.update(runs).set({ total }).where(eq(runs.id, runId)).run();
    return total;
  }

  /** The next recipients after the cursor. */
  recipientsAfter(runId: number, cursor: number, limit: number): RecipientRow[] {
    return this.nextRecipients.all({ runId, after: cursor, limit });
  }

  /**
   * Records what happened to a batch of recipients (`updates[i]` is the outcome of `rows[i]`, rows read by
   * `recipientsAfter` in this transaction) and moves the cursor past it.
   */
  recordBatch(runId: number, rows: readonly Pick<RecipientRow, 'rid'>[], updates: readonly RecipientUpdate[], cursor: number, at: number): void {
    let queued = 0;
    // Positional, in the statement's placeholder order: binding by name costs a lookup per value, per recipient.
    const stmt = this.setRecipient.statement;
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i]!;
      stmt.run(u.status, u.ref, u.reason, at, rows[i]!.rid);
      if (u.status === 'queued') queued++;
    }
    this.advance.run({ cursor, queued, blocked: updates.length - queued, runId });
  }

  /** Sets a run's status (and finish time for final ones), if it is in one of `from`; true when set. */
  setRunStatus(runId: number, status: RunStatus, now: number, from?: RunStatus[]): boolean {
    const final = status === 'done' || status === 'cancelled';
    const cond = from && from.length > 0 ? and(eq(runs.id, runId), inArray(runs.status, from)) : eq(runs.id, runId);
    return this.db.update(runs).set(final ? { status, finishedAt: now, leaseOwner: null, leaseExpiresAt: null } : { status }).where(cond).run().changes === 1;
  }

  /** Restarts rate pacing from `at` (after a pause or quiet hours) and sets or clears the quiet-hours hold. */
  repace(runId: number, at: number, deferredUntil: number | null): void {
    this.db
      .update(runs)
      .set({ paceFromAt: at, paceFromCount: sql`${runs.queued} + ${runs.blocked}`, deferredUntil })
      .where(eq(runs.id, runId))
      .run();
  }

  /**
   * What became of a run's messages (or calls), read from the outbox / call rows: per delivery state,
   * how many, how many the SMSC accepted (or the provider placed) and how many reached the subscriber.
   */
  exposure(runId: number, channel: 'sms' | 'call'): ExposureCount[] {
    // The delivery-state expressions (one source of truth for every report) read row alias `t`.
    const t = sql.raw('t');
    const q =
      channel === 'sms'
        ? sql`SELECT ${sql.raw(smsStateSql('t'))} AS state, count(*) AS n, sum(${sql.raw(smsSentSql('t'))}) AS sent, sum(${t}.${name(messages.status)} = 'delivered') AS reached
              FROM ${r} JOIN ${messages} ${t} ON ${t}.${name(messages.id)} = ${r.ref} WHERE ${r.runId} = ${runId} GROUP BY 1`
        : sql`SELECT ${sql.raw(callStateSql('t'))} AS state, count(*) AS n, sum(${sql.raw(callPlacedSql('t'))}) AS sent, sum(${t}.${name(calls.answeredAt)} IS NOT NULL) AS reached
              FROM ${r} JOIN ${calls} ${t} ON ${t}.${name(calls.id)} = ${r.ref} WHERE ${r.runId} = ${runId} GROUP BY 1`;
    return prepare<ExposureCount>(this.db, q).all();
  }

  /** Blocked recipients of a run by reason (opted_out, frequency_cap, ...). */
  blockedReasons(runId: number): Record<string, number> {
    const rows = this.db
      .select({ reason: r.reason, n: sql<number>`count(*)` })
      .from(r)
      .where(and(eq(r.runId, runId), eq(r.status, 'blocked')))
      .groupBy(r.reason)
      .all();
    return Object.fromEntries(rows.map((x) => [x.reason ?? 'unknown', x.n]));
  }

  /** False once the database is closed (a gauge read or a lease release during shutdown must not throw). */
  isOpen(): boolean {
    return this.db.$client.open;
  }
}
