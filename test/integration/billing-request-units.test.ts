import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeAtSubscriptions } from '../fakes/at-subscriptions';
import { genericEvent, postGeneric, subscriptionDetail, subscriptionsOf, usageOf } from '../helpers/billing';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

// A subscriber's request in the caller's unit of work (the form session effects and SMS keywords move
// to): recorded, confirmed by SMS and passed to the operator when the unit commits, none of it when the
// unit fails; an operator deletion tells the exit listeners inside its notification's unit.
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

/** The subscriber id behind a number that has a subscription (from its first notification). */
async function subscribed(msisdn: string, eventId: string): Promise<{ subscriberId: number; subscriptionId: string }> {
  const r = await postGeneric(gw, genericEvent({ msisdn, eventId, type: 'subscribed', at: '2026-11-20T08:00:00Z' }));
  expect(r.statusCode).toBe(200);
  const subscriptionId = r.json().subscriptionId as string;
  const sub = await gw.core.subscriptions.store.findById(subscriptionId);
  return { subscriberId: sub!.subscriberId, subscriptionId };
}

describe('subscriber requests in a unit of work', () => {
  it('records, confirms and queues an unsubscribe once the unit commits, and calls the operator after', async () => {
    const m = '+254711000501';
    const { subscriberId, subscriptionId } = await subscribed(m, 'ru-1');
    const outcome = await gw.core.commits.unit((tx) => gw.core.subscriptions.requestUnsubscribeIn(subscriberId, 'crop-daily', 'ussd', tx));
    expect(outcome).toMatchObject({ status: 'requested', subscriptionId, state: 'active' });
    expect(outcome.providerRequestId).toMatch(/^sreq_/);
    const detail = await subscriptionDetail(gw, subscriptionId);
    expect(detail).toMatchObject({ state: 'active', pendingAction: 'unsubscribe' });
    expect(detail.events.map((e) => e.type)).toEqual(['subscribed', 'unsubscribe_requested']);
    const usage = (await usageOf(gw, m)).find((e) => e.detail?.event === 'unsubscribe_requested');
    expect(usage).toMatchObject({ channel: 'ussd', detail: { outcome: 'requested', operatorRequest: outcome.providerRequestId } });
    const sms = await gw.app.inject({ method: 'GET', url: `/api/v1/messages/${String(usage!.detail!.messageId)}`, headers: AUTH });
    expect(sms.json()).toMatchObject({ kind: 'transactional', from: '20123' });
    await gw.core.subscriptions.requests.drain();
    expect(fake.requests.map((r) => r.path)).toContain('/version1/subscription/delete');
    expect((await subscriptionDetail(gw, subscriptionId)).operatorRequests).toMatchObject([{ id: outcome.providerRequestId, action: 'unsubscribe', status: 'done', attempts: 1 }]);
  });

  it('keeps nothing of a request whose unit fails: no event, no SMS, no operator call, no usage', async () => {
    const m = '+254711000502';
    const { subscriberId, subscriptionId } = await subscribed(m, 'ru-2');
    const usageBefore = (await usageOf(gw, m)).length;
    const failing = gw.core.commits.unit(async (tx) => {
      await gw.core.subscriptions.requestUnsubscribeIn(subscriberId, 'crop-daily', 'sms', tx);
      throw new Error('the caller refused after the request');
    });
    await expect(failing).rejects.toThrow('the caller refused after the request');
    const detail = await subscriptionDetail(gw, subscriptionId);
    expect(detail.events.map((e) => e.type)).toEqual(['subscribed']);
    expect(detail).toMatchObject({ pendingAction: null, operatorRequests: [] });
    expect((await usageOf(gw, m)).length).toBe(usageBefore);
    await gw.core.subscriptions.requests.drain();
    expect(fake.requests).toEqual([]);
    // The same request made again goes through whole.
    const again = await gw.core.commits.unit((tx) => gw.core.subscriptions.requestUnsubscribeIn(subscriberId, 'crop-daily', 'sms', tx));
    expect(again.status).toBe('requested');
  });

  it('answers a subscribe to a live subscription as already subscribed, recording no event', async () => {
    const { subscriberId, subscriptionId } = await subscribed('+254711000503', 'ru-3');
    const outcome = await gw.core.commits.unit((tx) => gw.core.subscriptions.requestSubscribeIn(subscriberId, 'crop-daily', 'ussd', tx));
    expect(outcome).toMatchObject({ status: 'already_subscribed', state: 'active', providerRequestId: null });
    expect((await subscriptionDetail(gw, subscriptionId)).events).toHaveLength(1);
  });

  it('tells exit listeners of an operator deletion inside the notification unit; a failing listener undoes only its own writes', async () => {
    const told: string[] = [];
    gw.core.subscriptions.onExit(async (e, tx) => {
      told.push(`${e.channel}:${e.subscriptionId}`);
      // A write of the listener's own, then a failure: the write goes, the exit stays.
      expect(await gw.core.subscriptions.store.markReminder(e.subscriptionId, 42, tx!)).toBe(true);
      throw new Error('listener broke');
    });
    const m = '+254711000504';
    const { subscriptionId } = await subscribed(m, 'ru-4');
    const r = await postGeneric(gw, genericEvent({ msisdn: m, eventId: 'ru-4-del', type: 'unsubscribed', at: '2026-11-20T08:30:00Z' }));
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'accepted', state: 'cancelled' });
    expect(told).toEqual([`billing:${subscriptionId}`]);
    expect((await subscriptionsOf(gw, m))[0]).toMatchObject({ state: 'cancelled' });
    expect((await gw.core.subscriptions.store.findById(subscriptionId))!.reminderFor).toBeNull();
  });
});
