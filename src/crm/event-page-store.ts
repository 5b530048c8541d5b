import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { usageEvents } from '../db/schema';
import { prepare, type Prepared } from '../db/statement';

/**
 * One usage-log row as the decoder reads it: [id, at, subscriber id, channel code, type code, session id,
 * flow id (on a session start or a sessionless event), node id, detail (session_end and billing only)].
 * The codes are event-decoder.ts's `T` and `CHANNELS`. Delivery receipts and outbound calls (the best-channel
 * evidence) come without their session: they are not steps of one.
 */
export type EventPageRow = [number, number, number, number, number, string | null, string | null, string | null, string | null];

/** The usage log read in pages of ids for the CRM pass, with channel and type already coded. */
export class EventPageStore {
  private readonly page: Prepared<EventPageRow, { from: number; to: number }>;

  constructor(db: Db) {
    const e = usageEvents;
    this.page = prepare(
      db,
      sql`SELECT ${e.id}, ${e.at}, ${e.subscriberId},
    CASE ${e.channel} WHEN 'ussd' THEN 1 WHEN 'ivr' THEN 2 ELSE 0 END,
    CASE ${e.type} WHEN 'menu' THEN 2 WHEN 'content' THEN 3 WHEN 'input_invalid' THEN 4 WHEN 'back' THEN 5 WHEN 'home' THEN 6 WHEN 'more' THEN 7
      WHEN 'session_start' THEN CASE WHEN ${e.detail} LIKE '%"direction":"outbound"%' THEN 12 WHEN ${e.detail} LIKE '%"shortcut":true%' THEN 13 ELSE 1 END WHEN 'session_end' THEN 8 WHEN 'sms_in' THEN 9 WHEN 'billing' THEN 10
      WHEN 'action' THEN 11 WHEN 'profile_update' THEN 11 WHEN 'poll_answer' THEN CASE WHEN ${e.sessionId} IS NULL THEN 17 ELSE 18 END
      WHEN 'sms_status' THEN 14 WHEN 'call_out' THEN 15 WHEN 'call_status' THEN 16 ELSE 0 END,
    CASE WHEN ${e.type} NOT IN ('sms_status', 'call_out', 'call_status') THEN ${e.sessionId} END,
    CASE WHEN ${e.type} = 'session_start' OR ${e.sessionId} IS NULL THEN ${e.flowId} END,
    ${e.nodeId},
    CASE WHEN ${e.type} IN ('session_end', 'billing') THEN ${e.detail} END
  FROM ${e}
  WHERE ${e.id} > ${sql.placeholder('from')} AND ${e.id} <= ${sql.placeholder('to')}
    AND (${e.type} IN ('session_start', 'menu', 'content', 'input_invalid', 'back', 'home', 'more', 'session_end', 'sms_in', 'billing', 'action', 'profile_update', 'poll_answer', 'call_out')
      OR (${e.type} = 'sms_status' AND ${e.detail} LIKE '%"status":"delivered"%' AND ${e.detail} NOT LIKE '%"source":"mo_reply"%' AND ${e.detail} NOT LIKE '%"source":"poll"%')
      OR (${e.type} = 'call_status' AND ${e.detail} LIKE '%"status":"answered"%'))
  ORDER BY ${e.id}`,
    );
    this.page.statement.raw();
  }

  /** The decoder's events with ids in (from, to], in id order. */
  read(from: number, to: number): EventPageRow[] {
    return this.page.all({ from, to });
  }
}
