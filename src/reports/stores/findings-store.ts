import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { prepare, type Prepared } from '../../db/statement';
import { crmFindings } from '../../db/schema';
import { fields } from './rollup-store';

/** How many findings of one kind the CRM passes stored in a range. */
export interface FindingCount {
  kind: string;
  n: number;
}

/** The findings report's read model: findings counted by kind over a range of detection times. */
export class FindingsStore {
  private readonly countStmt: Prepared<FindingCount, { from: number; to: number }>;

  constructor(db: Db) {
    const f = crmFindings;
    // Counted from the (kind, detected_at) index alone: one range scan per kind, no table rows read.
    this.countStmt = prepare(
      db,
      sql`SELECT ${fields({ kind: f.kind })}, count(*) AS n FROM ${f}
          WHERE ${f.kind} IN ('stuck', 'passive', 'lapsing', 'churned', 'exit_reason') AND ${f.detectedAt} BETWEEN ${sql.placeholder('from')} AND ${sql.placeholder('to')}
          GROUP BY ${f.kind}`,
    );
  }

  /** Findings detected between `from` and `to` (ms, inclusive), by kind. */
  counts(from: number, to: number): FindingCount[] {
    return this.countStmt.all({ from, to }).map((r) => ({ kind: r.kind, n: Number(r.n) }));
  }
}
