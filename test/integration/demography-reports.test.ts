import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ussdSession } from '../helpers/crm';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

// A small population with a planted difference, dialling the demo flow over USSD: women mostly open
// market prices, men mostly maize planting. Segments, usage by gender and age band, and the
// content-by-demography report must recover it.

let gw: TestGateway;
const W = 40;
const M = 40;
const women = Array.from({ length: W }, (_, i) => `+25471300${String(i).padStart(4, '0')}`);
const men = Array.from({ length: M }, (_, i) => `+25471400${String(i).padStart(4, '0')}`);
const unknown = ['+254715000001', '+254715000002']; // imported, never dialled

const MARKET_MAIZE = ['1', '2', '1']; // English, Market prices, Maize
const WEATHER_PLANTING = ['1', '3', '1'];
const MAIZE_PLANTING = ['1', '1', '1', '1']; // English, Crop advice, Maize, Planting

const report = async (path: string) => {
  const res = await gw.app.inject({ method: 'GET', url: `/api/v1/reports/${path}`, headers: AUTH });
  return { status: res.statusCode, body: res.json() };
};
const segment = async (filter: unknown) => gw.app.inject({ method: 'POST', url: '/api/v1/segments', headers: AUTH, payload: { name: 'test', filter } });
const count = async (filter: unknown) => {
  const res = await segment(filter);
  expect(res.statusCode, JSON.stringify(res.json())).toBe(201);
  return res.json().count as number;
};

beforeAll(async () => {
  gw = await testGateway({ profile: { fields: { joinedCoop: { type: 'date' } } } }, { now: '2026-11-20T06:00:00Z' });
  const rows = [
    'msisdn,gender,birthYear,crops,farmSize,joinedCoop',
    ...women.map((n, i) => `${n},female,2000,maize;beans,${i < 10 ? 0.5 : 2},${i < 5 ? '2024-03-01' : ''}`),
    ...men.map((n) => `${n},male,1960,cassava,5,`),
    `${unknown[0]},female,1990,,,`,
    `${unknown[1]},,,,,`,
  ];
  const imp = await gw.app.inject({ method: 'POST', url: '/api/v1/subscribers/import', headers: { ...AUTH, 'content-type': 'text/csv' }, payload: rows.join('\n') });
  expect(imp.json()).toMatchObject({ created: W + M + 2, rejected: 0 });
  for (const [i, n] of women.entries()) await ussdSession(gw, n, i < 30 ? MARKET_MAIZE : WEATHER_PLANTING, { stepMs: 1000 });
  for (const [i, n] of men.entries()) await ussdSession(gw, n, i < 5 ? MARKET_MAIZE : MAIZE_PLANTING, { stepMs: 1000 });
  gw.clock.advance(3 * 3600_000);
  // The usage and content-by-demography reports read the rollups a CRM pass keeps.
  await gw.core.crm.runPass();
}, 60_000);
afterAll(async () => gw.stop());

describe('segments over the typed profile', () => {
  it('filter enums, lists, ranges, dates and an age range, with a live count', async () => {
    expect(await count({ profile: { gender: 'female' } })).toBe(W + 1);
    expect(await count({ profile: { gender: ['FEMALE', 'male'] } })).toBe(W + M + 1);
    expect(await count({ profile: { crops: ['cassava', 'sorghum'] } })).toBe(M);
    expect(await count({ profile: { crops: 'beans' } })).toBe(W);
    expect(await count({ profile: { farmSize: { min: 1, max: 3 } } })).toBe(W - 10);
    expect(await count({ profile: { farmSize: { max: 1 } } })).toBe(10);
    expect(await count({ profile: { joinedCoop: { from: '2024-01-01', to: '2024-12-31' } } })).toBe(5);
    expect(await count({ ageMax: 30 })).toBe(W); // born 2000: 26 this year
    expect(await count({ ageMin: 60 })).toBe(M); // born 1960: 66
    expect(await count({ ageMin: 30, ageMax: 40 })).toBe(1); // born 1990, never dialled
    expect(await count({ ageMin: 20, ageMax: 30, profile: { gender: 'female' }, lastSeenWithinDays: 1 })).toBe(W);
    expect(await count({ profile: { gender: 'female' }, lastSeenWithinDays: 1 })).toBe(W); // the imported woman never dialled
  });

  it('answers 400 naming the field for a filter it cannot run', async () => {
    const cases: [unknown, RegExp][] = [
      [{ profile: { gender: 'robot' } }, /^filter\.profile\.gender: "robot" is not allowed; gender must be one of female, male, other\.$/],
      [{ profile: { age: '30' } }, /^filter\.profile\.age is not a profile field \(fields: gender, birthYear/],
      [{ profile: { farmSize: 'big' } }, /^filter\.profile\.farmSize is a number: filter it with \{ "min", "max" \}/],
      [{ profile: { birthYear: { min: 2000, max: 1990 } } }, /filter\.profile\.birthYear has min above max/],
      [{ profile: { joinedCoop: { from: '2024-13-45' } } }, /filter\.profile\.joinedCoop has "2024-13-45", which is not a date/],
      [{ profile: { gender: { min: 1 } } }, /filter\.profile\.gender is an enum field: give a value or a list of values/],
      [{ ageMin: 50, ageMax: 20 }, /filter\.ageMin must not be above filter\.ageMax/],
      [{ ageMin: -1 }, /filter\.ageMin must be a whole number of years/],
      [{ gender: 'female' }, /filter\.gender is a profile field: filter it as filter\.profile\.gender/],
    ];
    for (const [filter, message] of cases) {
      const res = await segment(filter);
      expect(res.statusCode, JSON.stringify(filter)).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'INVALID_FILTER', message: expect.stringMatching(message) });
    }
  });
});

describe('usage by a typed field', () => {
  it('breaks usage down by gender and by age band', async () => {
    const byGender = await report('usage?by=gender');
    expect(byGender.status).toBe(200);
    expect(byGender.body).toMatchObject({ by: 'gender', activeSubscribers: W + M });
    expect(byGender.body.values).toEqual([
      { value: 'female', activeSubscribers: W, registeredSubscribers: W + 1, reachRate: 0.9756, sessions: W, contentRate: 1, stuckSessions: null, stuckRate: null },
      { value: 'male', activeSubscribers: M, registeredSubscribers: M, reachRate: 1, sessions: M, contentRate: 1, stuckSessions: null, stuckRate: null },
    ]);
    const byAge = await report('usage?by=ageBand');
    expect(byAge.body.values.map((v: { value: string; activeSubscribers: number; registeredSubscribers: number }) => [v.value, v.activeSubscribers, v.registeredSubscribers])).toEqual([
      ['25-34', W, W],
      ['55+', M, M],
    ]);
    const bad = await report('usage?by=shoeSize');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/shoeSize is not a profile field; by\/field must be one of region, crop, language, operator, gender, birthYear/);
  });
});

describe('content by demography', () => {
  it('recovers the planted difference: women reach market prices far above their share, men below it', async () => {
    const { status, body } = await report('content-demography?field=gender');
    expect(status).toBe(200);
    expect(body).toMatchObject({ report: 'content-demography', field: 'gender', activeSubscribers: W + M });
    expect(body.groups).toEqual([
      { value: 'female', activeSubscribers: W, shareOfActive: 0.5, visits: W, shareOfVisits: 0.5 },
      { value: 'male', activeSubscribers: M, shareOfActive: 0.5, visits: M, shareOfVisits: 0.5 },
    ]);
    const market = body.content.find((c: { nodeId: string }) => c.nodeId === 'market-maize');
    expect(market).toMatchObject({ flowId: 'crop-advice', reached: 35 });
    const [f, m] = market.groups;
    expect(f).toMatchObject({ value: 'female', reached: 30, shareOfReached: 0.8571, shareOfVisits: 0.5, reachIndex: 1.714 });
    expect(f.interval[0]).toBeGreaterThan(1);
    expect(m).toMatchObject({ value: 'male', reached: 5, reachIndex: 0.286, fewReached: true });
    expect(m.interval[1]).toBeLessThan(1);
    // Who the service is failing: men on market prices, women on maize planting (none reached it).
    const failing = body.failing.map((x: { nodeId: string; value: string }) => `${x.nodeId}:${x.value}`);
    expect(failing).toEqual(expect.arrayContaining(['market-maize:male', 'maize-planting:female']));
    expect(failing).not.toContain('market-maize:female');
  });

  it('groups by age band and refuses an unknown field', async () => {
    const { body } = await report('content-demography?field=ageBand');
    expect(body.groups.map((g: { value: string }) => g.value)).toEqual(['25-34', '55+']);
    const planting = body.content.find((c: { nodeId: string }) => c.nodeId === 'maize-planting');
    expect(planting.groups.find((g: { value: string }) => g.value === '55+')).toMatchObject({ reached: 35, reachIndex: 2 });
    const bad = await report('content-demography?field=tribe');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/tribe is not a profile field/);
    expect((await report('content-demography')).status).toBe(400);
  });
});
