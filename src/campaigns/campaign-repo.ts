import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { calls, campaignRecipients, campaignRuns, campaigns, messages } from '../db/schema';
import { name, prepare } from '../db/statement';
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

/** A recipient to hand over, with what the text and the outbox policies need (read in the batch's unit). */
export interface RecipientRow {
  subscriberId: number;
  msisdn: string;
  language: string | null;
  operator: string | null;
  optedOut: boolean;
}

/** What became of a run's messages or calls in one delivery state. */
export interface ExposureCount {
  state: string;
  n: number;
  sent: number;
  reached: number;
}

const r = campaignRecipients;
const runs = campaignRuns;

/**
 * Campaign results' reads on the SQLite handle, for CampaignService.runs/results/runJson (the GET
 * endpoints and pages read the same through CampaignReadStore, on either engine). No writes: campaigns
 * and runs are written by CampaignStore and the fan-out by FanoutStore, in units of work.
 */
export class CampaignRepo {
  constructor(private readonly db: Db) {}

  /** The campaign or null. */
  find(id: string): Campaign | null {
    return this.db.select().from(campaigns).where(eq(campaigns.id, id)).get() ?? null;
  }

  /** A campaign's runs, newest first. */
  runsOf(campaignId: string, limit = 50): CampaignRun[] {
    return this.db.select().from(runs).where(eq(runs.campaignId, campaignId)).orderBy(desc(runs.id)).limit(limit).all();
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
