import { sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Database, Statement } from '../db/database';
import { calls, campaignRecipients, campaignRuns, messages, pollAnswers, pollInvites, subscribers } from '../db/schema';
import { callPlacedSql, callStateSql, smsSentSql, smsStateSql } from '../reports/delivery';
import { fields } from '../reports/stores/rollup-store';
import type { SegmentWhere } from './segment-repo';

/** One group of invitations: region, channel and delivery state, with how many were sent, reached and answered. */
export interface InviteGroup {
  region: string;
  label: string | null;
  channel: 'sms' | 'call';
  state: string | null;
  n: number;
  sent: number;
  /** A delivery receipt said delivered, or the call was answered. */
  delivered: number;
  /** Delivered, or answered the poll (an answer proves the invitation arrived; many operators send no receipts). */
  reached: number;
  answered: number;
}

/** Counted answers of one region, channel and answer index. */
export interface AnswerGroup {
  region: string;
  label: string | null;
  channel: string;
  answer: number;
  n: number;
}

/** One answer with who gave it, for the CSV export. */
export interface AnswerLine {
  subscriberId: number;
  msisdn: string;
  answer: number;
  channel: string;
  campaignId: string | null;
  at: number;
  region: string | null;
  crop: string | null;
  language: string | null;
  operator: string | null;
}

const s = subscribers;
const pi = pollInvites;
const pa = pollAnswers;
const r = campaignRecipients;
const cr = campaignRuns;
// Row aliases the delivery-state expressions (shared with every report) read.
const m = alias(messages, 'm');
const c = alias(calls, 'c');

/** The region key segments match by (case-insensitive) and its label as stored. */
const region = sql`lower(coalesce(${s.region}, ''))`;

/**
 * The reads behind poll results: invitations grouped by what became of them (from the outbox and call
 * rows), counted answers, and the answers one page at a time for the export.
 */
export class PollResultsStore {
  private readonly page: Statement<AnswerLine, { pollId: string; after: number; limit: number }>;

  constructor(private readonly db: Database) {
    this.page = db.statement(
      sql`SELECT ${fields({ subscriberId: pa.subscriberId, msisdn: s.msisdn, answer: pa.answer, channel: pa.channel, campaignId: pa.campaignId, at: pa.at, region: s.region, crop: s.crop, language: s.language, operator: s.operator })}
          FROM ${pa} JOIN ${s} ON ${s.id} = ${pa.subscriberId}
          WHERE ${pa.pollId} = ${sql.placeholder('pollId')} AND ${pa.subscriberId} > ${sql.placeholder('after')} ORDER BY ${pa.subscriberId} LIMIT ${sql.placeholder('limit')}`,
    );
  }

  /**
   * A poll's invitations by region, channel and delivery state. The message or call an invitation went
   * out as is the latest run of its campaign that handed this subscriber over (a later run re-invites).
   * Flags are 1/0 integers (PostgreSQL sums no booleans); groups come in key order, no state first, so
   * the first label seen of a region is the same on both engines.
   */
  async inviteGroups(pollId: string, where?: SegmentWhere): Promise<InviteGroup[]> {
    const ref = sql`(SELECT ${r.ref} FROM ${cr} JOIN ${r} ON ${r.runId} = ${cr.id} AND ${r.subscriberId} = ${pi.subscriberId}
      WHERE ${cr.campaignId} = ${pi.campaignId} AND ${r.ref} IS NOT NULL ORDER BY ${cr.id} DESC LIMIT 1)`;
    const inv = sql.raw('inv');
    const sms = sql`${inv}.channel = 'sms'`;
    return this.db.all<InviteGroup>(
      sql`SELECT "region", min("label") AS "label", "channel", "state", count(*) AS "n", sum("sent") AS "sent", sum("reached") AS "delivered",
            count(*) FILTER (WHERE "reached" = 1 OR "answered" = 1) AS "reached", sum("answered") AS "answered" FROM (
            SELECT ${region} AS "region", ${s.region} AS "label", ${inv}.channel AS "channel",
              CASE WHEN ${sms} THEN ${sql.raw(smsStateSql('m'))} ELSE ${sql.raw(callStateSql('c'))} END AS "state",
              CASE WHEN ${sms} THEN ${sql.raw(smsSentSql('m'))} WHEN ${sql.raw(callPlacedSql('c'))} THEN 1 ELSE 0 END AS "sent",
              CASE WHEN ${sms} THEN (CASE WHEN ${m.status} = 'delivered' THEN 1 ELSE 0 END) WHEN ${c.answeredAt} IS NOT NULL THEN 1 ELSE 0 END AS "reached",
              CASE WHEN EXISTS (SELECT 1 FROM ${pa} WHERE ${pa.pollId} = ${inv}.poll_id AND ${pa.subscriberId} = ${inv}.subscriber_id) THEN 1 ELSE 0 END AS "answered"
            FROM (SELECT ${pi.pollId} AS poll_id, ${pi.subscriberId} AS subscriber_id, ${pi.channel} AS channel, ${ref} AS ref FROM ${pi} WHERE ${pi.pollId} = ${pollId}) ${inv}
            JOIN ${s} ON ${s.id} = ${inv}.subscriber_id
            LEFT JOIN ${messages} ${m} ON ${sms} AND ${m.id} = ${inv}.ref
            LEFT JOIN ${calls} ${c} ON ${inv}.channel = 'call' AND ${c.id} = ${inv}.ref
            WHERE ${segment(where)}
          ) AS "invitations" GROUP BY "region", "channel", "state" ORDER BY "region", "channel", "state" NULLS FIRST`,
    );
  }

  /** A poll's counted answers by region, channel and answer (in that order). */
  async answerGroups(pollId: string, where?: SegmentWhere): Promise<AnswerGroup[]> {
    return this.db.all<AnswerGroup>(
      sql`SELECT ${fields({ region, label: sql`min(${s.region})`, channel: pa.channel, answer: pa.answer, n: sql`count(*)` })}
          FROM ${pa} JOIN ${s} ON ${s.id} = ${pa.subscriberId} WHERE ${pa.pollId} = ${pollId} AND ${segment(where)} GROUP BY 1, 3, 4 ORDER BY 1, 3, 4`,
    );
  }

  /** Up to `limit` answers after a subscriber id, by subscriber id. */
  async answersAfter(pollId: string, after: number, limit: number): Promise<AnswerLine[]> {
    return this.page.all({ pollId, after, limit });
  }
}

const segment = (where?: SegmentWhere): SQL => where?.sql ?? sql`1 = 1`;
