import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AUTH, eventually, testGateway, type TestGateway } from '../helpers/gateway';
import { postAt, subscriptionDetail, subscriptionsOf, usageOf } from '../helpers/billing';
import { FakeAtSubscriptions } from '../fakes/at-subscriptions';

const fake = new FakeAtSubscriptions();
let base = '';
let gw: TestGateway;

beforeAll(async () => {
  base = await fake.start();
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(async () => {
  fake.requests.length = 0;
  fake.queued.clear();
  gw = await testGateway(
    { billing: { africastalking: { enabled: true, apiBaseUrl: base, contentBaseUrl: base, username: 'vasgw', apiKey: 'test-at-key', timeoutMs: 2000 }, requests: { maxAttempts: 3, retryBaseSeconds: 60 } } },
    { now: '2026-11-20T09:00:00Z' },
  );
});
afterEach(async () => {
  await gw.stop();
});

/** One USSD hop through the JSON dialect. */
async function ussd(msisdn: string, session: string, input: string) {
  const r = await gw.app.inject({ method: 'POST', url: '/ussd/json', payload: { sessionId: session, msisdn, serviceCode: '*384*1#', input } });
  expect(r.statusCode).toBe(200);
  return r.json() as { text: string; end: boolean };
}

/** An SMS from the subscriber to a short code, through the messaging MO router. */
const sms = (from: string, text: string, to = '20123') => gw.core.messaging.routeMo({ from, to, text, at: gw.clock.now() });

/** The confirmation SMS recorded with the request (via the messages API). */
async function confirmation(msisdn: string, event: string) {
  const e = (await usageOf(gw, msisdn)).find((x) => x.type === 'billing' && x.detail?.event === event);
  expect(e, `usage event ${event}`).toBeTruthy();
  const r = await gw.app.inject({ method: 'GET', url: `/api/v1/messages/${String(e!.detail!.messageId)}`, headers: AUTH });
  expect(r.statusCode).toBe(200);
  return { usage: e!, message: r.json() as { text: string; kind: string; status: string; from: string | null } };
}

describe('subscriber requests', () => {
  it('subscribes from the USSD menu: recorded, confirmed by SMS, passed to the operator; the notification decides', async () => {
    const m = '+254711000301';
    await gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${encodeURIComponent(m)}`, headers: AUTH, payload: { language: 'en' } });
    await ussd(m, 'u1', '');
    await ussd(m, 'u1', '4'); // My account
    const confirm = await ussd(m, 'u1', '2'); // Get daily advice SMS
    expect(confirm.text).toMatch(/KES 5 per day/);
    const done = await ussd(m, 'u1', '1'); // Confirm
    expect(done.end).toBe(true);

    let [sub] = await subscriptionsOf(gw, m);
    expect(sub).toMatchObject({ serviceId: 'crop-daily', state: 'pending', pendingAction: 'subscribe', revenue: { amount: 0 } });
    const { usage, message } = await confirmation(m, 'subscribe_requested');
    expect(usage).toMatchObject({ channel: 'ussd', detail: { outcome: 'requested', serviceId: 'crop-daily' } });
    expect(message).toMatchObject({ kind: 'transactional', from: '20123' });
    expect(message.text).toBe('You asked to join Crop advice (daily) for KES 5 per day. Your operator will ask you to confirm. To stop, send STOP SHAMBA to 20123.');

    // The operator API is called after the hop, outside its transaction.
    await gw.core.subscriptions.requests.drain();
    expect(fake.requests.map((r) => r.path)).toEqual(['/checkout/token/create', '/version1/subscription/create']);
    expect(fake.requests[1]).toMatchObject({ headers: { apikey: 'test-at-key' }, form: { username: 'vasgw', shortCode: '20123', keyword: 'SHAMBA', phoneNumber: m, checkoutToken: 'CkTkn_1' } });
    expect((await subscriptionDetail(gw, String(sub!.id))).operatorRequests).toMatchObject([{ action: 'subscribe', status: 'done', attempts: 1 }]);

    // The subscriber confirms on the operator's prompt; AT tells us.
    gw.clock.advance(60_000);
    await postAt(gw, `phoneNumber=${encodeURIComponent(m)}&shortCode=20123&keyword=SHAMBA&updateType=Addition`);
    [sub] = await subscriptionsOf(gw, m);
    expect(sub).toMatchObject({ state: 'active', pendingAction: null });
  });

  it('handles SMS keywords: SHAMBA subscribes, STOP SHAMBA unsubscribes, in Swahili too', async () => {
    const m = '+254711000302';
    expect(await sms(m, ' shamba ')).toBeTruthy();
    expect((await subscriptionsOf(gw, m))[0]).toMatchObject({ state: 'pending' });
    await postAt(gw, `phoneNumber=${encodeURIComponent(m)}&shortCode=20123&keyword=SHAMBA&updateType=Addition`);

    // Already subscribed: told so, nothing new asked of the operator.
    gw.clock.advance(1000);
    await sms(m, 'SHAMBA');
    const again = (await usageOf(gw, m)).find((e) => e.detail?.event === 'subscribe_requested');
    expect(again?.detail).toMatchObject({ outcome: 'already_subscribed' });

    gw.clock.advance(1000);
    await sms(m, 'acha  Shamba');
    let [sub] = await subscriptionsOf(gw, m);
    // The operator's notification stays the source of truth: still active, the stop is pending.
    expect(sub).toMatchObject({ state: 'active', pendingAction: 'unsubscribe' });
    const { message } = await confirmation(m, 'unsubscribe_requested');
    expect(message.text).toBe('Your request to stop Crop advice (daily) has been received. You will not be charged for it again.');
    await gw.core.subscriptions.requests.drain();
    expect(fake.requests.filter((r) => r.path === '/version1/subscription/delete').map((r) => r.form)).toEqual([
      { username: 'vasgw', shortCode: '20123', keyword: 'SHAMBA', phoneNumber: m },
    ]);

    await postAt(gw, `phoneNumber=${encodeURIComponent(m)}&shortCode=20123&keyword=SHAMBA&updateType=Deletion`);
    [sub] = await subscriptionsOf(gw, m);
    expect(sub).toMatchObject({ state: 'cancelled', pendingAction: null });
  });

  it('passes STOP to the operator even when we know of no subscription', async () => {
    const m = '+254711000303';
    await sms(m, 'STOP SHAMBA');
    const { usage, message } = await confirmation(m, 'unsubscribe_requested');
    expect(usage.detail).toMatchObject({ outcome: 'not_subscribed' });
    expect(message.text).toBe('You are not subscribed to Crop advice (daily).');
    await gw.core.subscriptions.requests.drain();
    expect(fake.requests.map((r) => r.path)).toEqual(['/version1/subscription/delete']);
    expect(await subscriptionsOf(gw, m)).toEqual([]); // nothing to show: we never had one
  });

  it('leaves other SMS to the messaging router (a keyword on another short code, a bare STOP)', async () => {
    const m = '+254711000304';
    await sms(m, 'SHAMBA', '30999');
    await sms(m, 'STOP');
    expect(await subscriptionsOf(gw, m)).toEqual([]);
    expect((await usageOf(gw, m)).filter((e) => e.type === 'billing')).toEqual([]);
  });

  it('calls the operator on its own once the gateway is started', async () => {
    await gw.start();
    await sms('+254711000306', 'SHAMBA');
    await eventually(() => fake.requests.some((r) => r.path === '/version1/subscription/create' && r.form.phoneNumber === '+254711000306'), { what: 'the create call' });
  });

  it('retries the operator call after a temporary failure and gives up on a refusal', async () => {
    const m = '+254711000305';
    fake.answerNext('/checkout/token/create', { status: 503, body: { description: 'busy' } });
    await sms(m, 'SHAMBA');
    await gw.core.subscriptions.requests.drain();
    const id = String((await subscriptionsOf(gw, m))[0]!.id);
    expect((await subscriptionDetail(gw, id)).operatorRequests).toMatchObject([{ status: 'pending', attempts: 1, result: "Africa's Talking answered 503", nextAttemptAt: '2026-11-20T09:01:00.000Z' }]);

    await gw.core.subscriptions.requests.drain(); // not due yet
    expect(fake.requests).toHaveLength(1);
    gw.clock.advance(61_000);
    await gw.core.subscriptions.requests.drain();
    expect((await subscriptionDetail(gw, id)).operatorRequests).toMatchObject([{ status: 'done', attempts: 2 }]);

    fake.answerNext('/version1/subscription/delete', { status: 200, body: { status: 'Failed', description: 'Subscription not found' } });
    await sms(m, 'STOP SHAMBA');
    await gw.core.subscriptions.requests.drain();
    expect((await subscriptionDetail(gw, id)).operatorRequests).toMatchObject([{ status: 'done' }, { action: 'unsubscribe', status: 'failed', attempts: 1, result: 'delete failed: Failed Subscription not found' }]);
  });
});
