import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GenerateSummary } from '../../src/crm/generator/population';
import { DEMOGRAPHY_TRUTH, topicOf } from '../../src/crm/generator/demography';
import { flowRoutes } from '../../src/crm/generator/flow-paths';
import { INTERVENTION_TRUTH } from '../../src/crm/generator/treatment';
import { CROPS } from '../../src/crm/generator/model';
import { generateWithCrm } from '../helpers/crm-pass';
import { AUTH, stopAfterAll, testGateway, type TestGateway } from '../helpers/gateway';

// A planted truth, then the product's own reports over HTTP must recover it.
const START = Date.parse('2026-10-01T21:00:00Z'); // midnight in Nairobi
const DAYS = 35;
const SUBSCRIBERS = 3000;
// Half held out: a small population still gives every arm enough subscribers for a useful interval.
const HOLDOUT_PERCENT = 50;

let gw: TestGateway;
let summary: GenerateSummary;

const get = async <T>(url: string): Promise<T> => {
  const r = await gw.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: AUTH });
  expect(r.statusCode, `${url}: ${r.body.slice(0, 200)}`).toBe(200);
  return r.json() as T;
};

beforeAll(async () => {
  gw = await testGateway({ crm: { holdoutPercent: HOLDOUT_PERCENT } }, { now: new Date(START).toISOString() });
  summary = await generateWithCrm(gw, { subscribers: SUBSCRIBERS, days: DAYS, seed: 1, start: START });
}, 240_000);

stopAfterAll(() => [gw]);

interface Outcome {
  treatment: unknown;
  holdout: unknown;
  uplift: number | null;
  ci95: [number, number] | null;
  effectOnReached: { uplift: number | null; ci95: [number, number] | null };
}
interface KindReport {
  kind: string;
  treated: { subscribers: number; reached: number };
  deliveryRate: { rate: number | null; ci95: [number, number] | null };
  holdout: { subscribers: number };
  outcomes: Record<string, Outcome>;
}

/** A rate as the report gives it: a number, or an object carrying `rate`. */
const rateOf = (x: unknown): number | null => (typeof x === 'number' || x === null ? x : (x as { rate: number | null }).rate);

describe('generator with the CRM acting: planted intervention effects', () => {
  it('the interventions report brackets each planted uplift (intention to treat) with its 95% interval', async () => {
    const report = await get<{ kinds: KindReport[] }>('/reports/interventions?from=2026-10-01&to=2026-11-30');
    const truth = summary.crm!.truth;
    let checked = 0;
    for (const t of truth) {
      const k = report.kinds.find((x) => x.kind === t.kind);
      // Kinds the CRM seldom finds in a small population (voice guidance needs stuck IVR callers) carry no usable interval.
      if (!k || t.treated < 30 || t.holdout < 30) continue;
      const o = k.outcomes[t.outcome]!;
      // The report counts exactly the subscribers the generator followed, and their outcomes as they happened.
      expect({ treated: k.treated.subscribers, holdout: k.holdout.subscribers }).toEqual({ treated: t.treated, holdout: t.holdout });
      expect(rateOf(o.treatment)).toBe(t.observed.treatment);
      expect(rateOf(o.holdout)).toBe(t.observed.holdout);
      // ITT: planted effect on the reached x the share reached.
      expect(t.itt).toBeCloseTo(t.effectOnReached! * t.deliveryShare!, 3);
      expect(t.itt!, `${t.kind}: planted ITT ${t.itt} outside ${JSON.stringify(o.ci95)}`).toBeGreaterThanOrEqual(o.ci95![0]);
      expect(t.itt!).toBeLessThanOrEqual(o.ci95![1]);
      // Delivery: the report's reached are exactly the subscribers the simulated receipts delivered to.
      expect(k.treated.reached).toBe(t.delivered);
      expect(k.deliveryRate.rate).toBeCloseTo(t.deliveryShare!, 3);
      // Effect on those reached (ITT / delivery rate): the planted CACE inside its 95% interval.
      const cace = o.effectOnReached.ci95!;
      expect(t.effectOnReached!, `${t.kind}: planted effect on reached ${t.effectOnReached} outside ${JSON.stringify(cace)}`).toBeGreaterThanOrEqual(cace[0]);
      expect(t.effectOnReached!).toBeLessThanOrEqual(cace[1]);
      checked++;
    }
    // Win-back, save and nudge at least: the test is not empty.
    expect(checked).toBeGreaterThanOrEqual(3);
    // The effects are real, not zero: subscribers were moved, and nudges (the most frequent kind) gained reach.
    expect(summary.crm!.moved).toBeGreaterThan(20);
    expect(truth.find((t) => t.kind === 'nudge')!.effectOnReached!).toBeGreaterThan(0.05);
  });

  it('delivery is settled as receipts would: the planted share of intervention SMS is delivered, the rest failed', async () => {
    const rows = await gw.core.database.all<{ status: string; n: number }>(sql`SELECT status, count(*) AS n FROM messages WHERE source = 'intervention' GROUP BY status`);
    const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    const settled = (by.delivered ?? 0) + (by.failed ?? 0);
    expect(by.queued ?? 0).toBe(0);
    expect(settled).toBeGreaterThan(300);
    // Binomial: within 4 standard errors of the planted share.
    const p = INTERVENTION_TRUTH.delivery.sms;
    expect(Math.abs((by.delivered ?? 0) / settled - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / settled));
  });
});

describe('generator demographics: planted differences show in the usage data', () => {
  /**
   * Per group, the share of sessions that reach content of each topic, from the usage log of every
   * subscriber over the API: the per-session view of the planted mechanism (the content-demography
   * report above gives the per-subscriber reach index).
   */
  async function topicShares(): Promise<{ female: Share; others: Share; young: Share; older: Share }> {
    const flow = gw.core.flows.byId('crop-advice')!;
    const topicOfNode = new Map(flowRoutes(flow, CROPS).map((r) => [r.content, topicOf(r)]));
    const acc = { female: newShare(), others: newShare(), young: newShare(), older: newShare() };
    // Half the base is plenty for differences this large, at half the requests.
    for (let id = 1; id <= SUBSCRIBERS / 2; id++) {
      const msisdn = `+2547${String(10_000_000 + id - 1).padStart(8, '0')}`;
      const sub = await get<{ profile: { gender: string; birthYear: number } }>(`/subscribers/${encodeURIComponent(msisdn)}`);
      const events = await get<{ type: string; sessionId?: string; nodeId?: string }[]>(`/subscribers/${encodeURIComponent(msisdn)}/events?limit=1000`);
      const sessions = new Map<string, Set<string>>();
      for (const e of events) {
        if (!e.sessionId) continue;
        const topics = sessions.get(e.sessionId) ?? new Set<string>();
        if (e.type === 'content' && e.nodeId) topics.add(topicOfNode.get(e.nodeId) ?? 'other');
        sessions.set(e.sessionId, topics);
      }
      const groups = [sub.profile.gender === 'female' ? acc.female : acc.others, sub.profile.birthYear >= DEMOGRAPHY_TRUTH.weather.group.from ? acc.young : acc.older];
      for (const g of groups) {
        for (const topics of sessions.values()) {
          g.sessions++;
          if (topics.has('market')) g.market++;
          if (topics.has('weather')) g.weather++;
        }
      }
    }
    return acc;
  }
  type Share = { sessions: number; market: number; weather: number };
  const newShare = (): Share => ({ sessions: 0, market: 0, weather: 0 });

  interface Demography {
    content: { nodeId: string; reached: number; groups: { value: string; reached: number; shareOfVisits: number; reachIndex: number | null; interval: [number, number] | null }[] }[];
  }
  const indexOf = (d: Demography, node: string, group: string) => d.content.find((c) => c.nodeId === node)?.groups.find((g) => g.value === group);

  it('the content-demography report shows women over-reached by market prices and the young under-reached by weather', async () => {
    const flow = gw.core.flows.byId('crop-advice')!;
    const routes = flowRoutes(flow, CROPS);
    const range = 'from=2026-10-01&to=2026-11-06&limit=100';
    const byGender = await get<Demography>(`/reports/content-demography?field=gender&${range}`);
    const market = routes.filter((r) => topicOf(r) === 'market').map((r) => r.content);
    expect(market.length).toBeGreaterThan(0);
    for (const node of market) {
      const women = indexOf(byGender, node, 'female')!;
      const men = indexOf(byGender, node, 'male')!;
      // Planted: women aim at market prices ~2.4x as often per session as the rest.
      expect(women.interval![0], `${node}: women ${JSON.stringify(women)}`).toBeGreaterThan(1);
      expect(men.interval![1], `${node}: men ${JSON.stringify(men)}`).toBeLessThan(1);
    }
    const byAge = await get<Demography>(`/reports/content-demography?field=ageBand&${range}`);
    const weather = routes.filter((r) => topicOf(r) === 'weather').map((r) => r.content);
    // Planted: born 1998 or later (everyone under 25 at the report's end) leave the weather menu 80% of the
    // time. Weather is a small share of use, so each node has few young reachers: every node's index is
    // under 1, and pooled over the weather nodes the young reach it at well under half their share.
    let young = 0;
    let all = 0;
    let share = 0;
    for (const node of weather) {
      const g = indexOf(byAge, node, '<25');
      if (!g || g.reachIndex === null) continue;
      expect(g.reachIndex, `${node}: <25 ${JSON.stringify(g)}`).toBeLessThan(1);
      young += g.reached;
      all += byAge.content.find((c) => c.nodeId === node)!.reached;
      share = g.shareOfVisits;
    }
    expect(all).toBeGreaterThan(100);
    expect(young / all / share).toBeLessThan(0.5);
  });

  it('profiles are typed (gender, birthYear, district, crops, farmSize) and women favour market prices while the young drop out of weather', async () => {
    const one = await get<{ profile: Record<string, unknown>; language: string }>('/subscribers/%2B254710000000');
    expect(one.profile).toMatchObject({ gender: expect.stringMatching(/^(female|male|other)$/), birthYear: expect.any(Number), district: expect.any(String), crops: expect.any(Array), farmSize: expect.any(Number) });

    const s = await topicShares();
    const planted = summary.plantedContent!;
    const rate = (g: Share, k: 'market' | 'weather') => g[k] / g.sessions;
    const marketRatio = rate(s.female, 'market') / rate(s.others, 'market');
    const weatherRatio = rate(s.young, 'weather') / rate(s.older, 'weather');
    // Planted: women aim at market prices ~2.4x as often per session; the young reach weather ~0.2x as often.
    const plantedMarket = planted.marketFemale / planted.marketOthers;
    const plantedWeather = planted.weatherYoung / planted.weatherOthers;
    expect(marketRatio).toBeGreaterThan(plantedMarket * 0.75);
    expect(marketRatio).toBeLessThan(plantedMarket * 1.25);
    expect(weatherRatio).toBeLessThan(plantedWeather + 0.2);
    expect(weatherRatio).toBeLessThan(0.5);
  }, 120_000);
});
