import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AUTH, eventually, stopAfterEach, testGateway, type DeepPartial, type TestGateway } from '../helpers/gateway';
import { parseTwiml, signTwilio, type Twiml } from '../helpers/voice';
import { FakeTwilio } from '../fakes/twilio-voice';
import type { Config } from '../../src/config';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'twilio-auth-token-0001';
const PUBLIC = 'https://gw.example.org';
/** The demo flow's IVR number (flows/crop-advice.yaml entry.ivr). */
const DEMO_NUMBER = '+254711082000';
const CALLER = '+254711000303';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const TWILIO: DeepPartial<Config> = { ivr: { publicBaseUrl: PUBLIC, twilio: { accountSid: ACCOUNT, authToken: TOKEN } } };

let gw: TestGateway | null = null;
let fake: FakeTwilio | null = null;
stopAfterEach(() => [fake, gw]);

type Sign = 'valid' | 'forged' | 'none';

/** A webhook as Twilio posts it to /ivr/twilio (path may carry a query), signed as `sign` says. */
async function webhook(form: Record<string, string>, sign: Sign = 'valid', path = '/ivr/twilio') {
  const headers: Record<string, string> = { ...FORM };
  if (sign !== 'none') headers['x-twilio-signature'] = signTwilio(sign === 'valid' ? TOKEN : 'not-the-token', PUBLIC + path, form);
  return gw!.app.inject({ method: 'POST', url: path, headers, payload: new URLSearchParams(form).toString() });
}

/** One request of an inbound call from CALLER to the demo number; `digits` undefined is the first request or the no-input Redirect. */
async function inbound(callSid: string, digits?: string, caller = CALLER): Promise<Twiml> {
  const form: Record<string, string> = { AccountSid: ACCOUNT, CallSid: callSid, From: caller, To: DEMO_NUMBER, Direction: 'inbound', CallStatus: digits === undefined ? 'ringing' : 'in-progress' };
  if (digits !== undefined) form.Digits = digits;
  const res = await webhook(form);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/xml/);
  return parseTwiml(res.body);
}

async function status(callSid: string, callStatus: string, duration: string, caller = CALLER) {
  const res = await webhook({ AccountSid: ACCOUNT, CallSid: callSid, From: caller, To: DEMO_NUMBER, Direction: 'inbound', CallStatus: callStatus, CallDuration: duration, CallbackSource: 'call-progress-events' });
  expect(res.statusCode, res.body).toBe(200);
  return parseTwiml(res.body);
}

async function events(msisdn = CALLER) {
  const res = await gw!.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}/events?limit=1000`, headers: AUTH });
  if (res.statusCode === 404) return [];
  expect(res.statusCode).toBe(200);
  return (res.json() as Array<{ channel: string; type: string; nodeId?: string; sessionId?: string; detail?: Record<string, unknown> }>).reverse();
}

const base = { AccountSid: ACCOUNT, CallSid: 'CA00000000000000000000000000000001', From: CALLER, To: DEMO_NUMBER, Direction: 'inbound', CallStatus: 'ringing' };

describe('Twilio voice: raw webhooks in, TwiML out', () => {
  const cases: Array<{ name: string; form: Record<string, string>; sign?: Sign; status: number; check: (body: string) => void }> = [
    {
      name: 'an inbound call gets the language menu inside Gather, with a Redirect for no input',
      form: base,
      status: 200,
      check: (body) => {
        const t = parseTwiml(body);
        expect(t.gather).toEqual({ input: 'dtmf', numDigits: '1', timeout: '10', finishOnKey: '#', action: `${PUBLIC}/ivr/twilio`, method: 'POST' });
        expect(t.redirect).toBe(`${PUBLIC}/ivr/twilio`);
        expect(t.says).toContainEqual(expect.objectContaining({ language: 'en-US' }));
        expect(t.text).toContain('For English, press 1.');
        expect(t.text).toContain('Bonyeza 2 kwa Kiswahili.');
      },
    },
    { name: 'a call to a number no flow answers is rejected', form: { ...base, CallSid: 'CA2', To: '+254700999999' }, status: 200, check: (body) => expect(parseTwiml(body).reject).toBe(true) },
    { name: 'a progress status callback is acknowledged and changes nothing', form: { ...base, CallSid: 'CA3', CallStatus: 'ringing', CallbackSource: 'call-progress-events' }, status: 200, check: (body) => expect(body).toContain('<Response/>') },
    { name: 'no CallSid is a 400', form: { ...base, CallSid: '' }, status: 400, check: (body) => expect(JSON.parse(body)).toEqual({ error: { code: 'MISSING_FIELD', message: 'Form field CallSid is required.' } }) },
    { name: 'an unknown CallStatus is a 400', form: { ...base, CallStatus: 'exploded' }, status: 400, check: (body) => expect(JSON.parse(body).error.code).toBe('INVALID_FIELD') },
    { name: 'Digits other than 0-9 * # are a 400', form: { ...base, CallStatus: 'in-progress', Digits: '1;DROP' }, status: 400, check: (body) => expect(JSON.parse(body).error.message).toMatch(/Digits/) },
    { name: 'a caller id that is no phone number is a 400', form: { ...base, CallSid: 'CA4', From: 'client:alice' }, status: 400, check: (body) => expect(JSON.parse(body).error.code).toBe('INVALID_MSISDN') },
    { name: 'a forged signature is a 403', form: base, sign: 'forged', status: 403, check: (body) => expect(JSON.parse(body).error.code).toBe('INVALID_SIGNATURE') },
    { name: 'a missing signature is a 403', form: base, sign: 'none', status: 403, check: (body) => expect(JSON.parse(body).error.message).toMatch(/missing/) },
    { name: 'a valid signature from another account is a 403', form: { ...base, AccountSid: 'AC_someone_else' }, status: 403, check: (body) => expect(JSON.parse(body).error.code).toBe('INVALID_SIGNATURE') },
  ];
  it.each(cases)('$name', async ({ form, sign, status: expected, check }) => {
    gw = await testGateway(TWILIO);
    const res = await webhook(form, sign ?? 'valid');
    expect(res.statusCode, res.body).toBe(expected);
    check(res.body);
    if (expected !== 200 || form.To !== DEMO_NUMBER) expect(await events()).toEqual([]);
  });

  it('refuses every webhook with 403 while ivr.twilio.authToken is not set', async () => {
    gw = await testGateway({ ivr: { publicBaseUrl: PUBLIC } });
    const res = await webhook(base);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toMatch(/authToken/);
    expect(await events()).toEqual([]);
  });

  it('accepts a signature over the URL with the default port written out, as Twilio sometimes signs it', async () => {
    gw = await testGateway(TWILIO);
    const headers = { ...FORM, 'x-twilio-signature': signTwilio(TOKEN, 'https://gw.example.org:443/ivr/twilio', base) };
    const res = await gw.app.inject({ method: 'POST', url: '/ivr/twilio', headers, payload: new URLSearchParams(base).toString() });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('takes only form posts (415), after checking the signature', async () => {
    gw = await testGateway(TWILIO);
    const res = await gw.app.inject({ method: 'POST', url: '/ivr/twilio', headers: { 'x-twilio-signature': signTwilio(TOKEN, `${PUBLIC}/ivr/twilio`, base) }, payload: base });
    expect(res.statusCode).toBe(415);
  });
});

describe('Twilio voice: an inbound call end to end', () => {
  it('walks the demo flow to content with keys, repeats on no input, and a status callback closes it', async () => {
    gw = await testGateway(TWILIO);
    const sid = 'CA0000000000000000000000000000abcd';
    await inbound(sid);
    const menu = await inbound(sid, '1'); // English
    expect(menu.text).toContain('Welcome to Crop Advice');
    // A forged request in the middle of the call is refused and does not move the caller.
    const forged = await webhook({ AccountSid: ACCOUNT, CallSid: sid, From: CALLER, To: DEMO_NUMBER, Direction: 'inbound', CallStatus: 'in-progress', Digits: '2' }, 'forged');
    expect(forged.statusCode).toBe(403);
    await inbound(sid, '1'); // crops
    await inbound(sid, '1'); // maize
    const content = await inbound(sid, '1'); // planting
    expect(content.text).toContain('certified seed');
    expect(content.gather?.numDigits).toBe('1');
    const again = await inbound(sid); // the Redirect: nothing pressed
    expect(again.text).toBe(content.text);
    const closed = await status(sid, 'completed', '64');
    expect(closed.hangup).toBe(true);

    const ev = await events();
    expect(ev.every((e) => e.channel === 'ivr')).toBe(true);
    expect(ev.find((e) => e.type === 'session_start')!.detail).toMatchObject({ dialect: 'twilio', direction: 'inbound', number: DEMO_NUMBER });
    expect(ev.filter((e) => e.type === 'content').map((e) => e.nodeId)).toEqual(['maize-planting']);
    const ends = ev.filter((e) => e.type === 'session_end');
    expect(ends).toHaveLength(1);
    expect(ends[0]!.detail).toMatchObject({ reason: 'completed', durationSeconds: 64, dialect: 'twilio' });
    // Twilio retries a status callback it did not hear answered: a repeat changes nothing.
    await status(sid, 'completed', '64');
    expect((await events()).filter((e) => e.type === 'session_end')).toHaveLength(1);
    const metrics = (await gw.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('vasgw_ivr_call_events_total{dialect="twilio",event="inbound"} 1');
    expect(metrics).toContain('vasgw_ivr_call_events_total{dialect="twilio",event="keys"} 4');
    expect(metrics).toContain('vasgw_ivr_call_events_total{dialect="twilio",event="no_keys"} 1');
    expect(metrics).toContain('vasgw_ivr_call_events_total{dialect="twilio",event="ended"} 2');
  });

  it('counts a hang-up in the menus as dropped', async () => {
    gw = await testGateway(TWILIO);
    await inbound('CAdrop1');
    await inbound('CAdrop1', '1');
    await status('CAdrop1', 'completed', '12');
    const end = (await events()).find((e) => e.type === 'session_end')!;
    expect(end.detail).toMatchObject({ reason: 'dropped', durationSeconds: 12 });
  });
});

describe('Twilio voice: outbound calls from the call queue', () => {
  const TO = '+254711000404';
  const CALLER_ID = '+15005550006';

  async function setup(gatewayToken = TOKEN) {
    fake = await FakeTwilio.start({ accountSid: ACCOUNT, authToken: TOKEN });
    gw = await testGateway({ ivr: { provider: 'twilio', publicBaseUrl: PUBLIC, twilio: { baseUrl: fake.baseUrl, accountSid: ACCOUNT, authToken: gatewayToken, callerId: CALLER_ID }, retry: { attempts: 2, spacingSeconds: 60 } } });
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    fake.gatewayUrl = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
    await gw.start();
  }
  const getCall = async (id: string) => (await gw!.app.inject({ method: 'GET', url: `/api/v1/calls/${id}`, headers: AUTH })).json() as Record<string, unknown> & { status: string };

  it('dials through Twilio, runs the flow when answered, and the completed status callback closes the call', async () => {
    await setup();
    fake!.script(TO, [{ kind: 'answer', keys: ['1', '1', '1', '1'], durationSeconds: 64 }]);
    const res = await gw!.app.inject({ method: 'POST', url: '/api/v1/calls', headers: AUTH, payload: { to: TO, flowId: 'crop-advice' } });
    expect(res.statusCode).toBe(202);
    const { id } = res.json() as { id: string };
    await eventually(async () => (await getCall(id)).status === 'completed', { what: 'call completed' });
    await fake!.settle();

    expect(fake!.calls).toHaveLength(1);
    expect(fake!.calls[0]).toMatchObject({ to: TO, from: CALLER_ID, url: `${PUBLIC}/ivr/twilio?callId=${id}`, statusCallback: `${PUBLIC}/ivr/twilio?callId=${id}` });
    expect(await getCall(id)).toMatchObject({ attempts: 1, durationSeconds: 64, reason: null });
    const ex = fake!.exchanges.get(fake!.calls[0]!.sid)!;
    expect(ex.every((x) => x.status === 200)).toBe(true);
    expect(ex.some((x) => x.body.includes('certified seed'))).toBe(true);

    const ev = await events(TO);
    expect(ev[0]).toMatchObject({ type: 'call_out', detail: { callId: id, provider: 'twilio' } });
    expect(ev.find((e) => e.type === 'session_start')!.detail).toMatchObject({ dialect: 'twilio', direction: 'outbound', callId: id });
    expect(ev.filter((e) => e.type === 'content').map((e) => e.nodeId)).toEqual(['maize-planting']);
    expect(ev.filter((e) => e.type === 'call_status').map((e) => e.detail!.status)).toEqual(['answered', 'completed']);
    expect(ev.find((e) => e.type === 'session_end')!.detail).toMatchObject({ reason: 'completed', durationSeconds: 64, callId: id });
  });

  it('retries a call nobody answered (status no-answer) after the configured spacing', async () => {
    await setup();
    fake!.script(TO, [{ kind: 'no-answer' }, { kind: 'answer', keys: [] }]);
    const { id } = (await gw!.app.inject({ method: 'POST', url: '/api/v1/calls', headers: AUTH, payload: { to: TO, flowId: 'crop-advice' } })).json() as { id: string };
    await eventually(async () => (await getCall(id)).status === 'retry_wait', { what: 'retry_wait' });
    expect(await getCall(id)).toMatchObject({ attempts: 1, reason: 'no_answer', hangupCause: 'no-answer' });
    gw!.clock.advance(60_000);
    await gw!.core.calls.tick();
    await eventually(async () => (await getCall(id)).status === 'completed', { what: 'second attempt completed' });
    expect(fake!.calls).toHaveLength(2);
  });

  it('fails a call at once when Twilio refuses the credentials (nothing to retry)', async () => {
    await setup('a-wrong-auth-token');
    const { id } = (await gw!.app.inject({ method: 'POST', url: '/api/v1/calls', headers: AUTH, payload: { to: TO, flowId: 'crop-advice' } })).json() as { id: string };
    await eventually(async () => (await getCall(id)).status === 'failed', { what: 'call failed' });
    expect(await getCall(id)).toMatchObject({ attempts: 1, reason: 'provider_auth' });
    expect(fake!.calls).toHaveLength(0);
  });
});
