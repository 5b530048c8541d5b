import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { testGateway, type TestGateway } from '../helpers/gateway';
import { apiGet, billing } from '../helpers/crm';

const service = (id: string, period: string) => ({ id, name: id, price: 5, currency: 'KES', period, shortCode: '20123', keywords: [id.toUpperCase().replace('-', '')], operators: {} });
const SERVICES = [service('crop-daily', 'daily'), service('crop-weekly', 'weekly'), service('crop-monthly', 'monthly')] as unknown as Config['services'];
const DAY = 86_400_000;
const START = Date.parse('2026-01-05T06:00:00Z');
const at = (day: number, hour = 0) => new Date(START + day * DAY + hour * 3_600_000).toISOString();

// Planted truth, over the wire (billing notifications and SMS keywords), 40 days:
//   daily users (an SMS keyword every day) on the weekly package: all still subscribed on day 40;
//   daily users on the daily package: all unsubscribe on day 10;
//   lapsed users (never active) on the monthly package: still subscribed; on the weekly package: leave on day 5.
// The report must name the weekly package for daily users and the monthly one for lapsed users.
const msisdn = (group: number, i: number) => `+2547781${group}${String(i).padStart(4, '0')}`;
let gw: TestGateway;

beforeAll(async () => {
  gw = await testGateway({ services: SERVICES, crm: { holdoutPercent: 0, act: false } }, { now: at(0) });
  const sub = (m: string, serviceId: string, type: string, day: number) => billing(gw, m, type, at(day), { serviceId });
  for (let i = 0; i < 8; i++) {
    await sub(msisdn(1, i), 'crop-weekly', 'subscribed', 0);
    await sub(msisdn(2, i), 'crop-daily', 'subscribed', 0);
  }
  for (let i = 0; i < 6; i++) {
    await sub(msisdn(3, i), 'crop-monthly', 'subscribed', 0);
    await sub(msisdn(4, i), 'crop-weekly', 'subscribed', 0);
  }
  for (let day = 0; day < 40; day++) {
    gw.clock.set(at(day, 2));
    for (let i = 0; i < 8; i++) {
      const active = [msisdn(1, i), ...(day < 10 ? [msisdn(2, i)] : [])];
      for (const m of active) {
        const r = await gw.app.inject({ method: 'POST', url: '/sms/inbound', payload: { from: m, to: '20123', text: 'MAIZE' } });
        expect(r.statusCode).toBe(202);
      }
      if (day > 0 && day % 7 === 0) await sub(msisdn(1, i), 'crop-weekly', 'renewed', day);
      if (day > 0 && day < 10) await sub(msisdn(2, i), 'crop-daily', 'renewed', day);
      if (day === 10) await sub(msisdn(2, i), 'crop-daily', 'unsubscribed', day);
    }
    for (let i = 0; i < 6; i++) {
      if (day === 30) await sub(msisdn(3, i), 'crop-monthly', 'renewed', day);
      if (day === 5) await sub(msisdn(4, i), 'crop-weekly', 'unsubscribed', day);
    }
  }
  gw.clock.set(at(40, 3));
  await gw.core.crm.runPass();
});
afterAll(async () => {
  await gw?.stop();
});

type Pkg = { period: string; subscriptions: number; ended: number; stillSubscribed: number; survival: Record<string, { survival: number; ci95: [number, number] } | null>; medianDays: number | null };
type Pattern = { pattern: string; subscriptions: number; packages: Pkg[]; best: { period: string | null; horizonDays: number | null } };

describe('package-fit report', () => {
  it('recovers the planted winners: weekly for daily users, monthly for lapsed users', async () => {
    const r = await apiGet(gw, '/reports/package-fit');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ subscriptions: 28, horizonsDays: [30, 90] });
    const patterns = r.body.patterns as Pattern[];
    const daily = patterns.find((p) => p.pattern === 'daily')!;
    expect(daily.subscriptions).toBe(16);
    expect(daily.packages.find((p) => p.period === 'weekly')).toMatchObject({ subscriptions: 8, ended: 0, stillSubscribed: 8, medianDays: null, survival: { day30: { survival: 1 }, day90: null } });
    expect(daily.packages.find((p) => p.period === 'daily')).toMatchObject({ subscriptions: 8, ended: 8, medianDays: 10, survival: { day30: { survival: 0 } } });
    expect(daily.best).toMatchObject({ period: 'weekly', horizonDays: 30 });
    const lapsed = patterns.find((p) => p.pattern === 'lapsed')!;
    expect(lapsed.subscriptions).toBe(12);
    expect(lapsed.best).toMatchObject({ period: 'monthly', horizonDays: 30 });
    expect(patterns.find((p) => p.pattern === 'weekly')).toMatchObject({ subscriptions: 0, packages: [], best: { period: null } });
  });

  it('a range before the first snapshot says so', async () => {
    const r = await apiGet(gw, '/reports/package-fit?from=2025-01-01&to=2025-01-31');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ asOf: null, patterns: [] });
  });
});
