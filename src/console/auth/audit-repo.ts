import { desc, lt } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { consoleAudit } from '../../db/schema';

export type AuditRow = typeof consoleAudit.$inferSelect;

/** The console's audit log: append, and read newest first a page at a time. */
export class AuditRepo {
  constructor(private readonly db: Db) {}

  append(row: Omit<typeof consoleAudit.$inferInsert, 'id'>): void {
    this.db.insert(consoleAudit).values(row).run();
  }

  /** Entries newest first, older than the entry `before` when given. */
  page(limit: number, before?: number): AuditRow[] {
    const q = this.db.select().from(consoleAudit);
    return (before === undefined ? q : q.where(lt(consoleAudit.id, before))).orderBy(desc(consoleAudit.id)).limit(limit).all();
  }
}
