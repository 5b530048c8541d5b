import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getTableName, is, type Table } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { getTableConfig, integer, SQLiteTable, sqliteTable, type AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDb, openDb, type Db } from '../../src/db/client';
import { copyOrder, copySqliteToPostgres } from '../../src/db/postgres/copy';
import { migratePostgres } from '../../src/db/postgres/migrate';
import { parsePostgresUrl } from '../../src/db/postgres/url';
import { openReadOnlyDb } from '../../src/db/handle';
import { pgSchema } from '../../src/db/postgres/schema';
import * as sqliteSchema from '../../src/db/schema';
import { runVasgw } from '../helpers/child';
import { AUTH, testGateway } from '../helpers/gateway';
import { createTestDatabase, postgresUnavailable, testPostgresServer, type TestPostgresDatabase, type TestPostgresServer, closedPort } from '../helpers/postgres';

// `vasgw db copy` run as a real process against a real PostgreSQL: a SQLite database filled through the
// gateway (USSD, SMS, a profile, a console account) and with planted CRM rows (booleans, JSON, nulls,
// blobs, floats, epoch-ms and 2^53-scale integers, unicode), copied, then every table read on both sides
// with the same drizzle schema (so JSON and booleans are decoded alike) and compared row for row.

const skip = postgresUnavailable();
const CLI_TIMEOUT = 120_000;
const USAGE_ROWS = 12_345; // more than two of the default 5,000-row batches, and not a multiple of one

const sqliteTables = (Object.values(sqliteSchema) as unknown[]).filter((v): v is SQLiteTable => is(v, SQLiteTable));
const pgTables = new Map((Object.values(pgSchema) as Table[]).map((t) => [getTableName(t), t]));

/** JSON with object keys sorted (jsonb reorders keys), for a row order both sides agree on. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

const sorted = <T>(rows: T[]) => rows.map((r) => [canonical(r), r] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);

/** Every table's rows on SQLite, decoded by drizzle (booleans, JSON, blobs). */
function sqliteRows(db: Db): Map<string, unknown[]> {
  return new Map(sqliteTables.map((t) => [getTableConfig(t).name, sorted(db.select().from(t).all() as unknown[])]));
}

/** Every table's rows on PostgreSQL, decoded by drizzle through the derived tables. */
async function postgresRows(url: string): Promise<Map<string, unknown[]>> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const pdb = drizzle(pool);
    const out = new Map<string, unknown[]>();
    for (const [name, t] of pgTables) out.set(name, sorted((await pdb.select().from(t as never)) as unknown[]));
    return out;
  } finally {
    await pool.end();
  }
}

async function query<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/** Rows per table on PostgreSQL (zero for every table of a database nothing was written to). */
async function pgCounts(url: string): Promise<Record<string, number>> {
  const rows = await query<{ t: string; n: string }>(url, [...pgTables.keys()].map((t) => `SELECT '${t}' AS t, count(*) AS n FROM "${t}"`).join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Fills a SQLite file the way a running gateway does, then plants CRM rows the gateway writes in passes. */
async function plantGateway(file: string): Promise<void> {
  const gw = await testGateway({}, { dbPath: file });
  try {
    for (const [sessionId, phoneNumber] of [['copy-1', '+254711082001'], ['copy-2', '+254711082002']] as const) {
      for (const text of ['', '1', '1*1', '1*1*1', '1*1*1*1']) {
        const res = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: FORM, payload: new URLSearchParams({ sessionId, serviceCode: '*384*1#', phoneNumber, networkCode: '63902', text }).toString() });
        expect(res.statusCode).toBe(200);
      }
    }
    const sms = await gw.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to: '+254711082003', text: 'Habari ya shamba 🌽 — ñ', kind: 'transactional' } });
    expect(sms.statusCode).toBe(202);
    const profile = await gw.app.inject({ method: 'PATCH', url: '/api/v1/subscribers/+254711082004', headers: AUTH, payload: { region: 'Nakuru', crops: ['maize', 'beans'], farmSize: 2.5, gender: 'female', birthYear: 1984 } });
    expect(profile.statusCode).toBe(200);
    const account = await gw.console!.add('amina', 'admin', 'amina-password-1', 'sw');
    await gw.console!.startSession(account.id);
  } finally {
    await gw.stop();
  }
}

/** CRM rows with the awkward values: nulls, booleans both ways, nested unicode JSON, a blob, floats, huge integers. */
function plantCrm(db: Db, subscriberId: number): void {
  const s = sqliteSchema;
  db.insert(s.crmState).values([
    { key: 'cursor:usage', value: { lastId: 42, note: 'Kiswahili: ñ, 🌽, "quotes", \\ backslash', nested: { list: [1, 2.5, null, true], empty: {} } }, owner: null, expiresAt: 2 ** 53 - 1, updatedAt: 1_795_451_363_327 },
    { key: 'lease:pass', value: null, owner: 'host-a:1234', expiresAt: null, updatedAt: 1 },
    { key: 'plain', value: 'just a string', owner: '', expiresAt: -5, updatedAt: 0 },
  ]).run();
  db.insert(s.crmUsageDaily).values({ day: 20_412, channel: 'ussd', flowId: 'crop-advice', dim: 'region', value: 'Nakuru', sessions: 3, contentSessions: 2, stuckSessions: 1, subscribers: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) }).run();
  db.insert(s.crmFindings).values([
    { id: 'f-1', subscriberId, kind: 'stuck', dedupeKey: 'stuck:1', status: 'acted', reason: 'menu loop', serviceId: null, detail: { nodeId: 'maize', lang: 'sw', text: 'Mahindi 🌽' }, detectedAt: 1_795_451_363_327, notBefore: 1_795_451_363_327, expiresAt: 1_796_000_000_000, closedAt: null, interventionId: 'i-1' },
    { id: 'f-2', subscriberId, kind: 'lapsing', dedupeKey: 'lapsing:1', status: 'holdout', reason: 'renewal failed', serviceId: 'crop-daily', detail: {}, detectedAt: 1, notBefore: 2, expiresAt: 3, closedAt: 4, interventionId: null },
  ]).run();
  db.insert(s.crmInterventions).values([
    { id: 'i-1', findingId: 'f-1', subscriberId, kind: 'education_sms', findingKind: 'stuck', arm: 'treatment', channel: 'sms', status: 'queued', at: 5, windowEndsAt: 6, outcomeClosed: true, text: 'Jaribu tena: *384*1#', reachedContentAt: 7 },
    { id: 'i-2', findingId: 'f-2', subscriberId, kind: 'save', findingKind: 'lapsing', arm: 'holdout', channel: 'none', status: 'held_out', at: 5, windowEndsAt: 6, outcomeClosed: false },
  ]).run();
  db.insert(s.crmRiskRankings).values({ kind: 'lapse', subscriberId, serviceId: 'crop-daily', state: 'active', pAlive: null, lastActiveDay: null, renewProbability: 0.1 + 0.2, residualPeriods: 1e-300, residualValue: 123_456.789, risk: 1 / 3, valueAtRisk: 2 ** 60, computedAt: 1_795_451_363_327 }).run();
  // A usage log longer than two batches.
  const c = db.$client;
  const one = c.prepare('INSERT INTO usage_events (at, subscriber_id, channel, type, session_id, detail) VALUES (?, ?, ?, ?, ?, ?)');
  c.exec('BEGIN');
  for (let i = 0; i < USAGE_ROWS; i++) one.run(1_795_451_363_327 + i, subscriberId, 'ussd', 'menu', `bulk-${i >> 4}`, i % 3 === 0 ? JSON.stringify({ i, reason: 'completed' }) : null);
  c.exec('COMMIT');
}

describe('copy order', () => {
  it('puts every table after each table it references', () => {
    const order = copyOrder(sqliteTables).map((t) => getTableConfig(t).name);
    expect(order).toHaveLength(sqliteTables.length);
    for (const t of sqliteTables) {
      const cfg = getTableConfig(t);
      for (const fk of cfg.foreignKeys) {
        const parent = getTableConfig(fk.reference().foreignTable).name;
        if (parent !== cfg.name) expect(order.indexOf(parent), `${parent} before ${cfg.name}`).toBeLessThan(order.indexOf(cfg.name));
      }
    }
  });

  it('refuses tables that reference each other in a cycle, naming them', () => {
    const a: SQLiteTable = sqliteTable('a', { id: integer('id').primaryKey(), b: integer('b').references((): AnySQLiteColumn => b.id) });
    const b = sqliteTable('b', { id: integer('id').primaryKey(), a: integer('a').references(() => (a as typeof a & { id: AnySQLiteColumn }).id) });
    expect(() => copyOrder([a, b])).toThrow(/cycle \(a -> b -> a\)/);
  });
});

describe.skipIf(skip !== null)('vasgw db copy into a real PostgreSQL', () => {
  let server: TestPostgresServer;
  const dbs: TestPostgresDatabase[] = [];
  let dir: string;
  let file: string;
  let target: TestPostgresDatabase;
  let before: Map<string, unknown[]>;
  let nextUsageId: number;
  let stdout: string;

  const fresh = async () => {
    const d = await createTestDatabase(server);
    dbs.push(d);
    return d;
  };

  beforeAll(async () => {
    server = await testPostgresServer();
    dir = mkdtempSync(path.join(tmpdir(), 'vasgw-copy-'));
    file = path.join(dir, 'gateway.db');
    await plantGateway(file);
    const db = openDb({ path: file });
    try {
      const subscriberId = db.select().from(sqliteSchema.subscribers).all()[0]!.id;
      plantCrm(db, subscriberId);
      // SQLite never hands out an id again, even a deleted row's: the last usage event goes, its id stays used.
      const last = db.$client.prepare("INSERT INTO usage_events (at, subscriber_id, channel, type) VALUES (1, ?, 'sms', 'sms_out') RETURNING id").get(subscriberId) as { id: number };
      db.$client.prepare('DELETE FROM usage_events WHERE id = ?').run(last.id);
      nextUsageId = last.id + 1;
      before = sqliteRows(db);
    } finally {
      db.$client.close();
    }
    target = await fresh();
    const r = await runVasgw(['db', 'copy', '--from', file, '--to', target.url]);
    expect(r.code, r.stderr).toBe(0);
    stdout = r.stdout;
  }, 240_000);

  afterAll(async () => {
    for (const d of dbs) await d.drop().catch(() => {});
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('copies every table row for row, JSON, booleans, nulls, blobs, floats and large integers alike', async () => {
    const after = await postgresRows(target.url);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    // The scenario reached well beyond the planted tables (sessions, messages, accounts, ...).
    const filled = [...before].filter(([, rows]) => rows.length > 0).map(([t]) => t);
    for (const t of ['subscribers', 'sessions', 'usage_events', 'messages', 'console_accounts', 'console_sessions', 'crm_state', 'crm_usage_daily', 'crm_findings', 'crm_interventions', 'crm_risk_rankings']) expect(filled).toContain(t);
    for (const [t, rows] of before) expect(after.get(t), t).toEqual(rows);
    const profiled = (before.get('subscribers') as { msisdn: string; region: string | null; profile: unknown }[]).find((s) => s.msisdn === '+254711082004');
    expect(profiled?.region).toBe('Nakuru');
    expect(profiled?.profile).toMatchObject({ crops: ['maize', 'beans'], farmSize: 2.5 });
  });

  it('says what it copied: one line per table and the total', () => {
    const usage = before.get('usage_events')!.length;
    expect(usage).toBeGreaterThan(USAGE_ROWS);
    expect(stdout).toMatch(new RegExp(`^usage_events: +${usage.toLocaleString('en-US')} rows$`, 'm'));
    expect(stdout).toMatch(/^console_accounts: +1 row$/m);
    const total = [...before.values()].reduce((s, r) => s + r.length, 0);
    expect(stdout).toContain(`total: ${total.toLocaleString('en-US')} rows in ${before.size} tables`);
    expect(stdout).not.toContain(new URL(target.url).password);
  });

  it('moves the id sequences on: a new row gets the id SQLite would have given next', async () => {
    const [row] = await query<{ id: string }>(target.url, "INSERT INTO usage_events (at, subscriber_id, channel, type) SELECT 1, min(id), 'sms', 'sms_out' FROM subscribers RETURNING id");
    expect(Number(row!.id)).toBe(nextUsageId);
    const maxSubscriber = Math.max(...(before.get('subscribers') as { id: number }[]).map((s) => s.id));
    const [sub] = await query<{ id: string }>(target.url, "INSERT INTO subscribers (msisdn, first_seen_at, updated_at) VALUES ('+254711099999', 1, 1) RETURNING id");
    expect(Number(sub!.id)).toBeGreaterThan(maxSubscriber);
  });

  it('refuses a target that already has rows, and changes nothing there', async () => {
    const counts = await pgCounts(target.url);
    const r = await runVasgw(['db', 'copy', '--from', file, '--to', target.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already has rows \(in subscribers/);
    expect(await pgCounts(target.url)).toEqual(counts);
  }, CLI_TIMEOUT);

  it('rolls everything back when a row cannot be copied, and says where', async () => {
    const bad = path.join(dir, 'bad.db');
    const db = openDb({ path: bad });
    migrateDb(db);
    db.$client.prepare("INSERT INTO subscribers (msisdn, first_seen_at, updated_at) VALUES ('+254711000001', 1, 1)").run();
    // SQLite keeps any text in a JSON column; PostgreSQL's jsonb refuses it.
    db.$client.prepare("INSERT INTO usage_events (at, subscriber_id, channel, type, detail) VALUES (1, 1, 'ussd', 'menu', 'not json')").run();
    db.$client.close();
    const t = await fresh();
    const r = await runVasgw(['db', 'copy', '--from', bad, '--to', t.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed while copying usage_events: .*json.*nothing was written/);
    const counts = await pgCounts(t.url);
    expect(Object.values(counts).every((n) => n === 0), JSON.stringify(counts)).toBe(true);
  }, CLI_TIMEOUT);

  it('prints a JSON report with --json, reading DATABASE_PATH when --from is not given', async () => {
    const small = path.join(dir, 'small.db');
    const db = openDb({ path: small });
    migrateDb(db);
    db.$client.prepare("INSERT INTO subscribers (msisdn, first_seen_at, updated_at, opted_out) VALUES ('+254711000001', 1, 1, 1)").run();
    db.$client.close();
    const t = await fresh();
    const r = await runVasgw(['db', 'copy', '--to', t.url, '--json'], { DATABASE_PATH: small });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { from: string; to: string; totalRows: number; tables: { table: string; rows: number }[]; sequences: { table: string; nextId: number }[]; seconds: number };
    expect(report.from).toBe(small);
    expect(report.to).toContain(':***@');
    expect(report.totalRows).toBe(1);
    expect(report.tables.find((x) => x.table === 'subscribers')?.rows).toBe(1);
    expect(report.sequences).toContainEqual(expect.objectContaining({ table: 'subscribers', nextId: 2 }));
    expect(await query(t.url, 'SELECT opted_out FROM subscribers')).toEqual([{ opted_out: true }]);
  }, CLI_TIMEOUT);

  it('copies one snapshot while a gateway keeps writing to the SQLite file', async () => {
    const live = path.join(dir, 'live.db');
    const writer = openDb({ path: live });
    migrateDb(writer);
    const w = writer.$client;
    w.prepare("INSERT INTO subscribers (msisdn, first_seen_at, updated_at) VALUES ('+254711000001', 1, 1)").run();
    const event = w.prepare("INSERT INTO usage_events (at, subscriber_id, channel, type) VALUES (?, 1, 'ussd', 'menu')");
    for (let i = 0; i < 7_000; i++) event.run(i);
    const t = await fresh();
    await migratePostgres(parsePostgresUrl(t.url));
    const pool = new pg.Pool({ connectionString: t.url, max: 2 });
    const reader = openReadOnlyDb(live, 1024);
    try {
      // Each table copied, the "gateway" writes more: rows and a new subscriber the snapshot must not see.
      let written = 0;
      const report = await copySqliteToPostgres(reader, pool, {
        batchRows: 1_000,
        onTable: () => {
          w.prepare("INSERT INTO subscribers (msisdn, first_seen_at, updated_at) VALUES (?, 2, 2)").run(`+2547119${String(written).padStart(5, '0')}`);
          event.run(-1);
          written++;
        },
      });
      expect(written).toBe(sqliteTables.length);
      expect(report.tables.find((x) => x.table === 'usage_events')?.rows).toBe(7_000);
      expect(report.tables.find((x) => x.table === 'subscribers')?.rows).toBe(1);
      expect(await pgCounts(t.url)).toMatchObject({ usage_events: 7_000, subscribers: 1 });
      expect(await query(t.url, 'SELECT count(*)::int AS n FROM usage_events WHERE at < 0')).toEqual([{ n: 0 }]);
      expect((w.prepare('SELECT count(*) AS n FROM usage_events').get() as { n: number }).n).toBe(7_000 + written);
    } finally {
      reader.$client.close();
      writer.$client.close();
      await pool.end();
    }
  }, CLI_TIMEOUT);

  it('refuses bad input with one sentence and never prints the password', async () => {
    const secret = 'Sup3rSecretPw';
    const port = await closedPort();
    const cases: { args: string[]; env?: NodeJS.ProcessEnv; code: number; says: RegExp }[] = [
      { args: ['db', 'copy', '--from', file], code: 2, says: /needs --to/ },
      { args: ['db', 'copy', '--from', file, '--to', `postgres://gw:${secret}@[nohost/gateway`], code: 2, says: /not a URL/ },
      { args: ['db', 'copy', '--from', file, '--to', `mysql://gw:${secret}@db/gateway`], code: 2, says: /not a PostgreSQL URL/ },
      { args: ['db', 'copy', '--from', path.join(dir, 'missing.db'), '--to', `postgres://gw:${secret}@127.0.0.1:${port}/gateway`], code: 2, says: /no SQLite database file at .*missing\.db/ },
      { args: ['db', 'copy', '--to', `postgres://gw:${secret}@127.0.0.1:${port}/gateway`], env: { DATABASE_PATH: path.join(dir, 'nowhere.db') }, code: 2, says: /no SQLite database file at .*nowhere\.db/ },
      { args: ['db', 'copy', '--from', file, '--to', `postgres://gw:${secret}@127.0.0.1:${port}/gateway`], code: 1, says: /cannot reach PostgreSQL at 127\.0\.0\.1:\d+: connection refused/ },
    ];
    const wrongPassword = new URL(target.url);
    wrongPassword.password = secret;
    cases.push({ args: ['db', 'copy', '--from', file, '--to', wrongPassword.toString()], code: 1, says: /password authentication failed/ });
    for (const c of cases) {
      const r = await runVasgw(c.args, c.env);
      expect(r.code, `${c.args.join(' ')}: ${r.stderr}`).toBe(c.code);
      expect(r.stderr).toMatch(c.says);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
  }, CLI_TIMEOUT * 2);
});
