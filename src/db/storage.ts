import { sql } from 'drizzle-orm';
import type { Config } from '../config';
import { databaseBackend } from './backend';
import { dbHealthy, migrateDb, openDb, type Db } from './client';
import type { Database, Dialect, UnitOfWork } from './database';
import { GroupCommit } from './group-commit';
import { closeDb, dbOpen } from './handle';
import { migratePostgres } from './postgres/migrate';
import { PgDatabase } from './postgres/pg-database';
import { parsePostgresUrl } from './postgres/url';
import { sqliteDatabase } from './sqlite-database';

/**
 * The database a gateway process runs on, chosen once from the configuration: SQLite at database.path
 * (the embedded default) or PostgreSQL at database.url / DATABASE_URL. Everything written for both
 * engines takes `database` and `units`; `sqlite` is there only for what SQLite alone has (its WAL
 * checkpoints, its online backup, a reader thread on the same file).
 */
export interface Storage {
  readonly dialect: Dialect;
  readonly database: Database;
  readonly units: UnitOfWork;
  /** The SQLite connection; null on PostgreSQL. */
  readonly sqlite: Db | null;
  /**
   * `units` on SQLite, where a unit resolves before its group commits (an answer waits for `idle()`, a
   * failed group tells `onRollback` listeners); null on PostgreSQL, where a unit has committed when it resolves.
   */
  readonly groupCommit: GroupCommit | null;
  /** Whether the database answers a query now: the readiness check 'database'. */
  healthy(): Promise<boolean>;
  /** False once `close()` has begun: requests arriving during shutdown answer 503 instead of failing. */
  isOpen(): boolean;
  /** Lets pending work commit, then closes the connection(s). Safe to call twice. */
  close(): Promise<void>;
}

/** Connections each gateway process keeps to PostgreSQL: units of concurrent requests each hold one. */
const PG_POOL = 10;

/**
 * Opens and migrates the configured database. SQLite migrates at every start (one process owns the file);
 * on PostgreSQL the migrations take a lock, so gateways starting together apply each migration once.
 * `db` is an already open SQLite connection (tests pass an in-memory one).
 */
export async function openStorage(config: Pick<Config, 'database'>, opts: { db?: Db } = {}): Promise<Storage> {
  if (databaseBackend(config) === 'postgresql' && !opts.db) return openPostgres(config.database.url!);
  const db = opts.db ?? openDb({ path: config.database.path, synchronous: config.database.synchronous });
  migrateDb(db);
  return sqliteStorage(db);
}

/** The storage of an open, migrated SQLite connection (the CRM commands open theirs themselves). */
export function sqliteStorage(db: Db): Storage {
  const units = new GroupCommit(db);
  return {
    dialect: 'sqlite',
    database: sqliteDatabase(db),
    units,
    sqlite: db,
    groupCommit: units,
    healthy: async () => dbHealthy(db),
    isOpen: () => dbOpen(db),
    async close() {
      if (!dbOpen(db)) return;
      units.flush();
      closeDb(db);
    },
  };
}

async function openPostgres(url: string): Promise<Storage> {
  const target = parsePostgresUrl(url);
  await migratePostgres(target);
  const pg = new PgDatabase(target, { max: PG_POOL, applicationName: 'vasgw' });
  let closed = false;
  return {
    dialect: 'postgresql',
    database: pg,
    units: pg,
    sqlite: null,
    groupCommit: null,
    async healthy() {
      if (closed) return false;
      try {
        await pg.get(sql`SELECT 1`);
        return true;
      } catch {
        return false;
      }
    },
    isOpen: () => !closed,
    async close() {
      if (closed) return;
      closed = true;
      await pg.close();
    },
  };
}
