import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

const gateways: TestGateway[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(overrides: Parameters<typeof testGateway>[0], opts: Parameters<typeof testGateway>[1]) {
  const g = await testGateway(overrides, opts);
  gateways.push(g);
  return g;
}

function tempDb(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-campaign-crash-'));
  dirs.push(dir);
  return path.join(dir, 'gateway.db');
}

const msisdn = (i: number) => `+2547${String(i).padStart(8, '0')}`;

/** N maize growers and an SMS campaign to them, due now; returns the campaign id. */
async function setUp(g: TestGateway, n: number, extra: Record<string, unknown> = {}): Promise<string> {
  // One CSV import, as a content team loads its farmers: thousands of units of their own, one after
  // another, took most of a test's time on PostgreSQL (a round trip each).
  const csv = ['msisdn,language,crop', ...Array.from({ length: n }, (_, k) => `${msisdn(k + 1)},en,maize`)].join('\n');
  const imported = await g.app.inject({ method: 'POST', url: '/api/v1/subscribers/import', headers: { ...AUTH, 'content-type': 'text/csv' }, payload: csv });
  expect(imported.json()).toMatchObject({ created: n, rejected: 0 });
  const seg = await g.app.inject({ method: 'POST', url: '/api/v1/segments', headers: AUTH, payload: { name: 'Maize', filter: { crop: 'maize' } } });
  const c = await g.app.inject({
    method: 'POST',
    url: '/api/v1/campaigns',
    headers: AUTH,
    payload: { kind: 'sms', segmentId: seg.json().id, text: { en: 'Plant maize with the first rains.' }, schedule: { at: new Date(g.clock.now()).toISOString() }, ...extra },
  });
  expect(c.statusCode).toBe(201);
  return c.json().id as string;
}

/** Messages per number for the campaign: every recipient must have exactly one. */
async function perRecipient(g: TestGateway, campaignId: string): Promise<Map<string, number>> {
  const rows = await g.core.database.all<{ msisdn: string; n: number }>(sql`SELECT msisdn, count(*) AS n FROM messages WHERE source = 'campaign' AND source_ref = ${campaignId} GROUP BY msisdn`);
  return new Map(rows.map((r) => [r.msisdn, r.n]));
}

/** Process A "stops answering" while it still holds the run's lease: what a second process finds. */
async function leaseHeldByA(g: TestGateway): Promise<void> {
  await g.core.database.run(sql`UPDATE campaign_runs SET lease_owner = 'process-a', lease_expires_at = ${g.clock.now() + 60_000}`);
}

/**
 * Makes every outbox insert for `to` fail as a full disk would (SQLite: a temporary trigger that aborts;
 * PostgreSQL: a trigger function that raises), until `undo()`.
 */
async function failInsertsTo(g: TestGateway, to: string): Promise<{ undo(): Promise<void> }> {
  const db = g.core.database;
  if (db.dialect === 'postgresql') {
    await db.run(sql.raw("CREATE FUNCTION simulated_disk_failure() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated disk failure'; END $$"));
    await db.run(sql.raw(`CREATE TRIGGER fail_insert BEFORE INSERT ON messages FOR EACH ROW WHEN (NEW.msisdn = '${to}') EXECUTE FUNCTION simulated_disk_failure()`));
    return {
      async undo() {
        await db.run(sql.raw('DROP TRIGGER fail_insert ON messages'));
        await db.run(sql.raw('DROP FUNCTION simulated_disk_failure()'));
      },
    };
  }
  await db.run(sql.raw(`CREATE TEMP TRIGGER fail_insert BEFORE INSERT ON messages WHEN NEW.msisdn = '${to}' BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END`));
  return {
    async undo() {
      await db.run(sql.raw('DROP TRIGGER fail_insert'));
    },
  };
}

async function expectExactlyOnce(g: TestGateway, campaignId: string, n: number) {
  const counts = await perRecipient(g, campaignId);
  expect(counts.size).toBe(n);
  expect([...counts.values()].every((c) => c === 1)).toBe(true);
  const run = (await g.core.campaignReads.runs(campaignId))[0]!;
  expect(run).toMatchObject({ status: 'done', total: n, queued: n, blocked: 0 });
  const pending = await g.core.database.get<{ n: number }>(sql`SELECT count(*) AS n FROM campaign_recipients WHERE run_id = ${run.id} AND status = 'pending'`);
  expect(pending?.n).toBe(0);
}

describe('a crash mid-send', () => {
  it('a batch that fails part-way leaves nothing of itself; the next tick resumes without duplicates or gaps', async () => {
    const g = await open({ campaigns: { batchSize: 4 } }, { now: '2026-11-20T06:00:00Z' });
    const id = await setUp(g, 10);
    // The 7th outbox insert fails as a full disk would, in the middle of the second batch.
    const failure = await failInsertsTo(g, msisdn(7));
    const first = await g.core.campaignScheduler.tick();
    expect(first).toMatchObject({ handed: 4, failed: 1 });
    expect([...(await perRecipient(g, id)).keys()].sort()).toEqual([1, 2, 3, 4].map(msisdn));
    await failure.undo();
    await g.core.campaignScheduler.tick();
    await expectExactlyOnce(g, id, 10);
  });

  it('a second process leaves a leased run alone, and takes it over when the lease expires', async () => {
    const dbPath = tempDb();
    const a = await open({ campaigns: { batchSize: 3, leaseSeconds: 60 } }, { now: '2026-11-20T06:00:00Z', dbPath });
    const id = await setUp(a, 10);
    // Process A hands over one batch, then stops answering (its lease is still held).
    await a.core.campaignScheduler.tick({ maxBatches: 1 });
    await leaseHeldByA(a);
    expect((await perRecipient(a, id)).size).toBe(3);

    const b = await open({ campaigns: { batchSize: 3 } }, { now: '2026-11-20T06:00:30Z', dbPath });
    expect(await b.core.campaignScheduler.tick()).toMatchObject({ handed: 0 });
    expect((await perRecipient(b, id)).size).toBe(3);
    b.clock.set('2026-11-20T06:01:01Z');
    expect(await b.core.campaignScheduler.tick()).toMatchObject({ handed: 7 });
    await expectExactlyOnce(b, id, 10);
  });

  it('a run taken over after its owner died goes on at its rate: no backlog burst', async () => {
    const dbPath = tempDb();
    const cfg = { campaigns: { batchSize: 500, tickSeconds: 1, leaseSeconds: 60 } };
    const a = await open(cfg, { now: '2026-11-20T06:00:00Z', dbPath });
    const id = await setUp(a, 3000, { ratePerSecond: 400 });
    // Process A queues its first second of paced sends, then dies holding the lease.
    expect(await a.core.campaignScheduler.tick({ maxBatches: 1 })).toMatchObject({ handed: 400 });
    await leaseHeldByA(a);

    // B takes the run over a minute later and ticks once a second until it is done.
    const b = await open(cfg, { now: '2026-11-20T06:01:01Z', dbPath });
    const takeover = b.clock.now();
    for (let i = 0; i < 30 && (await perRecipient(b, id)).size < 3000; i++) {
      await b.core.campaignScheduler.tick();
      b.clock.advance(1000);
    }
    await b.core.campaignScheduler.tick();
    await expectExactlyOnce(b, id, 3000);
    // Messages per one-second window of their due time, from the takeover on: never above the rate.
    const windows = await b.core.database.all<{ w: number; n: number }>(
      sql`SELECT (due_at - ${takeover}) / 1000 AS w, count(*) AS n FROM messages WHERE source = 'campaign' AND source_ref = ${id} AND due_at >= ${takeover} GROUP BY w ORDER BY w`,
    );
    expect(windows.reduce((s, w) => s + w.n, 0)).toBe(2600);
    expect(Math.max(...windows.map((w) => w.n))).toBeLessThanOrEqual(400);
    expect(windows.length).toBeGreaterThanOrEqual(7);
    // Thousands of farmers: on PostgreSQL each imported line is a few round trips.
  }, 60_000);

  it('a gateway killed with SIGKILL mid-fan-out is resumed by the next one without duplicates or gaps', async () => {
    const dbPath = tempDb();
    const now = '2026-11-20T06:00:00Z';
    const setup = await open({}, { now, dbPath });
    const id = await setUp(setup, 5000);
    await setup.stop();
    gateways.splice(0);

    // The child opens the same database: the SQLite file, or on PostgreSQL the database kept for it.
    const database = setup.config.database.url ?? dbPath;
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./campaign-crash-child.ts', import.meta.url)), database, now], {
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      let batches = 0;
      let out = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => (out += chunk));
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        batches += (chunk.match(/handed [1-9]/g) ?? []).length;
        if (batches >= 3 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`the child finished (exit ${code}) after ${batches} batches, before it could be killed: ${out.slice(0, 500)}`)));
    });
    await new Promise((r) => child.once('close', r));

    const after = await open({}, { now: '2026-11-20T06:01:01Z', dbPath });
    const handedBefore = (await perRecipient(after, id)).size;
    expect(handedBefore).toBeGreaterThanOrEqual(150);
    expect(handedBefore).toBeLessThan(5000);
    await after.core.campaignScheduler.tick();
    await expectExactlyOnce(after, id, 5000);
  }, 60_000);
});
