import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, eventually, testGateway, type TestGateway } from '../helpers/gateway';
import { FakeSmsc } from '../fakes/smsc';
import type { Config } from '../../src/config';

let gw: TestGateway | null = null;
const smscs: FakeSmsc[] = [];
afterEach(async () => {
  await gw?.stop();
  gw = null;
  for (const s of smscs.splice(0)) await s.stop();
});

async function fake(): Promise<FakeSmsc> {
  const s = await new FakeSmsc().start();
  smscs.push(s);
  return s;
}

type Bind = Partial<Config['smpp']['binds'][number]>;
const bind = (id: string, port: number, over: Bind = {}): Bind => ({
  id,
  host: '127.0.0.1',
  port,
  systemId: 'vasgw',
  password: 'secret',
  mode: 'transceiver',
  sourceAddr: '20123',
  responseTimeoutMs: 500,
  reconnect: { minSeconds: 0.02, maxSeconds: 0.1 },
  ...over,
});

const OPERATORS = [
  { id: 'safaricom', prefixes: ['+2547'], networkCodes: [], timezone: 'Africa/Nairobi' },
  { id: 'airtel', prefixes: ['+2541'], networkCodes: [] },
];

async function gateway(binds: Bind[], messaging: Record<string, unknown> = {}): Promise<TestGateway> {
  const g = await testGateway(
    { operators: OPERATORS, smpp: { binds: binds as Config['smpp']['binds'] }, messaging: { quietHours: null, dispatch: { pollMs: 10, batch: 50 }, ...messaging } } as never,
    { now: '2026-11-20T09:00:00Z' },
  );
  await g.start();
  return g;
}

async function send(g: TestGateway, to: string, text: string, kind = 'transactional') {
  return (await g.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to, text, kind } })).json();
}
const status = async (g: TestGateway, id: string) => (await g.app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: AUTH })).json();
const bound = async (g: TestGateway, id: string) => (await g.core.readiness.evaluate()).checks[`smpp:${id}`]?.ok === true;

describe('routing by operator', () => {
  it("sends each operator's numbers through its own bind", async () => {
    const saf = await fake();
    const air = await fake();
    gw = await gateway([bind('saf', saf.port, { operator: 'safaricom' }), bind('air', air.port, { operator: 'airtel' })]);
    await eventually(async () => (await bound(gw!, 'saf')) && (await bound(gw!, 'air')));
    const a = await send(gw, '+254712345678', 'to safaricom');
    const b = await send(gw, '+254112345678', 'to airtel');
    await eventually(async () => (await status(gw!, a.id)).status === 'delivered' && (await status(gw!, b.id)).status === 'delivered');
    expect(saf.messages().map((m) => m.text)).toEqual(['to safaricom']);
    expect(air.messages().map((m) => m.text)).toEqual(['to airtel']);
  });

  it('fails over to the other bind of the operator when one is down', async () => {
    const one = await fake();
    const two = await fake();
    gw = await gateway([bind('saf-1', one.port, { operator: 'safaricom' }), bind('saf-2', two.port, { operator: 'safaricom' })]);
    await eventually(async () => (await bound(gw!, 'saf-1')) && (await bound(gw!, 'saf-2')));
    await one.stop();
    await eventually(async () => !(await bound(gw!, 'saf-1')));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await send(gw, `+25471234567${i}`, `failover ${i}`)).id as string);
    await eventually(async () => (await Promise.all(ids.map((id) => status(gw!, id)))).every((m) => m.status === 'delivered'));
    expect(two.messages()).toHaveLength(5);
  });

  it('declares a peer that stops answering dead and reconnects', async () => {
    const s = await fake();
    gw = await gateway([bind('saf', s.port, { enquireLinkSeconds: 0.1, responseTimeoutMs: 200 })]);
    await eventually(() => bound(gw!, 'saf'));
    s.mute = true;
    await eventually(async () => !(await bound(gw!, 'saf')), { what: 'peer declared dead' });
    expect(String(((await gw.core.readiness.evaluate()).checks['smpp:saf']!.detail as { lastError?: string }).lastError)).toMatch(/enquire_link|bind_transceiver_resp/);
    s.mute = false;
    await eventually(() => bound(gw!, 'saf'), { what: 'bound again' });
    expect(s.binds.filter((b) => b.ok).length).toBeGreaterThanOrEqual(2);
  });
});

describe('timing policies on the wire', () => {
  it('holds a promotional message through quiet hours and sends it when they end', async () => {
    const s = await fake();
    gw = await gateway([bind('saf', s.port)], { quietHours: { start: '20:00', end: '07:00' } });
    await eventually(() => bound(gw!, 'saf'));
    gw.clock.set('2026-11-20T18:30:00Z'); // 21:30 in Nairobi
    const r = await send(gw, '+254712345678', 'Weekly tip', 'promotional');
    expect(r.sendAt).toBe('2026-11-21T04:00:00.000Z');
    await new Promise((res) => setTimeout(res, 100));
    expect(s.submits).toHaveLength(0);
    gw.clock.set('2026-11-21T04:00:01Z');
    await eventually(async () => (await status(gw!, r.id)).status === 'delivered', { what: 'sent after quiet hours' });
  });

  it('expires a message that could not be sent within its validity', async () => {
    const s = await fake();
    const port = s.port;
    await s.stop();
    gw = await gateway([bind('saf', port)], { validityHours: 1 });
    const r = await send(gw, '+254712345678', 'too late');
    gw.clock.advance(61 * 60 * 1000);
    const m = await eventually(async () => {
      const x = await status(gw!, r.id);
      return x.status === 'expired' ? x : null;
    });
    expect(m.finalAt).not.toBeNull();
  });

  it('expires a sent message whose receipt never came, unless the bind asks for no receipts', async () => {
    const s = new FakeSmsc({ receipts: false });
    await s.start();
    smscs.push(s);
    gw = await gateway([bind('with', s.port, { operator: 'safaricom' }), bind('without', s.port, { operator: 'airtel', registeredDelivery: false })], { validityHours: 1 });
    await eventually(async () => (await bound(gw!, 'with')) && (await bound(gw!, 'without')));
    const a = await send(gw, '+254712345678', 'asks for a receipt');
    const b = await send(gw, '+254112345678', 'asks for none');
    await eventually(async () => (await status(gw!, a.id)).status === 'sent' && (await status(gw!, b.id)).status === 'sent');
    gw.clock.advance(61 * 60 * 1000);
    await eventually(async () => (await status(gw!, a.id)).status === 'expired', { what: 'expired without receipt' });
    expect((await status(gw, b.id)).status).toBe('sent');
  });
});
