import type { AddressInfo } from 'node:net';
import { deepMerge, type Config } from '../../src/config';
import { FakeSmsc } from '../fakes/smsc';
import { FakeVoiceProvider, type FakeVoiceOptions } from '../fakes/voice-provider';
import { AUTH, eventually, testGateway, type DeepPartial, type TestGateway } from './gateway';

/** A gateway bound to a fake SMSC over loopback, for CRM scenarios that end in an SMS. */
export async function crmGateway(overrides: DeepPartial<Config>, now: string): Promise<{ gw: TestGateway; smsc: FakeSmsc }> {
  const smsc = await new FakeSmsc({}).start();
  const bind = { id: 'trx', host: '127.0.0.1', port: smsc.port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', sourceAddr: '20123', reconnect: { minSeconds: 0.02, maxSeconds: 0.1 } };
  const gw = await testGateway(
    { ...overrides, smpp: { binds: [bind] as unknown as Config['smpp']['binds'] }, messaging: { dispatch: { pollMs: 10, batch: 50 }, ...(overrides.messaging ?? {}) } } as DeepPartial<Config>,
    { now },
  );
  await gw.start();
  await eventually(async () => (await gw.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { what: 'binds ready' });
  return { gw, smsc };
}

/** The API key the fake voice provider accepts and the voice gateway's Africa's Talking voice is configured with. */
export const VOICE_KEY = 'at-test-key-0001';

/**
 * A gateway bound to a fake SMSC that also places calls through a fake voice provider calling back into it
 * (the app listens on a loopback port), for CRM scenarios that end in an SMS or a call. `overrides.ivr`
 * is merged over the provider's settings.
 */
export async function voiceGateway(overrides: DeepPartial<Config>, now: string, voiceOpts: FakeVoiceOptions = {}): Promise<{ gw: TestGateway; smsc: FakeSmsc; voice: FakeVoiceProvider }> {
  const voice = await FakeVoiceProvider.start({ apiKey: VOICE_KEY, ...voiceOpts });
  try {
    const ivr = deepMerge({ africastalking: { baseUrl: voice.baseUrl, apiKey: VOICE_KEY, username: 'vasgw', callerId: '+254711082000' } }, overrides.ivr ?? {});
    const { gw, smsc } = await crmGateway({ ...overrides, ivr } as DeepPartial<Config>, now);
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    voice.gatewayUrl = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
    return { gw, smsc, voice };
  } catch (err) {
    // Nothing else holds the provider yet: a failed start must not leave its port open for the next test.
    await voice.stop();
    throw err;
  }
}

let seq = 0;

/**
 * One USSD session through POST /ussd/africastalking: `inputs` are typed one per hop (Africa's Talking
 * sends the whole history joined by `*`). Returns the screens; the clock moves `stepMs` per hop.
 */
export async function ussdSession(gw: TestGateway, msisdn: string, inputs: string[], opts: { code?: string; stepMs?: number } = {}): Promise<string[]> {
  const sessionId = `ATUid_crm_${++seq}_${msisdn.slice(-4)}`;
  const screens: string[] = [];
  const history: string[] = [];
  for (let i = 0; i <= inputs.length; i++) {
    if (i > 0) history.push(inputs[i - 1]!);
    const r = await gw.app.inject({
      method: 'POST',
      url: '/ussd/africastalking',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ sessionId, serviceCode: opts.code ?? '*384*1#', phoneNumber: msisdn, networkCode: '63902', text: history.join('*') }).toString(),
    });
    screens.push(r.body);
    gw.clock.advance(opts.stepMs ?? 5_000);
    if (r.body.startsWith('END')) break;
  }
  return screens;
}

/** A generic billing notification (POST /billing/events), answered 200. */
export async function billing(gw: TestGateway, msisdn: string, type: string, at: string, extra: Record<string, unknown> = {}): Promise<void> {
  const r = await gw.app.inject({
    method: 'POST',
    url: '/billing/events',
    payload: { eventId: `ev-${++seq}`, msisdn, serviceId: 'crop-daily', type, at, ...extra },
  });
  if (r.statusCode !== 200) throw new Error(`billing event answered ${r.statusCode}: ${r.body}`);
}

/** GET /api/v1/... as JSON. */
export async function apiGet(gw: TestGateway, url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await gw.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: AUTH });
  return { status: r.statusCode, body: r.json() as Record<string, unknown> };
}

/**
 * One inbound call through POST /ivr/africastalking: the first request, then one per keypress in `keys`,
 * then the hang-up (isActive=0) unless the gateway ended the call first.
 */
export async function ivrCall(gw: TestGateway, msisdn: string, keys: string[], opts: { number?: string; stepMs?: number } = {}): Promise<string[]> {
  const sessionId = `ATVId_crm_${++seq}`;
  const base = { sessionId, direction: 'Inbound', callerNumber: msisdn, destinationNumber: opts.number ?? '+254711082000' };
  const post = (extra: Record<string, string>) =>
    gw.app.inject({ method: 'POST', url: '/ivr/africastalking', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ ...base, ...extra }).toString() });
  const replies: string[] = [(await post({ isActive: '1' })).body];
  for (const k of keys) {
    gw.clock.advance(opts.stepMs ?? 8_000);
    const body = (await post({ isActive: '1', dtmfDigits: k })).body;
    replies.push(body);
    if (!body.includes('<GetDigits')) break;
  }
  await post({ isActive: '0', durationInSeconds: '60', currencyCode: 'KES', amount: '1.00', hangupCause: 'NORMAL_CLEARING' });
  return replies;
}
