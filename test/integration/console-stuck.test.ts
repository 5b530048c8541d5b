import { beforeAll, describe, expect, it } from 'vitest';
import { num, pct } from '../../src/console/format';
import { maskMsisdn } from '../../src/lib/msisdn';
import { AUTH, stopAfterAll, type TestGateway } from '../helpers/gateway';
import { populatedReaders, readersOf } from '../helpers/console-session';
import { subscriberId } from '../helpers/subscribers';

// The stuck page lists the stuck report's subscribers and menus, as the API gives them for the same query.
describe('console: /console/stuck', () => {
  let gw: TestGateway;
  let get: Awaited<ReturnType<typeof readersOf>>;
  beforeAll(async () => {
    ({ gw, get } = await populatedReaders({ subscribers: 600, days: 21 }));
  }, 60_000);
  stopAfterAll(() => [gw]);

  const api = async (query: string) => (await gw.app.inject({ url: `/api/v1/reports/stuck${query}`, headers: AUTH })).json();
  type Item = { msisdn: string; sought: { topic: string | null; shortcut: string | null }; stuckSessions: number; firstAttemptRate: number | null; intervention?: { arm: string; delivery: string | null } };
  type Top = { topic: string; flowId: string; shortcut: string; subscribers: number };

  it('lists who is stuck, what they sought, the shortcut and whether it was delivered; the worst menus', async () => {
    const res = await get('/console/stuck');
    expect(res.statusCode).toBe(200);
    const r = await api('');
    expect(r.subscribers).toBeGreaterThan(1);
    expect(res.body).toContain(`<strong class="figure">${num('en', r.subscribers)}</strong>`);
    for (const m of r.mostSought as Top[]) expect(res.body).toContain(`<tr><td>${m.topic}</td><td>${m.flowId}</td><td><code>${m.shortcut}</code></td><td class="num">${num('en', m.subscribers)}</td></tr>`);
    const rows = res.body.split('<tbody>')[2]!.split('</tbody>')[0]!.split('<tr>').slice(1);
    expect(rows).toHaveLength((r.list as Item[]).length);
    for (const [i, item] of (r.list as Item[]).entries()) {
      const row = rows[i]!;
      // An editor sees the number; the link opens the subscriber's page.
      expect(row).toContain(`<a href="/console/subscribers/s${await subscriberId(gw.core, item.msisdn)}">${item.msisdn}</a>`);
      expect(row).toContain(`<td><code>${item.sought.shortcut}</code></td>`);
      expect(row).toContain(`<td class="num">${num('en', item.stuckSessions)}</td><td class="num">${pct('en', item.firstAttemptRate)}</td>`);
      if (item.intervention?.arm === 'treatment' && item.intervention.delivery === 'delivered') expect(row).toContain('<td>shortcut SMS: delivered</td>');
      if (item.intervention?.arm === 'holdout') expect(row).toContain('held back on purpose');
    }
    expect(res.body).toContain('<td>shortcut SMS: delivered</td>');
    const spec = JSON.parse(/class="chart-spec">(.*?)<\/script>/.exec(res.body)![1]!);
    expect(spec.series[0].data).toEqual((r.mostSought as Top[]).slice(0, 20).map((m) => m.subscribers));
  });

  it('masks the numbers for a viewer', async () => {
    const res = await get('/console/stuck', 'vic.viewer');
    expect(res.statusCode).toBe(200);
    const first = (await api('')).list[0] as Item;
    expect(res.body).toContain(`>${maskMsisdn(first.msisdn)}</a>`);
    expect(res.body).not.toContain(`>${first.msisdn}</a>`);
  });

  it('pages with limit and keeps the dates', async () => {
    const res = await get('/console/stuck?limit=1&from=2026-10-01&to=2026-10-31');
    expect(res.statusCode).toBe(200);
    const r = await api('?limit=1&from=2026-10-01&to=2026-10-31');
    expect(r.list).toHaveLength(1);
    expect(res.body).toContain(`Showing 1 of ${num('en', r.subscribers)}.`);
    expect(res.body).toContain('<a href="/console/stuck?limit=2&amp;from=2026-10-01&amp;to=2026-10-31">Show more (up to 2)</a>');
    const short = await get('/console/stuck?from=2026-10-01&to=2026-10-02');
    expect(short.statusCode).toBe(200);
    expect(short.body).toContain('No stuck subscriber in these dates.');
  });

  it('answers a bad limit with the form again, the error next to the field, status 400', async () => {
    for (const limit of ['0', 'ten', '10001']) {
      const res = await get(`/console/stuck?limit=${limit}`);
      expect(res.statusCode, limit).toBe(400);
      expect(res.body).toContain('<small id="f-limit-error" class="field-error">Enter a whole number from 1 to 10,000.</small>');
      expect(res.body).not.toContain('id="stuck-list"');
    }
    const sw = await get('/console/stuck?limit=0', 'wanjiru');
    expect(sw.statusCode).toBe(400);
    expect(sw.body).toContain('Weka nambari kamili kuanzia 1 hadi 10,000.');
    expect(sw.body).toContain('<h1>Waliokwama</h1>');
  });
});
