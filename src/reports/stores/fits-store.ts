import { sql } from 'drizzle-orm';
import type { Database, Statement } from '../../db/database';
import { json } from '../../db/portable';
import { crmFits } from '../../db/schema';
import { fields } from './rollup-store';

/** A stored model fit (BG/BB or sBG per service and cohort), its JSON decoded. */
export type Fit = typeof crmFits.$inferSelect;

/** A fit as the engine returns it: the JSON columns are text on SQLite, parsed jsonb on PostgreSQL. */
type StoredFit = Omit<Fit, 'params' | 'observed' | 'quality'> & { params: unknown; observed: unknown; quality: unknown };

/** Byte order of two ids, whatever collation the database sorts text by. */
const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The model fits the last scoring left, as the retention report reads them. */
export class FitsStore {
  private readonly allStmt: Statement<StoredFit>;

  constructor(db: Database) {
    const f = crmFits;
    this.allStmt = db.statement(
      sql`SELECT ${fields({ model: f.model, serviceId: f.serviceId, cohort: f.cohort, params: f.params, size: f.size, logLikelihood: f.logLikelihood, observed: f.observed, quality: f.quality, fittedAt: f.fittedAt })}
          FROM ${f}`,
    );
  }

  /** Every fit, by model, service and cohort (byte order, as SQLite sorts: the pooled cohort '*' first). */
  async all(): Promise<Fit[]> {
    // Sorted here rather than by ORDER BY: a PostgreSQL database in a language's collation would put
    // '*' and the cohort months in another order, and the retention report lists cohorts in this one.
    return (await this.allStmt.all())
      .map((row) => ({
        ...row,
        params: json<Record<string, number>>(row.params),
        observed: json<Record<string, unknown>>(row.observed),
        quality: json<Record<string, unknown>>(row.quality),
      }))
      .sort((a, b) => byteOrder(a.model, b.model) || byteOrder(a.serviceId, b.serviceId) || byteOrder(a.cohort, b.cohort));
  }
}
