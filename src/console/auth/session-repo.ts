import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../../db/database';
import { consoleAccounts, consoleSessions } from '../../db/schema';
import { name as bare } from '../../db/statement';
import { ACCOUNT_COLUMNS, accountOf, type AccountRow } from './account-repo';

export type SessionRow = typeof consoleSessions.$inferSelect;

const s = consoleSessions;
const a = consoleAccounts;
const p = <N extends string>(n: N) => sql.placeholder(n);
type LiveRaw = Parameters<typeof accountOf>[0] & { csrf: string };

/** Console login sessions on both engines, keyed by the SHA-256 of the cookie's token. */
export class SessionRepo {
  private readonly insertStmt: Statement<never, SessionRow>;
  private readonly liveStmt: Statement<LiveRaw, { id: string; now: number }>;
  private readonly removeStmt: Statement<never, { id: string }>;
  private readonly removeForAccountStmt: Statement<never, { accountId: number }>;
  private readonly removeExpiredStmt: Statement<never, { now: number }>;

  constructor(database: Database) {
    this.insertStmt = database.statement(
      sql`INSERT INTO ${s} (${bare(s.id)}, ${bare(s.accountId)}, ${bare(s.csrf)}, ${bare(s.createdAt)}, ${bare(s.expiresAt)})
          VALUES (${p('id')}, ${p('accountId')}, ${p('csrf')}, ${p('createdAt')}, ${p('expiresAt')})`,
    );
    // Every console request asks this: one prepared statement, the account joined in.
    this.liveStmt = database.statement(
      sql`SELECT ${ACCOUNT_COLUMNS}, ${s.csrf} AS "csrf" FROM ${s} INNER JOIN ${a} ON ${a.id} = ${s.accountId}
          WHERE ${s.id} = ${p('id')} AND ${s.expiresAt} > ${p('now')} AND NOT ${a.disabled}`,
    );
    this.removeStmt = database.statement(sql`DELETE FROM ${s} WHERE ${s.id} = ${p('id')}`);
    this.removeForAccountStmt = database.statement(sql`DELETE FROM ${s} WHERE ${s.accountId} = ${p('accountId')}`);
    this.removeExpiredStmt = database.statement(sql`DELETE FROM ${s} WHERE ${s.expiresAt} <= ${p('now')}`);
  }

  /** Stores a new session. */
  async insert(row: SessionRow, tx: Tx): Promise<void> {
    await this.insertStmt.run(row, tx);
  }

  /** The live session with this id: its account (enabled accounts only) and CSRF token. */
  async live(id: string, now: number): Promise<{ account: AccountRow; csrf: string } | undefined> {
    const r = await this.liveStmt.get({ id, now });
    if (!r) return undefined;
    const { csrf, ...account } = r;
    return { account: accountOf(account), csrf };
  }

  /** Ends one session. */
  async remove(id: string, tx: Tx): Promise<void> {
    await this.removeStmt.run({ id }, tx);
  }

  /** Ends every session of an account (password changed, role changed, disabled). */
  async removeForAccount(accountId: number, tx: Tx): Promise<void> {
    await this.removeForAccountStmt.run({ accountId }, tx);
  }

  /** Forgets sessions that have expired. */
  async removeExpired(now: number, tx: Tx): Promise<void> {
    await this.removeExpiredStmt.run({ now }, tx);
  }
}
