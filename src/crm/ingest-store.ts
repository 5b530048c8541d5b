import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmOpenEpisodes, crmOpenSessions, subscribers, usageEvents } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';

const p = sql.placeholder;

/** What a pass carries over to the next: where the log ends, and the sessions and episodes still open. */
export class IngestStore {
  private readonly maxEvent: Prepared<{ m: number | null }>;
  private readonly maxSubscriber: Prepared<{ m: number | null }>;
  private readonly sessions: Prepared<[string, string]>;
  private readonly clearSessions: Prepared<never>;
  private readonly putSession: Prepared<never, { id: string; sub: number; last: number; acc: string }>;
  private readonly episodes: Prepared<[string]>;
  private readonly clearEpisodes: Prepared<never>;
  private readonly putEpisode: Prepared<never, { sub: number; last: number; acc: string }>;

  constructor(db: Db) {
    this.maxEvent = prepare(db, sql`SELECT max(${usageEvents.id}) AS m FROM ${usageEvents}`);
    this.maxSubscriber = prepare(db, sql`SELECT max(${subscribers.id}) AS m FROM ${subscribers}`);
    const s = crmOpenSessions;
    this.sessions = prepare(db, sql`SELECT ${s.sessionId}, ${s.acc} FROM ${s}`);
    this.sessions.statement.raw();
    this.clearSessions = prepare(db, sql`DELETE FROM ${s}`);
    this.putSession = prepare(db, sql`INSERT INTO ${s} (${name(s.sessionId)}, ${name(s.subscriberId)}, ${name(s.lastAt)}, ${name(s.acc)}) VALUES (${p('id')}, ${p('sub')}, ${p('last')}, ${p('acc')})`);
    const e = crmOpenEpisodes;
    this.episodes = prepare(db, sql`SELECT ${e.acc} FROM ${e}`);
    this.episodes.statement.raw();
    this.clearEpisodes = prepare(db, sql`DELETE FROM ${e}`);
    this.putEpisode = prepare(db, sql`INSERT INTO ${e} (${name(e.subscriberId)}, ${name(e.lastAt)}, ${name(e.acc)}) VALUES (${p('sub')}, ${p('last')}, ${p('acc')})`);
  }

  /** The newest usage event's id (0 for an empty log). */
  lastEventId(): number {
    return this.maxEvent.get()?.m ?? 0;
  }

  /** The highest subscriber id (0 without subscribers). */
  lastSubscriberId(): number {
    return this.maxSubscriber.get()?.m ?? 0;
  }

  /** Sessions a previous pass left open: [session id, running summary as JSON]. */
  openSessions(): [string, string][] {
    return this.sessions.all();
  }

  /** Replaces the open sessions (inside the pass's transaction). */
  saveOpenSessions(rows: Iterable<{ id: string; sub: number; last: number; acc: unknown }>): number {
    this.clearSessions.run();
    let n = 0;
    for (const r of rows) n += this.putSession.run({ id: r.id, sub: r.sub, last: r.last, acc: JSON.stringify(r.acc) });
    return n;
  }

  /** Episodes a previous pass left open, as JSON. */
  openEpisodes(): string[] {
    return this.episodes.all().map((r) => r[0]);
  }

  /** Replaces the open episodes (inside the pass's transaction). */
  saveOpenEpisodes(rows: Iterable<{ sub: number; last: number; acc: unknown }>): void {
    this.clearEpisodes.run();
    for (const r of rows) this.putEpisode.run({ sub: r.sub, last: r.last, acc: JSON.stringify(r.acc) });
  }
}
