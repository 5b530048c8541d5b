import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import type { Database, Statement, Tx } from '../db/database';
import { json } from '../db/portable';
import { crmPasses } from '../db/schema';
import { name } from '../db/statement';

type PassRow = typeof crmPasses.$inferSelect;
type Recorded = Omit<typeof crmPasses.$inferInsert, 'id'>;
type LastPass = Pick<PassRow, 'asOf' | 'startedAt' | 'durationMs' | 'events' | 'summary'>;

const p = sql.placeholder;
const t = crmPasses;

/** The record of detector passes (crm_passes), on either engine, and the SQLite connection settings a pass runs with. */
export class PassStore {
  private readonly insert: Statement<never, { asOf: number; startedAt: number; durationMs: number; events: number; summary: string }>;
  private readonly newest: Statement<Omit<LastPass, 'summary'> & { summary: unknown }, { limit: number }>;

  /** `db`: the SQLite connection whose automatic checkpoints a pass pauses (none on PostgreSQL). */
  constructor(
    database: Database,
    private readonly db?: Db,
  ) {
    this.insert = database.statement(
      sql`INSERT INTO ${t} (${name(t.asOf)}, ${name(t.startedAt)}, ${name(t.durationMs)}, ${name(t.events)}, ${name(t.summary)})
          VALUES (${p('asOf')}, ${p('startedAt')}, ${p('durationMs')}, ${p('events')}, ${p('summary')})`,
    );
    this.newest = database.statement(
      sql`SELECT ${t.asOf} AS "asOf", ${t.startedAt} AS "startedAt", ${t.durationMs} AS "durationMs", ${t.events} AS "events", ${t.summary} AS "summary"
          FROM ${t} ORDER BY ${t.id} DESC LIMIT ${p('limit')}`,
    );
  }

  /** Records a finished pass inside `tx`. */
  async record(row: Recorded, tx: Tx): Promise<void> {
    await this.insert.run({ asOf: row.asOf, startedAt: row.startedAt, durationMs: row.durationMs, events: row.events, summary: JSON.stringify(row.summary) }, tx);
  }

  /** The last passes, newest first. */
  async last(limit: number): Promise<LastPass[]> {
    const rows = await this.newest.all({ limit });
    return rows.map((r) => ({ ...r, summary: json<Record<string, unknown>>(r.summary) }));
  }

  /**
   * Turns automatic WAL checkpoints off for a pass on SQLite (each one syncs the file); the returned
   * function turns them back on and checkpoints once. PostgreSQL has nothing to pause.
   */
  pauseCheckpoints(): () => void {
    if (!this.db) return () => {};
    const c = this.db.$client;
    const auto = c.pragma('wal_autocheckpoint', { simple: true }) as number;
    c.pragma('wal_autocheckpoint = 0');
    return () => {
      c.pragma(`wal_autocheckpoint = ${auto}`);
      try {
        c.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // Best effort: a write group still open on this connection makes SQLite refuse ("table is locked");
        // the next automatic checkpoint does the work, and the pass itself has committed.
      }
    };
  }
}
