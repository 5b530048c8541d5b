import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { FakeAfricasTalkingSms, type FakeAtSmsOptions } from '../fakes/africastalking-sms';
import { AUTH, eventually, testGateway, type TestGateway } from '../helpers/gateway';

const SECRET = 'cb-secret-123';
const FORM = { 'content-type': 'application/x-www-form-urlencoded', 'x-callback-secret': SECRET };
const JSON_CB = { 'content-type': 'application/json', 'x-callback-secret': SECRET };
const FARMER = '+254712345678';

let gw: TestGateway;
let at: FakeAfricasTalkingSms;

async function gateway(refuse?: FakeAtSmsOptions['refuse']): Promise<void> {
  at = await new FakeAfricasTalkingSms({ apiKey: 'at-key-1', ...(refuse ? { refuse } : {}) }).start();
  const transports = [{ id: 'at', type: 'africastalking', baseUrl: at.url, username: 'vasgw', apiKey: 'at-key-1', from: '20123' }];
  gw = await testGateway({
    sms: { transports: transports as Config['sms']['transports'] },
    callbacks: { secret: SECRET },
    messaging: { quietHours: null, dispatch: { pollMs: 10 }, retry: { baseSeconds: 60 } },
    campaigns: { tickSeconds: 3600 },
  } as never);
  await gw.start();
}

beforeEach(() => {
  gw = undefined as never;
});
afterEach(async () => {
  await gw?.stop();
  await at?.stop();
  expect(at.unexpected).toEqual([]);
});

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const incoming = (o: Record<string, string>) => gw.app.inject({ method: 'POST', url: '/sms/africastalking/incoming', headers: FORM, payload: form(o) });
const delivery = (o: Record<string, string>) => gw.app.inject({ method: 'POST', url: '/sms/africastalking/delivery', headers: FORM, payload: form(o) });
const inbound = (o: Record<string, unknown>) => gw.app.inject({ method: 'POST', url: '/sms/inbound', headers: JSON_CB, payload: o });
const message = async (id: string) => (await gw.app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: AUTH })).json();
/** The texts the fake received for a number, in order. */
const textsTo = (to: string) => at.sends.filter((s) => s.to === to).map((s) => s.message);
async function nextTextTo(to: string, before: number): Promise<string> {
  return eventually(() => textsTo(to)[before], { what: `an SMS to ${to} at the fake aggregator` });
}

describe("Africa's Talking SMS as a transport", () => {
  it('sends through the REST API with the key and username; the delivery report marks it delivered', async () => {
    await gateway();
    const sent = await gw.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to: FARMER, text: 'Rain expected tomorrow', kind: 'transactional' } });
    expect(sent.statusCode).toBe(202);
    const { id } = sent.json();
    await eventually(async () => (await message(id)).status === 'sent', { what: 'message sent' });
    expect(at.sends).toEqual([{ apiKey: 'at-key-1', username: 'vasgw', to: FARMER, message: 'Rain expected tomorrow', from: '20123', messageId: 'ATXid_fake1' }]);

    // Intermediate states change nothing; Success delivers.
    expect((await delivery({ id: 'ATXid_fake1', status: 'Buffered', phoneNumber: FARMER, networkCode: '63902' })).statusCode).toBe(200);
    expect((await message(id)).status).toBe('sent');
    expect((await delivery({ id: 'ATXid_fake1', status: 'Success', phoneNumber: FARMER, networkCode: '63902' })).statusCode).toBe(200);
    expect(await message(id)).toMatchObject({ status: 'delivered' });
  });

  it('sends a long text as one request and one report settles every part', async () => {
    await gateway();
    const text = 'Maize planting: '.padEnd(300, 'x');
    const { id, parts } = (await gw.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to: FARMER, text, kind: 'transactional' } })).json();
    expect(parts).toBe(2);
    await eventually(async () => (await message(id)).status === 'sent');
    expect(at.sends.map((s) => s.message)).toEqual([text]);
    await delivery({ id: 'ATXid_fake1', status: 'Success' });
    expect((await message(id)).status).toBe('delivered');
  });

  it('a Failed report fails the message with the reason; a refused number fails at once; a 500 is retried', async () => {
    await gateway((to, nth) => (to === '+254712000001' ? { statusCode: 403, status: 'InvalidPhoneNumber' } : to === '+254712000002' && nth <= 3 ? { http: 500 } : null));
    const send = async (to: string) => (await gw.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to, text: 'Hello', kind: 'transactional' } })).json().id;
    const a = await send(FARMER);
    await eventually(async () => (await message(a)).status === 'sent');
    await delivery({ id: 'ATXid_fake1', status: 'Failed', failureReason: 'UserInBlacklist', phoneNumber: FARMER });
    expect(await message(a)).toMatchObject({ status: 'failed', error: 'UNDELIV err:UserInBlacklist' });

    const b = await send('+254712000001');
    expect(await eventually(async () => ((await message(b)).status === 'failed' ? message(b) : null))).toMatchObject({ error: 'InvalidPhoneNumber' });

    const c = await send('+254712000002');
    const retried = await eventually(async () => ((await message(c)).attempts >= 1 ? message(c) : null));
    expect(retried).toMatchObject({ status: 'queued', error: 'http_500' });
  });

  it('a report for an id nobody sent is acknowledged and kept; malformed reports are 400; the guard applies', async () => {
    await gateway();
    const unknown = await delivery({ id: 'ATXid_nobody', status: 'Success' });
    expect(unknown.statusCode).toBe(200);
    const metrics = (await gw.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/delivery_receipts_total\{match="early"\} 1/);
    const missing = await delivery({ status: 'Success' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('MISSING_FIELD');
    const noSecret = await gw.app.inject({ method: 'POST', url: '/sms/africastalking/delivery', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ id: 'x', status: 'Success' }) });
    expect(noSecret.statusCode).toBe(401);
  });
});

describe("Africa's Talking incoming SMS", () => {
  it('STOP opts the farmer out and is confirmed through AT; HELP is answered; a repeated id is ignored', async () => {
    await gateway();
    const stop = await incoming({ from: FARMER, to: '20123', text: 'STOP', id: 'in-1', date: '2026-11-20 09:00:00', linkId: 'l1' });
    expect(stop.statusCode).toBe(200);
    expect(stop.json()).toEqual({ status: 'accepted' });
    expect(await nextTextTo(FARMER, 0)).toContain('no more messages');
    const sub = (await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${FARMER}`, headers: AUTH })).json();
    expect(sub.optedOut).toBe(true);
    const promo = await gw.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to: FARMER, text: 'Offer' } });
    expect(promo.json()).toMatchObject({ status: 'blocked', reason: 'opted_out' });

    await incoming({ from: FARMER, to: '20123', text: 'help', id: 'in-2' });
    expect(await nextTextTo(FARMER, 1)).toContain('dial *384*1#');
    expect(at.sends[1]!.from).toBe('20123');

    const again = await incoming({ from: FARMER, to: '20123', text: 'help', id: 'in-2' });
    expect(again.json()).toEqual({ status: 'duplicate' });
    const events = (await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${FARMER}/events`, headers: AUTH })).json();
    expect(events.filter((e: { type: string }) => e.type === 'sms_in')).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(textsTo(FARMER)).toHaveLength(2);
  });

  it('answers a short code sender as the aggregator gave it', async () => {
    await gateway();
    const r = await incoming({ from: '123', to: '20123', text: 'maize', id: 'in-9' });
    expect(r.statusCode).toBe(200);
    expect(await nextTextTo('123', 0)).toMatch(/^MAIZE PLANTING/);
  });

  it.each([
    ['from', { to: '20123', text: 'hi', id: 'a' }],
    ['to', { from: FARMER, text: 'hi', id: 'a' }],
    ['id', { from: FARMER, to: '20123', text: 'hi' }],
    ['text', { from: FARMER, to: '20123', id: 'a' }],
  ])('a callback without %s is 400 and changes nothing', async (field, body) => {
    await gateway();
    const r = await incoming(body as Record<string, string>);
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'MISSING_FIELD' });
    expect(r.json().error.message).toContain(field);
    await new Promise((res) => setTimeout(res, 30));
    expect(at.sends).toEqual([]);
  });
});

describe('POST /sms/inbound', () => {
  it('routes a keyword, ignores a repeated id and rejects bad bodies', async () => {
    await gateway();
    const r = await inbound({ from: '0712345678', to: '20123', text: 'beans', id: 'agg-1', receivedAt: '2026-11-20T08:59:00Z' });
    expect(r.statusCode).toBe(202);
    expect(r.json()).toEqual({ status: 'accepted', route: 'keyword' });
    expect(await nextTextTo(FARMER, 0)).toMatch(/^BEANS/);
    const dup = await inbound({ from: '0712345678', to: '20123', text: 'beans', id: 'agg-1' });
    expect(dup.statusCode).toBe(202);
    expect(dup.json()).toEqual({ status: 'duplicate' });
    await new Promise((res) => setTimeout(res, 50));
    expect(textsTo(FARMER)).toHaveLength(1);

    expect((await inbound({ to: '20123', text: 'x' })).statusCode).toBe(400);
    expect((await inbound({ from: FARMER, to: '20123', text: 'x', receivedAt: 'yesterday' })).json().error.code).toBe('INVALID_FIELD');
    const wrongType = await gw.app.inject({ method: 'POST', url: '/sms/inbound', headers: FORM, payload: form({ from: FARMER, to: '20123', text: 'x' }) });
    expect(wrongType.statusCode).toBe(415);
    const noSecret = await gw.app.inject({ method: 'POST', url: '/sms/inbound', headers: { 'content-type': 'application/json' }, payload: { from: FARMER, to: '20123', text: 'beans', id: 'agg-2' } });
    expect(noSecret.statusCode).toBe(401);
    await new Promise((res) => setTimeout(res, 50));
    expect(textsTo(FARMER)).toHaveLength(1);
  });

  it('takes a poll answer for a poll sent through AT', async () => {
    await gateway();
    const imported = await gw.app.inject({ method: 'POST', url: '/api/v1/subscribers/import', headers: { ...AUTH, 'content-type': 'text/csv' }, payload: 'msisdn,language,region\n0712345678,en,Nakuru' });
    expect(imported.json()).toMatchObject({ created: 1 });
    const seg = (await gw.app.inject({ method: 'POST', url: '/api/v1/segments', headers: AUTH, payload: { name: 'Nakuru', filter: { region: 'Nakuru' } } })).json();
    const poll = (await gw.app.inject({ method: 'POST', url: '/api/v1/polls', headers: AUTH, payload: { type: 'choice', question: { en: 'Did it rain?' }, answers: [{ en: 'Yes' }, { en: 'No' }] } })).json();
    const campaign = await gw.app.inject({ method: 'POST', url: '/api/v1/campaigns', headers: AUTH, payload: { kind: 'poll', segmentId: seg.id, pollId: poll.id, schedule: { at: '2026-11-20T09:00:00Z' } } });
    expect(campaign.statusCode).toBe(201);
    await gw.core.campaignScheduler.tick();
    expect(await nextTextTo(FARMER, 0)).toContain('Did it rain?');

    const r = await inbound({ from: FARMER, to: '20123', text: '2', id: 'agg-7' });
    expect(r.json()).toEqual({ status: 'accepted', route: 'intercepted' });
    expect(await nextTextTo(FARMER, 1)).toBe('Thank you for your answer.');
    const results = (await gw.app.inject({ method: 'GET', url: `/api/v1/polls/${poll.id}/results`, headers: AUTH })).json();
    expect(results).toMatchObject({ responses: 1, answers: [{ index: 0, count: 0 }, { index: 1, count: 1 }] });
  });
});

describe('transports chosen per operator', () => {
  it("an operator listed on the AT transport goes through AT; the others through the SMPP bind", async () => {
    const { FakeSmsc } = await import('../fakes/smsc');
    const smsc = await new FakeSmsc().start();
    try {
      at = await new FakeAfricasTalkingSms({ apiKey: 'at-key-1' }).start();
      const binds = [{ id: 'trx', host: '127.0.0.1', port: smsc.port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', sourceAddr: '20123' }];
      gw = await testGateway({
        operators: [
          { id: 'safaricom', prefixes: ['+25471'] },
          { id: 'airtel', prefixes: ['+25473'] },
        ] as Config['operators'],
        smpp: { binds: binds as Config['smpp']['binds'] },
        sms: { transports: [{ id: 'at', type: 'africastalking', baseUrl: at.url, username: 'vasgw', apiKey: 'at-key-1', operators: ['airtel'] }] as Config['sms']['transports'] },
        messaging: { quietHours: null, dispatch: { pollMs: 10 } },
      } as never);
      await gw.start();
      const send = (to: string) => gw.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to, text: `hello ${to}`, kind: 'transactional' } });
      await send('+254733123456');
      await send('+254712345678');
      await eventually(() => at.sends.length === 1 && smsc.submits.length === 1, { what: 'one message at each transport' });
      expect(at.sends[0]).toMatchObject({ to: '+254733123456', message: 'hello +254733123456' });
      expect(at.sends[0]!.from).toBeUndefined();
      expect(smsc.submits[0]).toMatchObject({ to: '254712345678', text: 'hello +254712345678' });
    } finally {
      await gw?.stop();
      gw = undefined as never;
      await smsc.stop();
    }
  });
});
