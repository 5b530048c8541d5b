import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from '../helpers/gateway';
import { billingFixture, postAt, postGeneric, postSdp, subscriptionDetail, subscriptionsOf, usageOf } from '../helpers/billing';

let gw: TestGateway;
beforeEach(async () => {
  gw = await testGateway({}, { now: '2026-11-20T09:00:00Z' });
});
afterEach(async () => {
  await gw.stop();
});

describe('generic JSON billing events (POST /billing/events)', () => {
  it('records a subscription and answers a retry as a success that changes nothing', async () => {
    const first = await postGeneric(gw, billingFixture('generic-subscribed.json'));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: 'accepted', state: 'active' });
    const usageBefore = (await usageOf(gw, '+254711000001')).length;

    const retry = await postGeneric(gw, billingFixture('generic-subscribed.json'));
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ status: 'duplicate', state: 'active', subscriptionId: first.json().subscriptionId });

    const [sub] = await subscriptionsOf(gw, '+254711000001');
    expect(sub).toMatchObject({ serviceId: 'crop-daily', state: 'active', revenue: { amount: 5, currency: 'KES' }, subscribedAt: '2026-11-20T06:00:00.000Z' });
    expect((await subscriptionDetail(gw, String(sub!.id))).events).toHaveLength(1);
    expect((await usageOf(gw, '+254711000001')).length).toBe(usageBefore);
    const metrics = (await gw.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('vasgw_subscriptions{state="active"} 1');
    expect(metrics).toMatch(/vasgw_billing_notifications_total\{dialect="generic",outcome="duplicate"\} 1/);
  });

  it('moves to grace on a failed renewal and logs every event as billing usage', async () => {
    await postGeneric(gw, billingFixture('generic-subscribed.json'));
    const r = await postGeneric(gw, billingFixture('generic-renewal-failed.json'));
    expect(r.json()).toMatchObject({ status: 'accepted', state: 'grace' });
    const [sub] = await subscriptionsOf(gw, '254711000001');
    expect(sub).toMatchObject({ state: 'grace', consecutiveFailures: 1, revenue: { amount: 5 } });
    const billing = (await usageOf(gw, '+254711000001')).filter((e) => e.type === 'billing');
    expect(billing.map((e) => [e.channel, e.detail?.event])).toEqual([
      ['billing', 'renewal_failed'],
      ['billing', 'subscribed'],
    ]);
    expect(billing[0]!.detail).toMatchObject({ reason: 'insufficient_balance', serviceId: 'crop-daily', state: 'grace' });
  });
});

describe("Africa's Talking subscription notifications (POST /billing/africastalking)", () => {
  it('maps Addition/Deletion in any case and treats a repeated update as a retry', async () => {
    const add = await postAt(gw, billingFixture('at-addition.txt'));
    expect(add.statusCode).toBe(200);
    expect(add.json()).toMatchObject({ status: 'accepted', state: 'active' });
    expect((await postAt(gw, billingFixture('at-addition.txt'))).json()).toMatchObject({ status: 'duplicate', state: 'active' });

    const del = await postAt(gw, billingFixture('at-deletion.txt'));
    expect(del.json()).toMatchObject({ status: 'accepted', state: 'cancelled' });
    expect((await postAt(gw, billingFixture('at-deletion.txt'))).json()).toMatchObject({ status: 'duplicate', state: 'cancelled' });

    // A later addition is a new run, not a retry.
    gw.clock.advance(3600_000);
    expect((await postAt(gw, billingFixture('at-addition.txt'))).json()).toMatchObject({ status: 'accepted', state: 'active' });
    const [sub] = await subscriptionsOf(gw, '+254711000002');
    expect(sub).toMatchObject({ state: 'active', subscribedAt: '2026-11-20T10:00:00.000Z', revenue: { amount: 0 } });
    expect((await subscriptionDetail(gw, String(sub!.id))).events.map((e) => e.type)).toEqual(['subscribed', 'unsubscribed', 'subscribed']);
  });
});

describe('ParlayX syncOrderRelation (POST /billing/sdp)', () => {
  it('answers result 0, maps the extensionInfo and is idempotent on transactionID', async () => {
    const r = await postSdp(gw, billingFixture('sdp-addition.xml'));
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/xml/);
    expect(r.body).toMatch(/<loc:syncOrderRelationResponse><loc:result>0<\/loc:result>/);
    const [sub] = await subscriptionsOf(gw, '+254711000003');
    expect(sub).toMatchObject({
      state: 'active',
      subscribedAt: '2026-11-20T06:00:00.000Z',
      nextRenewalAt: '2026-11-21T06:00:00.000Z',
      autoRenew: true,
      revenue: { amount: 5, currency: 'KES' }, // fee 500 in cents
    });
    const detail = await subscriptionDetail(gw, String(sub!.id));
    expect(detail.events[0]).toMatchObject({ type: 'subscribed', source: 'sdp', amount: 5 });
    expect(detail.events[0]!.detail).toMatchObject({ productID: 'MDSP2000123456', spID: '601520', extensionInfo: { keyword: 'SHAMBA', chargeMode: '0', shortMessage: '' } });

    const retry = await postSdp(gw, billingFixture('sdp-addition.xml'));
    expect(retry.statusCode).toBe(200);
    expect(retry.body).toContain('<loc:result>0</loc:result>');
    expect((await subscriptionDetail(gw, String(sub!.id))).events).toHaveLength(1);
  });

  it('follows modifications (renewal, failed renewal) and the deletion', async () => {
    // The clock follows the platform: each notification arrives an hour after its updateTime.
    const at = async (iso: string, fixture: string) => {
      gw.clock.set(iso);
      expect((await postSdp(gw, billingFixture(fixture))).statusCode).toBe(200);
    };
    await at('2026-11-20T07:00:00Z', 'sdp-addition.xml');
    await at('2026-11-21T07:00:00Z', 'sdp-renewal.xml');
    let [sub] = await subscriptionsOf(gw, '+254711000003');
    expect(sub).toMatchObject({ state: 'active', renewals: 1, revenue: { amount: 10 }, nextRenewalAt: '2026-11-22T06:00:00.000Z', lastChargedAt: '2026-11-21T06:00:00.000Z' });

    await at('2026-11-22T07:00:00Z', 'sdp-renewal-failed.xml');
    [sub] = await subscriptionsOf(gw, '+254711000003');
    expect(sub).toMatchObject({ state: 'grace', consecutiveFailures: 1, revenue: { amount: 10 } });

    await at('2026-11-23T08:30:00Z', 'sdp-deletion.xml');
    [sub] = await subscriptionsOf(gw, '+254711000003');
    expect(sub).toMatchObject({ state: 'cancelled', stateSince: '2026-11-23T07:30:00.000Z', nextRenewalAt: null });
    const events = (await subscriptionDetail(gw, String(sub!.id))).events;
    expect(events.map((e) => e.type)).toEqual(['subscribed', 'renewed', 'renewal_failed', 'unsubscribed']);
    expect(events[2]).toMatchObject({ reason: 'insufficient balance' });
  });

  it('reads the flat namedParameters variant: a free period charges nothing', async () => {
    const r = await postSdp(gw, billingFixture('sdp-named-parameters.xml'));
    expect(r.body).toContain('<loc:result>0</loc:result>');
    const [sub] = await subscriptionsOf(gw, '+254711000004');
    expect(sub).toMatchObject({ state: 'active', revenue: { amount: 0 }, lastChargedAt: null });
    const detail = await subscriptionDetail(gw, String(sub!.id));
    expect(detail.events[0]!.detail).toMatchObject({ extensionInfo: { TransactionID: '1339730498361', isFreePeriod: 'true' } });
  });
});
