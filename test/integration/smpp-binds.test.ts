import { describe, expect, it } from 'vitest';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { FakeSmsc } from '../fakes/smsc';
import type { Config } from '../../src/config';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
stopAfterEach(() => [gw, smsc]);

type Bind = Partial<Config['smpp']['binds'][number]>;

function bind(port: number, over: Bind = {}): Bind {
  return {
    id: 'op1',
    host: '127.0.0.1',
    port,
    systemId: 'vasgw',
    password: 'secret',
    mode: 'transceiver',
    window: 10,
    sourceAddr: '20123',
    responseTimeoutMs: 1000,
    reconnect: { minSeconds: 0.02, maxSeconds: 0.1 },
    ...over,
  };
}

const fast = { quietHours: null, retry: { baseSeconds: 0.05, maxSeconds: 0.2 }, dispatch: { pollMs: 10, batch: 50 } };

async function gateway(binds: Bind[], extra: Record<string, unknown> = {}): Promise<TestGateway> {
  const g = await testGateway({ smpp: { binds: binds as Config['smpp']['binds'] }, messaging: fast, ...extra } as never);
  await g.start();
  return g;
}

async function send(g: TestGateway, to: string, text: string, kind = 'transactional') {
  const r = await g.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to, text, kind } });
  expect(r.statusCode).toBe(202);
  return r.json().id as string;
}

async function status(g: TestGateway, id: string) {
  return (await g.app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: AUTH })).json();
}

const ready = async (g: TestGateway) => (await g.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200;

describe('binds', () => {
  it('sends through a transceiver bind and marks the message delivered on its receipt', async () => {
    smsc = await new FakeSmsc().start();
    gw = await gateway([bind(smsc.port)]);
    await eventually(() => ready(gw!), { what: 'bind ready' });
    const id = await send(gw, '+254712345678', 'Panda mahindi mvua ikianza.');
    const m = await eventually(async () => ((await status(gw!, id)).status === 'delivered' ? status(gw!, id) : null), { what: 'delivered' });
    expect(m).toMatchObject({ status: 'delivered', parts: 1, partsDelivered: 1 });
    expect(smsc.submits[0]).toMatchObject({ to: '254712345678', from: '20123', dataCoding: 0, registeredDelivery: 1, text: 'Panda mahindi mvua ikianza.' });
    const events = (await gw.app.inject({ method: 'GET', url: '/api/v1/subscribers/+254712345678/events', headers: AUTH })).json();
    expect(events.map((e: { type: string; detail?: { status?: string } }) => `${e.type}:${e.detail?.status ?? ''}`)).toEqual(
      expect.arrayContaining(['sms_out:', 'sms_status:delivered']),
    );
    const metrics = (await gw.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('vasgw_smpp_bind_up{bind="op1",mode="transceiver"} 1');
    expect(metrics).toMatch(/vasgw_smpp_submits_total\{bind="op1",status="ESME_ROK"\} 1/);
    expect(metrics).toContain('vasgw_outbox_messages{status="queued"} 0');
  });

  it('sends on a transmitter and gets receipts on a separate receiver bind to the same SMSC', async () => {
    smsc = await new FakeSmsc().start();
    gw = await gateway([bind(smsc.port, { id: 'op1-tx', mode: 'transmitter' }), bind(smsc.port, { id: 'op1-rx', mode: 'receiver' })]);
    await eventually(() => ready(gw!), { what: 'both binds ready' });
    expect(smsc.bound().map((b) => b.mode).sort()).toEqual(['receiver', 'transmitter']);
    const id = await send(gw, '+254712345678', 'Hello');
    await eventually(async () => (await status(gw!, id)).status === 'delivered', { what: 'delivered via rx' });
  });

  it('reports a wrong password plainly on /readyz and does not hammer the SMSC', async () => {
    smsc = await new FakeSmsc({ accounts: { vasgw: 'other' } }).start();
    gw = await gateway([bind(smsc.port, { authRetrySeconds: 60 })]);
    await eventually(() => smsc!.binds.length > 0, { what: 'bind attempt' });
    const r = await gw.app.inject({ method: 'GET', url: '/readyz' });
    expect(r.statusCode).toBe(503);
    await eventually(async () => (await gw!.app.inject({ method: 'GET', url: '/readyz' })).json().checks['smpp:op1'].detail.lastError === 'ESME_RINVPASWD');
    // Ordinary reconnects here take 20-100 ms; an authentication failure waits minutes.
    await new Promise((res) => setTimeout(res, 300));
    expect(smsc.binds.length).toBe(1);
    const id = await send(gw, '+254712345678', 'waits');
    expect((await status(gw, id)).status).toBe('queued');
  });

  it('reconnects after the SMSC goes away and comes back', async () => {
    smsc = await new FakeSmsc().start();
    const port = smsc.port;
    gw = await gateway([bind(port)]);
    await eventually(() => ready(gw!));
    await smsc.stop();
    await eventually(async () => !(await ready(gw!)), { what: 'bind lost' });
    const id = await send(gw, '+254712345678', 'sent after reconnect');
    smsc = await new FakeSmsc().start(port);
    await eventually(async () => (await status(gw!, id)).status === 'delivered', { what: 'delivered after reconnect' });
  });
});

describe('outbox delivery', () => {
  it('retries throttled submits after a backoff and gets every message through', async () => {
    smsc = await new FakeSmsc().start();
    gw = await gateway([bind(smsc.port)]);
    await eventually(() => ready(gw!));
    smsc.throttleNext(3);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await send(gw, `+25471234560${i}`, `message ${i}`));
    await eventually(
      async () => {
        gw!.clock.advance(1000); // retry due times are on the gateway clock
        const all = await Promise.all(ids.map((id) => status(gw!, id)));
        return all.every((m) => m.status === 'delivered');
      },
      { what: 'all delivered after throttling' },
    );
    expect(new Set(smsc.submits.map((s) => s.text)).size).toBe(5);
    const throttled = (await gw.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(throttled).toMatch(/vasgw_smpp_submits_total\{bind="op1",status="ESME_RTHROTTLED"\} 3/);
  });

  it('fails a message the SMSC rejects permanently and records the status', async () => {
    smsc = await new FakeSmsc().start();
    gw = await gateway([bind(smsc.port)]);
    await eventually(() => ready(gw!));
    smsc.rejectNext(1, 0x0b);
    const id = await send(gw, '+254712345678', 'to a bad number');
    const m = await eventually(async () => {
      const x = await status(gw!, id);
      return x.status === 'failed' ? x : null;
    });
    expect(m.error).toBe('ESME_RINVDSTADR');
    expect(smsc.submits).toHaveLength(0);
  });

  it('sends again the PDUs in flight when the connection drops: every message is delivered', async () => {
    smsc = await new FakeSmsc().start();
    gw = await gateway([bind(smsc.port, { window: 5 })]);
    await eventually(() => ready(gw!));
    smsc.holdResponses();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await send(gw, `+2547123456${String(i).padStart(2, '0')}`, `drop ${i}`));
    await eventually(() => gw!.core.messaging.inMemory().jobs === 5, { what: 'window full' });
    expect(smsc.submits).toHaveLength(0);
    smsc.dropConnections();
    smsc.holdResponses(false);
    await eventually(
      async () => {
        gw!.clock.advance(1000);
        return (await Promise.all(ids.map((id) => status(gw!, id)))).every((m) => m.status === 'delivered');
      },
      { what: 'every message delivered after the drop' },
    );
    const texts = smsc.messages().map((m) => m.text);
    for (let i = 0; i < 12; i++) expect(texts).toContain(`drop ${i}`);
  });

  it('splits a long GSM message with extension characters and a long UCS-2 message; parts decode back', async () => {
    smsc = await new FakeSmsc().start();
    gw = await gateway([bind(smsc.port)]);
    await eventually(() => ready(gw!));
    const gsm = 'Bei ya mbolea: €25 kwa gunia [50kg]; {angalia} bei ~ sokoni | ^ \\ '.repeat(5);
    const ucs2 = 'የበቆሎ ዘር በዝናብ መጀመሪያ ላይ ይዝሩ። मक्का की बुवाई बारिश की शुरुआत में करें। 🌽'.repeat(3);
    const a = await send(gw, '+254712345678', gsm);
    const b = await send(gw, '+254712345679', ucs2);
    await eventually(async () => (await status(gw!, a)).status === 'delivered' && (await status(gw!, b)).status === 'delivered');
    const got = smsc.messages();
    expect(got.find((m) => m.to === '254712345678')).toMatchObject({ text: gsm, parts: (await status(gw, a)).parts });
    expect(got.find((m) => m.to === '254712345679')?.text).toBe(ucs2);
    const gsmParts = smsc.submits.filter((s) => s.to === '254712345678');
    expect(gsmParts.every((s) => s.dataCoding === 0 && s.esmClass === 0x40 && s.concat?.via === 'udh')).toBe(true);
    expect(smsc.submits.filter((s) => s.to === '254712345679').every((s) => s.dataCoding === 8)).toBe(true);
  });

  it('uses SAR TLVs on a bind configured for them', async () => {
    smsc = await new FakeSmsc().start();
    gw = await gateway([bind(smsc.port, { concatenation: 'sar' })]);
    await eventually(() => ready(gw!));
    const text = 'Mvua za masika zinakaribia. '.repeat(8);
    const id = await send(gw, '+254712345678', text);
    await eventually(async () => (await status(gw!, id)).status === 'delivered');
    expect(smsc.submits.every((s) => s.concat?.via === 'sar' && s.esmClass === 0)).toBe(true);
    expect(smsc.messages()[0]!.text).toBe(text);
  });
});
