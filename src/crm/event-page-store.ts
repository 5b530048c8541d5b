import { sql, type SQL } from 'drizzle-orm';
import type { Database, Statement } from '../db/database';
import { jsonText } from '../db/portable';
import { usageEvents } from '../db/schema';

/**
 * One usage-log row as the decoder reads it: [id, at, subscriber id, channel code, type code, session id,
 * flow id (on a session start or a sessionless event), node id, detail as JSON text (session_end and
 * billing only)]. The codes are event-decoder.ts's `T` and `CHANNELS`. Delivery receipts and outbound
 * calls (the best-channel evidence) come without their session: they are not steps of one.
 */
export type EventPageRow = [number, number, number, number, number, string | null, string | null, string | null, string | null];

const e = usageEvents;

/**
 * Whether the detail's `field` has `value` (a string, or `true`). SQLite matches the text the gateway
 * wrote (compact JSON, no parse per row on a ten-million-row scan); PostgreSQL's jsonb is read by field.
 */
function detailIs(dialect: Database['dialect'], field: string, value: string | true): SQL {
  if (dialect === 'sqlite') return sql`${e.detail} LIKE ${sql.raw(`'%"${field}":${value === true ? 'true' : `"${value}"`}%'`)}`;
  return sql`${jsonText(dialect, e.detail, field)} = ${sql.raw(`'${String(value)}'`)}`;
}

/** The usage log read in pages of ids for the CRM pass, on either engine, with channel and type already coded. */
const eventPageStores = new WeakMap<Database, EventPageStore>();

export class EventPageStore {
  private readonly page: Statement<EventPageRow, { from: number; to: number }>;

  constructor(database: Database) {
    const d = database.dialect;
    const is = (field: string, value: string | true) => detailIs(d, field, value);
    // jsonb arrives parsed on PostgreSQL: the decoder takes the detail as text, as SQLite stores it.
    const detail = d === 'sqlite' ? sql`${e.detail}` : sql`${e.detail}::text`;
    this.page = database.statement(
      sql`SELECT ${e.id}, ${e.at}, ${e.subscriberId},
    CASE ${e.channel} WHEN 'ussd' THEN 1 WHEN 'ivr' THEN 2 ELSE 0 END,
    CASE ${e.type} WHEN 'menu' THEN 2 WHEN 'content' THEN 3 WHEN 'input_invalid' THEN 4 WHEN 'back' THEN 5 WHEN 'home' THEN 6 WHEN 'more' THEN 7
      WHEN 'session_start' THEN CASE WHEN ${is('direction', 'outbound')} THEN 12 WHEN ${is('shortcut', true)} THEN 13 ELSE 1 END WHEN 'session_end' THEN 8 WHEN 'sms_in' THEN 9 WHEN 'billing' THEN 10
      WHEN 'action' THEN 11 WHEN 'profile_update' THEN 11 WHEN 'poll_answer' THEN CASE WHEN ${e.sessionId} IS NULL THEN 17 ELSE 18 END
      WHEN 'sms_status' THEN 14 WHEN 'call_out' THEN 15 WHEN 'call_status' THEN 16 ELSE 0 END,
    CASE WHEN ${e.type} NOT IN ('sms_status', 'call_out', 'call_status') THEN ${e.sessionId} END,
    CASE WHEN ${e.type} = 'session_start' OR ${e.sessionId} IS NULL THEN ${e.flowId} END,
    ${e.nodeId},
    CASE WHEN ${e.type} IN ('session_end', 'billing') THEN ${detail} END
  FROM ${e}
  WHERE ${e.id} > ${sql.placeholder('from')} AND ${e.id} <= ${sql.placeholder('to')}
    AND (${e.type} IN ('session_start', 'menu', 'content', 'input_invalid', 'back', 'home', 'more', 'session_end', 'sms_in', 'billing', 'action', 'profile_update', 'poll_answer', 'call_out')
      OR (${e.type} = 'sms_status' AND ${is('status', 'delivered')} AND NOT coalesce(${is('source', 'mo_reply')}, FALSE) AND NOT coalesce(${is('source', 'poll')}, FALSE))
      OR (${e.type} = 'call_status' AND ${is('status', 'answered')}))
  ORDER BY ${e.id}`,
      { raw: true },
    );
  }

  /** The store of `database` (one per database, so its statements are prepared once, not once per pass). */
  static of(database: Database): EventPageStore {
    let st = eventPageStores.get(database);
    if (!st) eventPageStores.set(database, (st = new EventPageStore(database)));
    return st;
  }

  /** The decoder's events with ids in (from, to], in id order. */
  read(from: number, to: number): Promise<EventPageRow[]> {
    return this.page.all({ from, to });
  }
}
