import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { consoleAccounts } from '../../db/schema';

export type AccountRow = typeof consoleAccounts.$inferSelect;
export type Role = AccountRow['role'];
export const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

/** Console accounts: by name, all, create, and the login counters. */
export class AccountRepo {
  constructor(private readonly db: Db) {}

  byName(name: string): AccountRow | undefined {
    return this.db.select().from(consoleAccounts).where(eq(consoleAccounts.name, name)).get();
  }

  byId(id: number): AccountRow | undefined {
    return this.db.select().from(consoleAccounts).where(eq(consoleAccounts.id, id)).get();
  }

  all(): AccountRow[] {
    return this.db.select().from(consoleAccounts).orderBy(asc(consoleAccounts.name)).all();
  }

  count(): number {
    return this.db.select({ n: sql<number>`count(*)` }).from(consoleAccounts).get()?.n ?? 0;
  }

  /** Admins that can log in (not disabled): the console must keep at least one. */
  enabledAdmins(): number {
    return (
      this.db
        .select({ n: sql<number>`count(*)` })
        .from(consoleAccounts)
        .where(and(eq(consoleAccounts.role, 'admin'), eq(consoleAccounts.disabled, false)))
        .get()?.n ?? 0
    );
  }

  insert(row: typeof consoleAccounts.$inferInsert): AccountRow {
    return this.db.insert(consoleAccounts).values(row).returning().get();
  }

  update(id: number, set: Partial<Omit<typeof consoleAccounts.$inferInsert, 'id'>>): void {
    this.db.update(consoleAccounts).set(set).where(eq(consoleAccounts.id, id)).run();
  }

  /** Counts one more wrong password and returns the new count. */
  recordFailure(id: number, now: number): number {
    const row = this.db
      .update(consoleAccounts)
      .set({ failedLogins: sql`${consoleAccounts.failedLogins} + 1`, updatedAt: now })
      .where(eq(consoleAccounts.id, id))
      .returning({ n: consoleAccounts.failedLogins })
      .get();
    return row?.n ?? 0;
  }
}
