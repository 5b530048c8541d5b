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
  /** Every row (inside unit of work `tx` when given: it sees the unit's own writes). */
  all(values?: P, tx?: Tx): Promise<Row[]>;
  /** The first row, or undefined. */
  get(values?: P, tx?: Tx): Promise<Row | undefined>;
  /** Executes a write inside unit of work `tx`; resolves with the number of rows changed. */
  run(values: P | undefined, tx: Tx): Promise<number>;
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

/**
 * The database inside one unit of work: what a store's writes are given, so a write cannot be made
 * outside a unit (the type says so) and, on PostgreSQL, runs on the unit's connection. One-off queries
 * on it (`tx.all(...)`) run inside the unit too.
 */
export interface Tx extends Database {
  readonly unit: true;
}

/**
 * All-or-nothing units of work. `unit(fn)` runs `fn` with a {@link Tx} and resolves with its result once
 * the unit is durable; if `fn` throws, none of its writes remain and the promise rejects with the error.
 * SQLite: units run one after another on the one connection, each a savepoint inside the open group
 * commit (src/db/group-commit.ts), so concurrent requests still share one COMMIT. PostgreSQL: each unit
 * is BEGIN ... COMMIT on a connection of its own from the pool. Units do not nest: a function that must
 * be part of a caller's unit takes the caller's `tx`. A unit awaits only the database: on SQLite every
 * other writer waits while one is open.
 */
export interface UnitOfWork {
  unit<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}
