import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AUTH, eventually, stopAfterEach, testGateway, type DeepPartial, type TestGateway } from '../helpers/gateway';
import { FakeVoiceProvider, type FakeVoiceOptions } from '../fakes/voice-provider';
import { deepMerge, type Config } from '../../src/config';
import { ensureSubscriber, setOptOut } from '../helpers/subscribers';

const API_KEY = 'at-test-key-0001';
const CALLER_ID = '+254711082000';
const TO = '+254711000202';

let gw: TestGateway | null = null;
let fake: FakeVoiceProvider | null = null;
stopAfterEach(() => [fake, gw]);

/** A listening gateway whose voice provider is the fake, and the fake calling back into it. */
async function setup(overrides: DeepPartial<Config> = {}, fakeOpts: Partial<FakeVoiceOptions> = {}, now?: string) {
  fake = await FakeVoiceProvider.start({ apiKey: API_KEY, ...fakeOpts });
  const base = { ivr: { africastalking: { baseUrl: fake.baseUrl, apiKey: API_KEY, username: 'vasgw', callerId: CALLER_ID }, retry: { attempts: 2, spacingSeconds: 60 } } };
  gw = await testGateway(deepMerge(base, overrides) as DeepPartial<Config>, now ? { now } : {});
  await gw.app.listen({ port: 0, host: '127.0.0.1' });
  fake.gatewayUrl = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
  await gw.start();
  return { gw, fake };
}

async function requestCall(body: Record<string, unknown>) {
  const res = await gw!.app.inject({ method: 'POST', url: '/api/v1/calls', headers: AUTH, payload: body });
  return res;
}

async function getCall(id: string) {
  const res = await gw!.app.inject({ method: 'GET', url: `/api/v1/calls/${id}`, headers: AUTH });
  expect(res.statusCode).toBe(200);
  return res.json() as Record<string, unknown> & { status: string; attempts: number };
}

async function events(msisdn = TO) {
  const res = await gw!.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}/events?limit=500`, headers: AUTH });
  return (res.json() as Array<{ channel: string; type: string; nodeId?: string; sessionId?: string; detail?: Record<string, unknown> }>).reverse();
}

const statusIs = (id: string, status: string) => async () => (await getCall(id)).status === status;

describe('outbound dial', () => {
  it('places the call with the provider, runs the flow when answered, and records duration and cost', async () => {
    await setup();
    fake!.script(TO, [{ kind: 'answer', keys: ['1', '1', '1', '1'], durationSeconds: 64 }]); // English, crops, maize, planting
    const res = await requestCall({ to: '0711000202', flowId: 'crop-advice' });
    expect(res.statusCode).toBe(202);
    const { id, status } = res.json() as { id: string; status: string };
    expect(status).toBe('queued');
    await eventually(statusIs(id, 'completed'), { what: 'call completed' });
    await fake!.settle();

    expect(fake!.calls).toHaveLength(1);
    expect(fake!.calls[0]).toMatchObject({ apiKey: API_KEY, username: 'vasgw', from: CALLER_ID, to: TO, clientRequestId: id });
    const call = await getCall(id);
    expect(call).toMatchObject({ to: TO, flowId: 'crop-advice', attempts: 1, durationSeconds: 64, cost: { amount: 3.2, currency: 'KES' }, reason: null });
    expect(call.answeredAt).not.toBeNull();
    expect(call.sessionId).toMatch(/^ses_/);

    const ev = await events();
    expect(ev.every((e) => e.channel === 'ivr')).toBe(true);
    expect(ev.map((e) => e.type)).toEqual(expect.arrayContaining(['call_out', 'call_status', 'session_start', 'content', 'session_end']));
    expect(ev[0]).toMatchObject({ type: 'call_out', detail: { callId: id, attempt: 1, provider: 'africastalking' } });
    expect(ev.find((e) => e.type === 'session_start')!.detail).toMatchObject({ direction: 'outbound', callId: id });
    expect(ev.find((e) => e.type === 'content')!.nodeId).toBe('maize-planting');
    const statuses = ev.filter((e) => e.type === 'call_status').map((e) => e.detail!.status);
    expect(statuses).toEqual(['answered', 'completed']);
    expect(ev.find((e) => e.type === 'session_end')!.detail).toMatchObject({ reason: 'completed', durationSeconds: 64 });
    // The spoken flow went through the real callback path: the last prompt before hanging up was the advice.
    const exchanges = fake!.exchanges.get(fake!.calls[0]!.sessionId)!;
    expect(exchanges.some((x) => x.body.includes('certified seed'))).toBe(true);
  });

  it('starts an answered call at startNode in the subscriber\'s language (a CRM guidance call)', async () => {
    await setup();
    await gw!.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${encodeURIComponent(TO)}`, headers: AUTH, payload: { language: 'sw' } });
    fake!.script(TO, [{ kind: 'answer', keys: ['*'] }]);
    const { id } = (await requestCall({ to: TO, flowId: 'crop-advice', startNode: 'maize-pests' })).json() as { id: string };
    await eventually(statusIs(id, 'completed'), { what: 'guidance call completed' });
    await fake!.settle();
    const [first, repeated] = fake!.exchanges.get(fake!.calls[0]!.sessionId)!;
    expect(first!.body).toContain('Viwavijeshi vamizi');
    expect(first!.body).toContain('Bonyeza nyota');
    expect(repeated!.body).toBe(first!.body);
    const ev = await events();
    expect(ev.filter((e) => e.type === 'content').map((e) => e.nodeId)).toEqual(['maize-pests']);
    expect(ev.find((e) => e.type === 'session_end')!.detail).toMatchObject({ reason: 'completed' });
  });

  it('retries a call nobody answered after the configured spacing, then completes it', async () => {
    await setup();
    fake!.script(TO, [{ kind: 'no_answer' }, { kind: 'answer', keys: [] }]);
    const { id } = (await requestCall({ to: TO, flowId: 'crop-advice' })).json() as { id: string };
    await eventually(statusIs(id, 'retry_wait'), { what: 'retry_wait' });
    const waiting = await getCall(id);
    expect(waiting).toMatchObject({ attempts: 1, reason: 'no_answer', hangupCause: 'NO_ANSWER' });
    expect(Date.parse(String(waiting.nextAttemptAt)) - gw!.clock.now()).toBe(60_000);
    // Not before the spacing has passed.
    await gw!.core.calls.tick();
    expect(fake!.calls).toHaveLength(1);
    gw!.clock.advance(60_000);
    await gw!.core.calls.tick();
    await eventually(statusIs(id, 'completed'), { what: 'second attempt completed' });
    expect(fake!.calls).toHaveLength(2);
    expect((await getCall(id)).attempts).toBe(2);
    const statuses = (await events()).filter((e) => e.type === 'call_status').map((e) => [e.detail!.status, e.detail!.willRetry ?? null]);
    expect(statuses).toEqual([['no_answer', true], ['answered', null], ['completed', false]]);
  });

  it('gives up on a busy number once the attempts are used up', async () => {
    await setup({ ivr: { retry: { attempts: 2, spacingSeconds: 0 } } });
    fake!.script(TO, [{ kind: 'busy' }, { kind: 'busy' }]);
    const { id } = (await requestCall({ to: TO, flowId: 'crop-advice' })).json() as { id: string };
    await eventually(statusIs(id, 'busy'), { what: 'busy after two attempts' });
    expect(fake!.calls).toHaveLength(2);
    expect(await getCall(id)).toMatchObject({ attempts: 2, reason: 'busy', hangupCause: 'USER_BUSY', endedAt: expect.any(String) });
    // No session was ever opened for a call nobody picked up.
    expect((await events()).some((e) => e.type === 'session_start')).toBe(false);
  });

  it('never has more calls in progress than ivr.maxConcurrentCalls', async () => {
    await setup({ ivr: { maxConcurrentCalls: 2, callsPerSecond: 100 } }, { behaviour: () => ({ kind: 'hold' }) });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(((await requestCall({ to: `+25471100030${i}`, flowId: 'crop-advice' })).json() as { id: string }).id);
    await eventually(() => fake!.calls.length === 2, { what: 'two calls placed' });
    for (let i = 0; i < 3; i++) await gw!.core.calls.tick();
    expect(fake!.calls).toHaveLength(2);
    const states = await Promise.all(ids.map(async (id) => (await getCall(id)).status));
    expect(states.filter((s) => s === 'dialing')).toHaveLength(2);
    expect(states.filter((s) => s === 'queued')).toHaveLength(2);
    // One call ends: its slot goes to the next queued call.
    await fake!.play(fake!.calls[0]!, { kind: 'no_answer' });
    await eventually(() => fake!.calls.length === 3, { what: 'third call placed' });
    for (let i = 0; i < 3; i++) await gw!.core.calls.tick();
    expect(fake!.calls).toHaveLength(3);
  });

  it('matches the raw unanswered-call request by the provider sessionId', async () => {
    await setup({ ivr: { retry: { attempts: 1, spacingSeconds: 60 } } }, { behaviour: () => ({ kind: 'hold' }), sessionId: () => 'ATVId_9a8b7c6d5e4f3a2b' });
    const { id } = (await requestCall({ to: TO, flowId: 'crop-advice' })).json() as { id: string };
    await eventually(async () => (await getCall(id)).status === 'dialing' && fake!.calls.length === 1, { what: 'dialing' });
    // The sessionId from the dial reply is stored before the raw callback arrives.
    await eventually(async () => (await gw!.core.calls.get(id))?.providerRef === 'ATVId_9a8b7c6d5e4f3a2b', { what: 'provider ref stored' });
    const raw = readFileSync(new URL('../fixtures/ivr/at-outbound-unanswered.txt', import.meta.url), 'utf8');
    const res = await gw!.app.inject({ method: 'POST', url: '/ivr/africastalking', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: raw });
    expect(res.statusCode).toBe(200);
    expect(await getCall(id)).toMatchObject({ status: 'no_answer', attempts: 1, hangupCause: 'NO_ANSWER' });
  });

  it('keeps promotional calls out of quiet hours and away from opted-out subscribers, as for SMS', async () => {
    // 18:30 UTC is 21:30 in Nairobi: inside the default 20:00-07:00 quiet hours.
    await setup({}, {}, '2026-11-20T18:30:00Z');
    const quiet = await requestCall({ to: TO, flowId: 'crop-advice' });
    expect(quiet.json()).toMatchObject({ status: 'queued', reason: 'quiet_hours', sendAt: '2026-11-21T04:00:00.000Z' });
    const urgent = await requestCall({ to: '+254711000203', flowId: 'crop-advice', kind: 'transactional' });
    const urgentId = (urgent.json() as { id: string }).id;
    await eventually(async () => (await getCall(urgentId)).status === 'completed', { what: 'transactional call placed' });
    expect(fake!.callsTo(TO)).toHaveLength(0);

    await setOptOut(gw!.core, (await ensureSubscriber(gw!.core, '+254711000204')).id, true);
    const blocked = await requestCall({ to: '+254711000204', flowId: 'crop-advice' });
    expect(blocked.statusCode).toBe(202);
    expect(blocked.json()).toMatchObject({ status: 'blocked', reason: 'opted_out' });

    // Morning: the deferred call goes out.
    gw!.clock.set('2026-11-21T04:00:00Z');
    await gw!.core.calls.tick();
    await eventually(() => fake!.callsTo(TO).length === 1, { what: 'deferred call placed after quiet hours' });
  });

  it('marks a call failed without retrying when the provider refuses the credentials', async () => {
    await setup({ ivr: { africastalking: { apiKey: 'wrong-key' } } as DeepPartial<Config['ivr']> });
    const { id } = (await requestCall({ to: TO, flowId: 'crop-advice' })).json() as { id: string };
    await eventually(statusIs(id, 'failed'), { what: 'failed' });
    expect(await getCall(id)).toMatchObject({ reason: 'provider_auth', attempts: 1 });
    expect(fake!.calls).toHaveLength(0);
  });

  it('fails an invalid number at once, and retries a call the provider could not take (5xx) sooner than a no-answer', async () => {
    await setup({ ivr: { retry: { attempts: 3, spacingSeconds: 1800 } } }, { refuse: (to) => (to === TO ? { entryStatus: 'InvalidPhoneNumber' } : { http: 503 }) });
    const bad = (await requestCall({ to: TO, flowId: 'crop-advice' })).json() as { id: string };
    const down = (await requestCall({ to: '+254711000205', flowId: 'crop-advice' })).json() as { id: string };
    await eventually(statusIs(bad.id, 'failed'), { what: 'invalid number failed' });
    expect(await getCall(bad.id)).toMatchObject({ reason: 'invalid_number', attempts: 1 });
    await eventually(statusIs(down.id, 'retry_wait'), { what: 'provider 503 retried' });
    const waiting = await getCall(down.id);
    expect(waiting.reason).toBe('provider_unavailable');
    expect(Date.parse(String(waiting.nextAttemptAt)) - gw!.clock.now()).toBe(60_000);
  });

  it('validates requests: 400 for a bad number, flow or node, 401 without the token, 404 for an unknown call', async () => {
    await setup();
    const bad = await requestCall({ to: 'hello', flowId: 'crop-advice' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_MSISDN');
    expect((await requestCall({ to: TO, flowId: 'nope' })).json().error.code).toBe('UNKNOWN_FLOW');
    expect((await requestCall({ to: TO, flowId: 'crop-advice', startNode: 'nope' })).json().error.code).toBe('UNKNOWN_NODE');
    expect((await requestCall({ to: TO })).statusCode).toBe(400);
    const noAuth = await gw!.app.inject({ method: 'POST', url: '/api/v1/calls', payload: { to: TO, flowId: 'crop-advice' } });
    expect(noAuth.statusCode).toBe(401);
    const missing = await gw!.app.inject({ method: 'GET', url: '/api/v1/calls/call_nope', headers: AUTH });
    expect(missing.statusCode).toBe(404);
    expect(fake!.calls).toHaveLength(0);
  });
});
