import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../../db/database';
import { bool } from '../../db/portable';
import { consoleAccounts } from '../../db/schema';
import { name as bare } from '../../db/statement';

export type AccountRow = typeof consoleAccounts.$inferSelect;
export type Role = AccountRow['role'];
export const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

/** What may change on an account. */
export type AccountChange = Partial<Pick<AccountRow, 'role' | 'language' | 'passwordHash' | 'failedLogins' | 'lockedUntil' | 'disabled'>>;

const a = consoleAccounts;
const p = <N extends string>(n: N) => sql.placeholder(n);
type Raw = Omit<AccountRow, 'disabled'> & { disabled: unknown };
/** Every column under its property name, in the SQL both engines share. */
export const ACCOUNT_COLUMNS = sql`${a.id} AS "id", ${a.name} AS "name", ${a.role} AS "role", ${a.passwordHash} AS "passwordHash", ${a.language} AS "language",
  ${a.failedLogins} AS "failedLogins", ${a.lockedUntil} AS "lockedUntil", ${a.disabled} AS "disabled", ${a.createdAt} AS "createdAt", ${a.updatedAt} AS "updatedAt"`;
/** An account row as a raw row returns it, its boolean decoded. */
export const accountOf = (r: Raw): AccountRow => ({ ...r, disabled: bool(r.disabled) });
// A boolean is bound as 0/1: SQLite stores that, and PostgreSQL reads '0'/'1' as a boolean.
const bit = (v: boolean) => (v ? 1 : 0);

type Insert = Pick<AccountRow, 'name' | 'role' | 'passwordHash' | 'language' | 'createdAt' | 'updatedAt'>;

/** Console accounts on both engines: by name, all, create, change, and the login counters. */
export class AccountRepo {
  private readonly byNameStmt: Statement<Raw, { name: string }>;
  private readonly byIdStmt: Statement<Raw, { id: number }>;
  private readonly allStmt: Statement<Raw>;
  private readonly countStmt: Statement<{ n: number }>;
  private readonly adminsStmt: Statement<{ id: number }>;
  private readonly insertStmt: Statement<Raw, Insert>;
  private readonly failureStmt: Statement<{ n: number }, { id: number; now: number }>;

  constructor(private readonly database: Database) {
    this.byNameStmt = database.statement(sql`SELECT ${ACCOUNT_COLUMNS} FROM ${a} WHERE ${a.name} = ${p('name')}`);
    this.byIdStmt = database.statement(sql`SELECT ${ACCOUNT_COLUMNS} FROM ${a} WHERE ${a.id} = ${p('id')}`);
    this.allStmt = database.statement(sql`SELECT ${ACCOUNT_COLUMNS} FROM ${a} ORDER BY ${a.name}`);
    this.countStmt = database.statement(sql`SELECT count(*) AS "n" FROM ${a}`);
    // Locked on PostgreSQL, so two units that each take one admin away cannot both see another left.
    this.adminsStmt = database.statement(
      sql`SELECT ${a.id} AS "id" FROM ${a} WHERE ${a.role} = 'admin' AND NOT ${a.disabled}${database.dialect === 'postgresql' ? sql` FOR UPDATE` : sql``}`,
    );
    // The unique name decides: of two units adding one name, one gets no row back.
    this.insertStmt = database.statement(
      sql`INSERT INTO ${a} (${bare(a.name)}, ${bare(a.role)}, ${bare(a.passwordHash)}, ${bare(a.language)}, ${bare(a.createdAt)}, ${bare(a.updatedAt)})
          VALUES (${p('name')}, ${p('role')}, ${p('passwordHash')}, ${p('language')}, ${p('createdAt')}, ${p('updatedAt')})
          ON CONFLICT (${bare(a.name)}) DO NOTHING RETURNING ${ACCOUNT_COLUMNS}`,
    );
    // The count is kept by the row itself, so wrong passwords typed at two processes at once all count.
    this.failureStmt = database.statement(
      sql`UPDATE ${a} SET ${bare(a.failedLogins)} = ${a.failedLogins} + 1, ${bare(a.updatedAt)} = ${p('now')} WHERE ${a.id} = ${p('id')} RETURNING ${a.failedLogins} AS "n"`,
    );
  }

  /** The account named `name` (inside unit `tx` when given). */
  async byName(name: string, tx?: Tx): Promise<AccountRow | undefined> {
    const r = await this.byNameStmt.get({ name }, tx);
    return r && accountOf(r);
  }

  /** The account with id `id` (inside unit `tx` when given). */
  async byId(id: number, tx?: Tx): Promise<AccountRow | undefined> {
    const r = await this.byIdStmt.get({ id }, tx);
    return r && accountOf(r);
  }

  /** Every account, by name. */
  async all(): Promise<AccountRow[]> {
    return (await this.allStmt.all()).map(accountOf);
  }

  /** How many accounts there are. */
  async count(): Promise<number> {
    return (await this.countStmt.get())?.n ?? 0;
  }

  /** Admins that can log in (not disabled), locked for the rest of unit `tx` on PostgreSQL: the console must keep at least one. */
  async enabledAdmins(tx: Tx): Promise<number> {
    return (await this.adminsStmt.all(undefined, tx)).length;
  }

  /** Creates an account; undefined when the name is taken. */
  async insert(row: Insert, tx: Tx): Promise<AccountRow | undefined> {
    const r = (await this.insertStmt.all(row, tx))[0];
    return r && accountOf(r);
  }

  /** Changes the given fields of an account. */
  async update(id: number, set: AccountChange, now: number, tx: Tx): Promise<void> {
    const sets = [sql`${bare(a.updatedAt)} = ${now}`];
    if (set.role !== undefined) sets.push(sql`${bare(a.role)} = ${set.role}`);
    if (set.language !== undefined) sets.push(sql`${bare(a.language)} = ${set.language}`);
    if (set.passwordHash !== undefined) sets.push(sql`${bare(a.passwordHash)} = ${set.passwordHash}`);
    if (set.failedLogins !== undefined) sets.push(sql`${bare(a.failedLogins)} = ${set.failedLogins}`);
    if (set.lockedUntil !== undefined) sets.push(sql`${bare(a.lockedUntil)} = ${set.lockedUntil}`);
    if (set.disabled !== undefined) sets.push(sql`${bare(a.disabled)} = ${bit(set.disabled)}`);
    await tx.run(sql`UPDATE ${a} SET ${sql.join(sets, sql`, `)} WHERE ${a.id} = ${id}`);
  }

  /** Counts one more wrong password and returns the new count. */
  async recordFailure(id: number, now: number, tx: Tx): Promise<number> {
    return (await this.failureStmt.all({ id, now }, tx))[0]?.n ?? 0;
  }
}
