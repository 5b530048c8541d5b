import { sql, type SQL } from 'drizzle-orm';
import type { Database, Statement } from '../../db/database';
import { exitReasonsDaily, exitSurveys, subscribers } from '../../db/schema';

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

const e = exitSurveys;

/** The group expression of a dimension over the survey rows, as the daily counts key it ('' = not known). */
function dimension(by: ExitBy | null): SQL {
  switch (by) {
    case 'cohort':
      return sql`coalesce(${e.cohort}, '')`;
    case 'region':
      return sql`coalesce(${e.region}, '')`;
    case 'channel':
      return sql`${e.exitChannel}`;
    case 'tenure':
      return sql`CASE WHEN ${e.tenureDays} IS NULL THEN 'unknown' WHEN ${e.tenureDays} < 7 THEN 'under_1_week' WHEN ${e.tenureDays} < 28 THEN '1_4_weeks' WHEN ${e.tenureDays} < 91 THEN '1_3_months' ELSE '3_months_plus' END`;
    default:
      return sql`''`;
  }
}

type DayParams = { dim: string; fromDay: number; toDay: number };
type OpenParams = { from: number; to: number; now: number };

/**
 * The exit-reasons report's read model: the daily counts (one small row per day, grouping value, status
 * and reason) summed over the range, and the few surveys still inside their reply window read from their
 * index, so the cost follows the days and groups asked for, not the number of exits.
 */
export class ExitReasonsStore {
  private readonly dayStmt: Statement<Omit<ExitCell, 'open'>, DayParams>;
  private readonly openStmts = new Map<string, Statement<{ value: string; open: number }, OpenParams>>();
  private readonly freeStmt: Statement<FreeTextAnswer, { from: number; to: number; limit: number }>;

  constructor(private readonly db: Database) {
    const d = exitReasonsDaily;
    // Ordered (as SQLite's grouping already returns them), so the not-asked reasons come out in one order on both engines.
    this.dayStmt = db.statement(
      sql`SELECT ${d.value} AS "value", ${d.status} AS "status", ${d.reason} AS "reason", ${d.notAsked} AS "notAskedReason", sum(${d.n}) AS "n" FROM ${d}
          WHERE ${d.dim} = ${sql.placeholder('dim')} AND ${d.day} BETWEEN ${sql.placeholder('fromDay')} AND ${sql.placeholder('toDay')}
          GROUP BY 1, 2, 3, 4 HAVING sum(${d.n}) != 0 ORDER BY 1, 2, 3, 4`,
    );
    // Answered in the range, newest first, from the partial index of written answers.
    this.freeStmt = db.statement(
      sql`SELECT ${e.answeredAt} AS "answeredAt", ${e.freeText} AS "text", ${subscribers.msisdn} AS "msisdn", ${e.serviceId} AS "serviceId", ${e.language} AS "language"
          FROM ${e} JOIN ${subscribers} ON ${subscribers.id} = ${e.subscriberId}
          WHERE ${e.freeText} IS NOT NULL AND ${e.answeredAt} BETWEEN ${sql.placeholder('from')} AND ${sql.placeholder('to')}
          ORDER BY ${e.answeredAt} DESC LIMIT ${sql.placeholder('limit')}`,
    );
  }

  /**
   * Exits of local days `fromDay`..`toDay` (whose instants are `from`..`to`) grouped by `by` (null: one
   * group), with how many asked ones are still inside their reply window at `now`.
   */
  async cells(fromDay: number, toDay: number, from: number, to: number, now: number, by: ExitBy | null): Promise<ExitCell[]> {
    const key = by ?? 'all';
    let p = this.openStmts.get(key);
    if (!p) {
      p = this.db.statement(
        sql`SELECT ${dimension(by)} AS "value", count(*) AS "open" FROM ${e}
            WHERE ${e.windowEndsAt} > ${sql.placeholder('now')} AND ${e.status} = 'asked' AND ${e.exitAt} BETWEEN ${sql.placeholder('from')} AND ${sql.placeholder('to')}
            GROUP BY 1`,
      );
      this.openStmts.set(key, p);
    }
    const open = new Map((await p.all({ from, to, now })).map((r) => [r.value, Number(r.open)]));
    return (await this.dayStmt.all({ dim: key, fromDay, toDay })).map((r) => ({
      value: r.value === '' ? null : r.value,
      status: r.status,
      reason: r.reason === '' ? null : r.reason,
      notAskedReason: r.notAskedReason === '' ? null : r.notAskedReason,
      n: Number(r.n),
      open: r.status === 'asked' ? (open.get(r.value ?? '') ?? 0) : 0,
    }));
  }

  /** The latest free-text answers given between `from` and `to`. */
  async freeText(from: number, to: number, limit: number): Promise<FreeTextAnswer[]> {
    return this.freeStmt.all({ from, to, limit });
  }
}
