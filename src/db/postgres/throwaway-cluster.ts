// A throwaway PostgreSQL cluster from the server binaries (Debian's postgresql package:
// /usr/lib/postgresql/<version>/bin), for the tests and the benchmarks: a temporary directory, 127.0.0.1
// on a free port, no Unix socket, password authentication, stopped and removed at the end (also when the
// process exits without stopping it). Databases on it, or on any server given by URL, are created and
// dropped here too, so the tests and the bench share one implementation.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** A PostgreSQL server databases may be created on. */
export interface PostgresServer {
  /** A superuser URL (database `postgres`): create and drop databases through it. Never printed. */
  adminUrl: string;
  /** The password in that URL (callers check it is never printed). */
  password: string;
  /** Stops the server if this process started it (a no-op for a server given by URL). */
  stop(): Promise<void>;
}

/**
 * Server settings of a throwaway cluster: its data is thrown away, so nothing is synced. A caller that
 * measures speed passes its own (the bench keeps fsync on).
 */
export const THROWAWAY_SETTINGS: Readonly<Record<string, string | number>> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: 40,
};

/** The server binaries' directory: PG_BINDIR, else the newest Debian install, else pg_config's, else null. */
export function postgresServerBinDir(): string | null {
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

/** A port on 127.0.0.1 nothing listens on now (taken and released at once). */
export async function freePort(): Promise<number> {
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
 * Starts a throwaway cluster from the binaries in `bin` (postgresServerBinDir()) in a temporary directory
 * named vasgw-pg-*: listening on 127.0.0.1 only, on a free port, no Unix socket, password authentication
 * for TCP, with `settings` (default THROWAWAY_SETTINGS).
 */
export async function startThrowawayCluster(bin: string, settings: Readonly<Record<string, string | number>> = THROWAWAY_SETTINGS): Promise<PostgresServer> {
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
  // A process that exits without stopping the cluster (a crash, ^C, a test worker without afterAll)
  // still stops its server.
  const onExit = () => {
    stopNow();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  try {
    await as(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-sync']);
    const opts = [`-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
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

/** A server given by a superuser URL (CI's, or one named for the bench): nothing to stop. */
export function givenPostgresServer(url: string): PostgresServer {
  return { adminUrl: url, password: decodeURIComponent(new URL(url).password), stop: async () => {} };
}

/** The URL of database `name` on `server` (its admin URL with another database). */
export function databaseUrl(server: PostgresServer, name: string): string {
  const u = new URL(server.adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function asAdmin<T>(server: PostgresServer, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** Creates database `name` (a copy of `template` when given) and returns its URL. */
export async function createDatabase(server: PostgresServer, name: string, template?: string): Promise<string> {
  await asAdmin(server, (admin) => admin.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`));
  return databaseUrl(server, name);
}

/** Drops database `name`, closing the connections to it first. */
export async function dropDatabase(server: PostgresServer, name: string): Promise<void> {
  await asAdmin(server, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
