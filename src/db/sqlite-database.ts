import type { SQL } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { Db } from './client';
import type { Database, Params, Statement, StatementOptions, Tx } from './database';
import { prepare } from './statement';

const dialect = new SQLiteSyncDialect();

/**
 * The {@link Database} over the gateway's SQLite connection. better-sqlite3 is synchronous: each call
 * does its work at once and returns a settled promise, so a store awaiting it adds a microtask, not a
 * wait. Writes made here join whatever transaction is open on the connection, as every write does.
 */
class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  /** The same connection as a unit's {@link Tx}: SQLite has one connection, and units take turns on it. */
  readonly tx: Tx;
  /**
   * Rows changed through this interface since the connection opened. The group commit compares it with
   * the connection's total_changes() to tell whether a failing unit had someone else's write inside it.
   */
  written = 0;

  constructor(private readonly db: Db) {
    this.tx = Object.assign(Object.create(this) as SqliteDatabase, { unit: true as const });
  }

  statement<Row, P extends Params = Record<string, never>>(query: SQL, options?: StatementOptions): Statement<Row, P> {
    const p = prepare<Row, P>(this.db, query);
    if (options?.raw) p.statement.raw(true);
    // A write with RETURNING is read with all/get: each row returned is a row it changed (get sees one).
    const writes = !p.statement.readonly;
    return {
      text: p.text,
      all: async (values) => {
        const rows = p.all(values);
        if (writes) this.written += rows.length;
        return rows;
      },
      get: async (values) => {
        const row = p.get(values);
        if (writes && row !== undefined) this.written += 1;
        return row;
      },
      // One connection: a unit's writes are the connection's writes (the unit is its savepoint).
      run: async (values) => {
        const n = p.run(values);
        this.written += n;
        return n;
      },
    };
  }

  async all<Row>(query: SQL): Promise<Row[]> {
    const q = dialect.sqlToQuery(query);
    return this.db.$client.prepare<unknown[], Row>(q.sql).all(...q.params);
  }

  async get<Row>(query: SQL): Promise<Row | undefined> {
    const q = dialect.sqlToQuery(query);
    return this.db.$client.prepare<unknown[], Row>(q.sql).get(...q.params);
  }

  async run(query: SQL): Promise<number> {
    const q = dialect.sqlToQuery(query);
    const n = this.db.$client.prepare(q.sql).run(...q.params).changes;
    this.written += n;
    return n;
  }
}

const wrapped = new WeakMap<Db, Database>();

/** The {@link Database} for a SQLite connection (one per connection: stores built on it share it). */
export function sqliteDatabase(db: Db): Database {
  let d = wrapped.get(db);
  if (!d) wrapped.set(db, (d = new SqliteDatabase(db)));
  return d;
}

/** The {@link Tx} a SQLite unit of work hands to its function (src/db/group-commit.ts). */
export function sqliteTx(db: Db): Tx {
  return (sqliteDatabase(db) as SqliteDatabase).tx;
}

/** Rows changed through the {@link Database} of a SQLite connection since it opened. */
export function sqliteWritten(db: Db): number {
  return (sqliteDatabase(db) as SqliteDatabase).written;
}
