import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { schema, type Db } from './client';

/** Whether the database handle is still open (after shutdown it answers nothing). */
export function dbOpen(db: Db): boolean {
  return db.$client.open;
}

/** Closes the database if it is open (shutdown paths may reach it twice). */
export function closeDb(db: Db): void {
  if (db.$client.open) db.$client.close();
}

/** The database file's path, or null for an in-memory database (which no other thread can open). */
export function dbFile(db: Db): string | null {
  return db.$client.memory ? null : db.$client.name;
}

/**
 * A read-only connection to an existing database file, for a reader thread (WAL: never in the writer's
 * way). `cacheKib` sizes its page cache: a sequential scan gains nothing from a large one.
 */
export function openReadOnlyDb(file: string, cacheKib: number): Db {
  const c = new Database(file, { readonly: true, fileMustExist: true });
  c.pragma(`cache_size = -${cacheKib}`);
  return drizzle(c, { schema }) as Db;
}

/**
 * The SQLite connection behind a synchronous form, which exists only on SQLite: on PostgreSQL every caller
 * is meant to use the form written for units, so reaching here there is a caller left to convert.
 */
export function sqliteFor(db: Db | null | undefined, what: string): Db {
  if (!db) throw new Error(`${what} runs on SQLite only; on PostgreSQL its caller must use the form written for units of work`);
  return db;
}

/**
 * Whether `db` is a SQLite connection already closed (shutdown): background work stops touching it. On
 * PostgreSQL (no connection given) there is nothing to check: the gateway stops its background work
 * before it closes the pool, and a query after that rejects and is logged like any other failure.
 */
export function sqliteClosed(db: Db | null | undefined): boolean {
  return !!db && !db.$client.open;
}
