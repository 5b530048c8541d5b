import { sql } from 'drizzle-orm';
import { FINDING_KINDS } from '../../crm/detectors/types';
import type { Database, Statement } from '../../db/database';
import { crmFindings } from '../../db/schema';
import { fields } from './rollup-store';

/** How many findings of one kind the CRM passes stored in a range. */
export interface FindingCount {
  kind: string;
  n: number;
}

/** The findings report's read model: findings counted by kind over a range of detection times. */
export class FindingsStore {
  private readonly countStmt: Statement<FindingCount, { from: number; to: number }>;

  constructor(db: Database) {
    const f = crmFindings;
    // Counted from the (kind, detected_at) index alone: one range scan per kind (every kind the report
    // lists, named so the planner sees the ranges), no table rows read.
    const kinds = sql.join(FINDING_KINDS.map((k) => sql`${k}`), sql`, `);
    this.countStmt = db.statement(
      sql`SELECT ${fields({ kind: f.kind })}, count(*) AS "n" FROM ${f}
          WHERE ${f.kind} IN (${kinds}) AND ${f.detectedAt} BETWEEN ${sql.placeholder('from')} AND ${sql.placeholder('to')}
          GROUP BY ${f.kind}`,
    );
  }

  /** Findings detected between `from` and `to` (ms, inclusive), by kind. */
  async counts(from: number, to: number): Promise<FindingCount[]> {
    return (await this.countStmt.all({ from, to })).map((r) => ({ kind: r.kind, n: Number(r.n) }));
  }
}
