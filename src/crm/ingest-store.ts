import { sql } from 'drizzle-orm';
import { BatchWriter } from '../db/batch-writer';
import type { Database, Statement, Tx } from '../db/database';
import { json } from '../db/portable';
import { crmOpenEpisodes, crmOpenSessions, subscribers, usageEvents } from '../db/schema';
import { name } from '../db/statement';
import { writeRows } from './batch-rows';

const s = crmOpenSessions;
const e = crmOpenEpisodes;

/** What a pass carries over to the next, on either engine: where the log ends, and the sessions and episodes still open. */
const ingestStores = new WeakMap<Database, IngestStore>();

export class IngestStore {
  private readonly maxEvent: Statement<{ m: number | null }>;
  private readonly settle: Statement<never> | null;
  private readonly maxSubscriber: Statement<{ m: number | null }>;
  private readonly sessions: Statement<[string, unknown]>;
  private readonly clearSessions: Statement<never>;
  private readonly putSessions: BatchWriter;
  private readonly episodes: Statement<[unknown]>;
  private readonly clearEpisodes: Statement<never>;
  private readonly putEpisodes: BatchWriter;

  constructor(database: Database) {
    this.maxEvent = database.statement(sql`SELECT max(${usageEvents.id}) AS "m" FROM ${usageEvents}`);
    // PostgreSQL: waits for the transactions still inserting events (SHARE conflicts with their inserts).
    this.settle = database.dialect === 'postgresql' ? database.statement(sql`LOCK TABLE ${usageEvents} IN SHARE MODE`) : null;
    this.maxSubscriber = database.statement(sql`SELECT max(${subscribers.id}) AS "m" FROM ${subscribers}`);
    this.sessions = database.statement(sql`SELECT ${s.sessionId}, ${s.acc} FROM ${s}`, { raw: true });
    this.clearSessions = database.statement(sql`DELETE FROM ${s}`);
    this.putSessions = new BatchWriter(database, sql`INSERT INTO ${s} (${name(s.sessionId)}, ${name(s.subscriberId)}, ${name(s.lastAt)}, ${name(s.acc)}) VALUES`, 4);
    this.episodes = database.statement(sql`SELECT ${e.acc} FROM ${e}`, { raw: true });
    this.clearEpisodes = database.statement(sql`DELETE FROM ${e}`);
    this.putEpisodes = new BatchWriter(database, sql`INSERT INTO ${e} (${name(e.subscriberId)}, ${name(e.lastAt)}, ${name(e.acc)}) VALUES`, 3);
  }

  /** The store of `database` (one per database, so its statements are prepared once, not once per pass). */
  static of(database: Database): IngestStore {
    let st = ingestStores.get(database);
    if (!st) ingestStores.set(database, (st = new IngestStore(database)));
    return st;
  }

  /**
   * The newest usage event's id (0 for an empty log), read inside `tx` so that every event with a lower id
   * is there to read. On PostgreSQL ids are drawn before their transactions commit, so one still open
   * could commit an id below the newest later and the cursor would pass it by: the unit first waits for
   * the transactions inserting events to end (a lock held only until `tx` ends, a few milliseconds).
   * SQLite has one writer at a time, so an id it sees is committed in order.
   */
  async lastEventId(tx: Tx): Promise<number> {
    if (this.settle) await this.settle.run(undefined, tx);
    return (await this.maxEvent.get(undefined, tx))?.m ?? 0;
  }

  /** The highest subscriber id (0 without subscribers). */
  async lastSubscriberId(): Promise<number> {
    return (await this.maxSubscriber.get())?.m ?? 0;
  }

  /** Sessions a previous pass left open: [session id, running summary]. */
  async openSessions<T>(): Promise<[string, T][]> {
    return (await this.sessions.all()).map((r) => [r[0], json<T>(r[1])]);
  }

  /** Replaces the open sessions inside the pass's unit. */
  async saveOpenSessions(rows: Iterable<{ id: string; sub: number; last: number; acc: unknown }>, tx: Tx): Promise<number> {
    await this.clearSessions.run(undefined, tx);
    return writeRows(this.putSessions, map(rows, (r) => [r.id, r.sub, r.last, JSON.stringify(r.acc)]), tx);
  }

  /** Episodes a previous pass left open. */
  async openEpisodes<T>(): Promise<T[]> {
    return (await this.episodes.all()).map((r) => json<T>(r[0]));
  }

  /** Replaces the open episodes inside the pass's unit. */
  async saveOpenEpisodes(rows: Iterable<{ sub: number; last: number; acc: unknown }>, tx: Tx): Promise<void> {
    await this.clearEpisodes.run(undefined, tx);
    await writeRows(this.putEpisodes, map(rows, (r) => [r.sub, r.last, JSON.stringify(r.acc)]), tx);
  }
}

function* map<T, U>(rows: Iterable<T>, fn: (r: T) => U): Generator<U> {
  for (const r of rows) yield fn(r);
}
