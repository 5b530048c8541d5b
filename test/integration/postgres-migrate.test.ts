import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eq, getTableColumns, is } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDb, openDb } from '../../src/db/client';
import { migratePostgres, PG_MIGRATIONS_DIR, PostgresUnavailableError } from '../../src/db/postgres/migrate';
import { parsePostgresUrl } from '../../src/db/postgres/url';
import { pgSchema } from '../../src/db/postgres/schema';
import * as sqliteSchema from '../../src/db/schema';
import { runVasgw } from '../helpers/child';
import { createTestDatabase, postgresUnavailable, testPostgresServer, type TestPostgresDatabase, type TestPostgresServer, closedPort } from '../helpers/postgres';
import { pgOnlyIndexes, postgresShapes, sqliteShapes, type TableShape } from '../helpers/schema-shape';

const skip = postgresUnavailable();
const CLI_TIMEOUT = 90_000;

/** The migration names in migrations/pg, in order (what `vasgw migrate` reports). */
const migrationNames = (JSON.parse(readFileSync(path.join(PG_MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] }).entries.map((e) => e.tag);

/** The drizzle column kind of each SQLite column (SQLite's catalog cannot tell a boolean or JSON column from an integer or text one). */
const columnKinds = new Map<string, string>();
for (const t of Object.values(sqliteSchema)) {
  if (!is(t, SQLiteTable)) continue;
  for (const c of Object.values(getTableColumns(t))) columnKinds.set(`${getTableConfig(t).name}.${c.name}`, c.columnType);
}

/** The PostgreSQL type a SQLite column must have: its declared type, refined by its drizzle mode. */
function expectedType(table: string, column: string, sqliteType: string): string {
  const kind = columnKinds.get(`${table}.${column}`);
  if (sqliteType === 'integer') return kind === 'SQLiteBoolean' ? 'boolean' : 'bigint';
  if (sqliteType === 'text') return kind === 'SQLiteTextJson' ? 'jsonb' : 'text';
  if (sqliteType === 'real') return 'double precision';
  if (sqliteType === 'blob') return 'bytea';
  return `(unexpected SQLite type ${sqliteType})`;
}

/** SQLite's shape of a table as PostgreSQL must show it: types mapped, everything else as it is. */
function asPostgres(table: string, s: TableShape): TableShape {
  return { ...s, columns: s.columns.map((c) => ({ ...c, type: expectedType(table, c.name, c.type) })) };
}

async function appliedCount(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM drizzle.__drizzle_migrations')).rows[0]!.n);
  } finally {
    await c.end();
  }
}

describe.skipIf(skip !== null)('PostgreSQL: vasgw migrate on a real server', () => {
  let server: TestPostgresServer;
  let db: TestPostgresDatabase;
  const extra: TestPostgresDatabase[] = [];

  beforeAll(async () => {
    server = await testPostgresServer();
    db = await createTestDatabase(server);
  }, 180_000);

  afterAll(async () => {
    for (const d of [db, ...extra]) await d?.drop().catch(() => {});
    await server?.stop();
  }, 60_000);

  it('creates every table, column (type), index, unique index, primary key and reference SQLite has', async () => {
    const r = await runVasgw(['migrate'], { DATABASE_URL: db.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`applied ${migrationNames.length} migration${migrationNames.length === 1 ? '' : 's'} (${migrationNames.join(', ')})`);
    expect(r.stdout).not.toContain(server.password || '(no password)');

    const lite = openDb({ path: ':memory:' });
    migrateDb(lite);
    const expected = sqliteShapes(lite.$client);
    lite.$client.close();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    let actual: Map<string, TableShape>;
    try {
      actual = await postgresShapes(client);
    } finally {
      await client.end();
    }
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(expected.size).toBeGreaterThan(30);
    // The PostgreSQL-only indexes (expressions SQLite has no function for) exist, and are all that differs.
    const pgOnly = pgOnlyIndexes();
    expect(pgOnly.size).toBeGreaterThan(0);
    for (const [table, names] of pgOnly) {
      const shape = actual.get(table)!;
      expect(shape.indexes.map((i) => i.name)).toEqual(expect.arrayContaining(names));
      shape.indexes = shape.indexes.filter((i) => !names.includes(i.name));
    }
    for (const [table, shape] of expected) expect(actual.get(table), table).toEqual(asPostgres(table, shape));
  }, CLI_TIMEOUT);

  it('stores and returns rows typed as the SQLite schema types them, and enforces references', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const d = drizzle(client, { schema: pgSchema });
      const [sub] = await d.insert(pgSchema.subscribers).values({ msisdn: '+254700000001', firstSeenAt: 1_764_000_000_000, updatedAt: 1_764_000_000_000 }).returning();
      expect(sub).toMatchObject({ msisdn: '+254700000001', profile: {}, optedOut: false, firstSeenAt: 1_764_000_000_000, lastSeenAt: null });
      expect(typeof sub!.id).toBe('number');
      const data = Buffer.from([0, 1, 2, 250, 255]);
      await d.insert(pgSchema.concatParts).values({ groupKey: 'g', seq: 1, total: 2, dataCoding: 8, data, meta: { to: '123', parts: [1] }, receivedAt: 5 });
      const [part] = await d.select().from(pgSchema.concatParts).where(eq(pgSchema.concatParts.groupKey, 'g'));
      expect(part!.data.equals(data)).toBe(true);
      expect(part!.meta).toEqual({ to: '123', parts: [1] });
      await expect(
        d.insert(pgSchema.usageEvents).values({ at: 1, subscriberId: sub!.id + 1000, channel: 'ussd', type: 'menu' }),
      ).rejects.toMatchObject({ cause: { code: '23503' } });
    } finally {
      await client.end();
    }
  });

  it('applies nothing when run again', async () => {
    const before = await appliedCount(db.url);
    const r = await runVasgw(['migrate', '--json'], { DATABASE_URL: db.url });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ database: 'postgresql', applied: [], alreadyApplied: migrationNames.length, total: migrationNames.length });
    expect(await appliedCount(db.url)).toBe(before);
  }, CLI_TIMEOUT);

  it('applies each migration once when two migrate runs start together', async () => {
    const fresh = await createTestDatabase(server);
    extra.push(fresh);
    const runs = await Promise.all([runVasgw(['migrate'], { DATABASE_URL: fresh.url }), runVasgw(['migrate'], { DATABASE_URL: fresh.url })]);
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect(runs.filter((r) => /: applied \d+ migration/.test(r.stdout))).toHaveLength(1);
    expect(runs.filter((r) => /is up to date/.test(r.stdout))).toHaveLength(1);
    expect(await appliedCount(fresh.url)).toBe(migrationNames.length);
  }, CLI_TIMEOUT);

  it('says in one sentence why it cannot migrate, exits non-zero, and never prints the password', async () => {
    const secret = 'Pw-never-printed-4711';
    const real = new URL(server.adminUrl);
    const wrongPassword = new URL(db.url);
    wrongPassword.password = secret;
    const cases: [string, string, RegExp][] = [
      ['refused', `postgres://vasgw:${secret}@127.0.0.1:${await closedPort()}/gateway`, /cannot reach PostgreSQL at 127\.0\.0\.1:\d+: connection refused/],
      ['not a URL', `postgres//vasgw:${secret}@127.0.0.1/gateway`, /invalid config key database\.url \(DATABASE_URL\): the database URL is not a URL/],
    ];
    // With password authentication (CI's cluster and the helper's both use it) a wrong password is refused.
    if (real.password) cases.push(['wrong password', wrongPassword.toString(), new RegExp(`refused user "${real.username}": password authentication failed`)]);
    const results = await Promise.all(cases.map(([, url]) => runVasgw(['migrate'], { DATABASE_URL: url })));
    results.forEach((r, i) => {
      const [what, , sentence] = cases[i]!;
      expect(r.code, what).toBe(1);
      expect(r.stdout, what).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines, what).toHaveLength(1);
      expect(lines[0], what).toMatch(/^vasgw migrate: /);
      expect(lines[0], what).toMatch(sentence);
      expect(r.stderr, what).not.toContain(secret);
      if (real.password) expect(r.stderr, what).not.toContain(decodeURIComponent(real.password));
    });
  }, CLI_TIMEOUT);

  it('names a missing database and what to do about it', async () => {
    const noDatabase = new URL(server.adminUrl);
    noDatabase.pathname = '/no_such_database';
    const err = await migratePostgres(parsePostgresUrl(noDatabase.toString())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostgresUnavailableError);
    expect((err as Error).message).toMatch(/^PostgreSQL at 127\.0\.0\.1:\d+ has no database "no_such_database"; create it first/);
  });
});
