import { and, eq, gt, lte } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { consoleAccounts, consoleSessions } from '../../db/schema';
import type { AccountRow } from './account-repo';

export type SessionRow = typeof consoleSessions.$inferSelect;

/** Console login sessions, keyed by the SHA-256 of the cookie's token. */
export class SessionRepo {
  constructor(private readonly db: Db) {}

  insert(row: SessionRow): void {
    this.db.insert(consoleSessions).values(row).run();
  }

  /** The live session with this id and its account (enabled accounts only). */
  live(id: string, now: number): { session: SessionRow; account: AccountRow } | undefined {
    const row = this.db
      .select({ session: consoleSessions, account: consoleAccounts })
      .from(consoleSessions)
      .innerJoin(consoleAccounts, eq(consoleAccounts.id, consoleSessions.accountId))
      .where(and(eq(consoleSessions.id, id), gt(consoleSessions.expiresAt, now), eq(consoleAccounts.disabled, false)))
      .get();
    return row;
  }

  remove(id: string): void {
    this.db.delete(consoleSessions).where(eq(consoleSessions.id, id)).run();
  }

  /** Ends every session of an account (password changed, role changed, disabled). */
  removeForAccount(accountId: number): void {
    this.db.delete(consoleSessions).where(eq(consoleSessions.accountId, accountId)).run();
  }

  removeExpired(now: number): void {
    this.db.delete(consoleSessions).where(lte(consoleSessions.expiresAt, now)).run();
  }
}
