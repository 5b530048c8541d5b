import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { migratePostgres, PG_MIGRATIONS_DIR } from '../../src/db/postgres/migrate';
import {
  freePort,
  createDatabase,
  databaseUrl,
  dropDatabase,
  givenPostgresServer,
  postgresServerBinDir,
  startThrowawayCluster,
  type PostgresServer,
} from '../../src/db/postgres/throwaway-cluster';
import { parsePostgresUrl } from '../../src/db/postgres/url';

// Real PostgreSQL for tests. CI (.ci/run) starts one throwaway cluster and exports its superuser URL as
// VASGW_TEST_POSTGRES_URL; without that variable a test file starts its own cluster from the server
// binaries (Debian's postgresql package: /usr/lib/postgresql/<version>/bin), so `npm test` on a developer
// machine covers PostgreSQL too. With neither, the PostgreSQL tests are skipped with the reason printed.
// Either way every test file works in a database of its own, created here and dropped after.

/** A PostgreSQL server the tests may create databases on (src/db/postgres/throwaway-cluster.ts). */
export type TestPostgresServer = PostgresServer;

/** A fresh database for one test file. */
export interface TestPostgresDatabase {
  url: string;
  name: string;
  /** Drops the database (connections to it are closed first). */
  drop(): Promise<void>;
}

/**
 * Why this machine cannot run the PostgreSQL tests (printed), or null when it can: CI's server is given
 * (VASGW_TEST_POSTGRES_URL) or the server binaries are installed. Call it when the test file is collected,
 * for `describe.skipIf`.
 */
export function postgresUnavailable(): string | null {
  if (process.env.VASGW_TEST_POSTGRES_URL || postgresServerBinDir()) return null;
  const reason =
    'PostgreSQL tests SKIPPED: VASGW_TEST_POSTGRES_URL is not set and no PostgreSQL server binaries were found ' +
    "(install Debian's postgresql package, or set PG_BINDIR); .ci/run always runs them.";
  console.warn(reason);
  return reason;
}

/** The PostgreSQL server for this test file: CI's (VASGW_TEST_POSTGRES_URL), or a cluster started here. */
export async function testPostgresServer(): Promise<TestPostgresServer> {
  const url = process.env.VASGW_TEST_POSTGRES_URL;
  if (url) return givenPostgresServer(url);
  const bin = postgresServerBinDir();
  if (!bin) throw new Error(postgresUnavailable() ?? 'no PostgreSQL server binaries');
  return startThrowawayCluster(bin);
}

/** Creates a database with a random name on `server` for one test file. */
export async function createTestDatabase(server: TestPostgresServer, opts: { migrated?: boolean } = {}): Promise<TestPostgresDatabase> {
  const name = `vasgw_test_${randomBytes(6).toString('hex')}`;
  const template = opts.migrated ? await migratedTemplate(server) : null;
  const url = await createDatabase(server, name, template ?? undefined);
  return { url, name, drop: () => dropDatabase(server, name) };
}

/** Serialises the template's creation across test workers sharing CI's cluster. */
const TEMPLATE_LOCK = 0x74706c74; // 'tplt'
const templates = new Map<string, Promise<string>>();

/**
 * A database with every migration applied, named after the migrations it holds, to copy test databases
 * from: `CREATE DATABASE ... TEMPLATE` copies files, far cheaper than migrating each test database anew.
 * Made once per cluster (a lock keeps two workers from making it at once).
 */
function migratedTemplate(server: TestPostgresServer): Promise<string> {
  let made = templates.get(server.adminUrl);
  if (!made) {
    made = makeTemplate(server);
    templates.set(server.adminUrl, made);
  }
  return made;
}

async function makeTemplate(server: TestPostgresServer): Promise<string> {
  const journal = readFileSync(path.join(PG_MIGRATIONS_DIR, 'meta', '_journal.json'));
  const name = `vasgw_template_${createHash('sha256').update(journal).digest('hex').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      const building = `${name}_building_${randomBytes(3).toString('hex')}`;
      await admin.query(`CREATE DATABASE "${building}"`);
      await migratePostgres(parsePostgresUrl(databaseUrl(server, building)));
      // Renamed only once whole: a worker that died half-way leaves no template others would copy.
      await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    }
    return name;
  } finally {
    await admin.end();
  }
}

/** A local port nothing listens on (taken and released at once): for "the server cannot be reached". */
export const closedPort = freePort;

/**
 * The file's server and a fresh database (not migrated: the commands under test migrate it), made before
 * the tests of the describe block this is called in and dropped after them. Read `server` and `db`
 * inside the tests.
 */
export function databaseForFile(): { server: TestPostgresServer; db: TestPostgresDatabase } {
  const made = {} as { server: TestPostgresServer; db: TestPostgresDatabase };
  beforeAll(async () => {
    made.server = await testPostgresServer();
    made.db = await createTestDatabase(made.server);
  }, 120_000);
  afterAll(async () => {
    await made.db?.drop();
    await made.server?.stop();
  });
  return made;
}
