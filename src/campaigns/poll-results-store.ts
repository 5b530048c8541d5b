import { sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/client';
import { calls, campaignRecipients, campaignRuns, messages, pollAnswers, pollInvites, subscribers } from '../db/schema';
import { prepare } from '../db/statement';
import { callPlacedSql, callStateSql, smsSentSql, smsStateSql } from '../reports/delivery';
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
  private readonly page;

  constructor(private readonly db: Db) {
    this.page = prepare<AnswerLine, { pollId: string; after: number; limit: number }>(
      db,
      sql`SELECT ${pa.subscriberId} AS subscriberId, ${s.msisdn} AS msisdn, ${pa.answer} AS answer, ${pa.channel} AS channel, ${pa.campaignId} AS campaignId,
            ${pa.at} AS at, ${s.region} AS region, ${s.crop} AS crop, ${s.language} AS language, ${s.operator} AS operator
          FROM ${pa} JOIN ${s} ON ${s.id} = ${pa.subscriberId}
          WHERE ${pa.pollId} = ${sql.placeholder('pollId')} AND ${pa.subscriberId} > ${sql.placeholder('after')} ORDER BY ${pa.subscriberId} LIMIT ${sql.placeholder('limit')}`,
    );
  }

  /**
   * A poll's invitations by region, channel and delivery state. The message or call an invitation went
   * out as is the latest run of its campaign that handed this subscriber over (a later run re-invites).
   */
  inviteGroups(pollId: string, where?: SegmentWhere): InviteGroup[] {
    const ref = sql`(SELECT ${r.ref} FROM ${cr} JOIN ${r} ON ${r.runId} = ${cr.id} AND ${r.subscriberId} = ${pi.subscriberId}
      WHERE ${cr.campaignId} = ${pi.campaignId} AND ${r.ref} IS NOT NULL ORDER BY ${cr.id} DESC LIMIT 1)`;
    const inv = sql.raw('inv');
    const sms = sql`${inv}.channel = 'sms'`;
    return prepare<InviteGroup>(
      this.db,
      sql`SELECT region, min(label) AS label, channel, state, count(*) AS n, sum(sent) AS sent, sum(reached) AS delivered, sum(reached OR answered) AS reached, sum(answered) AS answered FROM (
            SELECT ${region} AS region, ${s.region} AS label, ${inv}.channel AS channel,
              CASE WHEN ${sms} THEN ${sql.raw(smsStateSql('m'))} ELSE ${sql.raw(callStateSql('c'))} END AS state,
              CASE WHEN ${sms} THEN ${sql.raw(smsSentSql('m'))} ELSE coalesce(${sql.raw(callPlacedSql('c'))}, 0) END AS sent,
              CASE WHEN ${sms} THEN ${m.status} = 'delivered' ELSE ${c.answeredAt} IS NOT NULL END AS reached,
              EXISTS (SELECT 1 FROM ${pa} WHERE ${pa.pollId} = ${inv}.poll_id AND ${pa.subscriberId} = ${inv}.subscriber_id) AS answered
            FROM (SELECT ${pi.pollId} AS poll_id, ${pi.subscriberId} AS subscriber_id, ${pi.channel} AS channel, ${ref} AS ref FROM ${pi} WHERE ${pi.pollId} = ${pollId}) ${inv}
            JOIN ${s} ON ${s.id} = ${inv}.subscriber_id
            LEFT JOIN ${messages} ${m} ON ${sms} AND ${m.id} = ${inv}.ref
            LEFT JOIN ${calls} ${c} ON ${inv}.channel = 'call' AND ${c.id} = ${inv}.ref
            WHERE ${segment(where)}
          ) GROUP BY region, channel, state`,
    ).all();
  }

  /** A poll's counted answers by region, channel and answer. */
  answerGroups(pollId: string, where?: SegmentWhere): AnswerGroup[] {
    return prepare<AnswerGroup>(
      this.db,
      sql`SELECT ${region} AS region, min(${s.region}) AS label, ${pa.channel} AS channel, ${pa.answer} AS answer, count(*) AS n
          FROM ${pa} JOIN ${s} ON ${s.id} = ${pa.subscriberId} WHERE ${pa.pollId} = ${pollId} AND ${segment(where)} GROUP BY 1, 3, 4`,
    ).all();
  }

  /** Up to `limit` answers after a subscriber id, by subscriber id. */
  answersAfter(pollId: string, after: number, limit: number): AnswerLine[] {
    return this.page.all({ pollId, after, limit });
  }
}

const segment = (where?: SegmentWhere): SQL => where?.sql ?? sql`1 = 1`;
