import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { subscribers } from '../db/schema';
import { prepare, type Prepared } from '../db/statement';

/** A subscriber as a search result lists it. */
export interface SubscriberHit {
  id: number;
  msisdn: string;
  region: string | null;
  language: string | null;
  optedOut: boolean;
  lastSeenAt: number | null;
}

type Row = Omit<SubscriberHit, 'optedOut'> & { optedOut: number };
type Page = { limit: number; offset: number };
const p = <N extends string>(n: N) => sql.placeholder(n);
const t = subscribers;
const hit = (r: Row): SubscriberHit => ({ ...r, optedOut: r.optedOut === 1 });

/**
 * Finding subscribers by number for the console. A number's last digits are matched by walking the
 * number index in order and stopping at the page's end, so a common ending answers at once; a rare one
 * reads the index (never the table) once.
 */
export class SubscriberSearchStore {
  private readonly endingStmt: Prepared<Row, Page & { ending: string }>;
  private readonly recentStmt: Prepared<Row, Page>;

  constructor(db: Db) {
    const cols = sql`${t.id} AS "id", ${t.msisdn} AS "msisdn", ${t.region} AS "region", ${t.language} AS "language", ${t.optedOut} AS "optedOut", ${t.lastSeenAt} AS "lastSeenAt"`;
    this.endingStmt = prepare(
      db,
      sql`SELECT ${cols} FROM ${t} WHERE ${t.id} IN (SELECT ${t.id} FROM ${t} INDEXED BY subscribers_msisdn_uq WHERE ${t.msisdn} LIKE '%' || ${p('ending')} ORDER BY ${t.msisdn} LIMIT ${p('limit')} OFFSET ${p('offset')}) ORDER BY ${t.msisdn}`,
    );
    this.recentStmt = prepare(
      db,
      sql`SELECT ${cols} FROM ${t} WHERE ${t.lastSeenAt} IS NOT NULL ORDER BY ${t.lastSeenAt} DESC LIMIT ${p('limit')} OFFSET ${p('offset')}`,
    );
  }

  /** The store of `db` (one per connection, so its statements are prepared once). */
  static of(db: Db): SubscriberSearchStore {
    let s = stores.get(db);
    if (!s) stores.set(db, (s = new SubscriberSearchStore(db)));
    return s;
  }

  /** Subscribers whose number ends in `digits` (digits only), in number order. */
  endingIn(digits: string, limit: number, offset: number): SubscriberHit[] {
    if (!/^\d+$/.test(digits)) return [];
    return this.endingStmt.all({ ending: digits, limit, offset }).map(hit);
  }

  /** Subscribers most recently heard from. */
  recentlySeen(limit: number, offset: number): SubscriberHit[] {
    return this.recentStmt.all({ limit, offset }).map(hit);
  }
}

const stores = new WeakMap<Db, SubscriberSearchStore>();
