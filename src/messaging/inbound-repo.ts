import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { inboundSms } from '../db/schema';
import { selectList } from '../db/select-list';
import { name, prepare, type Prepared } from '../db/statement';

/** One received SMS as `inbound_sms` keeps it. */
export type InboundRecord = typeof inboundSms.$inferSelect;

/** What a received SMS is recorded with (the id is given by the database). */
export type NewInbound = Omit<InboundRecord, 'id'>;

const NEW_INBOUND_COLUMNS = ['source', 'externalId', 'fromAddr', 'toAddr', 'text', 'subscriberId', 'route', 'receivedAt', 'createdAt'] as const satisfies ReadonlyArray<keyof NewInbound>;

const p = (n: string) => sql.placeholder(n);
const t = inboundSms;

/**
 * Data access for `inbound_sms`: aggregator SMS (their ids make retries duplicates) and SMS from
 * senders that are not phone numbers. Statements are prepared once; callers run them in their transaction.
 */
export class InboundRepo {
  private readonly s: {
    seen: Prepared<{ one: number }, { source: string; externalId: string }>;
    insert: Prepared<never, NewInbound>;
    byFrom: Prepared<InboundRecord, { fromAddr: string; limit: number }>;
  };

  constructor(db: Db) {
    this.s = {
      seen: prepare(db, sql`SELECT 1 AS one FROM ${t} WHERE ${t.source} = ${p('source')} AND ${t.externalId} = ${p('externalId')}`),
      insert: prepare(
        db,
        sql`INSERT INTO ${t} (${sql.join(NEW_INBOUND_COLUMNS.map((k) => name(t[k])), sql`, `)}) VALUES (${sql.join(NEW_INBOUND_COLUMNS.map((k) => p(k)), sql`, `)})`,
      ),
      byFrom: prepare(db, sql`SELECT ${selectList(t)} FROM ${t} WHERE ${t.fromAddr} = ${p('fromAddr')} ORDER BY ${t.createdAt} DESC, ${t.id} DESC LIMIT ${p('limit')}`),
    };
  }

  /** Whether this aggregator already handed over a message with this id. */
  seen(source: string, externalId: string): boolean {
    return this.s.seen.get({ source, externalId }) !== undefined;
  }

  /** Records a received SMS. */
  insert(r: NewInbound): void {
    this.s.insert.run(r);
  }

  /** The latest SMS received from an address, newest first. */
  byFrom(fromAddr: string, limit = 50): InboundRecord[] {
    return this.s.byFrom.all({ fromAddr, limit });
  }
}
