import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { migratePostgres, PG_MIGRATIONS_DIR } from '../../src/db/postgres/migrate';
import { parsePostgresUrl } from '../../src/db/postgres/url';

// Real PostgreSQL for tests. CI (.ci/run) starts one throwaway cluster and exports its superuser URL as
// VASGW_TEST_POSTGRES_URL; without that variable a test file starts its own cluster from the server
// binaries (Debian's postgresql package: /usr/lib/postgresql/<version>/bin), so `npm test` on a developer
// machine covers PostgreSQL too. With neither, the PostgreSQL tests are skipped with the reason printed.
// Either way every test file works in a database of its own, created here and dropped after.

const run = promisify(execFile);

/** A PostgreSQL server the tests may create databases on. */
export interface TestPostgresServer {
  /** A superuser URL (database `postgres`): create and drop databases through it. */
  adminUrl: string;
  /** The password in that URL (tests check it is never printed). */
  password: string;
  /** Stops the server if this process started it (a no-op for CI's cluster). */
  stop(): Promise<void>;
}

/** A fresh database for one test file. */
export interface TestPostgresDatabase {
  url: string;
  name: string;
  /** Drops the database (connections to it are closed first). */
  drop(): Promise<void>;
}

/** The server binaries' directory: PG_BINDIR, else the newest Debian install, else pg_config's, else null. */
function serverBinDir(): string | null {
  const has = (dir: string) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'));
  if (process.env.PG_BINDIR && has(process.env.PG_BINDIR)) return process.env.PG_BINDIR;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (has(path.join(debian, v, 'bin'))) return path.join(debian, v, 'bin');
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (has(dir)) return dir;
  } catch {
    // no pg_config on PATH
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** The uid/gid to run the server as: PostgreSQL refuses to run as root, so root hands it to `nobody`. */
function serverUser(): { uid: number; gid: number; prefix: string[] } | null {
  if (process.getuid?.() !== 0) return null;
  return { uid: 65534, gid: 65534, prefix: ['runuser', '-u', 'nobody', '--'] };
}

/**
 * Starts a throwaway cluster in a temporary directory: listening on 127.0.0.1 only, on a free port, no
 * Unix socket, password authentication for TCP, fsync off (the data is thrown away).
 */
async function startCluster(bin: string): Promise<TestPostgresServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vasgw-pg-'));
  const user = serverUser();
  const password = randomBytes(12).toString('hex');
  const data = path.join(dir, 'data');
  const pwfile = path.join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`);
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(pwfile, user.uid, user.gid);
  }
  chmodSync(dir, 0o700);
  const as = (cmd: string, args: string[]) => (user ? run(user.prefix[0]!, [...user.prefix.slice(1), cmd, ...args]) : run(cmd, args));
  const port = await freePort();
  const pgCtl = path.join(bin, 'pg_ctl');
  let started = false;
  const stopNow = () => {
    if (!started) return;
    started = false;
    try {
      execFileSync(user ? user.prefix[0]! : pgCtl, [...(user ? [...user.prefix.slice(1), pgCtl] : []), 'stop', '-D', data, '-m', 'immediate', '-w'], { stdio: 'ignore' });
    } catch {
      // already stopped
    }
  };
  // A worker that exits without afterAll (a crash, ^C) still stops its server.
  const onExit = () => {
    stopNow();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  try {
    await as(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-sync']);
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=40`;
    await as(pgCtl, ['start', '-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', opts]);
    started = true;
  } catch (e) {
    onExit();
    process.removeListener('exit', onExit);
    throw new Error(`could not start a PostgreSQL cluster from ${bin}: ${(e as Error).message.split('\n')[0]}`);
  }
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    password,
    async stop() {
      onExit();
      process.removeListener('exit', onExit);
    },
  };
}

/**
 * Why this machine cannot run the PostgreSQL tests (printed), or null when it can: CI's server is given
 * (VASGW_TEST_POSTGRES_URL) or the server binaries are installed. Call it when the test file is collected,
 * for `describe.skipIf`.
 */
export function postgresUnavailable(): string | null {
  if (process.env.VASGW_TEST_POSTGRES_URL || serverBinDir()) return null;
  const reason =
    'PostgreSQL tests SKIPPED: VASGW_TEST_POSTGRES_URL is not set and no PostgreSQL server binaries were found ' +
    "(install Debian's postgresql package, or set PG_BINDIR); .ci/run always runs them.";
  console.warn(reason);
  return reason;
}

/** The PostgreSQL server for this test file: CI's (VASGW_TEST_POSTGRES_URL), or a cluster started here. */
export async function testPostgresServer(): Promise<TestPostgresServer> {
  const url = process.env.VASGW_TEST_POSTGRES_URL;
  if (url) return { adminUrl: url, password: decodeURIComponent(new URL(url).password), stop: async () => {} };
  const bin = serverBinDir();
  if (!bin) throw new Error(postgresUnavailable() ?? 'no PostgreSQL server binaries');
  return startCluster(bin);
}

/** Creates a database with a random name on `server` for one test file. */
export async function createTestDatabase(server: TestPostgresServer, opts: { migrated?: boolean } = {}): Promise<TestPostgresDatabase> {
  const name = `vasgw_test_${randomBytes(6).toString('hex')}`;
  const template = opts.migrated ? await migratedTemplate(server) : null;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
  } finally {
    await admin.end();
  }
  return {
    url: databaseUrl(server, name),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: server.adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

function databaseUrl(server: TestPostgresServer, name: string): string {
  const u = new URL(server.adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
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
export async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
