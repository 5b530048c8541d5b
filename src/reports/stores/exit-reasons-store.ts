import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { exitSurveys, subscribers } from '../../db/schema';
import { prepare, type Prepared } from '../../db/statement';

/** The dimensions the exit-reasons report groups by. */
export const EXIT_BY = ['cohort', 'tenure', 'region', 'channel'] as const;
export type ExitBy = (typeof EXIT_BY)[number];

/** Surveys of exits in a range, per group value, status, reason and why not asked; `open`: reply window not over. */
export interface ExitCell {
  value: string | null;
  status: 'asked' | 'answered' | 'not_asked';
  reason: string | null;
  notAskedReason: string | null;
  n: number;
  open: number;
}

/** A free-text answer with who gave it (the page masks the number for viewers). */
export interface FreeTextAnswer {
  answeredAt: number;
  text: string;
  msisdn: string;
  serviceId: string;
  language: string | null;
}

type RangeParams = { from: number; to: number; now: number };
const e = exitSurveys;

/** The group expression of a dimension; tenure in the report's bands (days from the run's start). */
function dimension(by: ExitBy | null): SQL {
  switch (by) {
    case 'cohort':
      return sql`${e.cohort}`;
    case 'region':
      return sql`${e.region}`;
    case 'channel':
      return sql`${e.exitChannel}`;
    case 'tenure':
      return sql`CASE WHEN ${e.tenureDays} IS NULL THEN 'unknown' WHEN ${e.tenureDays} < 7 THEN 'under_1_week' WHEN ${e.tenureDays} < 28 THEN '1_4_weeks' WHEN ${e.tenureDays} < 91 THEN '1_3_months' ELSE '3_months_plus' END`;
    default:
      return sql`NULL`;
  }
}

/** The exit-reasons report's read model: one small table of exits, read over an index on the exit time. */
export class ExitReasonsStore {
  private readonly cellStmts = new Map<string, Prepared<ExitCell, RangeParams>>();
  private readonly freeStmt: Prepared<FreeTextAnswer, { from: number; to: number; limit: number }>;

  constructor(private readonly db: Db) {
    this.freeStmt = prepare(
      db,
      sql`SELECT ${e.answeredAt} AS answeredAt, ${e.freeText} AS text, ${subscribers.msisdn} AS msisdn, ${e.serviceId} AS serviceId, ${e.language} AS language
          FROM ${e} JOIN ${subscribers} ON ${subscribers.id} = ${e.subscriberId}
          WHERE ${e.exitAt} BETWEEN ${sql.placeholder('from')} AND ${sql.placeholder('to')} AND ${e.freeText} IS NOT NULL
          ORDER BY ${e.answeredAt} DESC LIMIT ${sql.placeholder('limit')}`,
    );
  }

  /** Exits between `from` and `to` (ms, inclusive) grouped by `by` (null: one group). */
  cells(from: number, to: number, now: number, by: ExitBy | null): ExitCell[] {
    const key = by ?? 'all';
    let p = this.cellStmts.get(key);
    if (!p) {
      p = prepare(
        this.db,
        sql`SELECT ${dimension(by)} AS value, ${e.status} AS status, ${e.reason} AS reason, ${e.notAskedReason} AS notAskedReason,
              count(*) AS n, sum(CASE WHEN ${e.windowEndsAt} > ${sql.placeholder('now')} THEN 1 ELSE 0 END) AS open
            FROM ${e} WHERE ${e.exitAt} BETWEEN ${sql.placeholder('from')} AND ${sql.placeholder('to')}
            GROUP BY 1, 2, 3, 4`,
      );
      this.cellStmts.set(key, p);
    }
    return p.all({ from, to, now }).map((r) => ({ ...r, n: Number(r.n), open: Number(r.open) }));
  }

  /** The latest free-text answers given about exits in the range. */
  freeText(from: number, to: number, limit: number): FreeTextAnswer[] {
    return this.freeStmt.all({ from, to, limit });
  }
}
