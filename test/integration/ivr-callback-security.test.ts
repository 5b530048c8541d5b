import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';
import { parseAtXml } from '../helpers/voice';

const SECRET = 's3cret-callback-token';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const CALLER = '+254711000404';

let gw: TestGateway;
afterEach(async () => gw?.stop());

const voice = (sessionId: string) =>
  new URLSearchParams({ isActive: '1', sessionId, direction: 'Inbound', callerNumber: CALLER, destinationNumber: '+254711082000' }).toString();
const ussd = (sessionId: string) => new URLSearchParams({ sessionId, serviceCode: '*384*1#', phoneNumber: CALLER, networkCode: '63902', text: '' }).toString();

/** Nothing about the caller exists: no subscriber, so no session and no usage. */
async function noTrace() {
  const res = await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(CALLER)}`, headers: AUTH });
  expect(res.statusCode).toBe(404);
}

describe('callback security for voice and USSD callbacks', () => {
  it('answers 401 without the shared secret and changes nothing; accepts it as ?secret= or X-Callback-Secret', async () => {
    gw = await testGateway({ callbacks: { secret: SECRET } });
    for (const [url, payload] of [
      ['/ivr/africastalking', voice('v1')],
      ['/ussd/africastalking', ussd('u1')],
      ['/ivr/vxml', `caller=${encodeURIComponent(CALLER)}&called=%2B254711082000`],
    ] as const) {
      const none = await gw.app.inject({ method: 'POST', url, headers: FORM, payload });
      expect(none.statusCode, url).toBe(401);
      expect(none.json()).toEqual({ error: { code: 'INVALID_CALLBACK_SECRET', message: 'The callback secret is missing or wrong.' } });
      const wrong = await gw.app.inject({ method: 'POST', url: `${url}?secret=not-the-secret`, headers: FORM, payload });
      expect(wrong.statusCode, url).toBe(401);
    }
    await noTrace();

    const byQuery = await gw.app.inject({ method: 'POST', url: `/ivr/africastalking?secret=${SECRET}`, headers: FORM, payload: voice('v2') });
    expect(byQuery.statusCode).toBe(200);
    // The URLs the gateway hands Africa's Talking carry the secret, since it cannot add our header.
    const x = parseAtXml(byQuery.body);
    expect(new URL(x.getDigits!.callbackUrl!).searchParams.get('secret')).toBe(SECRET);
    expect(new URL(x.redirect!).searchParams.get('secret')).toBe(SECRET);
    const byHeader = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: { ...FORM, 'x-callback-secret': SECRET }, payload: ussd('u2') });
    expect(byHeader.statusCode).toBe(200);
  });

  it('answers 403 to sources outside callbacks.allowIps, before reading anything', async () => {
    gw = await testGateway({ callbacks: { allowIps: ['10.20.0.0/16', '192.0.2.7'] } });
    for (const [url, payload] of [
      ['/ivr/africastalking', voice('v3')],
      ['/ussd/africastalking', ussd('u3')],
    ] as const) {
      const res = await gw.app.inject({ method: 'POST', url, headers: FORM, payload, remoteAddress: '198.51.100.9' });
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN_SOURCE');
    }
    await noTrace();
    const allowed = await gw.app.inject({ method: 'POST', url: '/ivr/africastalking', headers: FORM, payload: voice('v4'), remoteAddress: '10.20.3.4' });
    expect(allowed.statusCode).toBe(200);
    const single = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: FORM, payload: ussd('u4'), remoteAddress: '192.0.2.7' });
    expect(single.statusCode).toBe(200);
  });
});
