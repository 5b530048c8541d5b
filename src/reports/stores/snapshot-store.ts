import { sql } from 'drizzle-orm';
import type { Database, Statement } from '../../db/database';
import { json } from '../../db/portable';
import { crmSnapshots } from '../../db/schema';
import { fields } from './rollup-store';

/** One daily snapshot the CRM pass took (paying-vs-using matrix, risk summary, reach counts), its data decoded. */
export type Snapshot = Pick<typeof crmSnapshots.$inferSelect, 'day' | 'data'>;

/** A snapshot row as the engine returns it: data is JSON text on SQLite, parsed jsonb on PostgreSQL. */
type StoredSnapshot = { day: number; data: unknown };

const decode = (row: StoredSnapshot): Snapshot => ({ day: row.day, data: json<Record<string, unknown>>(row.data) });

/** The daily snapshots of the CRM pass, as the reports read them. */
export class SnapshotStore {
  private readonly latestStmt: Statement<StoredSnapshot, { kind: string }>;
  private readonly rangeStmt: Statement<StoredSnapshot, { kind: string; fromDay: number; toDay: number }>;

  constructor(db: Database) {
    const s = crmSnapshots;
    const cols = fields({ day: s.day, data: s.data });
    this.latestStmt = db.statement(sql`SELECT ${cols} FROM ${s} WHERE ${s.kind} = ${sql.placeholder('kind')} ORDER BY ${s.day} DESC LIMIT 1`);
    this.rangeStmt = db.statement(
      sql`SELECT ${cols} FROM ${s} WHERE ${s.kind} = ${sql.placeholder('kind')} AND ${s.day} BETWEEN ${sql.placeholder('fromDay')} AND ${sql.placeholder('toDay')} ORDER BY ${s.day}`,
    );
  }

  /** The newest snapshot of `kind`, or null before the first. */
  async latest(kind: string): Promise<Snapshot | null> {
    const row = await this.latestStmt.get({ kind });
    return row ? decode(row) : null;
  }

  /** The snapshots of `kind` taken on the days fromDay..toDay, oldest first. */
  async between(kind: string, fromDay: number, toDay: number): Promise<Snapshot[]> {
    return (await this.rangeStmt.all({ kind, fromDay, toDay })).map(decode);
  }
}
