import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { FakeSmsc } from '../fakes/smsc';
import type { Config } from '../../src/config';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
stopAfterEach(() => [gw, smsc]);

const fast = { quietHours: null, retry: { baseSeconds: 0.05, maxSeconds: 0.2 }, dispatch: { pollMs: 10, batch: 50 } };

function bind(port: number) {
  return {
    id: 'op1', host: '127.0.0.1', port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', window: 10, sourceAddr: '20123',
    responseTimeoutMs: 10_000, reconnect: { minSeconds: 0.02, maxSeconds: 0.05 },
  } as Config['smpp']['binds'][number];
}

async function gateway(binds: Config['smpp']['binds'], maxOldestDueSeconds = 300): Promise<TestGateway> {
  const g = await testGateway({ smpp: { binds }, messaging: { ...fast, readiness: { maxOldestDueSeconds } } } as never);
  await g.start();
  return g;
}

async function send(g: TestGateway, to: string, text: string) {
  const r = await g.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to, text, kind: 'transactional' } });
  expect(r.statusCode).toBe(202);
  return r.json().id as string;
}

const readyz = async (g: TestGateway) => {
  const r = await g.app.inject('/readyz');
  return { code: r.statusCode, body: r.json() as { status: string; reasons: Array<{ code: string; message: string; check: string }>; checks: Record<string, { ok: boolean }> } };
};

/** A port nothing listens on right now (taken from a server that is closed again). */
async function freePort(): Promise<number> {
  const s = await new FakeSmsc().start();
  const port = s.port;
  await s.stop();
  return port;
}

describe('/readyz tells whether queued messages can leave', () => {
  it('is ready with nothing due and no binds configured', async () => {
    gw = await gateway([]);
    const r = await readyz(gw);
    expect(r.code).toBe(200);
    expect(r.body).toMatchObject({ status: 'ready', reasons: [], checks: { database: { ok: true }, outbox: { ok: true } } });
  });

  it('is not ready while a due message has no transport, and ready again once a bind comes up and drains it', async () => {
    const port = await freePort();
    gw = await gateway([bind(port)]);
    const id = await send(gw, '+254712345678', 'Panda mahindi mvua ikianza.');
    const down = await readyz(gw);
    expect(down.code).toBe(503);
    expect(down.body.status).toBe('not_ready');
    const noTransport = down.body.reasons.find((x) => x.code === 'NO_TRANSPORT');
    expect(noTransport?.message).toMatch(/^1 due message has no transport able to take them/);
    expect(down.body.reasons.map((x) => x.code)).toContain('BIND_DOWN');

    const metrics = (await gw.app.inject('/metrics')).body;
    expect(metrics).toMatch(/^vasgw_outbox_depth\{operator="[^"]+",state="due"\} 1$/m);
    expect(metrics).toMatch(/^vasgw_outbox_oldest_due_seconds 0$/m);

    smsc = await new FakeSmsc().start(port);
    // Ready as soon as a bind can take it; then it drains.
    await eventually(async () => (await readyz(gw!)).code === 200, { what: 'ready after the bind came up', timeoutMs: 10_000 });
    await eventually(async () => ['sent', 'delivered'].includes((await gw!.app.inject({ url: `/api/v1/messages/${id}`, headers: AUTH })).json().status), { what: 'drained' });
    expect((await readyz(gw)).code).toBe(200);
    expect((await gw.app.inject('/metrics')).body).not.toMatch(/state="due"\} [1-9]/);
    expect(smsc.messages().map((x) => x.text)).toContain('Panda mahindi mvua ikianza.');
  });

  it('is not ready when the oldest due message has waited longer than messaging.readiness.maxOldestDueSeconds', async () => {
    smsc = await new FakeSmsc().start();
    gw = await gateway([bind(smsc.port)], 60);
    await eventually(async () => (await readyz(gw!)).code === 200, { what: 'bind ready' });
    smsc.holdResponses();
    await send(gw, '+254712345678', 'Mvua inakuja.');
    await eventually(() => smsc!.heldCount === 1, { what: 'submit in flight' });
    expect((await readyz(gw)).code).toBe(200);

    gw.clock.advance(61_000);
    const late = await readyz(gw);
    expect(late.code).toBe(503);
    expect(late.body.reasons).toEqual([expect.objectContaining({ code: 'OLDEST_DUE_TOO_OLD', check: 'outbox', message: expect.stringMatching(/waited 61 s/) })]);
    expect((await gw.app.inject('/metrics')).body).toMatch(/^vasgw_outbox_oldest_due_seconds 61$/m);

    smsc.holdResponses(false);
    await eventually(async () => (await readyz(gw!)).code === 200, { what: 'ready once the SMSC answered' });
  });

  it('names messages for numbers no configured operator owns when no bind serves them', async () => {
    gw = await gateway([]);
    await send(gw, '+254712345678', 'a');
    await send(gw, '+254712345679', 'b');
    const r = await readyz(gw);
    expect(r.code).toBe(503);
    expect(r.body.reasons).toEqual([expect.objectContaining({ code: 'NO_TRANSPORT', message: expect.stringMatching(/^2 due messages have no transport able to take them/) })]);
  });
});

describe('GET /api/v1/operations/status', () => {
  it('shows binds, routes with queue depths, the oldest due message, recent errors and running jobs', async () => {
    smsc = await new FakeSmsc().start();
    gw = await gateway([bind(smsc.port)]);
    await eventually(async () => (await readyz(gw!)).code === 200, { what: 'bind ready' });
    smsc.rejectNext(1, 0x0b); // ESME_RINVDSTADR: a permanent refusal, stored on the message
    const failed = await send(gw, '+254712345678', 'Haitafika.');
    await eventually(async () => (await gw!.app.inject({ url: `/api/v1/messages/${failed}`, headers: AUTH })).json().status === 'failed', { what: 'failed' });

    const now = gw.clock.now();
    const db = gw.core.database;
    await db.run(sql`INSERT INTO campaigns (id, name, kind, channel, segment_id, timezone, status, created_at, updated_at) VALUES ('cmp_1', 'Planting reminder', 'sms', 'sms', 'seg_1', 'Africa/Nairobi', 'running', ${now}, ${now})`);
    await db.run(sql`INSERT INTO campaign_runs (campaign_id, due_at, status, total, queued, lease_owner, lease_expires_at, started_at) VALUES ('cmp_1', ${now}, 'sending', 100, 40, 'host-a', ${now + 60_000}, ${now})`);
    await db.run(sql`INSERT INTO crm_state (key, owner, expires_at, updated_at) VALUES ('pass_lease', 'crm-host-b', ${now + 120_000}, ${now})`);

    const port = smsc.port;
    await smsc.stop();
    smsc = null;
    await eventually(async () => (await readyz(gw!)).body.checks['smpp:op1']?.ok === false, { what: 'bind down' });
    await send(gw, '+254712345679', 'Inasubiri.');
    gw.clock.advance(5_000);

    const none = await gw.app.inject('/api/v1/operations/status');
    expect(none.statusCode).toBe(401);
    const res = await gw.app.inject({ url: '/api/v1/operations/status', headers: AUTH });
    expect(res.statusCode).toBe(200);
    const s = res.json();
    expect(s).toMatchObject({ source: 'gateway', ready: false, queue: { due: 1, deferred: 0, sent: 0 }, oldestDue: { waitedSeconds: 5 } });
    expect(s.reasons.map((r: { code: string }) => r.code).sort()).toEqual(['BIND_DOWN', 'NO_TRANSPORT']);
    expect(s.binds).toEqual([expect.objectContaining({ id: 'op1', mode: 'transceiver', up: false, address: `127.0.0.1:${port}` })]);
    expect(s.routes.reduce((a: number, r: { due: number }) => a + r.due, 0)).toBe(1);
    expect(s.routes.every((r: { canCarry: boolean }) => r.canCarry === false)).toBe(true);
    expect(s.lastErrors).toEqual([expect.objectContaining({ messageId: failed, status: 'failed', error: 'ESME_RINVDSTADR', bindId: 'op1' })]);
    expect(s.jobs.campaignRuns).toEqual([expect.objectContaining({ campaignId: 'cmp_1', name: 'Planting reminder', status: 'sending', total: 100, queued: 40, leaseOwner: 'host-a' })]);
    expect(s.jobs.crmPass).toMatchObject({ owner: 'crm-host-b' });
    expect(JSON.stringify(s)).not.toContain('+2547');
  });
});
