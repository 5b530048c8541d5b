import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from '../helpers/gateway';
import { subscriptionDetail, subscriptionsOf } from '../helpers/billing';
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
    { billing: { africastalking: { enabled: true, apiBaseUrl: base, contentBaseUrl: base, username: 'vasgw', apiKey: 'test-at-key', timeoutMs: 2000 } } },
    { now: '2026-11-20T09:00:00Z' },
  );
});
afterEach(async () => {
  await gw.stop();
});

describe('an operator request refused with fields that are not text', () => {
  // The operator's own words are what an operator reads to act on a refusal; they used to show as `[object Object]`.
  it('keeps the refusal readable in the request result', async () => {
    const m = '+254711000311';
    await gw.core.messaging.routeMo({ from: m, to: '20123', text: 'SHAMBA', at: gw.clock.now() });
    await gw.core.subscriptions.requests.drain();
    const id = String((await subscriptionsOf(gw, m))[0]!.id);
    fake.answerNext('/version1/subscription/delete', { status: 200, body: { status: 'Failed', description: { code: 404, reason: 'Subscription not found' } } });
    await gw.core.messaging.routeMo({ from: m, to: '20123', text: 'STOP SHAMBA', at: gw.clock.now() });
    await gw.core.subscriptions.requests.drain();
    const requests = (await subscriptionDetail(gw, id)).operatorRequests;
    expect(requests).toMatchObject([{ status: 'done' }, { action: 'unsubscribe', status: 'failed', result: 'delete failed: Failed {"code":404,"reason":"Subscription not found"}' }]);
  });
});
