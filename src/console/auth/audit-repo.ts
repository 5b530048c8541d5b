import { and, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { consoleAudit } from '../../db/schema';

export type AuditRow = typeof consoleAudit.$inferSelect;

/** Which entries of the audit log to read: by whom, and an action or a family of actions (`account` matches `account.*`). */
export interface AuditFilter {
  account?: string | undefined;
  action?: string | undefined;
}

/** The console's audit log: append, and read newest first a page at a time. */
export class AuditRepo {
  constructor(private readonly db: Db) {}

  append(row: Omit<typeof consoleAudit.$inferInsert, 'id'>): void {
    this.db.insert(consoleAudit).values(row).run();
  }

  /** Entries newest first, older than the entry `before` when given, matching the filter. */
  page(limit: number, before?: number, filter: AuditFilter = {}): AuditRow[] {
    const where: SQL[] = [];
    if (before !== undefined) where.push(lt(consoleAudit.id, before));
    if (filter.account) where.push(eq(consoleAudit.accountName, filter.account));
    if (filter.action) {
      // A prefix compared as text (not LIKE), so `_` and `%` in what was typed mean themselves.
      const prefix = `${filter.action}.`;
      const family = sql`substr(${consoleAudit.action}, 1, ${prefix.length}) = ${prefix}`;
      where.push(or(eq(consoleAudit.action, filter.action), family) as SQL);
    }
    const q = this.db.select().from(consoleAudit);
    return (where.length ? q.where(and(...where)) : q).orderBy(desc(consoleAudit.id)).limit(limit).all();
  }
}
