import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { prepare, type Prepared } from '../../db/statement';
import { crmFindings } from '../../db/schema';
import { fields } from './rollup-store';

/** How many findings of one kind and reason the CRM passes stored in a range. */
export interface FindingCount {
  kind: string;
  reason: string;
  n: number;
}

/** The findings report's read model: findings counted by kind and reason over a range of detection times. */
export class FindingsStore {
  private readonly countStmt: Prepared<FindingCount, { from: number; to: number }>;

  constructor(db: Db) {
    const f = crmFindings;
    // One range scan per kind of the (kind, detected_at) index.
    this.countStmt = prepare(
      db,
      sql`SELECT ${fields({ kind: f.kind, reason: f.reason })}, count(*) AS n FROM ${f}
          WHERE ${f.kind} IN ('stuck', 'passive', 'lapsing', 'churned') AND ${f.detectedAt} BETWEEN ${sql.placeholder('from')} AND ${sql.placeholder('to')}
          GROUP BY ${f.kind}, ${f.reason} ORDER BY ${f.kind}, n DESC`,
    );
  }

  /** Findings detected between `from` and `to` (ms, inclusive), by kind and reason. */
  counts(from: number, to: number): FindingCount[] {
    return this.countStmt.all({ from, to }).map((r) => ({ kind: r.kind, reason: r.reason, n: Number(r.n) }));
  }
}
