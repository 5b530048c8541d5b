import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrateDb, openDb } from '../../src/db/client';
import { PgDatabase } from '../../src/db/postgres/pg-database';
import { parsePostgresUrl } from '../../src/db/postgres/url';
import { messages } from '../../src/db/schema';
import { sqliteDatabase } from '../../src/db/sqlite-database';
import { ManualClock } from '../../src/lib/clock';
import { createMetrics } from '../../src/lib/metrics';
import { Readiness } from '../../src/lib/readiness';
import { OutboxHealthStore } from '../../src/messaging/outbox-health-store';
import { checkOutbox, OutboxReads, watchOutbox } from '../../src/operations/outbox-readiness';
import { eachBackend } from '../helpers/backends';

// What /readyz, /metrics and `vasgw status` read of the outbox, on both engines: due messages per route
// with the oldest, queue depth per route and state, the latest send errors; and the readiness verdict
// and gauges built on them. A database that cannot be read makes the gateway not ready, never a crash.
const now = Date.parse('2026-11-02T09:00:00Z');
const S = 1000;

let n = 0;
const message = (status: string, operator: string | null, o: { dueAt?: number; updatedAt?: number; error?: string; errorCode?: number; bindId?: string } = {}) => ({
  id: `m${++n}`, msisdn: '+254700001111', text: 'Habari', kind: 'transactional', source: 'api', status, operator, encoding: 'gsm7', parts: 1,
  dueAt: o.dueAt ?? now, expiresAt: now + 86_400_000, createdAt: now - 600 * S, updatedAt: o.updatedAt ?? now - 600 * S,
  error: o.error ?? null, errorCode: o.errorCode ?? null, bindId: o.bindId ?? null,
});

eachBackend((get) => {
  beforeAll(async () => {
    await get().plant(messages, [
      // Due now: two for saf (the oldest waited 90 s), one for airtel, two for numbers of no operator.
      message('queued', 'saf', { dueAt: now - 90 * S }),
      message('queued', 'saf', { dueAt: now - 10 * S }),
      message('queued', 'airtel', { dueAt: now - 5 * S }),
      message('queued', null, { dueAt: now - 30 * S }),
      message('queued', null, { dueAt: now }),
      // Deferred (due later): one for saf, one for telkom (which has nothing due).
      message('queued', 'saf', { dueAt: now + 60 * S }),
      message('queued', 'telkom', { dueAt: now + 3600 * S }),
      // Awaiting a receipt.
      message('sent', 'saf'),
      message('sent', 'saf'),
      message('sent', 'airtel'),
      // Final: counted nowhere; two carry errors, one too old to show.
      message('delivered', 'saf'),
      message('failed', 'saf', { error: 'ESME_RINVDSTADR', errorCode: 11, bindId: 'op1', updatedAt: now - 20 * S }),
      message('queued', 'airtel', { dueAt: now + 120 * S, error: 'timeout', bindId: 'op2', updatedAt: now - 20 * S }),
      message('failed', 'saf', { error: 'ESME_RTHROTTLED', errorCode: 88, bindId: 'op1', updatedAt: now - 2 * 86_400 * S }),
    ]);
  });

  it('counts due messages per route with the oldest, routes in operator order and no operator last', async () => {
    const h = new OutboxHealthStore(get().database);
    expect(await h.due(now)).toEqual([
      { operator: 'airtel', due: 1, oldestDueAt: now - 5 * S },
      { operator: 'saf', due: 2, oldestDueAt: now - 90 * S },
      { operator: null, due: 2, oldestDueAt: now - 30 * S },
    ]);
    expect(await h.due(now - 3600 * S)).toEqual([]);
  });

  it('gives the queue depth per route: due, deferred and sent', async () => {
    const depth = await new OutboxHealthStore(get().database).depth(now);
    expect(depth).toEqual([
      { operator: 'airtel', due: 1, deferred: 1, sent: 1 },
      { operator: 'saf', due: 2, deferred: 1, sent: 2 },
      { operator: 'telkom', due: 0, deferred: 1, sent: 0 },
      { operator: null, due: 2, deferred: 0, sent: 0 },
    ]);
  });

  it('lists recent send errors, newest first, within the window and the limit', async () => {
    const h = new OutboxHealthStore(get().database);
    const errors = await h.recentErrors(now - 86_400 * S, 10);
    expect(errors).toEqual([
      { messageId: expect.any(String), operator: 'airtel', status: 'queued', error: 'timeout', errorCode: null, bindId: 'op2', at: now - 20 * S },
      { messageId: expect.any(String), operator: 'saf', status: 'failed', error: 'ESME_RINVDSTADR', errorCode: 11, bindId: 'op1', at: now - 20 * S },
    ]);
    // Same moment: the larger id first, so a page of one is the same on both engines.
    expect(errors[0]!.messageId > errors[1]!.messageId).toBe(true);
    expect((await h.recentErrors(now - 86_400 * S, 1)).map((e) => e.error)).toEqual(['timeout']);
    expect(await h.recentErrors(now, 10)).toEqual([]);
  });

  it('is not ready while due messages have no transport or the oldest waited too long, and says how many', async () => {
    const health = new OutboxHealthStore(get().database);
    const clock = new ManualClock(now);
    const carried = new Set(['saf', 'airtel']);
    const deps = { health, clock, canCarry: (op: string | null) => op !== null && carried.has(op), maxOldestDueSeconds: 120 };
    const r = await checkOutbox(deps);
    expect(r).toEqual({
      ok: false,
      reasons: [{ code: 'NO_TRANSPORT', message: '2 due messages have no transport able to take them (no bind bound or no route): 2 for numbers of no configured operator' }],
      detail: { due: 5, oldestDueSeconds: 90, noTransport: [{ operator: 'none', due: 2 }] },
    });
    clock.advance(31 * S);
    expect((await checkOutbox({ ...deps, canCarry: () => true })).reasons).toEqual([
      { code: 'OLDEST_DUE_TOO_OLD', message: 'the oldest due message has waited 121 s, more than messaging.readiness.maxOldestDueSeconds (120 s)' },
    ]);
    expect(await checkOutbox({ ...deps, clock: new ManualClock(now - 3600 * S) })).toEqual({ ok: true, reasons: [], detail: { due: 0, oldestDueSeconds: 0 } });
  });

  it('feeds /readyz and the outbox gauges', async () => {
    const readiness = new Readiness();
    const metrics = createMetrics({ processMetrics: false });
    watchOutbox(readiness, metrics, { health: new OutboxHealthStore(get().database), clock: new ManualClock(now), canCarry: () => true, maxOldestDueSeconds: 300 });
    expect(await readiness.evaluate()).toEqual({ ok: true, reasons: [], checks: { outbox: { ok: true, detail: { due: 5, oldestDueSeconds: 90 } } } });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^vasgw_outbox_oldest_due_seconds 90$/m);
    expect(text).toMatch(/^vasgw_outbox_depth\{operator="saf",state="due"\} 2$/m);
    expect(text).toMatch(/^vasgw_outbox_depth\{operator="none",state="due"\} 2$/m);
    expect(text).toMatch(/^vasgw_outbox_depth\{operator="telkom",state="deferred"\} 1$/m);
    expect(text).toMatch(/^vasgw_outbox_depth\{operator="airtel",state="sent"\} 1$/m);
  });

  it('shares one read between checks asked for while it is in flight', async () => {
    const reads = new OutboxReads(new OutboxHealthStore(get().database));
    const a = reads.due(now);
    expect(reads.due(now)).toBe(a);
    const routes = await a;
    const b = reads.due(now);
    expect(b).not.toBe(a);
    expect(await b).toEqual(routes);
  });
});

describe('an outbox that cannot be read', () => {
  const expectUnready = async (health: OutboxHealthStore) => {
    const readiness = new Readiness();
    const metrics = createMetrics({ processMetrics: false });
    watchOutbox(readiness, metrics, { health, clock: new ManualClock(now), canCarry: () => true, maxOldestDueSeconds: 300 });
    const r = await readiness.evaluate();
    expect(r.ok).toBe(false);
    expect(r.reasons).toEqual([expect.objectContaining({ code: 'OUTBOX_UNREADABLE', check: 'outbox', message: expect.stringMatching(/^the outbox cannot be read/) })]);
    // A scrape still answers; the outbox gauges have nothing to say.
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^vasgw_outbox_oldest_due_seconds 0$/m);
    expect(text).not.toMatch(/^vasgw_outbox_depth\{/m);
  };

  it('is not ready on SQLite once the database is closed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vasgw-outbox-'));
    try {
      const db = openDb({ path: path.join(dir, 'closed.db') });
      migrateDb(db);
      const health = new OutboxHealthStore(sqliteDatabase(db));
      db.$client.close();
      await expectUnready(health);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not ready on PostgreSQL when the server does not answer', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const database = new PgDatabase(parsePostgresUrl('postgres://vasgw:secret@127.0.0.1:1/vasgw'), { max: 1 });
    try {
      await expectUnready(new OutboxHealthStore(database));
    } finally {
      await database.close();
    }
  });
});
