import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { billingEvents, calls, campaignAssignments, campaignRecipients, consoleSessions, crmBestChannels, crmTiers, messages, sessions, subscribers, subscriptions, usageEvents } from '../../src/db/schema';
import { FakeSmsc } from '../fakes/smsc';
import { billingFixture, postGeneric } from '../helpers/billing';
import { VasgwProcess } from '../helpers/child';
import { name } from '../../src/db/statement';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { closedPort, createTestDatabase, postgresUnavailable, testPostgresServer } from '../helpers/postgres';

// The whole gateway on PostgreSQL: what a user does over HTTP and SMPP, answered as on SQLite, with the
// rows read back through core.database (the PostgreSQL pool). No SQLite connection exists here.

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const skip = postgresUnavailable();

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
let proc: VasgwProcess | null = null;
let second: TestGateway | null = null;
stopAfterEach(() => [proc, second, gw, smsc]);

const onPostgres = (overrides: Parameters<typeof testGateway>[0] = {}, now?: string) => testGateway(overrides, { backend: 'postgresql', ...(now ? { now } : {}) });

async function count(g: TestGateway, from: Parameters<typeof sql>[1], where = sql`TRUE`): Promise<number> {
  const row = await g.core.database.get<{ n: number | string }>(sql`SELECT count(*) AS "n" FROM ${from} WHERE ${where}`);
  return Number(row?.n ?? 0);
}

describe.skipIf(skip !== null)('the gateway on PostgreSQL', () => {
  it('has no SQLite connection and is ready', async () => {
    gw = await onPostgres();
    expect(gw.core.storage.dialect).toBe('postgresql');
    expect(gw.core.storage.sqlite).toBeNull();
    const ready = await gw.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toMatchObject({ database: { ok: true } });
  });

  it('walks a USSD session of several hops to its content and logs each step once', async () => {
    gw = await onPostgres();
    const msisdn = '+254711082001';
    const bodies: string[] = [];
    for (const text of ['', '1', '1*1', '1*1*1', '1*1*1*1']) {
      const r = await gw.app.inject({
        method: 'POST',
        url: '/ussd/africastalking',
        headers: FORM,
        payload: new URLSearchParams({ sessionId: 'pg-walk-1', serviceCode: '*384*1#', phoneNumber: msisdn, networkCode: '63902', text }).toString(),
      });
      expect(r.statusCode).toBe(200);
      bodies.push(r.body);
    }
    expect(bodies.slice(0, 4).every((b) => b.startsWith('CON '))).toBe(true);
    expect(bodies[2]).toContain('Maize');
    expect(bodies[4]!.toLowerCase()).toContain('plant');

    const s = sessions;
    const rows = await gw.core.database.all<{ externalId: string; status: string; hops: number }>(sql`SELECT ${s.externalId} AS "externalId", ${s.status} AS "status", ${s.hops} AS "hops" FROM ${s}`);
    // One session carried all five hops: each hop found the row the one before saved.
    expect(rows).toEqual([{ externalId: 'africastalking:pg-walk-1', status: 'active', hops: 5 }]);
    const u = usageEvents;
    const types = await gw.core.database.all<{ type: string }>(sql`SELECT ${u.type} AS "type" FROM ${u} ORDER BY ${u.id}`);
    expect(types[0]!.type).toBe('session_start');
    expect(types.filter((t) => t.type === 'menu')).toHaveLength(4);
    expect(types.filter((t) => t.type === 'content')).toHaveLength(1);
    const events = (await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}/events?limit=100`, headers: AUTH })).json() as unknown[];
    expect(events).toHaveLength(types.length);
  });

  it('carries one USSD session across two gateways on the same database, hop by hop', async () => {
    gw = await onPostgres();
    second = await testGateway({}, { sharing: gw });
    const bodies: string[] = [];
    const texts = ['', '1', '1*1', '1*1*1', '1*1*1*1'];
    for (const [i, text] of texts.entries()) {
      // Even hops reach the first gateway, odd ones the second: each finds the session the other saved.
      const r = await (i % 2 ? second : gw).app.inject({
        method: 'POST',
        url: '/ussd/africastalking',
        headers: FORM,
        payload: new URLSearchParams({ sessionId: 'pg-two', serviceCode: '*384*1#', phoneNumber: '+254711082002', networkCode: '63902', text }).toString(),
      });
      bodies.push(r.body);
    }
    expect(bodies[2]).toContain('Maize');
    expect(bodies[4]!.toLowerCase()).toContain('plant');
    const s = sessions;
    expect(await gw.core.database.all(sql`SELECT ${s.hops} AS "hops" FROM ${s}`)).toEqual([{ hops: 5 }]);
    const u = usageEvents;
    expect(await count(gw, u, sql`${u.type} = 'content'`)).toBe(1);
    expect(await count(gw, u, sql`${u.type} = 'session_start'`)).toBe(1);

    // A billing retry that reaches the other gateway is the same duplicate.
    expect((await postGeneric(gw, billingFixture('generic-subscribed.json'))).json()).toMatchObject({ status: 'accepted' });
    expect((await postGeneric(second, billingFixture('generic-subscribed.json'))).json()).toMatchObject({ status: 'duplicate' });
    expect(await count(gw, billingEvents)).toBe(1);
  });

  it('delivers POST /api/v1/messages through the SMSC and applies its receipt', async () => {
    smsc = await new FakeSmsc({ respIdFormat: 'hex', receiptIdFormat: 'decimal' }).start();
    const bind = { id: 'trx', mode: 'transceiver', host: '127.0.0.1', port: smsc.port, systemId: 'vasgw', password: 'secret', sourceAddr: '20123', reconnect: { minSeconds: 0.02, maxSeconds: 0.1 } };
    gw = await onPostgres({ smpp: { binds: [bind] as Config['smpp']['binds'] }, messaging: { quietHours: null, dispatch: { pollMs: 10, batch: 50 } } } as never);
    await gw.start();
    await eventually(async () => (await gw!.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { what: 'bind ready' });

    const r = await gw.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to: '+254712345678', text: 'Mvua inakuja kesho', kind: 'transactional' } });
    expect(r.statusCode).toBe(202);
    const id = r.json().id as string;
    const delivered = await eventually(
      async () => {
        const m = (await gw!.app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: AUTH })).json();
        return m.status === 'delivered' ? m : null;
      },
      { what: 'delivered' },
    );
    expect(delivered.deliveredAt).not.toBeNull();
    expect(smsc.submits.map((s) => s.text)).toEqual(['Mvua inakuja kesho']);
    const m = messages;
    expect(await count(gw, m, sql`${m.status} = 'delivered'`)).toBe(1);
  });

  it('records a billing notification once and answers its duplicate without a second row', async () => {
    gw = await onPostgres({}, '2026-11-20T09:00:00Z');
    const first = await postGeneric(gw, billingFixture('generic-subscribed.json'));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: 'accepted', state: 'active' });
    const retry = await postGeneric(gw, billingFixture('generic-subscribed.json'));
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ status: 'duplicate', state: 'active', subscriptionId: first.json().subscriptionId });
    expect(await count(gw, subscriptions)).toBe(1);
    expect(await count(gw, billingEvents)).toBe(1);
    const list = (await gw.app.inject({ method: 'GET', url: '/api/v1/subscriptions', headers: AUTH })).json();
    expect(list.items).toEqual([expect.objectContaining({ serviceId: 'crop-daily', state: 'active', msisdn: '+254711000001' })]);
  });

  it('runs an SMS campaign to its segment: every recipient queued once', async () => {
    gw = await onPostgres({ campaigns: { tickSeconds: 1 }, messaging: { quietHours: null } }, '2026-11-20T06:00:00Z');
    const api = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Record<string, unknown>) => {
      const r = await gw!.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload } : {}) });
      return { status: r.statusCode, body: r.json() as Record<string, unknown> };
    };
    for (let i = 0; i < 10; i++) expect((await api('PATCH', `/subscribers/+25470000001${i}`, { region: 'Meru', language: i % 2 ? 'sw' : 'en' })).status).toBe(200);
    const segment = await api('POST', '/segments', { name: 'Meru', filter: { region: 'Meru' } });
    expect(segment.status).toBe(201);
    const c = await api('POST', '/campaigns', { name: 'Meru tips', kind: 'sms', segmentId: segment.body.id, text: { en: 'Tip', sw: 'Dokezo' }, schedule: { at: '2026-11-20T06:00:00Z' } });
    expect(c.status).toBe(201);
    const id = c.body.id as string;
    for (let tick = 0; tick < 5; tick++) {
      await gw.core.campaignScheduler.tick();
      gw.clock.advance(1000);
    }
    const results = await api('GET', `/campaigns/${id}/results`);
    expect(results.body).toMatchObject({ status: 'completed', totals: { recipients: 10, queued: 10, blocked: 0 } });
    const m = messages;
    const texts = await gw.core.database.all<{ text: string }>(sql`SELECT ${m.text} AS "text" FROM ${m} WHERE ${m.source} = 'campaign' AND ${m.sourceRef} = ${id} ORDER BY ${m.msisdn}`);
    expect(texts.map((t) => t.text)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 ? 'Dokezo' : 'Tip')));
    expect(await count(gw, campaignRecipients)).toBe(10);
  });

  it('runs a best-channel campaign and an offer tested with arms, reading the CRM\'s stores on PostgreSQL', async () => {
    gw = await onPostgres({ campaigns: { tickSeconds: 3600 }, messaging: { quietHours: null }, crm: { tiers: { coreMaxHoldoutPercent: 0 } } }, '2026-11-20T06:00:00Z');
    const api = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Record<string, unknown>) => {
      const r = await gw!.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload } : {}) });
      return { status: r.statusCode, body: r.json() as Record<string, unknown> };
    };
    const msisdn = (i: number) => `+2547000002${String(i).padStart(2, '0')}`;
    // Subscribers 0 and 1 (Nyeri) get the best-channel campaign; the 40 others (Embu) the offer.
    for (let i = 0; i < 42; i++) expect((await api('PATCH', `/subscribers/${msisdn(i)}`, { region: i < 2 ? 'Nyeri' : 'Embu' })).status).toBe(200);
    const ids = await gw.core.database.all<{ id: number; msisdn: string }>(sql`SELECT ${subscribers.id} AS "id", ${subscribers.msisdn} AS "msisdn" FROM ${subscribers} ORDER BY ${subscribers.msisdn}`);
    const at = gw.clock.now();
    // Planted CRM judgements: subscriber 0 answers calls, 1 reads SMS; every fifth of the others is a core customer.
    const b = crmBestChannels;
    const t = crmTiers;
    await gw.core.commits.unit(async (tx) => {
      for (const [k, ch] of [[0, 'call'], [1, 'sms']] as const) {
        await tx.run(sql`INSERT INTO ${b} (${name(b.subscriberId)}, ${name(b.channel)}, ${name(b.updatedAt)}) VALUES (${ids[k]!.id}, ${ch}, ${at})`);
      }
      for (const [k, r] of ids.entries()) {
        if (k < 2 || k % 5 !== 0) continue;
        await tx.run(
          sql`INSERT INTO ${t} (${name(t.subscriberId)}, ${name(t.tier)}, ${name(t.residualValue)}, ${name(t.tenureDays)}, ${name(t.since)}, ${name(t.firstTieredAt)}, ${name(t.computedAt)})
              VALUES (${r.id}, 'core', 100, 90, ${at}, ${at}, ${at})`,
        );
      }
    });
    const two = await api('POST', '/segments', { name: 'Nyeri', filter: { region: 'Nyeri' } });
    const best = await api('POST', '/campaigns', { name: 'Best', kind: 'sms', channel: 'best', flowId: 'crop-advice', segmentId: two.body.id, text: { en: 'Rains are coming' }, schedule: { at: '2026-11-20T06:00:00Z' } });
    expect(best.status).toBe(201);
    const embu = await api('POST', '/segments', { name: 'Embu', filter: { region: 'Embu' } });
    const arms = [
      { name: 'daily-5', text: { en: 'Daily tips for KES 5: reply SHAMBA' }, serviceId: 'crop-daily', price: 'KES 5 a day' },
      { name: 'plain', text: { en: 'Crop advice on *384*1#' } },
    ];
    const offer = await api('POST', '/campaigns', { name: 'Offer', kind: 'sms', segmentId: embu.body.id, arms, holdoutPercent: 50, goal: { type: 'subscribed', serviceId: 'crop-daily', windowDays: 7 }, schedule: { at: '2026-11-20T06:00:00Z' } });
    expect(offer.status).toBe(201);
    for (let tick = 0; tick < 4; tick++) {
      await gw.core.campaignScheduler.tick();
      gw.clock.advance(1000);
    }
    // The call-answerer is called, the SMS reader texted.
    const call = await gw.core.database.get<{ msisdn: string }>(sql`SELECT ${calls.msisdn} AS "msisdn" FROM ${calls} WHERE ${calls.sourceRef} = ${best.body.id as string}`);
    expect(call?.msisdn).toBe(msisdn(0));
    const texted = await gw.core.database.all<{ msisdn: string }>(sql`SELECT ${messages.msisdn} AS "msisdn" FROM ${messages} WHERE ${messages.sourceRef} = ${best.body.id as string}`);
    expect(texted.map((t) => t.msisdn)).toEqual([msisdn(1)]);
    // Core customers are never held out of the offer (coreMaxHoldoutPercent 0); half of the rest are, about.
    const held = await gw.core.database.all<{ id: number }>(sql`SELECT ${campaignAssignments.subscriberId} AS "id" FROM ${campaignAssignments} WHERE ${campaignAssignments.campaignId} = ${offer.body.id as string} AND ${campaignAssignments.arm} = 'holdout'`);
    const core = new Set(ids.filter((_, k) => k >= 2 && k % 5 === 0).map((r) => r.id));
    expect(held.length).toBeGreaterThan(0);
    expect(held.filter((h) => core.has(h.id))).toEqual([]);
    const results = await api('GET', `/campaigns/${offer.body.id as string}/results`);
    expect(results.status).toBe(200);
    expect(results.body.arms).toMatchObject({ conversionsCountedAt: null, holdout: { assigned: held.length } });
  });

  it('logs in to the console through its form and shows the overview', async () => {
    gw = await onPostgres();
    await gw.console!.add('wanjiru', 'admin', 'wanjiru-password-1');
    const form = await gw.app.inject({ method: 'GET', url: '/console/login' });
    expect(form.statusCode).toBe(200);
    const formCookie = [form.headers['set-cookie']].flat().filter((c): c is string => !!c).map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const login = await gw.app.inject({
      method: 'POST',
      url: '/console/login',
      headers: { ...FORM, cookie: formCookie },
      payload: new URLSearchParams({ _csrf: csrf, username: 'wanjiru', password: 'wanjiru-password-1', next: '/console' }).toString(),
    });
    expect(login.statusCode).toBe(303);
    const session = [login.headers['set-cookie']].flat().find((c) => c?.startsWith('vasgw_console='));
    expect(session).toBeDefined();
    expect(await count(gw, consoleSessions)).toBe(1);
    const overview = await gw.app.inject({ method: 'GET', url: '/console', headers: { cookie: session!.split(';')[0]! } });
    expect(overview.statusCode).toBe(200);
    expect(overview.body).toContain('wanjiru');

    const wrong = await gw.app.inject({
      method: 'POST',
      url: '/console/login',
      headers: { ...FORM, cookie: formCookie },
      payload: new URLSearchParams({ _csrf: csrf, username: 'wanjiru', password: 'not-her-password', next: '/console' }).toString(),
    });
    expect(wrong.statusCode).not.toBe(303);
    expect(await count(gw, consoleSessions)).toBe(1);
  });

  it('vasgw serve with DATABASE_URL answers /readyz 200 and writes no SQLite file', async () => {
    const server = await testPostgresServer();
    const db = await createTestDatabase(server);
    const dir = mkdtempSync(path.join(tmpdir(), 'vasgw-pg-serve-'));
    try {
      const file = path.join(dir, 'gateway.db');
      const port = await closedPort();
      proc = new VasgwProcess(['serve'], { DATABASE_URL: db.url, DATABASE_PATH: file, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });
      await proc.waitFor(/gateway listening/, 60_000);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { checks: Record<string, { ok: boolean }> }).checks.database).toMatchObject({ ok: true });
      if (server.password) expect(proc.stdout + proc.stderr).not.toContain(server.password);
      proc.child.kill('SIGTERM');
      expect((await proc.exited).code).toBe(0);
      expect(existsSync(file)).toBe(false);
    } finally {
      proc?.kill();
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
      await server.stop();
    }
  }, 90_000);
});
