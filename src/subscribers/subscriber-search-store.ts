import { sql } from 'drizzle-orm';
import type { Database, Statement } from '../db/database';
import { bool } from '../db/portable';
import { subscribers } from '../db/schema';

/** A subscriber as a search result lists it. */
export interface SubscriberHit {
  id: number;
  msisdn: string;
  region: string | null;
  language: string | null;
  optedOut: boolean;
  lastSeenAt: number | null;
}

type Row = Omit<SubscriberHit, 'optedOut'> & { optedOut: unknown };
type Page = { limit: number; offset: number };
const p = <N extends string>(n: N) => sql.placeholder(n);
const t = subscribers;
const hit = (r: Row): SubscriberHit => ({ ...r, optedOut: bool(r.optedOut) });

/**
 * Finding subscribers by number for the console. A number's last digits are matched by walking the
 * number index in order and stopping at the page's end, so a common ending answers at once; a rare one
 * reads the index (never the table) once. (SQLite is told to walk that index; PostgreSQL plans for itself.)
 */
export class SubscriberSearchStore {
  private readonly endingStmt: Statement<Row, Page & { ending: string }>;
  private readonly recentStmt: Statement<Row, Page>;

  constructor(db: Database) {
    const cols = sql`${t.id} AS "id", ${t.msisdn} AS "msisdn", ${t.region} AS "region", ${t.language} AS "language", ${t.optedOut} AS "optedOut", ${t.lastSeenAt} AS "lastSeenAt"`;
    const byNumber = db.dialect === 'sqlite' ? sql`${t} INDEXED BY subscribers_msisdn_uq` : sql`${t}`;
    // The ending is bound as text: PostgreSQL cannot infer a type for a parameter that only meets `||`.
    this.endingStmt = db.statement(
      sql`SELECT ${cols} FROM ${t} WHERE ${t.id} IN (SELECT ${t.id} FROM ${byNumber} WHERE ${t.msisdn} LIKE '%' || CAST(${p('ending')} AS TEXT) ORDER BY ${t.msisdn} LIMIT ${p('limit')} OFFSET ${p('offset')}) ORDER BY ${t.msisdn}`,
    );
    this.recentStmt = db.statement(
      sql`SELECT ${cols} FROM ${t} WHERE ${t.lastSeenAt} IS NOT NULL ORDER BY ${t.lastSeenAt} DESC, ${t.id} DESC LIMIT ${p('limit')} OFFSET ${p('offset')}`,
    );
  }

  /** The store of `db` (one per database, so its statements are prepared once). */
  static of(db: Database): SubscriberSearchStore {
    let s = stores.get(db);
    if (!s) stores.set(db, (s = new SubscriberSearchStore(db)));
    return s;
  }

  /** Subscribers whose number ends in `digits` (digits only), in number order. */
  async endingIn(digits: string, limit: number, offset: number): Promise<SubscriberHit[]> {
    if (!/^\d+$/.test(digits)) return [];
    return (await this.endingStmt.all({ ending: digits, limit, offset })).map(hit);
  }

  /** Subscribers most recently heard from (the newest subscriber first among those seen at the same moment). */
  async recentlySeen(limit: number, offset: number): Promise<SubscriberHit[]> {
    return (await this.recentStmt.all({ limit, offset })).map(hit);
  }
}

const stores = new WeakMap<Database, SubscriberSearchStore>();
