import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { num, pct } from '../../src/console/format';
import { populatedReaders, readersOf } from '../helpers/console-session';
import { AUTH, stopAfterAll, type TestGateway } from '../helpers/gateway';
import { findSubscriberById } from '../helpers/subscribers';

type TierRow = {
  tier: string;
  subscribers: number | null;
  residualValue: number | null;
  revenue: { amount: number; charges: number };
  retention: { atStart: number; stillSubscribed: number; rate: number | null; ci95: [number, number] | null } | null;
  churned: { subscribers: number; lostValue: number };
  interventions: { decided: number; cost: number };
};

// The value tiers page shows the `tiers` report: the same figures in a table and a chart.
describe('console: /console/tiers', () => {
  let gw: TestGateway;
  let get: Awaited<ReturnType<typeof readersOf>>;
  beforeAll(async () => {
    // A week of tenure ranks a subscriber here (the generated history is two weeks long).
    ({ gw, get } = await populatedReaders({ subscribers: 300, days: 14 }, { crm: { tiers: { minTenureDays: 7 } } }));
  }, 60_000);
  stopAfterAll(() => [gw]);

  const api = async (query: string) => (await gw.app.inject({ url: `/api/v1/reports/tiers${query}`, headers: AUTH })).json() as { currency: string; tiers: TierRow[]; computedAt: string | null };
  const money = (cur: string, v: number | null) => (v === null ? '–' : `${cur} ${num('en', v, 2)}`);

  it('shows every tier with the figures the API gives, and a chart of the same money figures', async () => {
    const res = await get('/console/tiers');
    expect(res.statusCode).toBe(200);
    const r = await api('');
    expect(r.computedAt).not.toBeNull();
    const core = r.tiers.find((t) => t.tier === 'core')!;
    expect(core.subscribers).toBeGreaterThan(0);
    expect(r.tiers.reduce((a, t) => a + t.revenue.amount, 0)).toBeGreaterThan(0);
    for (const t of r.tiers) {
      const cells = [
        t.tier,
        num('en', t.subscribers),
        money(r.currency, t.residualValue),
        money(r.currency, t.revenue.amount),
        t.retention ? `${pct('en', t.retention.rate)} (${num('en', t.retention.stillSubscribed)} / ${num('en', t.retention.atStart)})` : '–',
      ];
      expect(res.body).toContain(`<tr><td>${cells[0]}</td><td class="num">${cells[1]}</td><td class="num">${cells[2]}</td><td class="num">${cells[3]}</td><td class="num">${cells[4]}</td>`);
      expect(res.body).toContain(`<td class="num">${num('en', t.churned.subscribers)}</td><td class="num">${money(r.currency, t.churned.lostValue)}</td><td class="num">${num('en', t.interventions.decided)}</td><td class="num">${money(r.currency, t.interventions.cost)}</td></tr>`);
    }
    const spec = JSON.parse(/class="chart-spec">(.*?)<\/script>/.exec(res.body)![1]!) as { labels: string[]; series: { data: number[] }[] };
    expect(spec.labels).toEqual(['core', 'growth', 'base', 'new']);
    expect(spec.series[0]!.data).toEqual(r.tiers.map((t) => t.revenue.amount));
    expect(spec.series[1]!.data).toEqual(r.tiers.map((t) => t.churned.lostValue));
    expect(spec.series[2]!.data).toEqual(r.tiers.map((t) => t.interventions.cost));
  });

  it('reads in Kiswahili, and shows a bad range as an error with status 400', async () => {
    const sw = await get('/console/tiers', 'wanjiru');
    expect(sw.statusCode).toBe(200);
    expect(sw.body).toContain('<h1>Viwango vya thamani</h1>');
    expect(sw.body).toContain('Thamani iliyoondoka');
    const bad = await get('/console/tiers?from=2026-10-20&to=2026-10-10');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('from must not be after to.');
  });

  it('shows the tier on a profile and offers it in the segment builder', async () => {
    const { id } = (await gw.core.database.get<{ id: number }>(sql`SELECT subscriber_id AS id FROM crm_tiers WHERE tier = 'core' ORDER BY subscriber_id LIMIT 1`))!;
    const msisdn = (await findSubscriberById(gw.core, id))!.msisdn;
    const view = (await gw.app.inject({ url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}`, headers: AUTH })).json() as { crm: { tier: { tier: string; rank: number; residualValue: number } } };
    expect(view.crm.tier.tier).toBe('core');
    const page = await get(`/console/subscribers/s${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h3>Value tier</h3>');
    expect(page.body).toContain(`<td>Rank by residual value</td><td class="num">${num('en', view.crm.tier.rank)}</td>`);
    expect(page.body).toContain(`<td>Residual value</td><td class="num">${num('en', view.crm.tier.residualValue, 2)}</td>`);
    const builder = await get('/console/segments/new');
    expect(builder.body).toContain('<input type="checkbox" name="tier" value="core">');
  });
});
