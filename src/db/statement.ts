import type { Statement } from 'better-sqlite3';
import { fillPlaceholders, is, Param, Placeholder, sql, type Column, type SQL } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { Db } from './client';

const dialect = new SQLiteSyncDialect();

/**
 * A statement prepared once from a drizzle `sql` template. Tables and columns are interpolated from the
 * schema objects (`${sessions.startedAt}`), so the schema stays the one source of truth: a renamed or
 * dropped column fails to compile instead of failing at run time. Values that change per call are
 * `sql.placeholder('name')` and are bound by name; values fixed at preparation are bound once.
 */
export class Prepared<Row, Params extends Record<string, unknown> = Record<string, never>> {
  readonly text: string;
  private readonly stmt: Statement<unknown[], Row>;
  private readonly params: unknown[];
  private readonly fixed: boolean;
  /**
   * The placeholder name of each parameter (null: a value bound once), found once instead of per call
   * (a batch of 100 rows binds hundreds); null when a placeholder needs its column's encoder.
   */
  private readonly names: (string | null)[] | null;

  constructor(db: Db, query: SQL) {
    const q = dialect.sqlToQuery(query);
    this.text = q.sql;
    this.params = q.params;
    this.fixed = !q.params.some((p) => typeof p === 'object' && p !== null && 'name' in p);
    this.names = q.params.some((p) => is(p, Param) && is(p.value, Placeholder)) ? null : q.params.map((p) => (is(p, Placeholder) ? p.name : null));
    this.stmt = db.$client.prepare<unknown[], Row>(q.sql);
  }

  /** First row, or undefined. */
  get(values?: Params): Row | undefined {
    return this.stmt.get(...this.bind(values));
  }

  /** Every row. */
  all(values?: Params): Row[] {
    return this.stmt.all(...this.bind(values));
  }

  /** Rows one at a time (large scans: constant memory). */
  iterate(values?: Params): IterableIterator<Row> {
    return this.stmt.iterate(...this.bind(values));
  }

  /** Executes a write; returns the number of rows changed. */
  run(values?: Params): number {
    return this.stmt.run(...this.bind(values)).changes;
  }

  /** The underlying statement, for raw/pluck modes on scans where the row objects are the cost. */
  get statement(): Statement<unknown[], Row> {
    return this.stmt;
  }

  private bind(values?: Params): unknown[] {
    if (this.fixed) return this.params;
    const v: Record<string, unknown> = values ?? {};
    if (!this.names) return fillPlaceholders(this.params, v);
    return this.names.map((n, i) => {
      if (n === null) return this.params[i];
      if (!(n in v)) throw new Error(`No value for placeholder "${n}" was provided`);
      return v[n];
    });
  }
}

/** Prepares `query` once (see {@link Prepared}). */
export function prepare<Row, Params extends Record<string, unknown> = Record<string, never>>(
  db: Db,
  query: SQL,
): Prepared<Row, Params> {
  return new Prepared<Row, Params>(db, query);
}

/**
 * A column's bare name, for the places SQL wants it unqualified: INSERT column lists, UPDATE SET
 * targets, ON CONFLICT targets.
 */
export function name(column: Column): SQL {
  return sql`${sql.identifier(column.name)}`;
}
