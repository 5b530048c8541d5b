import type { Statement } from 'better-sqlite3';
import { and, asc, desc, eq, inArray, isNotNull, lte } from 'drizzle-orm';
import type { Db } from '../db/client';
import { campaignRuns, campaigns } from '../db/schema/campaigns';
import { callPlacedSql, callStateSql, smsSentSql, smsStateSql } from '../reports/delivery';

export type Campaign = typeof campaigns.$inferSelect;
export type CampaignRun = typeof campaignRuns.$inferSelect;
export type CampaignStatus = Campaign['status'];
export type RunStatus = CampaignRun['status'];

/** A recipient handed over in one batch. */
export interface RecipientUpdate {
  subscriberId: number;
  status: 'queued' | 'blocked';
  ref: string | null;
  reason: string | null;
}

/** A recipient as GET /campaigns/:id/recipients shows it. */
export interface RecipientView {
  subscriberId: number;
  msisdn: string;
  status: string;
  ref: string | null;
  reason: string | null;
  at: number | null;
  /** Outbox or call status of what was sent. */
  delivery: string | null;
}

/** A recipient to hand over, with what the text and the outbox policies need. */
export interface RecipientRow {
  subscriberId: number;
  msisdn: string;
  language: string | null;
  /** The subscriber's operator and opt-out flag (0/1), read in the batch's transaction. */
  operator: string | null;
  optedOut: number;
}

/**
 * Data access for campaigns, their runs and recipients. The run lease is taken and renewed with
 * conditional UPDATEs, so two processes sharing the database never hand the same batch to the outbox.
 */
export class CampaignRepo {
  private readonly nextRecipients: Statement<[number, number, number], RecipientRow>;
  private readonly setRecipient: Statement<[string, string | null, string | null, number, number, number]>;
  private readonly renew: Statement<[number, number, string]>;
  private readonly advance: Statement<[number, number, number, number]>;

  constructor(private readonly db: Db) {
    const c = db.$client;
    this.nextRecipients = c.prepare(
      `SELECT r.subscriber_id AS subscriberId, s.msisdn AS msisdn, s.language AS language, s.operator AS operator, s.opted_out AS optedOut
       FROM campaign_recipients r JOIN subscribers s ON s.id = r.subscriber_id
       WHERE r.run_id = ? AND r.subscriber_id > ? ORDER BY r.subscriber_id LIMIT ?`,
    );
    this.setRecipient = c.prepare('UPDATE campaign_recipients SET status = ?, ref = ?, reason = ?, at = ? WHERE run_id = ? AND subscriber_id = ?');
    this.renew = c.prepare("UPDATE campaign_runs SET lease_expires_at = ? WHERE id = ? AND status = 'sending' AND lease_owner = ?");
    this.advance = c.prepare('UPDATE campaign_runs SET cursor = ?, queued = queued + ?, blocked = blocked + ? WHERE id = ?');
  }

  /** Inserts a campaign. */
  insert(c: Campaign): void {
    this.db.insert(campaigns).values(c).run();
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

  /** Campaigns, newest first, optionally of some statuses. */
  list(limit: number, statuses?: CampaignStatus[]): Campaign[] {
    const q = this.db.select().from(campaigns);
    const filtered = statuses && statuses.length > 0 ? q.where(inArray(campaigns.status, statuses)) : q;
    return filtered.orderBy(desc(campaigns.createdAt), desc(campaigns.id)).limit(limit).all();
  }

  /** Ids of campaigns that can still run on a segment. */
  activeOnSegment(segmentId: string): string[] {
    return this.db
      .select({ id: campaigns.id })
      .from(campaigns)
      .where(and(eq(campaigns.segmentId, segmentId), inArray(campaigns.status, ['draft', 'scheduled', 'running', 'paused'])))
      .all()
      .map((r) => r.id);
  }

  /** Campaigns whose next run is due. */
  due(now: number): Campaign[] {
    return this.db
      .select()
      .from(campaigns)
      .where(and(inArray(campaigns.status, ['scheduled', 'running']), isNotNull(campaigns.nextRunAt), lte(campaigns.nextRunAt, now)))
      .orderBy(asc(campaigns.nextRunAt))
      .all();
  }

  /**
   * Moves the campaign's schedule past a due time and creates the run for it, unless another
   * process already did (the UPDATE matches the old due time; the run is unique per due time).
   */
  createRun(c: Campaign, dueAt: number, nextRunAt: number | null, now: number): CampaignRun | null {
    const moved = this.db.$client
      .prepare("UPDATE campaigns SET next_run_at = ?, status = 'running', runs = runs + 1, last_run_at = ?, updated_at = ? WHERE id = ? AND next_run_at = ? AND status IN ('scheduled', 'running')")
      .run(nextRunAt, now, now, c.id, dueAt);
    if (moved.changes !== 1) return null;
    const r = this.db.$client
      .prepare("INSERT INTO campaign_runs (campaign_id, due_at, status) VALUES (?, ?, 'pending') ON CONFLICT (campaign_id, due_at) DO NOTHING RETURNING id")
      .get(c.id, dueAt) as { id: number } | undefined;
    return r ? this.run(r.id) : null;
  }

  /** The run or null. */
  run(id: number): CampaignRun | null {
    return this.db.select().from(campaignRuns).where(eq(campaignRuns.id, id)).get() ?? null;
  }

  /** A campaign's runs, newest first. */
  runsOf(campaignId: string, limit = 50): CampaignRun[] {
    return this.db.select().from(campaignRuns).where(eq(campaignRuns.campaignId, campaignId)).orderBy(desc(campaignRuns.id)).limit(limit).all();
  }

  /** The campaign's oldest unfinished run (pending, sending or paused), or null. */
  openRun(campaignId: string): CampaignRun | null {
    return (
      this.db
        .select()
        .from(campaignRuns)
        .where(and(eq(campaignRuns.campaignId, campaignId), inArray(campaignRuns.status, ['pending', 'sending', 'paused'])))
        .orderBy(asc(campaignRuns.id))
        .limit(1)
        .get() ?? null
    );
  }

  /**
   * Runs to work on now: pending or sending, not held by quiet hours, not leased by a live process,
   * and the oldest of their campaign (a cron run waits for the previous one to finish).
   */
  workable(now: number): CampaignRun[] {
    return this.db.$client
      .prepare<[number, number], { id: number }>(
        `SELECT r.id FROM campaign_runs r
         WHERE r.status IN ('pending', 'sending') AND (r.deferred_until IS NULL OR r.deferred_until <= ?)
           AND (r.lease_owner IS NULL OR r.lease_expires_at <= ?)
           AND NOT EXISTS (SELECT 1 FROM campaign_runs o WHERE o.campaign_id = r.campaign_id AND o.id < r.id AND o.status IN ('pending', 'sending', 'paused'))
         ORDER BY r.id`,
      )
      .all(now, now)
      .map((r) => this.run(r.id)!)
      .filter(Boolean);
  }

  /** Takes the run's lease for `owner` if it is free or expired; true when taken. */
  claim(runId: number, owner: string, now: number, expiresAt: number): boolean {
    return (
      this.db.$client
        .prepare(
          "UPDATE campaign_runs SET lease_owner = ?, lease_expires_at = ? WHERE id = ? AND status IN ('pending', 'sending') AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at <= ?)",
        )
        .run(owner, expiresAt, runId, owner, now).changes === 1
    );
  }

  /** Gives the lease back (a no-op if another process holds it). */
  release(runId: number, owner: string): void {
    this.db.$client.prepare('UPDATE campaign_runs SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ?').run(runId, owner);
  }

  /** Gives back every lease this process holds (graceful stop). */
  releaseAll(owner: string): void {
    this.db.$client.prepare('UPDATE campaign_runs SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ?').run(owner);
  }

  /** Extends the lease of a run still sending; false when the lease is lost or the run paused or cancelled. */
  renewLease(runId: number, owner: string, expiresAt: number): boolean {
    return this.renew.run(expiresAt, runId, owner).changes === 1;
  }

  /**
   * Fills a pending run's recipient list with one INSERT ... SELECT (set-based: a million rows in
   * seconds) and marks it sending. `where` is a compiled segment filter over `subscribers s`.
   */
  selectRecipients(runId: number, owner: string, where: string, params: unknown[], now: number): number | null {
    const claimed = this.db.$client
      .prepare("UPDATE campaign_runs SET status = 'sending', started_at = ?, pace_from_at = ?, pace_from_count = 0 WHERE id = ? AND status = 'pending' AND lease_owner = ?")
      .run(now, now, runId, owner);
    if (claimed.changes !== 1) return null;
    const ins = this.db.$client
      .prepare(`INSERT INTO campaign_recipients (run_id, subscriber_id, status) SELECT ?, s.id, 'pending' FROM subscribers s WHERE ${where} ORDER BY s.id`)
      .run(runId, ...params);
    this.db.$client.prepare('UPDATE campaign_runs SET total = ? WHERE id = ?').run(ins.changes, runId);
    return ins.changes;
  }

  /** The next recipients after the cursor. */
  recipientsAfter(runId: number, cursor: number, limit: number): RecipientRow[] {
    return this.nextRecipients.all(runId, cursor, limit);
  }

  /** Records what happened to a batch of recipients and moves the cursor past it. */
  recordBatch(runId: number, updates: RecipientUpdate[], cursor: number, at: number): void {
    let queued = 0;
    for (const u of updates) {
      this.setRecipient.run(u.status, u.ref, u.reason, at, runId, u.subscriberId);
      if (u.status === 'queued') queued++;
    }
    this.advance.run(cursor, queued, updates.length - queued, runId);
  }

  /** Sets a run's status (and finish time for final ones). */
  setRunStatus(runId: number, status: RunStatus, now: number, from?: RunStatus[]): boolean {
    const final = status === 'done' || status === 'cancelled';
    const cond = from && from.length > 0 ? ` AND status IN (${from.map(() => '?').join(', ')})` : '';
    return (
      this.db.$client
        .prepare(`UPDATE campaign_runs SET status = ?, finished_at = ${final ? '?' : 'finished_at'}${final ? ', lease_owner = NULL, lease_expires_at = NULL' : ''} WHERE id = ?${cond}`)
        .run(...(final ? [status, now, runId] : [status, runId]), ...(from ?? [])).changes === 1
    );
  }

  /** Restarts rate pacing from `at` (after a pause or quiet hours) and sets or clears the quiet-hours hold. */
  repace(runId: number, at: number, deferredUntil: number | null): void {
    this.db.$client.prepare('UPDATE campaign_runs SET pace_from_at = ?, pace_from_count = queued + blocked, deferred_until = ? WHERE id = ?').run(at, deferredUntil, runId);
  }

  /** Recipients of a run after a subscriber id, with the outbox or call status of what they were sent. */
  recipients(runId: number, opts: { after: number; limit: number; status?: string }): RecipientView[] {
    const cond = opts.status ? ' AND r.status = ?' : '';
    return this.db.$client
      .prepare(
        `SELECT r.subscriber_id AS subscriberId, s.msisdn, r.status, r.ref, r.reason, r.at,
           coalesce((SELECT m.status FROM messages m WHERE m.id = r.ref), (SELECT c.status FROM calls c WHERE c.id = r.ref)) AS delivery
         FROM campaign_recipients r JOIN subscribers s ON s.id = r.subscriber_id
         WHERE r.run_id = ? AND r.subscriber_id > ?${cond} ORDER BY r.subscriber_id LIMIT ?`,
      )
      .all(runId, opts.after, ...(opts.status ? [opts.status] : []), opts.limit) as RecipientView[];
  }

  /**
   * What became of a run's messages (or calls), read from the outbox / call rows: per delivery state,
   * how many, how many the SMSC accepted (or the provider placed) and how many reached the subscriber.
   */
  exposure(runId: number, channel: 'sms' | 'call'): { state: string; n: number; sent: number; reached: number }[] {
    const sql =
      channel === 'sms'
        ? `SELECT ${smsStateSql('t')} AS state, count(*) AS n, sum(${smsSentSql('t')}) AS sent, sum(t.status = 'delivered') AS reached
           FROM campaign_recipients r JOIN messages t ON t.id = r.ref WHERE r.run_id = ? GROUP BY 1`
        : `SELECT ${callStateSql('t')} AS state, count(*) AS n, sum(${callPlacedSql('t')}) AS sent, sum(t.answered_at IS NOT NULL) AS reached
           FROM campaign_recipients r JOIN calls t ON t.id = r.ref WHERE r.run_id = ? GROUP BY 1`;
    return this.db.$client.prepare<[number], { state: string; n: number; sent: number; reached: number }>(sql).all(runId);
  }

  /** How many runs are pending, sending or paused (for the metrics gauge). */
  openRunCounts(): { status: string; n: number }[] {
    return this.db.$client
      .prepare<[], { status: string; n: number }>("SELECT status, count(*) AS n FROM campaign_runs WHERE status IN ('pending', 'sending', 'paused') GROUP BY status")
      .all();
  }

  /** Blocked recipients of a run by reason (opted_out, frequency_cap, ...). */
  blockedReasons(runId: number): Record<string, number> {
    const rows = this.db.$client
      .prepare<[number], { reason: string | null; n: number }>("SELECT reason, count(*) AS n FROM campaign_recipients WHERE run_id = ? AND status = 'blocked' GROUP BY reason")
      .all(runId);
    return Object.fromEntries(rows.map((r) => [r.reason ?? 'unknown', r.n]));
  }
}
