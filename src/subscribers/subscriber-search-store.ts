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
/** The digits a number ends in (SQLite), or the range of reversed numbers that end so (PostgreSQL). */
type Ending = { ending: string; reversedFrom: string; reversedTo: string };
const p = <N extends string>(n: N) => sql.placeholder(n);
const t = subscribers;
const hit = (r: Row): SubscriberHit => ({ ...r, optedOut: bool(r.optedOut) });

/**
 * Finding subscribers by number for the console. A number's last digits are matched by walking the
 * number index in order and stopping at the page's end, so a common ending answers at once; a rare one
 * reads the index (never the table) once. SQLite is told to walk that index. PostgreSQL has an index of
 * the reversed number (src/db/postgres/schema.ts), where the numbers ending in given digits are one range,
 * and plans for each ending: that range for a rare one, the number index for a common one.
 */
export class SubscriberSearchStore {
  private readonly endingStmt: Statement<Row, Page & Partial<Ending>>;
  private readonly recentStmt: Statement<Row, Page>;
  private readonly dialect: Database['dialect'];
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
    const cols = sql`${t.id} AS "id", ${t.msisdn} AS "msisdn", ${t.region} AS "region", ${t.language} AS "language", ${t.optedOut} AS "optedOut", ${t.lastSeenAt} AS "lastSeenAt"`;
    const reversed = sql`(reverse(${t.msisdn}) COLLATE "C")`;
    this.endingStmt = db.statement(
      db.dialect === 'sqlite'
        ? sql`SELECT ${cols} FROM ${t} WHERE ${t.id} IN (SELECT ${t.id} FROM ${t} INDEXED BY subscribers_msisdn_uq WHERE ${t.msisdn} LIKE '%' || ${p('ending')} ORDER BY ${t.msisdn} LIMIT ${p('limit')} OFFSET ${p('offset')}) ORDER BY ${t.msisdn}`
        : sql`SELECT ${cols} FROM ${t} WHERE ${reversed} >= CAST(${p('reversedFrom')} AS TEXT) AND ${reversed} < CAST(${p('reversedTo')} AS TEXT) ORDER BY ${t.msisdn} LIMIT ${p('limit')} OFFSET ${p('offset')}`,
    );
    this.dialect = db.dialect;
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
    return (await this.endingStmt.all({ ...this.ending(digits), limit, offset })).map(hit);
  }

  private ending(digits: string): Partial<Ending> {
    if (this.dialect === 'sqlite') return { ending: digits };
    // Reversed, the numbers ending in 1234 are those from "4321" up to (not including) "4322"; after a
    // final 9 comes ":", the next byte.
    const from = [...digits].reverse().join('');
    return { reversedFrom: from, reversedTo: from.slice(0, -1) + String.fromCharCode(from.charCodeAt(from.length - 1) + 1) };
  }

  /**
   * The ids of the subscribers with these numbers (unknown numbers absent): a report page links its rows
   * with one read per thousand numbers, not one lookup per row.
   */
  async idsByMsisdn(msisdns: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const distinct = [...new Set(msisdns)];
    for (let i = 0; i < distinct.length; i += ID_CHUNK) {
      const chunk = distinct.slice(i, i + ID_CHUNK);
      const rows = await this.db.all<{ id: number; msisdn: string }>(sql`SELECT ${t.id} AS "id", ${t.msisdn} AS "msisdn" FROM ${t} WHERE ${t.msisdn} IN (${sql.join(chunk.map((m) => sql`${m}`), sql`, `)})`);
      for (const r of rows) out.set(r.msisdn, Number(r.id));
    }
    return out;
  }

  /** Subscribers most recently heard from (the newest subscriber first among those seen at the same moment). */
  async recentlySeen(limit: number, offset: number): Promise<SubscriberHit[]> {
    return (await this.recentStmt.all({ limit, offset })).map(hit);
  }
}

/** Numbers per IN list: far below either engine's limit on bound values. */
const ID_CHUNK = 1000;

const stores = new WeakMap<Database, SubscriberSearchStore>();
