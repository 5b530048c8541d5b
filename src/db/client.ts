import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as schema from './schema';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
export { schema };

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface OpenOptions {
  /** File path, or ':memory:' for tests. */
  path: string;
  synchronous?: 'normal' | 'full';
}

/**
 * Opens the database with the pragmas the gateway relies on: WAL (readers never block the writer),
 * synchronous NORMAL by default (a process crash loses no committed transaction; FULL also survives
 * power loss), a busy timeout for a second process, and foreign keys on.
 */
export function openDb(opts: OpenOptions): Db {
  if (opts.path !== ':memory:') mkdirSync(path.dirname(path.resolve(opts.path)), { recursive: true });
  const sqlite = new Database(opts.path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('cache_size = -65536'); // 64 MiB page cache
  sqlite.pragma('temp_store = MEMORY');
  return drizzle(sqlite, { schema }) as Db;
}

/**
 * Applies ./migrations (idempotent). SQLite changes a table's references by rebuilding it, and with
 * foreign keys enforced, dropping the old copy of a table that others reference would fail (or cascade);
 * so migrations run with enforcement off, as SQLite's documented procedure says, and the references are
 * checked afterwards, when a migration was applied: the check reads every referencing table (seconds on a
 * large database, at every start), and with no migration applied nothing ran unenforced.
 */
export function migrateDb(db: Db, folder: string = MIGRATIONS_DIR): void {
  const c = db.$client;
  c.pragma('foreign_keys = OFF');
  try {
    const before = appliedMigrations(db);
    migrate(db, { migrationsFolder: folder });
    if (appliedMigrations(db) === before) return;
    const broken = c.pragma('foreign_key_check') as Array<{ table: string; parent: string }>;
    if (broken.length > 0) {
      const tables = [...new Set(broken.map((b) => `${b.table} -> ${b.parent}`))].join(', ');
      throw new Error(`The database has ${broken.length} row(s) pointing at rows that do not exist (${tables}); fix them and migrate again.`);
    }
  } finally {
    c.pragma('foreign_keys = ON');
  }
}

/** How many migrations the database records as applied (0 before the first). */
function appliedMigrations(db: Db): number {
  const c = db.$client;
  const table = c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  return table ? (c.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n : 0;
}

/** Runs `fn` in one write transaction (BEGIN IMMEDIATE) and returns its result. */
export function tx<T>(db: Db, fn: () => T): T {
  // One transaction wrapper per connection: better-sqlite3 builds five closures per transaction() call,
  // which showed up in the per-hop profile.
  let run = runners.get(db.$client);
  if (!run) runners.set(db.$client, (run = db.$client.transaction((f: () => unknown) => f())));
  return run.immediate(fn) as T;
}

const runners = new WeakMap<Database.Database, Database.Transaction<(f: () => unknown) => unknown>>();

/** True when the database answers. */
export function dbHealthy(db: Db): boolean {
  try {
    db.$client.prepare('select 1').get();
    return db.$client.open;
  } catch {
    return false;
  }
}
