import { sql, type SQL } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../../db/database';
import { json } from '../../db/portable';
import { consoleAudit } from '../../db/schema';
import { name as bare } from '../../db/statement';

export type AuditRow = typeof consoleAudit.$inferSelect;
type Entry = Omit<typeof consoleAudit.$inferInsert, 'id'>;
type Bound = { at: number; accountName: string; action: string; target: string | null; detail: string | null };

/** Which entries of the audit log to read: by whom, and an action or a family of actions (`account` matches `account.*`). */
export interface AuditFilter {
  account?: string | undefined;
  action?: string | undefined;
}

const t = consoleAudit;
const p = <N extends string>(n: N) => sql.placeholder(n);
const INSERT = sql`INSERT INTO ${t} (${bare(t.at)}, ${bare(t.accountName)}, ${bare(t.action)}, ${bare(t.target)}, ${bare(t.detail)})
  VALUES (${p('at')}, ${p('accountName')}, ${p('action')}, ${p('target')}, ${p('detail')})`;
// The detail is bound as JSON text: SQLite stores the text, PostgreSQL's jsonb parses it.
const bound = (row: Entry): Bound => ({ at: row.at, accountName: row.accountName, action: row.action, target: row.target ?? null, detail: row.detail == null ? null : JSON.stringify(row.detail) });

/** The console's audit log on both engines: append, and read newest first a page at a time. */
export class AuditRepo {
  private readonly insertStmt: Statement<never, Bound>;

  constructor(private readonly database: Database) {
    this.insertStmt = database.statement(INSERT);
  }

  /** Appends an entry inside unit `tx`. */
  async append(row: Entry, tx: Tx): Promise<void> {
    await this.insertStmt.run(bound(row), tx);
  }

  /** Entries newest first, older than the entry `before` when given, matching the filter. */
  async page(limit: number, before?: number, filter: AuditFilter = {}): Promise<AuditRow[]> {
    const where: SQL[] = [];
    if (before !== undefined) where.push(sql`${t.id} < ${before}`);
    if (filter.account) where.push(sql`${t.accountName} = ${filter.account}`);
    if (filter.action) {
      // A prefix compared as text (not LIKE), so `_` and `%` in what was typed mean themselves.
      const prefix = `${filter.action}.`;
      where.push(sql`(${t.action} = ${filter.action} OR substr(${t.action}, 1, ${prefix.length}) = ${prefix})`);
    }
    const rows = await this.database.all<AuditRow>(
      sql`SELECT ${t.id} AS "id", ${t.at} AS "at", ${t.accountName} AS "accountName", ${t.action} AS "action", ${t.target} AS "target", ${t.detail} AS "detail"
          FROM ${t}${where.length ? sql` WHERE ${sql.join(where, sql` AND `)}` : sql``} ORDER BY ${t.id} DESC LIMIT ${limit}`,
    );
    return rows.map((r) => ({ ...r, detail: json<Record<string, unknown> | null>(r.detail) }));
  }
}
