import { beforeAll, describe, expect, it } from 'vitest';
import { num } from '../../src/console/format';
import { twoPackageConsole } from '../helpers/console-session';
import { AUTH, stopAfterAll, type TestGateway } from '../helpers/gateway';

// The paying-vs-using page shows the report's 2x2 per service, the revenue at stake and the daily trend.
describe('console: /console/paying-vs-using', () => {
  let gw: TestGateway;
  let cookie = '';
  let swCookie = '';
  beforeAll(async () => {
    ({ gw, cookie, swCookie } = await twoPackageConsole({ name: 'esi.editor', role: 'editor' }, { subscribers: 300, days: 14 }));
  }, 60_000);
  stopAfterAll(() => [gw]);

  const get = (url: string, c = cookie) => gw.app.inject({ url, headers: { cookie: c } });
  const api = async (query: string) => (await gw.app.inject({ url: `/api/v1/reports/paying-vs-using${query}`, headers: AUTH })).json();
  type Cell = { subscribers: number; monthlyRevenue: number };
  type Matrix = Record<'payingUsing' | 'payingNotUsing' | 'notPayingUsing' | 'notPayingNotUsing', Cell> & { revenueAtStake: number; currency: string };
  const cellOf = (c: Cell, revenue: boolean) => `<strong>${num('en', c.subscribers)}</strong>${revenue ? `<br><small>KES ${num('en', c.monthlyRevenue)} a month</small>` : ''}`;

  it('shows each service\'s paying x using table and the revenue at stake, as the API gives them', async () => {
    const res = await get('/console/paying-vs-using');
    expect(res.statusCode).toBe(200);
    const r = await api('');
    const services = Object.entries(r.services as Record<string, Matrix>);
    expect(services.length).toBeGreaterThan(0);
    for (const [, m] of services) {
      expect(res.body).toContain(`<td class="num">${cellOf(m.payingUsing, true)}</td><td class="num">${cellOf(m.payingNotUsing, true)}</td>`);
      expect(res.body).toContain(`<td class="num">${cellOf(m.notPayingUsing, false)}</td><td class="num">${cellOf(m.notPayingNotUsing, false)}</td>`);
      expect(res.body).toContain(`<strong class="figure">KES ${num('en', m.revenueAtStake)}</strong>`);
    }
    expect(res.body).toContain(`${num('en', r.usingWithoutSubscription.subscribers)} people used the service in the last 30 days without a subscription.`);
    // The trend: a chart and a table with one row per day.
    const spec = JSON.parse(/class="chart-spec">(.*?)<\/script>/.exec(res.body)![1]!);
    expect(spec.labels).toHaveLength(r.trend.length);
    const [id] = services[0]!;
    expect(spec.series[0].data).toEqual(r.trend.map((d: { services: Record<string, { payingNotUsing: number }> }) => d.services[id]?.payingNotUsing ?? null));
    const trendRows = res.body.split('id="trend-table"')[1]!.split('<tbody>')[1]!.split('</tbody>')[0]!.split('<tr>').length - 1;
    expect(trendRows).toBe(r.trend.length);
  });

  it('filters by service', async () => {
    const all = await api('');
    const id = Object.keys(all.services)[0]!;
    const res = await get(`/console/paying-vs-using?service=${id}`);
    expect(res.statusCode).toBe(200);
    const r = await api(`?service=${id}`);
    expect(Object.keys(r.services)).toEqual([id]);
    expect(res.body).toContain(`<option value="${id}" selected>`);
    expect(res.body).toContain(`<strong class="figure">KES ${num('en', (r.services[id] as Matrix).revenueAtStake)}</strong>`);
    expect(res.body.match(/<h2>Crop advice/g)).toHaveLength(1);
  });

  it('says when there is no daily count in the dates', async () => {
    const res = await get('/console/paying-vs-using?from=2025-01-01&to=2025-01-31');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('No daily count in these dates yet');
  });

  it('answers an unknown service with the form again, the error next to the field, status 400', async () => {
    const res = await get('/console/paying-vs-using?service=beer-tips');
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<small id="f-service-error" class="field-error">Choose one of the services in the list.</small>');
    expect(res.body).not.toContain('<h2>Crop advice');
    const sw = await get('/console/paying-vs-using?service=beer-tips', swCookie);
    expect(sw.statusCode).toBe(400);
    expect(sw.body).toContain('Chagua mojawapo ya huduma zilizo kwenye orodha.');
  });
});
