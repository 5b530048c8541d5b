import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { prepare, type Prepared } from '../../db/statement';
import { crmSnapshots } from '../../db/schema';
import { fields, type Stored } from './rollup-store';

/** One daily snapshot the CRM pass took (paying-vs-using matrix, risk summary, reach counts), its data decoded. */
export type Snapshot = Pick<typeof crmSnapshots.$inferSelect, 'day' | 'data'>;

/** The daily snapshots of the CRM pass, as the reports read them. */
export class SnapshotStore {
  private readonly latestStmt: Prepared<Stored<Snapshot, 'data'>, { kind: string }>;
  private readonly rangeStmt: Prepared<Stored<Snapshot, 'data'>, { kind: string; fromDay: number; toDay: number }>;

  constructor(db: Db) {
    const s = crmSnapshots;
    const cols = fields({ day: s.day, data: s.data });
    this.latestStmt = prepare(db, sql`SELECT ${cols} FROM ${s} WHERE ${s.kind} = ${sql.placeholder('kind')} ORDER BY ${s.day} DESC LIMIT 1`);
    this.rangeStmt = prepare(
      db,
      sql`SELECT ${cols} FROM ${s} WHERE ${s.kind} = ${sql.placeholder('kind')} AND ${s.day} BETWEEN ${sql.placeholder('fromDay')} AND ${sql.placeholder('toDay')} ORDER BY ${s.day}`,
    );
  }

  /** The newest snapshot of `kind`, or null before the first. */
  latest(kind: string): Snapshot | null {
    const row = this.latestStmt.get({ kind });
    return row ? { day: row.day, data: JSON.parse(row.data) as Record<string, unknown> } : null;
  }

  /** The snapshots of `kind` taken on the days fromDay..toDay, oldest first. */
  between(kind: string, fromDay: number, toDay: number): Snapshot[] {
    return this.rangeStmt.all({ kind, fromDay, toDay }).map((row) => ({ day: row.day, data: JSON.parse(row.data) as Record<string, unknown> }));
  }
}
