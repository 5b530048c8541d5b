import { fillPlaceholders, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { Database, Params, Statement, StatementOptions } from '../database';
import type { PostgresTarget } from './url';

const dialect = new PgDialect();

/** PostgreSQL type oids whose text the gateway reads as JavaScript numbers. */
const INT8 = 20;
const NUMERIC = 1700;

/**
 * bigint (every integer column, count(*)) as a number. node-postgres returns it as a string because
 * it may exceed 2^53; the gateway's integers (epoch milliseconds, counters, ids) never do, and one that
 * did would be silently rounded, so it fails loudly instead.
 */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`PostgreSQL returned the integer ${text}, beyond what a JavaScript number holds exactly`);
  return n;
}

/**
 * Type parsers: bigint and numeric (sum() and avg() over bigint return numeric) as numbers, so a row
 * reads the same as on SQLite; everything else as node-postgres parses it (jsonb parsed, boolean, bytea).
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => {
    if (oid === INT8) return parseInt8;
    if (oid === NUMERIC) return (text: string) => Number(text);
    return pg.types.getTypeParser(oid, format) as unknown;
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** Pool settings a deployment may tune (config database.pool). */
export interface PgPoolOptions {
  /** Connections at most (node-postgres' default is 10). */
  max?: number;
  /** Shown in pg_stat_activity, so a DBA sees which process holds a connection. */
  applicationName?: string;
}

/** The {@link Database} over a node-postgres pool. */
export class PgDatabase implements Database {
  readonly dialect = 'postgresql' as const;
  readonly pool: pg.Pool;
  private statements = 0;

  constructor(target: PostgresTarget, options: PgPoolOptions = {}) {
    this.pool = new pg.Pool({
      connectionString: target.url,
      max: options.max ?? 10,
      application_name: options.applicationName ?? 'vasgw',
      connectionTimeoutMillis: 10_000,
      types,
    });
    // An idle connection the server drops is replaced on the next checkout; the query that needed it
    // reports the failure. Without a listener the pool's 'error' event would end the process.
    this.pool.on('error', () => {});
  }

  statement<Row, P extends Params = Record<string, never>>(query: SQL, options?: StatementOptions): Statement<Row, P> {
    const q = dialect.sqlToQuery(query);
    // A named statement is parsed and planned once per connection, then only bound and executed.
    const name = `vasgw_${++this.statements}`;
    const exec = async (values?: P): Promise<pg.QueryResult> => {
      const config = { name, text: q.sql, values: fillPlaceholders(q.params, values ?? {}) };
      return options?.raw ? this.pool.query({ ...config, rowMode: 'array' }) : this.pool.query(config);
    };
    return {
      text: q.sql,
      all: async (values) => (await exec(values)).rows as Row[],
      get: async (values) => (await exec(values)).rows[0] as Row | undefined,
      run: async (values) => (await exec(values)).rowCount ?? 0,
    };
  }

  async all<Row>(query: SQL): Promise<Row[]> {
    const q = dialect.sqlToQuery(query);
    return (await this.pool.query({ text: q.sql, values: q.params })).rows as Row[];
  }

  async get<Row>(query: SQL): Promise<Row | undefined> {
    return (await this.all<Row>(query))[0];
  }

  async run(query: SQL): Promise<number> {
    const q = dialect.sqlToQuery(query);
    return (await this.pool.query({ text: q.sql, values: q.params })).rowCount ?? 0;
  }

  /** Closes every connection (shutdown). */
  async close(): Promise<void> {
    await this.pool.end();
  }
}
