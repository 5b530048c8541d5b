import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { inboundSms } from '../db/schema';
import { selectList } from '../db/select-list';
import { name } from '../db/statement';

/** One received SMS as `inbound_sms` keeps it. */
export type InboundRecord = typeof inboundSms.$inferSelect;

/** What a received SMS is recorded with (the id is given by the database). */
export type NewInbound = Omit<InboundRecord, 'id'>;

const NEW_INBOUND_COLUMNS = ['source', 'externalId', 'fromAddr', 'toAddr', 'text', 'subscriberId', 'route', 'receivedAt', 'createdAt'] as const satisfies ReadonlyArray<keyof NewInbound>;

const p = (n: string) => sql.placeholder(n);
const t = inboundSms;

/**
 * Data access for `inbound_sms`: aggregator SMS (their ids make retries duplicates) and SMS from
 * senders that are not phone numbers, on either engine. Writes run in the caller's unit of work.
 */
export class InboundRepo {
  private readonly s: {
    insert: Statement<{ id: number }, NewInbound>;
    setRoute: Statement<never, { id: number; route: string; subscriberId: number | null }>;
    byFrom: Statement<InboundRecord, { fromAddr: string; limit: number }>;
  };

  constructor(db: Database) {
    this.s = {
      // The unique (source, external_id) decides a repeat in the write itself: two processes handed the
      // same aggregator id at once cannot both record (and route) it. A null id never conflicts.
      insert: db.statement(
        sql`INSERT INTO ${t} (${sql.join(NEW_INBOUND_COLUMNS.map((k) => name(t[k])), sql`, `)}) VALUES (${sql.join(NEW_INBOUND_COLUMNS.map((k) => p(k)), sql`, `)})
          ON CONFLICT (${name(t.source)}, ${name(t.externalId)}) DO NOTHING RETURNING ${t.id} AS "id"`,
      ),
      setRoute: db.statement(sql`UPDATE ${t} SET ${name(t.route)} = ${p('route')}, ${name(t.subscriberId)} = ${p('subscriberId')} WHERE ${t.id} = ${p('id')}`),
      byFrom: db.statement(sql`SELECT ${selectList(t)} FROM ${t} WHERE ${t.fromAddr} = ${p('fromAddr')} ORDER BY ${t.createdAt} DESC, ${t.id} DESC LIMIT ${p('limit')}`),
    };
  }

  /** Records a received SMS; resolves with its id, or null when its source already handed over this external id. */
  async insert(r: NewInbound, tx: Tx): Promise<number | null> {
    // `all`, not `run`: the RETURNING row says whether it was written. Inside the unit (`tx`).
    const rows = await this.s.insert.all(r, tx);
    return rows[0]?.id ?? null;
  }

  /** Sets how a recorded SMS was routed and its sender's subscriber (known only after it is recorded). */
  async setRoute(id: number, route: string, subscriberId: number | null, tx: Tx): Promise<void> {
    await this.s.setRoute.run({ id, route, subscriberId }, tx);
  }

  /** The latest SMS received from an address, newest first. */
  async byFrom(fromAddr: string, limit = 50): Promise<InboundRecord[]> {
    return this.s.byFrom.all({ fromAddr, limit });
  }
}
