import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { num, pct } from '../../src/console/format';
import { maskMsisdn } from '../../src/lib/msisdn';
import { AUTH, stopAfterAll, testGateway, type TestGateway } from '../helpers/gateway';
import { populatedReaders, readersOf } from '../helpers/console-session';
import { subscriberId } from '../helpers/subscribers';

// The risk page shows the risk report's two rankings (same order, same figures) and its summary.
describe('console: /console/risk', () => {
  let gw: TestGateway;
  let get: Awaited<ReturnType<typeof readersOf>>;
  beforeAll(async () => {
    ({ gw, get } = await populatedReaders({ subscribers: 300, days: 21 }));
  }, 60_000);
  stopAfterAll(() => [gw]);

  const api = async (query: string) => (await gw.app.inject({ url: `/api/v1/reports/risk${query}`, headers: AUTH })).json();
  type Item = { rank: number; msisdn: string; risk: number; valueAtRisk: number; evidence: { state: string; renewProbability: number; consecutiveFailures: number; pAlive: number } };
  const rowsOf = (body: string, id: string) => body.split(`id="${id}-table"`)[1]!.split('<tbody>')[1]!.split('</tbody>')[0]!.split('<tr>').slice(1);
  const expectRanking = async (body: string, id: string, items: Item[], show: (m: string) => string = (m) => m) => {
    const rows = rowsOf(body, id);
    expect(rows, id).toHaveLength(items.length);
    for (const [i, item] of items.entries()) {
      expect(rows[i]).toContain(`<td class="num">${item.rank}</td><td><a href="/console/subscribers/s${await subscriberId(gw.core, item.msisdn)}">${show(item.msisdn)}</a></td>`);
      expect(rows[i]).toContain(`<td class="num">${pct('en', item.risk, 0)}</td><td class="num">KES ${num('en', item.valueAtRisk)}</td><td class="num">${pct('en', item.evidence.renewProbability, 0)}</td><td class="num">${num('en', item.evidence.consecutiveFailures)}</td>`);
    }
  };

  it('shows both rankings and the summary as the API gives them (20 a list by default)', async () => {
    const res = await get('/console/risk');
    expect(res.statusCode).toBe(200);
    const r = await api('?limit=20');
    expect(r.lapse.length).toBeGreaterThan(0);
    expect(r.disengagement.length).toBeGreaterThan(0);
    await expectRanking(res.body, 'lapse', r.lapse);
    await expectRanking(res.body, 'disengagement', r.disengagement);
    expect(res.body).toContain(`<strong class="figure">${num('en', r.summary.subscriptions)}</strong>`);
    expect(res.body).toContain(`<strong class="figure">${num('en', r.summary.atRisk.lapse)}</strong>`);
    expect(res.body).toContain(`<strong class="figure">${num('en', r.summary.atRisk.disengagement)}</strong>`);
    for (const [, s] of Object.entries(r.summary.byState as Record<string, { subscribers: number; lapseValueAtRisk: number; disengagementValueAtRisk: number }>))
      expect(res.body).toContain(`<td class="num">${num('en', s.subscribers)}</td><td class="num">KES ${num('en', s.lapseValueAtRisk)}</td><td class="num">KES ${num('en', s.disengagementValueAtRisk)}</td>`);
  });

  it('passes state, service and limit through, and pages with "show more"', async () => {
    const res = await get('/console/risk?state=grace&service=crop-daily&limit=3');
    expect(res.statusCode).toBe(200);
    const r = await api('?state=grace&service=crop-daily&limit=3');
    expect((r.lapse as Item[]).every((i) => i.evidence.state === 'grace')).toBe(true);
    await expectRanking(res.body, 'lapse', r.lapse);
    await expectRanking(res.body, 'disengagement', r.disengagement);
    expect(res.body).toContain('<option value="grace" selected>');
    expect(res.body).toContain('These totals cover every service and state');
    if (r.lapse.length === 3) expect(res.body).toContain('<a href="/console/risk?state=grace&amp;service=crop-daily&amp;limit=6">Show more (up to 6)</a>');
  });

  it('masks the numbers for a viewer', async () => {
    const res = await get('/console/risk?limit=5', 'vic.viewer');
    const r = await api('?limit=5');
    await expectRanking(res.body, 'lapse', r.lapse, maskMsisdn);
    expect(res.body).not.toContain(`>${(r.lapse[0] as Item).msisdn}</a>`);
  });

  it('answers bad filters with the form again, each error next to its field, status 400', async () => {
    const res = await get('/console/risk?state=dead&limit=lots&service=beer-tips');
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<small id="f-state-error" class="field-error">Choose one of the states in the list.</small>');
    expect(res.body).toContain('<small id="f-limit-error" class="field-error">Enter a whole number from 1 to 10,000.</small>');
    expect(res.body).toContain('<small id="f-service-error" class="field-error">Choose one of the services in the list.</small>');
    expect(res.body).not.toContain('id="lapse-table"');
    const sw = await get('/console/risk?state=dead', 'wanjiru');
    expect(sw.statusCode).toBe(400);
    expect(sw.body).toContain('<h1>Hatari</h1>');
    expect(sw.body).toContain('Chagua mojawapo ya hali zilizo kwenye orodha.');
  });
});

// A new gateway, before any CRM pass: the insight pages say there is nothing yet, never a 5xx.
describe('console: insight pages on an empty gateway', () => {
  let gw: TestGateway;
  let cookie = '';
  beforeAll(async () => {
    gw = await testGateway();
    const viewer = await gw.console!.add('vic.viewer', 'viewer', 'a-long-password-1');
    cookie = `vasgw_console=${(await gw.console!.startSession(viewer.id)).token}`;
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('shows each page with its "nothing yet" words', async () => {
    const expected: Record<string, string> = {
      '/console/discovery?by=node': 'No finished visits in these dates.',
      '/console/stuck': 'Nobody got stuck in these dates.',
      '/console/paying-vs-using': 'No daily count in these dates yet',
      '/console/risk': 'Not scored yet',
    };
    for (const [url, words] of Object.entries(expected)) {
      const res = await gw.app.inject({ url, headers: { cookie } });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain(words);
    }
  });
});
