import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateSummary } from '../../src/crm/generator/population';
import { num, pct } from '../../src/console/format';
import { populate } from '../helpers/browser';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

// The retention, interventions and demography pages on a generated population with planted effects:
// the figures on each page are the reports API's for the same query, and the planted truths show.

let gw: TestGateway;
let summary: GenerateSummary;
let editor: string;
let viewer: string;

beforeAll(async () => {
  // Half held out: a small population still gives the frequent kinds enough subscribers in each arm.
  gw = await testGateway({ crm: { holdoutPercent: 50 } });
  const e = await gw.console!.add('esi.editor', 'editor', 'editor-password-1');
  const v = await gw.console!.add('vic.viewer', 'viewer', 'viewer-password-1');
  summary = await populate(gw, { subscribers: 1500, days: 35 });
  editor = (await gw.console!.startSession(e.id)).token;
  viewer = (await gw.console!.startSession(v.id)).token;
}, 180_000);

afterAll(async () => {
  await gw?.stop();
});

async function get(url: string, token = editor): Promise<{ status: number; body: string }> {
  const r = await gw.app.inject({ url, cookies: { vasgw_console: token } });
  return { status: r.statusCode, body: r.body };
}

async function api<T = Record<string, unknown>>(url: string): Promise<T> {
  const r = await gw.app.inject({ url: `/api/v1/reports/${url}`, headers: AUTH });
  expect(r.statusCode, r.body.slice(0, 200)).toBe(200);
  return r.json() as T;
}

const text = (s: string) =>
  s
    .replace(/<[^>]+>/g, '')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();

/** The body rows of the first table after `anchor` (an id in the page), as cell texts. */
function rows(page: string, anchor: string): string[][] {
  const at = page.indexOf(`id="${anchor}"`);
  expect(at, `no #${anchor} on the page`).toBeGreaterThan(-1);
  const tbody = page.slice(page.indexOf('<tbody>', at), page.indexOf('</tbody>', at));
  return [...tbody.matchAll(/<tr>(.*?)<\/tr>/gs)].map((m) => [...m[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((c) => text(c[1]!)));
}

const points = (d: number | null) => (d === null ? '–' : `${d > 0 ? '+' : ''}${num('en', d * 100, 1)}`);
const pointsInterval = (ci: [number, number] | null) => (ci ? `${points(ci[0])} – ${points(ci[1])}` : '–');

describe('/console/retention', () => {
  interface Cohort {
    serviceId: string;
    cohort: string;
    observedVsFitted: { period: number; atRisk: number; observed: number; fitted: number }[];
  }
  it('shows every cohort\'s observed survival against the fitted curve, as the API reports it', async () => {
    const report = await api<{ subscriptions: Cohort[]; activity: { cohort: string; subscribers: number; meanDailyActivity: number; meanDailyDropout: number }[] }>('retention');
    const page = await get('/console/retention');
    expect(page.status).toBe(200);
    expect(report.subscriptions.length).toBeGreaterThan(0);
    for (const s of report.subscriptions) {
      expect(rows(page.body, `cohort-${s.serviceId}-${s.cohort}`)).toEqual(s.observedVsFitted.map((o) => [num('en', o.period), num('en', o.atRisk), pct('en', o.observed), pct('en', o.fitted)]));
    }
    // Observed solid, fitted dashed, on a line chart.
    expect(page.body).toMatch(/"label":"Fitted","data":\[[^\]]*\],"color":"amber","dashed":true/);
    const activity = rows(page.body, 'activity-table');
    expect(activity.map((r) => r.slice(1, 4))).toEqual(report.activity.map((a) => [num('en', a.subscribers), pct('en', a.meanDailyActivity), pct('en', a.meanDailyDropout)]));
  });

  it('filters by service, and refuses an unknown one next to its field', async () => {
    const service = gw.core.config.services[0]!.id;
    const report = await api<{ subscriptions: Cohort[] }>(`retention?service=${service}&from=2026-10-01&to=2026-11-05`);
    const page = await get(`/console/retention?service=${service}&from=2026-10-01&to=2026-11-05`);
    expect(page.status).toBe(200);
    expect([...page.body.matchAll(/class="retention-cohort"/g)].length).toBe(report.subscriptions.length);
    const bad = await get('/console/retention?service=no-such-service');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/aria-invalid="true"[^>]*>/);
    expect(bad.body).toContain('Choose a service from the list.');
    const backwards = await get('/console/retention?from=2026-10-10&to=2026-10-01');
    expect(backwards.status).toBe(400);
    expect(text(backwards.body)).toContain('The "From" date must not be after the "To" date.');
    // What only the report can refuse comes back as its own message above the form, still a 400.
    const tooLong = await get('/console/retention?from=2000-01-01&to=2026-11-01');
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toContain('A report covers at most 3660 days.');
  });
});

describe('/console/interventions', () => {
  interface Outcome {
    treatment: number | null;
    holdout: number | null;
    uplift: number | null;
    ci95: [number, number] | null;
    effectOnReached: { uplift: number | null; ci95: [number, number] | null };
  }
  interface Kind {
    kind: string;
    treated: { subscribers: number; reached: number };
    holdout: { subscribers: number };
    deliveryRate: { rate: number | null };
    outcomes: Record<'returned' | 'reachedContent' | 'renewed', Outcome>;
  }
  const range = 'from=2026-10-01&to=2026-11-30';

  it('shows per kind the delivery, the uplift against the holdout and the effect on those reached, as the API does', async () => {
    const report = await api<{ kinds: Kind[] }>(`interventions?${range}`);
    const page = await get(`/console/interventions?${range}`);
    expect(page.status).toBe(200);
    expect(rows(page.body, 'summary-table').map((r) => r.slice(1, 5))).toEqual(
      report.kinds.map((k) => [num('en', k.treated.subscribers), num('en', k.holdout.subscribers), num('en', k.treated.reached), pct('en', k.deliveryRate.rate)]),
    );
    for (const k of report.kinds) {
      const shown = rows(page.body, `outcomes-${k.kind}`);
      const outcomes = [k.outcomes.returned, k.outcomes.reachedContent, k.outcomes.renewed];
      expect(shown.map((r) => r.slice(1, 7))).toEqual(
        outcomes.map((o) => [pct('en', o.treatment), pct('en', o.holdout), points(o.uplift), pointsInterval(o.ci95), points(o.effectOnReached.uplift), pointsInterval(o.effectOnReached.ci95)]),
      );
      // An interval across zero is said in words.
      outcomes.forEach((o, i) => {
        if (o.ci95 && o.ci95[0] <= 0 && o.ci95[1] >= 0) expect(shown[i]![7]).toBe('Not yet distinguishable from no effect.');
      });
    }
  });

  it('shows the planted effects: the nudge raises reaching content, inside the planted truth\'s interval', async () => {
    const report = await api<{ kinds: Kind[] }>(`interventions?${range}`);
    const truth = summary.crm!.truth.find((t) => t.kind === 'nudge')!;
    expect(truth.treated).toBeGreaterThanOrEqual(30);
    const nudge = report.kinds.find((k) => k.kind === 'nudge')!.outcomes.reachedContent;
    // The planted intention-to-treat effect lies inside the interval the page draws.
    expect(truth.itt!).toBeGreaterThanOrEqual(nudge.ci95![0]);
    expect(truth.itt!).toBeLessThanOrEqual(nudge.ci95![1]);
    const page = await get(`/console/interventions?${range}&kind=nudge`);
    const row = rows(page.body, 'outcomes-nudge')[1]!;
    expect(row[0]).toBe('Reached content');
    expect(row[4]).toBe(pointsInterval(nudge.ci95));
    expect(row[7]).toBe('Raised it: more than without the intervention.');
    // The interval bars: a floating bar [low, high] and the estimate for each outcome.
    expect(page.body).toContain(JSON.stringify(nudge.ci95));
    expect(page.body).not.toContain('id="kind-save"');
  });

  it('lists the outcome windows still open, and counts them only when asked', async () => {
    const closed = await api<{ pendingOutcomes: number; pending: { lastWindowClosesAt: string }[] }>('interventions');
    expect(closed.pendingOutcomes).toBeGreaterThan(0);
    const page = await get('/console/interventions');
    expect(text(page.body)).toContain(`Results still coming in: ${num('en', closed.pendingOutcomes)} outcome windows close by`);
    const all = await api<{ kinds: Kind[] }>('interventions?windows=all');
    const allPage = await get('/console/interventions?windows=all');
    expect(rows(allPage.body, 'summary-table').map((r) => r[1])).toEqual(all.kinds.map((k) => num('en', k.treated.subscribers)));
    expect(allPage.body).toContain('<option value="all" selected>');
  });

  it('refuses an unknown kind next to its field, and a viewer reads the page', async () => {
    const bad = await get('/console/interventions?kind=spam');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Choose an intervention from the list.');
    expect(bad.body).not.toContain('id="summary-table"');
    expect((await get('/console/interventions', viewer)).status).toBe(200);
  });
});

describe('/console/demography', () => {
  interface Usage {
    values: { value: string; activeSubscribers: number; registeredSubscribers: number | null; sessions: number; contentRate: number | null }[];
  }
  interface Reach {
    groups: { value: string; visits: number }[];
    content: { nodeId: string; reached: number; groups: { value: string; reachIndex: number | null; interval: [number, number] | null }[] }[];
  }

  it('shows usage by a profile field and by age band, as the usage report does', async () => {
    for (const by of ['gender', 'ageBand', 'region']) {
      const report = await api<Usage>(`usage?by=${by}`);
      const page = await get(`/console/demography?by=${by}`);
      expect(page.status).toBe(200);
      expect(rows(page.body, 'usage-table').map((r) => [r[1], r[2], r[4], r[5]])).toEqual(
        report.values.map((v) => [num('en', v.activeSubscribers), num('en', v.registeredSubscribers), num('en', v.sessions), pct('en', v.contentRate)]),
      );
    }
  });

  it('shows the planted reach: women over-reached on market prices, the young under-reached on weather', async () => {
    const gender = await api<Reach>('content-demography?field=gender&limit=20');
    const page = await get('/console/demography?field=gender');
    expect(text(page.body)).toContain('1 means the group reaches that content exactly as often as its size says');
    const shown = rows(page.body, 'reach-table');
    expect(shown.map((r) => r[1])).toEqual(gender.content.map((c) => num('en', c.reached)));
    const femaleCol = 2 + gender.groups.findIndex((g) => g.value === 'female');
    const market = gender.content.map((c, i) => ({ c, i })).filter(({ c }) => c.nodeId.startsWith('market-'));
    expect(market.length).toBeGreaterThan(0);
    for (const { c, i } of market) {
      const f = c.groups.find((g) => g.value === 'female')!;
      expect(shown[i]![femaleCol]).toBe(`${num('en', f.reachIndex, 2)} (${num('en', f.interval![0], 2)} – ${num('en', f.interval![1], 2)})`);
      expect(f.reachIndex!).toBeGreaterThan(1);
    }

    const age = await api<Reach>('content-demography?field=ageBand&limit=20');
    const agePage = await get('/console/demography?field=ageBand');
    const ageRows = rows(agePage.body, 'reach-table');
    const youngCol = 2 + age.groups.findIndex((g) => g.value === '<25');
    const weather = age.content.map((c, i) => ({ c, i })).filter(({ c }) => c.nodeId.startsWith('weather-'));
    expect(weather.length).toBeGreaterThan(0);
    for (const { c, i } of weather) {
      const y = c.groups.find((g) => g.value === '<25')!;
      expect(y.reachIndex!).toBeLessThan(1);
      expect(ageRows[i]![youngCol]).toMatch(new RegExp(`^${num('en', y.reachIndex, 2).replace('.', '\\.')}`));
    }
  });

  it('refuses a field that is not offered, next to it, and speaks Kiswahili to a Kiswahili reader', async () => {
    const bad = await get('/console/demography?by=shoeSize');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Choose a field from the list.');
    expect(bad.body).not.toContain('id="usage-table"');
    await gw.console!.change('vic.viewer', { language: 'sw' });
    const sw = await get('/console/demography?by=ageBand', viewer);
    expect(sw.status).toBe(200);
    expect(sw.body).toContain('<h1>Demografia na matumizi</h1>');
    expect(sw.body).toContain('Kielelezo cha ufikiaji');
  });
});
