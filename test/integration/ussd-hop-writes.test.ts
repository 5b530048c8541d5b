import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

// What a hop writes, as the speed work left it: a hop's events in one statement (same order and ids as
// one by one), a failing hop leaves nothing behind, and quiet sessions still time out on the sweep.

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
let gw: TestGateway;
afterEach(async () => gw?.stop());

async function at(sessionId: string, text: string, opts: { phoneNumber?: string; serviceCode?: string } = {}) {
  return gw.app.inject({
    method: 'POST',
    url: '/ussd/africastalking',
    headers: FORM,
    payload: new URLSearchParams({ sessionId, serviceCode: opts.serviceCode ?? '*384*1#', phoneNumber: opts.phoneNumber ?? '+254711082001', networkCode: '63902', text }).toString(),
  });
}

async function events(msisdn: string) {
  const res = await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}/events?limit=100`, headers: AUTH });
  expect(res.statusCode).toBe(200);
  return (res.json() as Array<{ id: number; type: string; nodeId?: string; sessionId?: string; detail?: Record<string, unknown> }>).reverse();
}

describe('what a USSD hop writes', () => {
  it('logs the several events of one hop in the order they happened, with consecutive ids', async () => {
    gw = await testGateway();
    await gw.app.inject({ method: 'PATCH', url: '/api/v1/subscribers/+254711082001', headers: AUTH, payload: { language: 'en' } });
    // A shortcut dial walks three menus in its first hop.
    const res = await at('multi-1', '', { serviceCode: '*384*1*1*1#' });
    expect(res.body).toMatch(/^CON .*Maize/s);
    const ev = await events('+254711082001');
    const hop = ev.filter((e) => e.sessionId !== undefined);
    expect(hop.length).toBeGreaterThanOrEqual(2);
    expect(hop[0]).toMatchObject({ type: 'session_start', detail: expect.objectContaining({ dialect: 'africastalking', networkCode: '63902' }) });
    expect(hop.at(-1)).toMatchObject({ type: 'menu', nodeId: 'maize' });
    for (let i = 1; i < hop.length; i++) expect(hop[i]!.id).toBe(hop[i - 1]!.id + 1);
  });

  it('leaves nothing of a hop that fails, and the session goes on from where it was', async () => {
    gw = await testGateway();
    await at('fail-1', '');
    const before = await events('+254711082001');
    // Choosing a language stores it (a set_profile effect); make that fail once, after the hop has written.
    let fail = true;
    const { core } = gw;
    core.sessions.onEffect('set_profile', async (e, ctx) => {
      if (fail) {
        fail = false;
        throw new Error('planted failure');
      }
      await core.subscribers.updateProfileFromFlowIn(ctx.tx, ctx.subscriber.id, e.field, e.value);
    });
    const failed = await at('fail-1', '1');
    expect(failed.statusCode).toBe(500);
    expect(await events('+254711082001')).toEqual(before);
    const session = (await core.sessions.findByExternal('ussd', 'africastalking:fail-1'))!;
    expect(session.hops).toBe(1);
    const again = await at('fail-1', '1');
    expect(again.body).toMatch(/^CON .*Crop advice/s);
    expect((await core.sessions.findByExternal('ussd', 'africastalking:fail-1'))!.hops).toBe(2);
  });

  it('times out a session by its last hop, not by when it started', async () => {
    gw = await testGateway();
    await at('long-1', ''); // starts at t0
    gw.clock.advance(100_000);
    await at('long-1', '1'); // last heard at t0 + 100 s
    await at('short-1', '', { phoneNumber: '+254711082002' }); // starts at t0 + 100 s
    gw.clock.advance(100_000); // t0 + 200 s: long-1 started more than 180 s ago but spoke 100 s ago
    expect(await gw.core.sessions.sweep()).toBe(0);
    gw.clock.advance(90_000); // t0 + 290 s: both quiet for 190 s
    expect(await gw.core.sessions.sweep()).toBe(2);
    for (const id of ['long-1', 'short-1']) {
      expect(await gw.core.sessions.findByExternal('ussd', `africastalking:${id}`)).toMatchObject({ status: 'ended', endReason: 'timeout' });
    }
    const next = await at('long-1', '1*1');
    expect(next.body).toMatch(/^END /);
  });
});
