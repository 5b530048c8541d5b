import { afterAll, afterEach } from 'vitest';
import { deepMerge, loadConfig, type Config } from '../../src/config';
import { buildGateway, type Gateway } from '../../src/server';
import { ManualClock } from '../../src/lib/clock';
import { silentLogger } from '../../src/lib/logger';
import { createTestDatabase, testPostgresServer, type TestPostgresDatabase, type TestPostgresServer } from './postgres';

export const TEST_TOKEN = 'test-token-0123456789abcdef';
export const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };

/** Recursive partial, for config overrides in tests. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

export interface TestGateway extends Gateway {
  clock: ManualClock;
}

/** Config for tests: in-memory database, the demo flows, a known API token, no logs; overrides merged on top. */
export function testConfig(overrides: DeepPartial<Config> = {}): Config {
  // Onboarding (a welcome SMS to every new subscriber) is off unless a test turns it on, so scenarios of
  // other journeys keep counting only their own messages.
  const base = { database: { path: ':memory:' }, api: { token: TEST_TOKEN }, logLevel: 'silent', server: { port: 0, host: '127.0.0.1' }, crm: { onboarding: { enabled: false } } };
  return loadConfig({ env: {}, overrides: deepMerge(base, overrides) });
}

/** The test file's PostgreSQL server, started by its first gateway on PostgreSQL and stopped after its last test. */
let postgres: Promise<TestPostgresServer> | null = null;

/** PostgreSQL stand-ins for the SQLite files tests name (`dbPath`), kept until the file ends, as a file would be. */
const namedDatabases = new Map<string, Promise<TestPostgresDatabase>>();

/**
 * Drops the file's named PostgreSQL databases and stops its PostgreSQL server: run after each test file's
 * last test by test/setup-file.ts (a setup file runs per test file; a hook registered here, at module
 * load, would run for the first file of a worker only once workers share modules between files).
 */
export async function releaseFileDatabases(): Promise<void> {
  const named = [...namedDatabases.values()];
  namedDatabases.clear();
  for (const db of named) await (await db).drop();
  const server = postgres;
  postgres = null;
  if (server) await (await server).stop();
}

/** Starts the file's PostgreSQL server on first use. */
function postgresServer(): Promise<TestPostgresServer> {
  if (!postgres) postgres = testPostgresServer();
  return postgres;
}

/**
 * The engine a test gateway runs on when the test names none: SQLite, or PostgreSQL when the suite runs
 * with VASGW_TEST_ENGINE=postgresql (the `postgresql` project of vitest.config.ts: the same tests again).
 */
export function testEngine(): 'sqlite' | 'postgresql' {
  return process.env.VASGW_TEST_ENGINE === 'postgresql' ? 'postgresql' : 'sqlite';
}

/**
 * A whole gateway (core, channels, app) with a manual clock, ready for `app.inject` or supertest: on an
 * in-memory SQLite database, or with `backend: 'postgresql'` on a fresh database of the test file's
 * PostgreSQL server (copied from the migrated template, dropped at `stop()`). With `dbPath`, the gateway
 * keeps its data where the next gateway given the same path finds it: that SQLite file, or on PostgreSQL a
 * database of its own kept until the file's last test. Call `start()` yourself when the test needs
 * background work (binds, dispatchers); always `stop()` in afterEach/afterAll.
 */
export async function testGateway(
  overrides: DeepPartial<Config> = {},
  opts: { clock?: ManualClock; now?: string; dbPath?: string; backend?: 'sqlite' | 'postgresql'; sharing?: TestGateway } = {},
): Promise<TestGateway> {
  const clock = opts.clock ?? new ManualClock(new Date(opts.now ?? '2026-11-20T09:00:00Z').getTime());
  if (opts.sharing) return secondGateway(opts.sharing, overrides, clock);
  if ((opts.backend ?? testEngine()) === 'postgresql') return postgresGateway(overrides, clock, opts.dbPath);
  const cfg = testConfig(opts.dbPath ? deepMerge(overrides, { database: { path: opts.dbPath } }) as DeepPartial<Config> : overrides);
  const gw = await buildGateway({ config: cfg, clock, log: silentLogger });
  await gw.app.ready();
  return Object.assign(gw, { clock });
}

async function postgresGateway(overrides: DeepPartial<Config>, clock: ManualClock, dbPath?: string): Promise<TestGateway> {
  if (dbPath) {
    let named = namedDatabases.get(dbPath);
    if (!named) {
      named = postgresServer().then((server) => createTestDatabase(server, { migrated: true }));
      namedDatabases.set(dbPath, named);
    }
    const { url } = await named;
    const gw = await buildGateway({ config: testConfig(deepMerge(overrides, { database: { url } }) as DeepPartial<Config>), clock, log: silentLogger });
    await gw.app.ready();
    return Object.assign(gw, { clock });
  }
  const created = await createTestDatabase(await postgresServer(), { migrated: true });
  try {
    const gw = await buildGateway({ config: testConfig(deepMerge(overrides, { database: { url: created.url } }) as DeepPartial<Config>), clock, log: silentLogger });
    await gw.app.ready();
    const stop = gw.stop.bind(gw);
    let dropped = false;
    return Object.assign(gw, {
      clock,
      async stop() {
        await stop();
        if (dropped) return;
        dropped = true;
        await created.drop();
      },
    });
  } catch (e) {
    await created.drop();
    throw e;
  }
}

/**
 * Another gateway process on `first`'s PostgreSQL database (another instance id): what a second replica
 * behind the load balancer would be. The database stays `first`'s to drop; stop this one first.
 */
async function secondGateway(first: TestGateway, overrides: DeepPartial<Config>, clock: ManualClock): Promise<TestGateway> {
  const url = first.config.database.url;
  if (!url) throw new Error('a second gateway shares a PostgreSQL database: start the first with backend: \'postgresql\'');
  const cfg = testConfig(deepMerge(overrides, { database: { url }, server: { instanceId: `${first.config.server.instanceId ?? 'gw'}-second` } }) as DeepPartial<Config>);
  const gw = await buildGateway({ config: cfg, clock, log: silentLogger });
  await gw.app.ready();
  return Object.assign(gw, { clock });
}

/** Polls `fn` until it returns a truthy value (bounded), for waiting on background work in tests. */
export async function eventually<T>(fn: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = performance.now() + (opts.timeoutMs ?? 5000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 10));
  }
}

/** Anything a test starts and must stop: a gateway, a fake SMSC, a fake voice provider, a simulator. */
export interface Stoppable {
  stop(): unknown;
}

/**
 * Stops what `running()` names, in that order, each at most once however many tests it outlived: name the
 * callers first (a fake provider must not call back into a stopped app), then the gateway, then its SMSC
 * (its binds close before the other end goes).
 */
function stopper(running: () => readonly (Stoppable | null | undefined)[]): () => Promise<void> {
  const stopped = new WeakSet<Stoppable>();
  return async () => {
    for (const s of running()) {
      if (!s || stopped.has(s)) continue;
      stopped.add(s);
      await s.stop();
    }
  };
}

/** The one teardown of the integration tests: after each test, stops what `running()` names (see `stopper`). */
export function stopAfterEach(running: () => readonly (Stoppable | null | undefined)[]): void {
  afterEach(stopper(running));
}

/** As `stopAfterEach`, once after the file's (or describe block's) last test, for a setup shared by its tests. */
export function stopAfterAll(running: () => readonly (Stoppable | null | undefined)[]): void {
  afterAll(stopper(running));
}
