import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Table } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, describe } from 'vitest';
import { migrateDb, openDb, schema, type Db } from '../../src/db/client';
import type { Database, Dialect, UnitOfWork } from '../../src/db/database';
import { GroupCommit } from '../../src/db/group-commit';
import { PgDatabase } from '../../src/db/postgres/pg-database';
import { pgSchema } from '../../src/db/postgres/schema';
import { parsePostgresUrl } from '../../src/db/postgres/url';
import { sqliteDatabase } from '../../src/db/sqlite-database';
import { createTestDatabase, postgresUnavailable, testPostgresServer, type TestPostgresDatabase, type TestPostgresServer } from './postgres';

// The same store tests on both engines: each backend is a freshly migrated database (SQLite in a temp
// file, PostgreSQL in a throwaway database of the test server), and `plant` writes known rows through
// drizzle with that engine's own table objects, so a boolean or JSON value is stored the way the
// gateway stores it there.

/** One engine under test. */
export interface Backend {
  dialect: Dialect;
  database: Database;
  /** Units of work: the group commit on SQLite, transactions on the pool on PostgreSQL. */
  units: UnitOfWork;
  /** The SQLite connection (SQLite only), for the parts of the CRM pass still written through it. */
  db?: Db;
  /** A second, independent connection to the same database, with its units: what another process would see. */
  reopen(): Promise<{ database: Database; units: UnitOfWork; close(): Promise<void> }>;
  /** Inserts rows (typed as the SQLite schema's inserts; the PostgreSQL side uses the derived table). */
  plant<T extends Table>(table: T, rows: Array<T['$inferInsert']>): Promise<void>;
  /** Empties the tables given (between tests of one file). */
  clear(...tables: Table[]): Promise<void>;
  /**
   * SQLite only: the connection itself, for a stack whose synchronous forms (other areas' callers not yet
   * on units) must see the same rows as its units do.
   */
  sqlite?: Db;
}

const PLANT_BATCH = 500;

/** The schema key of a SQLite table object, to find its PostgreSQL twin. */
function keyOf(table: Table): string {
  for (const [k, v] of Object.entries(schema)) if (v === table) return k;
  throw new Error('not a table of src/db/schema');
}

async function sqliteBackend(): Promise<{ backend: Backend; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vasgw-backend-'));
  const db: Db = openDb({ path: path.join(dir, 'test.db') });
  migrateDb(db);
  return {
    backend: {
      dialect: 'sqlite',
      sqlite: db,
      database: sqliteDatabase(db),
      units: new GroupCommit(db),
      db,
      async reopen() {
        const other = openDb({ path: path.join(dir, 'test.db') });
        return { database: sqliteDatabase(other), units: new GroupCommit(other), close: async () => void other.$client.close() };
      },
      async plant(table, rows) {
        for (let i = 0; i < rows.length; i += PLANT_BATCH) db.insert(table as never).values(rows.slice(i, i + PLANT_BATCH) as never).run();
      },
      async clear(...tables) {
        for (const t of tables) db.delete(t as never).run();
      },
    },
    async close() {
      db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresBackend(server: TestPostgresServer): Promise<{ backend: Backend; close(): Promise<void> }> {
  const created: TestPostgresDatabase = await createTestDatabase(server, { migrated: true });
  const target = parsePostgresUrl(created.url);
  const database = new PgDatabase(target, { max: 4, applicationName: 'vasgw test' });
  const orm = drizzle(database.pool);
  const twin = (t: Table) => (pgSchema as unknown as Record<string, Table>)[keyOf(t)]!;
  return {
    backend: {
      dialect: 'postgresql',
      database,
      units: database,
      async reopen() {
        const other = new PgDatabase(target, { max: 1, applicationName: 'vasgw test (other)' });
        return { database: other, units: other, close: () => other.close() };
      },
      async plant(table, rows) {
        for (let i = 0; i < rows.length; i += PLANT_BATCH) await orm.insert(twin(table) as never).values(rows.slice(i, i + PLANT_BATCH) as never);
      },
      async clear(...tables) {
        for (const t of tables) await orm.delete(twin(t) as never);
      },
    },
    async close() {
      await database.close();
      await created.drop();
    },
  };
}

const skipPostgres = postgresUnavailable();

/**
 * Declares `suite` once per engine (`describe('sqlite' | 'postgresql')`); `get()` is that engine's
 * backend once the suite has started. PostgreSQL is skipped, with the reason printed, on a machine that
 * has neither VASGW_TEST_POSTGRES_URL nor the server binaries (CI always has them).
 */
export function eachBackend(suite: (get: () => Backend) => void): void {
  describe('sqlite', () => {
    let open: Awaited<ReturnType<typeof sqliteBackend>> | undefined;
    beforeAll(async () => {
      open = await sqliteBackend();
    });
    afterAll(async () => open?.close());
    suite(() => open!.backend);
  });
  describe.skipIf(skipPostgres !== null)('postgresql', () => {
    let server: TestPostgresServer | undefined;
    let open: Awaited<ReturnType<typeof postgresBackend>> | undefined;
    beforeAll(async () => {
      server = await testPostgresServer();
      open = await postgresBackend(server);
    }, 120_000);
    afterAll(async () => {
      await open?.close();
      await server?.stop();
    });
    suite(() => open!.backend);
  });
}
