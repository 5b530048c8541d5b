import type { SQL } from 'drizzle-orm';

/**
 * The gateway's data access, one interface for both engines: SQLite (embedded, synchronous underneath)
 * and PostgreSQL (a connection pool, asynchronous). Stores are written once against it, in the SQL both
 * dialects share (src/db/portable.ts holds the few places they differ), and interpolate the SQLite schema
 * objects: a column renders as "table"."column" in both, and the PostgreSQL tables are derived from the
 * same schema with the same names (src/db/postgres/derive.ts).
 */
export type Dialect = 'sqlite' | 'postgresql';

/** Values for a statement's `sql.placeholder(name)`s. */
export type Params = Record<string, unknown>;

/** How a statement returns its rows. */
export interface StatementOptions {
  /**
   * Rows as arrays of column values in select-list order instead of objects: for large scans where
   * building an object per row is the cost.
   */
  raw?: boolean;
}

/** A statement prepared once (SQLite: a prepared statement; PostgreSQL: a named statement per connection). */
export interface Statement<Row, P extends Params = Record<string, never>> {
  /** Every row. */
  all(values?: P): Promise<Row[]>;
  /** The first row, or undefined. */
  get(values?: P): Promise<Row | undefined>;
  /** Executes a write; resolves with the number of rows changed. */
  run(values?: P): Promise<number>;
  /** The SQL text as the engine sees it (for errors and query plans). */
  readonly text: string;
}

/** A database: statements, one-off queries, and its dialect for the few statements that differ. */
export interface Database {
  readonly dialect: Dialect;
  /** Prepares `query` once; values change per call through `sql.placeholder(name)`. */
  statement<Row, P extends Params = Record<string, never>>(query: SQL, options?: StatementOptions): Statement<Row, P>;
  /** Every row of a query run once (statements whose shape changes per call). */
  all<Row>(query: SQL): Promise<Row[]>;
  /** The first row of a query run once, or undefined. */
  get<Row>(query: SQL): Promise<Row | undefined>;
  /** Executes a one-off write; resolves with the number of rows changed. */
  run(query: SQL): Promise<number>;
}
