import { desc } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmPasses } from '../db/schema';

type PassRow = typeof crmPasses.$inferSelect;

/** The record of detector passes (crm_passes), and the connection settings a pass runs with. */
export class PassStore {
  constructor(private readonly db: Db) {}

  /** Records a finished pass. */
  record(p: Omit<typeof crmPasses.$inferInsert, 'id'>): void {
    this.db.insert(crmPasses).values(p).run();
  }

  /** The last passes, newest first. */
  last(limit: number): Pick<PassRow, 'asOf' | 'startedAt' | 'durationMs' | 'events' | 'summary'>[] {
    return this.db
      .select({ asOf: crmPasses.asOf, startedAt: crmPasses.startedAt, durationMs: crmPasses.durationMs, events: crmPasses.events, summary: crmPasses.summary })
      .from(crmPasses)
      .orderBy(desc(crmPasses.id))
      .limit(limit)
      .all();
  }

  /**
   * Turns automatic WAL checkpoints off for a pass (each one syncs the file); the returned function turns
   * them back on and checkpoints once.
   */
  pauseCheckpoints(): () => void {
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
