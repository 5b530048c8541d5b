import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';
import { billingFixture, genericEvent, postAt, postGeneric, postSdp, subscriptionsOf } from '../helpers/billing';

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway({}, { now: '2026-11-20T09:00:00Z' });
});
afterAll(async () => {
  await gw.stop();
});

/** Nothing was recorded anywhere: no subscription and no subscriber for the number. */
async function nothingChanged(msisdn: string) {
  expect(await subscriptionsOf(gw, msisdn)).toEqual([]);
  const list = await gw.app.inject({ method: 'GET', url: '/api/v1/subscriptions', headers: AUTH });
  expect(list.json().items.filter((i: { msisdn: string }) => i.msisdn === msisdn)).toEqual([]);
}

describe('bad billing input gets a 4xx that says what is wrong and changes nothing', () => {
  it.each([
    ['malformed JSON', billingFixture('generic-malformed.json'), 400, 'INVALID_JSON', /not valid JSON/],
    ['an unknown service', genericEvent({ eventId: 'x1', type: 'subscribed', at: '2026-11-20T06:00:00Z', serviceId: 'horoscope' }), 400, 'UNKNOWN_SERVICE', /"horoscope".*known: crop-daily/],
    ['a number that is not one', genericEvent({ eventId: 'x2', type: 'subscribed', at: '2026-11-20T06:00:00Z', msisdn: '12ab' }), 400, 'INVALID_MSISDN', /msisdn "12ab"/],
    ['an unknown event type', genericEvent({ eventId: 'x3', type: 'paused', at: '2026-11-20T06:00:00Z' }), 400, 'INVALID_TYPE', /"paused" is not one of subscribed/],
    ['a time that is not ISO-8601', genericEvent({ eventId: 'x4', type: 'renewed', at: 'yesterday' }), 400, 'INVALID_FIELD', /Field at "yesterday"/],
    ['no event id', genericEvent({ type: 'renewed', at: '2026-11-20T06:00:00Z' }), 400, 'MISSING_FIELD', /eventId/],
    ['a negative amount', genericEvent({ eventId: 'x5', type: 'renewed', at: '2026-11-20T06:00:00Z', amount: -5 }), 400, 'INVALID_FIELD', /amount/],
    ['another currency', genericEvent({ eventId: 'x6', type: 'renewed', at: '2026-11-20T06:00:00Z', currency: 'UGX' }), 400, 'CURRENCY_MISMATCH', /UGX.*KES/],
  ])('generic event with %s', async (_what, body, status, code, message) => {
    const r = await postGeneric(gw, body);
    expect(r.statusCode).toBe(status);
    expect(r.json().error.code).toBe(code);
    expect(r.json().error.message).toMatch(message);
    await nothingChanged('+254711000001');
  });

  it('rejects a generic event sent as a form (415)', async () => {
    const r = await gw.app.inject({ method: 'POST', url: '/billing/events', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'eventId=1' });
    expect(r.statusCode).toBe(415);
  });

  it.each([
    ['no updateType', billingFixture('at-missing-update-type.txt'), 'MISSING_FIELD', /updateType/],
    ['an update type AT never sends', 'phoneNumber=%2B254711000002&shortCode=20123&keyword=SHAMBA&updateType=Modification', 'INVALID_FIELD', /Addition or Deletion/],
    ['a keyword no service has', 'phoneNumber=%2B254711000002&shortCode=20123&keyword=LOTTO&updateType=Addition', 'UNKNOWN_SERVICE', /short code 20123 and keyword LOTTO/],
    ['a bad phone number', 'phoneNumber=hello&shortCode=20123&keyword=SHAMBA&updateType=Addition', 'INVALID_MSISDN', /phoneNumber "hello"/],
  ])("Africa's Talking notification with %s", async (_what, form, code, message) => {
    const r = await postAt(gw, form);
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code });
    expect(r.json().error.message).toMatch(message);
    await nothingChanged('+254711000002');
  });

  it.each([
    ['truncated XML', billingFixture('sdp-malformed.xml'), 'INVALID_XML', /not well-formed XML/],
    ['an empty body', ' ', 'INVALID_BODY', /empty/],
    ['a body that is not SOAP', '<hello/>', 'INVALID_SOAP', /not a SOAP envelope/],
    ['an unknown product', billingFixture('sdp-addition.xml').replace(/MDSP2000123456/, 'MDSP9999').replace(/6015202000123456/g, '60159999'), 'UNKNOWN_SERVICE', /productID MDSP9999/],
    ['a userID that is not a number', billingFixture('sdp-addition.xml').replace('<ID>254711000003</ID>', '<ID>abc</ID>'), 'INVALID_MSISDN', /userID.ID "abc"/],
    ['a bad updateTime', billingFixture('sdp-addition.xml').replace('<ns1:updateTime>20261120060000<', '<ns1:updateTime>2026-11-20<'), 'INVALID_FIELD', /updateTime "2026-11-20"/],
    ['a modification without rentSuccess', billingFixture('sdp-renewal.xml').replace(/<item><key>rentSuccess<\/key><value>true<\/value><\/item>/, ''), 'MISSING_FIELD', /rentSuccess/],
    ['a DOCTYPE', `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>${billingFixture('sdp-addition.xml').replace(/^<\?xml[^>]*>/, '')}`, 'INVALID_XML', /DOCTYPE/],
  ])('SDP envelope with %s gets a SOAP fault', async (_what, xml, code, message) => {
    const r = await postSdp(gw, xml);
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toMatch(/^text\/xml/);
    expect(r.body).toContain('<soapenv:Fault><faultcode>soapenv:Client</faultcode>');
    expect(r.body).toContain(`<code>${code}</code>`);
    expect(/<faultstring>(.*)<\/faultstring>/.exec(r.body)?.[1]).toMatch(message);
    await nothingChanged('+254711000003');
  });

  it('records and flags an impossible transition, never crashing', async () => {
    const msisdn = '+254711000009';
    const post = (eventId: string, type: string, at: string) => postGeneric(gw, genericEvent({ msisdn, eventId, type, at }));
    expect((await post('f1', 'subscribed', '2026-11-20T06:00:00Z')).json().state).toBe('active');
    expect((await post('f2', 'unsubscribed', '2026-11-20T07:00:00Z')).json().state).toBe('cancelled');
    const renewal = await post('f3', 'renewed', '2026-11-20T08:00:00Z');
    expect(renewal.statusCode).toBe(200);
    expect(renewal.json()).toMatchObject({ status: 'accepted', state: 'cancelled', flag: 'renewed_while_cancelled' });
    const [sub] = await subscriptionsOf(gw, msisdn);
    // The money was taken, so it shows; the state does not pretend the subscriber is back.
    expect(sub).toMatchObject({ state: 'cancelled', flaggedEvents: 1, revenue: { amount: 10 } });
  });

  it('keeps billing callbacks behind the callback secret', async () => {
    const guarded = await testGateway({ callbacks: { secret: 'billing-secret-1' } });
    try {
      const body = genericEvent({ eventId: 's1', type: 'subscribed', at: '2026-11-20T06:00:00Z' });
      const denied = await guarded.app.inject({ method: 'POST', url: '/billing/events', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      expect(denied.statusCode).toBe(401);
      const ok = await guarded.app.inject({ method: 'POST', url: '/billing/events?secret=billing-secret-1', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      expect(ok.statusCode).toBe(200);
    } finally {
      await guarded.stop();
    }
  });
});
