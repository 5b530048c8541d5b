import { describe, expect, it } from 'vitest';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { setOptOut, subscriberId } from '../helpers/subscribers';

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

async function send(g: TestGateway, body: Record<string, unknown>) {
  return g.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: body });
}

describe('POST /api/v1/messages', () => {
  it('queues a message durably and shows it by id', async () => {
    gw = await testGateway({}, { now: '2026-11-20T09:00:00Z' });
    const r = await send(gw, { to: '0712345678', text: 'Panda mahindi mvua ikianza.', kind: 'transactional' });
    expect(r.statusCode).toBe(202);
    const body = r.json();
    expect(body).toMatchObject({ status: 'queued', parts: 1 });
    const got = await gw.app.inject({ method: 'GET', url: `/api/v1/messages/${body.id}`, headers: AUTH });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ id: body.id, to: '+254712345678', status: 'queued', parts: 1, kind: 'transactional', encoding: 'gsm7' });
    // The subscriber exists now, and the send is in their usage log.
    const events = await gw.app.inject({ method: 'GET', url: '/api/v1/subscribers/+254712345678/events', headers: AUTH });
    expect(events.json()[0]).toMatchObject({ channel: 'sms', type: 'sms_out' });
  });

  it('counts parts for long and non-GSM texts and refuses what is too long', async () => {
    gw = await testGateway({ messaging: { maxParts: 3 } });
    expect((await send(gw, { to: '+254712345678', text: 'a'.repeat(161), kind: 'transactional' })).json().parts).toBe(2);
    expect((await send(gw, { to: '+254712345678', text: 'ሀ'.repeat(71), kind: 'transactional' })).json().parts).toBe(2);
    const tooLong = await send(gw, { to: '+254712345678', text: 'a'.repeat(153 * 3 + 1) });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error.code).toBe('TEXT_TOO_LONG');
  });

  it('answers 400 for a bad number or sender, 404 for an unknown id, 401 without a token', async () => {
    gw = await testGateway();
    const bad = await send(gw, { to: 'hello', text: 'x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_MSISDN');
    expect((await send(gw, { to: '+254712345678', text: 'x', from: '<script>' })).json().error.code).toBe('INVALID_SENDER');
    expect((await send(gw, { to: '+254712345678' })).statusCode).toBe(400);
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/messages/msg_nope', headers: AUTH })).statusCode).toBe(404);
    expect((await gw.app.inject({ method: 'POST', url: '/api/v1/messages', payload: { to: '+254712345678', text: 'x' } })).statusCode).toBe(401);
  });
});

describe('policies', () => {
  it('blocks promotional messages to an opted-out subscriber but lets transactional ones through', async () => {
    gw = await testGateway();
    await gw.app.inject({ method: 'PATCH', url: '/api/v1/subscribers/+254712345678', headers: AUTH, payload: { language: 'sw' } });
    await setOptOut(gw.core, await subscriberId(gw.core, '+254712345678'), true);
    const promo = await send(gw, { to: '+254712345678', text: 'Offer!' });
    expect(promo.statusCode).toBe(202);
    expect(promo.json()).toMatchObject({ status: 'blocked', reason: 'opted_out' });
    expect((await gw.app.inject({ method: 'GET', url: `/api/v1/messages/${promo.json().id}`, headers: AUTH })).json().status).toBe('blocked');
    expect((await send(gw, { to: '+254712345678', text: 'Your PIN is 1234', kind: 'transactional' })).json().status).toBe('queued');
  });

  it('defers promotional messages in quiet hours to the end of the window in the operator time zone', async () => {
    gw = await testGateway(
      { operators: [{ id: 'lagosnet', prefixes: ['+234'], networkCodes: [], timezone: 'Africa/Lagos' }] },
      { now: '2026-11-20T18:30:00Z' }, // 21:30 in Nairobi, 19:30 in Lagos
    );
    const ke = (await send(gw, { to: '+254712345678', text: 'Weekly tip' })).json();
    expect(ke).toMatchObject({ status: 'queued', reason: 'quiet_hours', sendAt: '2026-11-21T04:00:00.000Z' });
    const ng = (await send(gw, { to: '+2348031234567', text: 'Weekly tip' })).json();
    expect(ng.reason).toBeUndefined();
    const tx = (await send(gw, { to: '+254712345678', text: 'Your code', kind: 'transactional' })).json();
    expect(tx.reason).toBeUndefined();
  });

  it('caps promotional messages per subscriber per period, counting only those not blocked', async () => {
    gw = await testGateway({ messaging: { frequencyCap: { promotional: 2, days: 7 }, quietHours: null } });
    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(gw, { to: '+254712345678', text: `Tip ${i}` })).json().status);
    expect(statuses).toEqual(['queued', 'queued', 'blocked']);
    const blocked = await send(gw, { to: '+254712345678', text: 'Tip 4' });
    expect(blocked.json().reason).toBe('frequency_cap');
    // Transactional messages do not count and are not capped.
    expect((await send(gw, { to: '+254712345678', text: 'Receipt', kind: 'transactional' })).json().status).toBe('queued');
    // A week later the cap has room again.
    gw.clock.advance(7 * 24 * 3600 * 1000 + 1);
    expect((await send(gw, { to: '+254712345678', text: 'Tip 5' })).json().status).toBe('queued');
  });
});
