import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitSbg, residualLifetime } from '../../src/crm/scores/sbg';
import { DAY } from '../../src/lib/clock';
import { testGateway, type TestGateway } from '../helpers/gateway';
import { apiGet, billing, ussdSession } from '../helpers/crm';
import { generatePopulation } from '../helpers/crm-pass';

// A synthetic population followed for 40 days up to 5 December (so the December cohort is 4 days old),
// and three planted groups of daily subscribers who joined on 1 November, renewing through HTTP:
// healthy (renew every day, use the service weekly), lapsing (use it weekly, but the last two renewals
// failed) and disengaged (renew every day, used it daily until 15 November, silent since).
const START = Date.parse('2026-10-25T21:00:00Z'); // local midnight (Nairobi), 26 October
const NOW = '2026-12-05T09:00:00Z';
const FIRST = Date.parse('2026-10-31T21:00:00Z'); // local midnight, 1 November
const DAYS = 35; // 1 November .. 5 December

const planted = (prefix: string) => Array.from({ length: 6 }, (_, i) => `+2547990${prefix}${String(i).padStart(4, '0')}`);
const healthy = planted('1');
const lapsing = planted('2');
const disengaged = planted('3');

type Item = { rank: number; msisdn: string; risk: number; valueAtRisk: number; evidence: Record<string, unknown> };
let gw: TestGateway;
let risk: { lapse: Item[]; disengagement: Item[] };

beforeAll(async () => {
  gw = await testGateway({ crm: { holdoutPercent: 0, act: false } }, { now: NOW });
  await generatePopulation(gw, { subscribers: 2000, days: 40, seed: 3, startAt: START, now: START });
  for (let d = 0; d < DAYS; d++) {
    const morning = FIRST + d * DAY + 6 * 3_600_000;
    gw.clock.set(new Date(morning).toISOString());
    const at = new Date(morning).toISOString();
    for (const m of [...healthy, ...lapsing, ...disengaged]) {
      if (d === 0) await billing(gw, m, 'subscribed', at, { amount: 5, currency: 'KES' });
      else if (lapsing.includes(m) && d >= DAYS - 2) await billing(gw, m, 'renewal_failed', at, { reason: 'insufficient_balance' });
      else await billing(gw, m, 'renewed', at, { amount: 5, currency: 'KES' });
    }
    gw.clock.set(new Date(morning + 3 * 3_600_000).toISOString());
    // Weekly use, the last time five days ago; the disengaged used it daily for two weeks.
    if (d % 7 === 1) for (const m of [...healthy, ...lapsing]) await ussdSession(gw, m, ['1', '1', '1', '1']);
    if (d < 15) for (const m of disengaged) await ussdSession(gw, m, ['1', '1', '1', '1']);
  }
  gw.clock.set(NOW);
  await gw.core.crm.runPass();
  risk = (await apiGet(gw, '/reports/risk?limit=10000')).body as unknown as typeof risk;
}, 240_000);
afterAll(async () => {
  await gw?.stop();
});

const rankOf = (list: Item[], m: string) => list.find((i) => i.msisdn === m)?.rank ?? Infinity;

describe('two risks: lapse (billing) and disengagement (usage)', () => {
  it('ranks the failing renewals at the top of lapse and the silent users at the top of disengagement, never the healthy', () => {
    const decile = (list: Item[]) => Math.ceil(list.length / 10);
    expect(risk.lapse.length).toBeGreaterThan(30);
    expect(risk.disengagement.length).toBeGreaterThan(100);
    for (const m of healthy) {
      expect(rankOf(risk.lapse, m)).toBeGreaterThan(decile(risk.lapse));
      expect(rankOf(risk.disengagement, m)).toBeGreaterThan(decile(risk.disengagement));
    }
    // The planted cases sit near the top (six of them cannot all fit in a decile of a 60-item list).
    const quarter = (list: Item[]) => Math.ceil(list.length / 4);
    for (const m of lapsing) expect(rankOf(risk.lapse, m)).toBeLessThanOrEqual(quarter(risk.lapse));
    for (const m of disengaged) expect(rankOf(risk.disengagement, m)).toBeLessThanOrEqual(decile(risk.disengagement));
    // Each risk answers its own question: the lapsing still use the service, the disengaged still pay.
    for (const m of lapsing) expect(rankOf(risk.disengagement, m)).toBeGreaterThan(decile(risk.disengagement));
    for (const m of disengaged) expect(rankOf(risk.lapse, m)).toBeGreaterThan(decile(risk.lapse));
  });

  it('shows the evidence behind each score', () => {
    const l = risk.lapse.find((i) => i.msisdn === lapsing[0])!;
    expect(l.evidence).toMatchObject({ state: 'grace', consecutiveFailures: 2, recentFailedCharges: 2, neverActive: false });
    expect(l.risk).toBeGreaterThan(0.7);
    expect(l.valueAtRisk).toBeGreaterThan(0);
    const d = risk.disengagement.find((i) => i.msisdn === disengaged[0])!;
    expect(d.evidence).toMatchObject({ state: 'active', consecutiveFailures: 0, lastActiveDay: '2026-11-15' });
    expect(d.evidence.pAlive as number).toBeLessThan(0.1);
    expect(d.evidence.renewProbability as number).toBeGreaterThan(0.8);
  });

  it('ranks only what is more likely than not, so the healthy are not in either list; their own scores say why', async () => {
    for (const list of [risk.lapse, risk.disengagement]) for (const i of list) expect(i.risk).toBeGreaterThanOrEqual(0.5);
    for (const m of healthy) {
      const s = ((await apiGet(gw, `/subscribers/${encodeURIComponent(m)}`)).body.crm as { subscriptions: { lapse: { risk: number }; disengagement: { risk: number } }[] }).subscriptions[0]!;
      expect(s.lapse.risk).toBeLessThan(0.2);
      expect(s.disengagement.risk).toBeGreaterThan(0); // five quiet days are not nothing...
      expect(s.disengagement.risk).toBeLessThan(0.5); // ...but a weekly user is still more likely active than not
    }
  });

  it('gives the subscriber view both risks, and the larger as the single figure', async () => {
    const crm = (await apiGet(gw, `/subscribers/${encodeURIComponent(disengaged[0]!)}`)).body.crm as { subscriptions: Record<string, unknown>[] };
    const s = crm.subscriptions[0]!;
    expect(s).toMatchObject({ serviceId: 'crop-daily', riskKind: 'disengagement' });
    expect((s.disengagement as { risk: number }).risk).toBeGreaterThan(0.9);
    expect((s.lapse as { risk: number }).risk).toBeLessThan(0.2);
    expect(s.risk).toBe((s.disengagement as { risk: number }).risk);
  });
});

describe('honest fits in the retention report', () => {
  it('defaults to the last 30 days', async () => {
    const r = await apiGet(gw, '/reports/retention');
    expect(r.body.range).toMatchObject({ days: expect.objectContaining({ from: '2026-11-05', to: '2026-12-05' }) });
    const cohorts = (r.body.subscriptions as { cohort: string }[]).map((c) => c.cohort);
    expect(cohorts).not.toContain('2026-10');
    expect(cohorts).toEqual(expect.arrayContaining(['all', '2026-11', '2026-12']));
  });

  it('shows the pooled curve for a 4-day-old cohort, says why, and its lifetime is the pooled one', async () => {
    type Cohort = { serviceId: string; cohort: string; curve: string; expectedLifetimeDays: number; quality: Record<string, unknown>; observedVsFitted: unknown[] };
    const list = (await apiGet(gw, '/reports/retention?from=2026-10-01')).body.subscriptions as Cohort[];
    const pooled = list.find((c) => c.serviceId === 'crop-daily' && c.cohort === 'all')!;
    const december = list.find((c) => c.serviceId === 'crop-daily' && c.cohort === '2026-12')!;
    expect(december.curve).toBe('pooled');
    expect(december.quality).toMatchObject({ usedPooled: true, reason: 'too_young', reasons: expect.arrayContaining(['too_young', 'too_small']), explanation: expect.stringContaining('observed for 4 days') });
    expect(december.expectedLifetimeDays).toBe(pooled.expectedLifetimeDays);
    expect(december.observedVsFitted.length).toBeGreaterThan(1);
    // What the cohort's own maximum-likelihood fit would have said: the degenerate curve of the issue.
    const row = (await gw.core.database.get<{ observed: unknown }>(sql`SELECT observed FROM crm_fits WHERE model = 'sbg' AND service_id = 'crop-daily' AND cohort = '2026-12'`))!;
    // JSON text on SQLite, decoded already on PostgreSQL.
    const observed = (typeof row.observed === 'string' ? JSON.parse(row.observed) : row.observed) as { lost: number[]; active: number[] };
    const own = fitSbg(observed, { a: 1, b: 1 }, { bounds: { min: 1e-6, max: 1e6 } });
    const discount = Math.pow(1.1, 1 / 365) - 1;
    const ownLifetime = residualLifetime(own.params, 1, discount, 3650);
    expect(own.quality.identified).toBe(false);
    expect(Math.abs(Math.log(ownLifetime / pooled.expectedLifetimeDays))).toBeGreaterThan(Math.log(2));
    // The pooled fit reports its quality: size, log-likelihood and 95% intervals that contain the estimate.
    expect(pooled.quality).toMatchObject({ usedPooled: false, identified: true, converged: true });
    const a = (pooled.quality.intervals95 as Record<string, { estimate: number; low: number; high: number }>).a!;
    expect(a.low).toBeLessThan(a.estimate);
    expect(a.high).toBeGreaterThan(a.estimate);
  });

  it('gives every activity cohort its fit quality, the young one on the pooled curve', async () => {
    const list = (await apiGet(gw, '/reports/retention?from=2026-10-01')).body.activity as { cohort: string; curve: string; quality: Record<string, unknown> }[];
    expect(list.find((c) => c.cohort === '2026-12')).toMatchObject({ curve: 'pooled', quality: expect.objectContaining({ usedPooled: true, reason: 'too_young' }) });
    const all = list.find((c) => c.cohort === 'all')! as unknown as { subscribers: number; quality: Record<string, unknown>; observedVsFitted: { repeatActiveDays: string; observed: number; fitted: number }[] };
    expect(all.quality).toMatchObject({ usedPooled: false, n: all.subscribers, logLikelihood: expect.any(Number) });
    // Subscribers by further active days after their first, as seen and as the curve expects.
    expect(all.observedVsFitted.map((b) => b.repeatActiveDays)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10+']);
    expect(all.observedVsFitted.reduce((s, b) => s + b.observed, 0)).toBe(all.subscribers);
    expect(all.observedVsFitted.reduce((s, b) => s + b.fitted, 0)).toBeCloseTo(all.subscribers, -1);
  });
});
