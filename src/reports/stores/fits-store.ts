import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { prepare, type Prepared } from '../../db/statement';
import { crmFits } from '../../db/schema';
import { fields, type Stored } from './rollup-store';

/** A stored model fit (BG/BB or sBG per service and cohort), its JSON decoded. */
export type Fit = typeof crmFits.$inferSelect;

/** The model fits the last scoring left, as the retention report reads them. */
export class FitsStore {
  private readonly allStmt: Prepared<Stored<Fit, 'params' | 'observed' | 'quality'>>;

  constructor(db: Db) {
    const f = crmFits;
    this.allStmt = prepare(
      db,
      sql`SELECT ${fields({ model: f.model, serviceId: f.serviceId, cohort: f.cohort, params: f.params, size: f.size, logLikelihood: f.logLikelihood, observed: f.observed, quality: f.quality, fittedAt: f.fittedAt })}
          FROM ${f} ORDER BY ${f.model}, ${f.serviceId}, ${f.cohort}`,
    );
  }

  /** Every fit, by model, service and cohort. */
  all(): Fit[] {
    return this.allStmt.all().map((row) => ({
      ...row,
      params: JSON.parse(row.params) as Record<string, number>,
      observed: JSON.parse(row.observed) as Record<string, unknown>,
      quality: JSON.parse(row.quality) as Record<string, unknown>,
    }));
  }
}
