import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/client';

/** One received SMS as `inbound_sms` keeps it. */
export interface InboundRecord {
  source: string;
  externalId: string | null;
  fromAddr: string;
  toAddr: string;
  text: string;
  subscriberId: number | null;
  route: string;
  receivedAt: number;
  createdAt: number;
}

/**
 * Data access for `inbound_sms`: aggregator SMS (their ids make retries duplicates) and SMS from
 * senders that are not phone numbers. Statements are prepared once; callers run them in their transaction.
 */
export class InboundRepo {
  private readonly st: { seen: Statement; insert: Statement; byFrom: Statement };

  constructor(db: Db) {
    const c = db.$client;
    this.st = {
      seen: c.prepare('SELECT 1 FROM inbound_sms WHERE source = ? AND external_id = ?'),
      insert: c.prepare(`INSERT INTO inbound_sms (source, external_id, from_addr, to_addr, text, subscriber_id, route, received_at, created_at)
        VALUES (@source, @externalId, @fromAddr, @toAddr, @text, @subscriberId, @route, @receivedAt, @createdAt)`),
      byFrom: c.prepare('SELECT * FROM inbound_sms WHERE from_addr = ? ORDER BY created_at DESC, id DESC LIMIT ?'),
    };
  }

  /** Whether this aggregator already handed over a message with this id. */
  seen(source: string, externalId: string): boolean {
    return this.st.seen.get(source, externalId) !== undefined;
  }

  /** Records a received SMS. */
  insert(r: InboundRecord): void {
    this.st.insert.run(r);
  }

  /** The latest SMS received from an address, newest first (raw rows). */
  byFrom(addr: string, limit = 50): Array<Record<string, unknown>> {
    return this.st.byFrom.all(addr, limit) as Array<Record<string, unknown>>;
  }
}
