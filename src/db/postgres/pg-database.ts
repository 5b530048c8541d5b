import { fillPlaceholders, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { Database, Params, Statement, StatementOptions, Tx, UnitOfWork } from '../database';
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

/** Where a query runs: the pool (any free connection) or one unit's connection. */
type Executor = Pick<pg.Pool, 'query'>;

/** One-off queries on one executor: the pool for the database, the unit's connection for a {@link Tx}. */
abstract class PgQueries {
  readonly dialect = 'postgresql' as const;
  protected abstract readonly on: Executor;

  async all<Row>(query: SQL): Promise<Row[]> {
    const q = dialect.sqlToQuery(query);
    return (await this.on.query({ text: q.sql, values: q.params })).rows as Row[];
  }

  async get<Row>(query: SQL): Promise<Row | undefined> {
    return (await this.all<Row>(query))[0];
  }

  async run(query: SQL): Promise<number> {
    const q = dialect.sqlToQuery(query);
    return (await this.on.query({ text: q.sql, values: q.params })).rowCount ?? 0;
  }
}

/** The connection a unit of work holds; statements run on it when given the unit's {@link Tx}. */
class PgTx extends PgQueries implements Tx {
  readonly unit = true as const;

  constructor(readonly client: pg.PoolClient) {
    super();
  }

  protected get on(): Executor {
    return this.client;
  }

  statement<Row, P extends Params = Record<string, never>>(query: SQL, options?: StatementOptions): Statement<Row, P> {
    // Unnamed: a statement made inside one unit is not worth a server-side plan kept per connection.
    return statementOn<Row, P>(() => this.client, query, null, options);
  }
}

/** The executor for a call: the unit's connection when `tx` is given, else `fallback`. */
function executorOf(tx: Tx | undefined, fallback: () => Executor): Executor {
  if (tx === undefined) return fallback();
  if (!(tx instanceof PgTx)) throw new TypeError('a PostgreSQL statement was given a unit of work of another database');
  return tx.client;
}

function statementOn<Row, P extends Params>(base: () => Executor, query: SQL, name: string | null, options?: StatementOptions): Statement<Row, P> {
  const q = dialect.sqlToQuery(query);
  const exec = async (values: P | undefined, tx: Tx | undefined): Promise<pg.QueryResult> => {
    const config = { ...(name ? { name } : {}), text: q.sql, values: fillPlaceholders(q.params, values ?? {}) };
    const on = executorOf(tx, base);
    return options?.raw ? on.query({ ...config, rowMode: 'array' }) : on.query(config);
  };
  return {
    text: q.sql,
    all: async (values, tx) => (await exec(values, tx)).rows as Row[],
    get: async (values, tx) => (await exec(values, tx)).rows[0] as Row | undefined,
    run: async (values, tx) => (await exec(values, tx)).rowCount ?? 0,
  };
}

/** The {@link Database} over a node-postgres pool, and its units of work (one transaction each). */
export class PgDatabase extends PgQueries implements Database, UnitOfWork {
  readonly pool: pg.Pool;
  private statements = 0;

  constructor(target: PostgresTarget, options: PgPoolOptions = {}) {
    super();
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
    // A named statement is parsed and planned once per connection, then only bound and executed.
    return statementOn<Row, P>(() => this.pool, query, `vasgw_${++this.statements}`, options);
  }

  protected get on(): Executor {
    return this.pool;
  }

  /**
   * One unit of work: BEGIN ... COMMIT on a connection of its own (READ COMMITTED, PostgreSQL's default),
   * ROLLBACK when `fn` throws. A unit is not retried here: its function may have done things besides
   * the database, and only its caller knows whether running it twice is safe.
   */
  async unit<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN').catch((e: unknown) => {
        broken = true;
        throw e;
      });
      try {
        const result = await fn(new PgTx(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {
          broken = true; // the connection itself failed: do not hand it to the next unit
        });
        throw e;
      }
    } finally {
      client.release(broken);
    }
  }

  /** Closes every connection (shutdown). */
  async close(): Promise<void> {
    await this.pool.end();
  }
}
