import { describe, expect, it } from 'vitest';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

// A secret with multi-byte characters: it is compared as bytes, encoded once when the app is built.
const SECRET = 'sécret-ключ-42';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const CALLER = '+254711000505';
const ussd = (sessionId: string) => new URLSearchParams({ sessionId, serviceCode: '*384*1#', phoneNumber: CALLER, networkCode: '63902', text: '' }).toString();

let gw: TestGateway | undefined;
stopAfterEach(() => [gw]);

describe('callback guard with both a secret and an allow-list', () => {
  it('checks the source first (403), then the secret (401), and lets a listed source with the secret through', async () => {
    gw = await testGateway({ callbacks: { secret: SECRET, allowIps: ['10.20.0.0/16'] } });
    const outside = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: { ...FORM, 'x-callback-secret': SECRET }, payload: ussd('g1'), remoteAddress: '198.51.100.9' });
    expect(outside.statusCode).toBe(403);
    expect(outside.json().error.code).toBe('FORBIDDEN_SOURCE');

    // Same length in characters, different bytes: still refused.
    const lookalike = SECRET.replace('é', 'e').replace('к', 'k');
    for (const given of [lookalike, SECRET.slice(0, -1), '']) {
      const wrong = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: { ...FORM, 'x-callback-secret': given }, payload: ussd('g2'), remoteAddress: '10.20.1.1' });
      expect(wrong.statusCode, given).toBe(401);
      expect(wrong.json().error.code).toBe('INVALID_CALLBACK_SECRET');
    }
    const none = await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(CALLER)}`, headers: AUTH });
    expect(none.statusCode).toBe(404);

    const ok = await gw.app.inject({ method: 'POST', url: `/ussd/africastalking?secret=${encodeURIComponent(SECRET)}`, headers: FORM, payload: ussd('g3'), remoteAddress: '10.20.1.1' });
    expect(ok.statusCode).toBe(200);
    expect(ok.body.startsWith('CON ')).toBe(true);
    // Answered means committed: the subscriber the hop created is there.
    const there = await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(CALLER)}`, headers: AUTH });
    expect(there.statusCode).toBe(200);
  });

  it('refuses a billing notification with a wrong secret in the dialect shape and ingests it with the right one', async () => {
    gw = await testGateway({ callbacks: { secret: SECRET } });
    const event = JSON.stringify({ eventId: 'guard-e1', msisdn: CALLER, serviceId: 'crop-daily', type: 'subscribed', at: '2026-11-20T08:00:00Z', amount: 5, currency: 'KES' });
    const wrong = await gw.app.inject({ method: 'POST', url: '/billing/events', headers: { 'content-type': 'application/json', 'x-callback-secret': 'nope' }, payload: event });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('INVALID_CALLBACK_SECRET');
    const ok = await gw.app.inject({ method: 'POST', url: '/billing/events', headers: { 'content-type': 'application/json', 'x-callback-secret': SECRET }, payload: event });
    expect(ok.statusCode).toBe(200);
    const again = await gw.app.inject({ method: 'POST', url: '/billing/events', headers: { 'content-type': 'application/json', 'x-callback-secret': SECRET }, payload: event });
    expect(again.statusCode).toBe(200);
  });
});
