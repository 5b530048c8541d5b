import type { Config } from '../config';
import { databaseBackend } from './backend';
import { migrateDb, openDb, type Db } from './client';
import type { Database, Dialect, UnitOfWork } from './database';
import { GroupCommit } from './group-commit';
import { closeDb } from './handle';
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
  const units = new GroupCommit(db);
  return {
    dialect: 'sqlite',
    database: sqliteDatabase(db),
    units,
    sqlite: db,
    async close() {
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
    async close() {
      if (closed) return;
      closed = true;
      await pg.close();
    },
  };
}
