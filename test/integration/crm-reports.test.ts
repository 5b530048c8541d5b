import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';
import { apiGet, billing, ussdSession } from '../helpers/crm';

const SERVICES = [{ id: 'crop-daily', name: 'Crop advice', price: 5, currency: 'KES', period: 'daily', shortCode: '20123', keywords: ['SHAMBA'], operators: {} }] as unknown as Config['services'];
let gw: TestGateway;

// A small day: two farmers find maize planting advice, one gets lost in the maize menu three times,
// one pays without using; then one detector pass.
beforeAll(async () => {
  gw = await testGateway({ services: SERVICES, crm: { holdoutPercent: 0 } }, { now: '2026-11-20T07:00:00Z' });
  const patch = (m: string, body: Record<string, string>) => gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${m}`, headers: AUTH, payload: body });
  await patch('+254766000001', { region: 'Nakuru', crop: 'maize' });
  await patch('+254766000002', { region: 'Kisii', crop: 'maize' });
  await patch('+254766000003', { region: 'Nakuru', crop: 'beans' });
  await ussdSession(gw, '+254766000001', ['1', '1', '1', '1']);
  await ussdSession(gw, '+254766000002', ['1', '1', '1', '9', '1']); // one invalid input, then content
  for (let i = 0; i < 3; i++) await ussdSession(gw, '+254766000003', [...(i === 0 ? ['1'] : []), '1', '1', '9', '8', '7']);
  await billing(gw, '+254766000004', 'subscribed', '2026-11-18T06:00:00Z');
  await billing(gw, '+254766000004', 'renewed', '2026-11-19T06:00:00Z');
  await billing(gw, '+254766000004', 'renewed', '2026-11-20T06:00:00Z');
  gw.clock.set('2026-11-20T09:00:00Z');
  await gw.core.crm.runPass();
});
afterAll(async () => {
  await gw?.stop();
});

const get = (url: string) => apiGet(gw, url);

describe('reports API', () => {
  it('lists the reports', async () => {
    const r = await get('/reports');
    expect(r.status).toBe(200);
    expect((r.body.reports as { name: string }[]).map((x) => x.name)).toEqual(['funnel', 'discovery', 'stuck', 'paying-vs-using', 'retention', 'usage', 'interventions', 'risk', 'content-demography', 'exit-reasons', 'findings', 'package-fit', 'context', 'onboarding', 'menu-recommendations', 'tiers']);
  });

  it('funnel: per node views, invalid-input rate, exits and drop-off', async () => {
    const r = await get('/reports/funnel?from=2026-11-20&to=2026-11-20&channel=ussd&flow=crop-advice');
    expect(r.status).toBe(200);
    const flow = (r.body.flows as { flowId: string; sessions: number; nodes: Record<string, unknown>[] }[])[0]!;
    expect(flow).toMatchObject({ flowId: 'crop-advice', sessions: 5 });
    const maize = flow.nodes.find((n) => n.nodeId === 'maize')!;
    expect(maize).toMatchObject({ type: 'menu', depth: 2, label: 'Maize', shortcut: '*384*1*1*1#', sessions: 5, invalidInputs: 10, dropoffs: 3, exits: { total: 3, max_invalid: 3 } });
    expect(maize.dropoffRate).toBe(0.6);
    expect(flow.nodes.find((n) => n.nodeId === 'maize-planting')).toMatchObject({ type: 'content', sessions: 2 });
    expect(typeof maize.medianDwellSeconds).toBe('number');
  });

  it('discovery: content reached, at the first go, and in first sessions', async () => {
    const r = await get('/reports/discovery?from=2026-11-20&to=2026-11-20');
    expect(r.body).toMatchObject({ sessions: 5, contentRate: 0.4, firstAttemptRate: 0.2, firstSessions: 3, stuckSessions: 3, stuckRate: 0.6 });
    expect(r.body.firstSessionContentRate).toBeCloseTo(2 / 3, 3);
    expect(r.body.endReasons).toMatchObject({ max_invalid: 3 });
    expect(r.body.frictionSignals).toMatchObject({ invalid: 3, max_invalid: 3 });
  });

  it('stuck: who, and what they sought', async () => {
    const r = await get('/reports/stuck?from=2026-11-20&to=2026-11-21');
    expect(r.body.subscribers).toBe(1);
    expect(r.body.mostSought).toEqual([{ flowId: 'crop-advice', nodeId: 'maize', topic: 'Maize', shortcut: '*384*1*1*1#', subscribers: 1 }]);
    expect(r.body.list).toEqual([expect.objectContaining({ msisdn: '+254766000003', region: 'Nakuru', crop: 'beans', sought: expect.objectContaining({ nodeId: 'maize', shortcut: '*384*1*1*1#' }), stuckSessions: 3 })]);
  });

  it('usage: distinct active subscribers and content rate by region', async () => {
    const r = await get('/reports/usage?by=region&from=2026-11-20&to=2026-11-20');
    const values = r.body.values as { value: string; activeSubscribers: number; registeredSubscribers: number | null; sessions: number; contentRate: number | null }[];
    expect(values.find((v) => v.value === 'Nakuru')).toMatchObject({ activeSubscribers: 2, registeredSubscribers: 2, sessions: 4, contentRate: 0.25 });
    expect(values.find((v) => v.value === 'Kisii')).toMatchObject({ activeSubscribers: 1, sessions: 1, contentRate: 1 });
    expect((await get('/reports/usage?by=crop')).body.by).toBe('crop');
  });

  it('paying-vs-using: the payer who does not use is revenue at stake', async () => {
    const r = await get('/reports/paying-vs-using');
    expect(r.body.services).toEqual({
      'crop-daily': expect.objectContaining({ payingNotUsing: { subscribers: 1, monthlyRevenue: 150 }, payingUsing: { subscribers: 0, monthlyRevenue: 0 }, revenueAtStake: 150, currency: 'KES' }),
    });
  });

  it('risk and retention answer from the last scoring', async () => {
    const risk = await get('/reports/risk?limit=5');
    // One subscription, two days old, renewing: not likely to lapse, and too new to judge its usage.
    expect(risk.body).toMatchObject({ lapse: [], disengagement: [], summary: { subscriptions: 1, atRiskFrom: 0.5, atRisk: { lapse: 0, disengagement: 0, notYetJudged: 1 } } });
    const retention = await get('/reports/retention');
    expect(retention.status).toBe(200);
    expect(retention.body).toHaveProperty('subscriptions');
    expect(retention.body).toHaveProperty('activity');
  });

  it('answers 4xx with a message for bad filters, 404 for an unknown report, 401 without the token', async () => {
    const bad = await get('/reports/funnel?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'INVALID_RANGE' } });
    expect((await get('/reports/funnel?from=2026-11-21&to=2026-11-20')).status).toBe(400);
    expect((await get('/reports/funnel?channel=fax')).body).toMatchObject({ error: { code: 'INVALID_CHANNEL' } });
    expect((await get('/reports/usage?by=shoe_size')).body).toMatchObject({ error: { code: 'INVALID_DIMENSION' } });
    expect((await get('/reports/risk?service=nope')).body).toMatchObject({ error: { code: 'UNKNOWN_SERVICE' } });
    expect((await get('/reports/risk?state=cancelled')).body).toMatchObject({ error: { code: 'INVALID_STATE' } });
    expect((await get('/reports/interventions?kind=spam')).status).toBe(400);
    expect((await get('/reports/nothing')).status).toBe(404);
    expect((await get('/reports/funnel?limit=0')).status).toBe(400);
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/reports/funnel' })).statusCode).toBe(401);
  });

  it('the query-string schema keeps the stable codes and names the field and what is allowed', async () => {
    for (const [query, code, message] of [
      ['channel=fax', 'INVALID_CHANNEL', /^querystring\.channel .*\(ussd, ivr, sms\)$/],
      ['limit=abc', 'INVALID_LIMIT', /^querystring\.limit /],
      ['limit=2.5', 'INVALID_LIMIT', /^querystring\.limit /],
      ['limit=10001', 'INVALID_LIMIT', /^querystring\.limit .*10000/],
      ['kind=spam', 'INVALID_KIND', /^querystring\.kind .*\(education_sms, voice_guidance, nudge, save, winback, welcome, onboarding_followup, exit_guidance, exit_offer, save_call\)$/],
      ['windows=some', 'INVALID_WINDOWS', /^querystring\.windows .*\(closed, all\)$/],
      ['state=cancelled', 'INVALID_STATE', /^querystring\.state .*\(active, grace, suspended\)$/],
    ] as const) {
      const res = await get(`/reports/risk?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error, query).toEqual({ code, message: expect.stringMatching(message) });
    }
    // Coerced and defaulted: a numeric limit ranks that many; the default windows are the closed ones.
    expect((await get('/reports/risk?limit=1')).status).toBe(200);
    expect((await get('/reports/interventions')).body.windows).toBe('closed');
    expect((await get('/reports/interventions?windows=all')).body.windows).toBe('all');
  });
});
