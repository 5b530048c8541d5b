import { beforeAll, describe, expect, it } from 'vitest';
import { day, interval, num, pct } from '../../src/console/format';
import { AUTH, stopAfterAll, type TestGateway } from '../helpers/gateway';
import { populatedReaders, readersOf } from '../helpers/console-session';

// The discovery page shows the discovery report's own figures (the same as the API's JSON for the same query).
describe('console: /console/discovery', () => {
  let gw: TestGateway;
  let get: Awaited<ReturnType<typeof readersOf>>;
  beforeAll(async () => {
    ({ gw, get } = await populatedReaders({ subscribers: 300, days: 21 }));
  }, 60_000);
  stopAfterAll(() => [gw]);

  const api = async (query: string) => (await gw.app.inject({ url: `/api/v1/reports/discovery${query}`, headers: AUTH })).json();
  type Group = { value?: string; topic?: string; episodes: number; foundFirstGo: number; firstGoRate: number | null; firstGoInterval95: [number, number] | null; foundAfterRetries: number; notFound: number; foundRate: number | null };
  const row = (g: Group) =>
    `<td class="num">${num('en', g.episodes)}</td><td class="num">${num('en', g.foundFirstGo)}</td><td class="num">${pct('en', g.firstGoRate)}</td><td class="num">${interval('en', g.firstGoInterval95?.[0], g.firstGoInterval95?.[1])}</td><td class="num">${num('en', g.foundAfterRetries)}</td><td class="num">${num('en', g.notFound)}</td><td class="num">${pct('en', g.foundRate)}</td>`;

  it('shows the first-go rate with its interval, as the API gives it', async () => {
    const res = await get('/console/discovery');
    expect(res.statusCode).toBe(200);
    const body = res.body;
    const r = await api('');
    const s = r.soughtContent;
    expect(s.episodes).toBeGreaterThan(50);
    // Empty date fields: the report's default range, said in words.
    expect(body).toContain(`Figures for ${day('en', r.range.days.from)} to ${day('en', r.range.days.to)} (days in Africa/Nairobi).`);
    expect(body).toContain(`<strong class="figure">${pct('en', s.firstGoRate)}</strong>`);
    expect(body).toContain(`95% interval ${interval('en', s.firstGoInterval95[0], s.firstGoInterval95[1])}`);
    expect(body).toContain(`<strong class="figure">${num('en', s.episodes)}</strong>`);
    expect(body).toContain(`<strong class="figure">${num('en', s.notFound)}</strong>`);
    // Stuck sessions and why.
    expect(body).toContain(`${num('en', r.stuckSessions)} of ${num('en', r.sessions)} sessions got stuck (${pct('en', r.stuckRate)})`);
    for (const [signal, n] of Object.entries(r.frictionSignals as Record<string, number>)) expect(body, signal).toMatch(new RegExp(`<td>[^<]+</td><td class="num">${num('en', n)}</td>`));
    expect(body).toContain('<td>timed out</td>');
  });

  it('breaks the rate down by each dimension, every group as the API has it, with a chart of the same figures', async () => {
    for (const by of ['cohort', 'channel', 'node', 'gender']) {
      const res = await get(`/console/discovery?by=${by}`);
      expect(res.statusCode, by).toBe(200);
      const r = await api(`?by=${by}`);
      const groups = r.soughtContent.groups as Group[];
      expect(groups.length, by).toBeGreaterThan(0);
      for (const g of groups) expect(res.body, `${by} ${g.value ?? g.topic}`).toContain(row(g));
      expect(res.body).toContain('<option value="' + by + '" selected>');
      const spec = JSON.parse(/<script type="application\/json" class="chart-spec">(.*?)<\/script>/.exec(res.body)![1]!.replace(/\\u003c/g, '<'));
      expect(spec.series[0].data).toEqual(groups.slice(0, 30).map((g) => g.firstGoRate));
      expect(spec.series[1].data).toEqual(groups.slice(0, 30).map((g) => g.firstGoInterval95));
    }
    const cohorts = await get('/console/discovery?by=cohort');
    expect(cohorts.body).toContain('<td>in their first week of use</td>');
  });

  it('passes the dates and channel through to the report', async () => {
    const q = '?from=2026-10-05&to=2026-10-12&channel=ussd&by=channel';
    const res = await get(`/console/discovery${q}`);
    expect(res.statusCode).toBe(200);
    const r = await api(q);
    const all = await api('?by=channel');
    expect(r.soughtContent.episodes).toBeLessThan(all.soughtContent.episodes);
    expect(res.body).toContain(`<strong class="figure">${num('en', r.soughtContent.episodes)}</strong>`);
    for (const g of r.soughtContent.groups as Group[]) expect(res.body).toContain(row(g));
    expect(res.body).toContain('value="2026-10-05"');
    expect(res.body).toContain('<option value="ussd" selected>');
  });

  it('answers an unknown breakdown with the form again, the error next to the field, status 400', async () => {
    const res = await get('/console/discovery?by=shoeSize');
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/<select id="f-by" name="by" aria-invalid="true" aria-describedby="f-by-error">/);
    expect(res.body).toMatch(/<small id="f-by-error" class="field-error">Choose a breakdown from the list \(Menu \(flow\), Channel, [^<]*Age band\)\.<\/small>/);
    expect(res.body).not.toContain('class="cards"');
    const dates = await get('/console/discovery?from=2026-10-12&to=2026-10-01');
    expect(dates.statusCode).toBe(400);
    expect(dates.body).toContain('<p class="error" role="alert">from must not be after to.</p>');
  });

  it('speaks Kiswahili to a Kiswahili reader', async () => {
    const res = await get('/console/discovery?by=cohort', 'wanjiru');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Ugunduzi</h1>');
    expect(res.body).toContain('Walioupata mara ya kwanza');
    expect(res.body).toContain('<td>katika wiki yao ya kwanza ya matumizi</td>');
    const bad = await get('/console/discovery?by=nope', 'wanjiru');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Chagua mgawanyo kutoka kwenye orodha');
  });
});
