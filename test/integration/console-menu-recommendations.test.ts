import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interval, num, pct } from '../../src/console/format';
import type { MenuSuggestion } from '../../src/reports/menu-recommendations';
import { readersOf } from '../helpers/console-session';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';
import { MENU_CONFIG, MENU_DAY, plantMenuSituations } from '../helpers/menu-recommendations';

// The page lists the menu-recommendations report's suggestions, with the figures the API gives for the same dates.
describe('console: /console/menu-recommendations', () => {
  let gw: TestGateway;
  let get: Awaited<ReturnType<typeof readersOf>>;
  const range = `from=${MENU_DAY}&to=${MENU_DAY}`;
  beforeAll(async () => {
    gw = await testGateway(MENU_CONFIG, { now: `${MENU_DAY}T05:00:00Z` });
    await plantMenuSituations(gw);
    get = await readersOf(gw);
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  const api = async (query: string) => (await gw.app.inject({ url: `/api/v1/reports/menu-recommendations?${query}`, headers: AUTH })).json() as { suggestions: MenuSuggestion[] };

  it('shows each suggestion with the figures, interval, threshold, file:line and a link to the node in the tree', async () => {
    const res = await get(`/console/menu-recommendations?${range}`);
    expect(res.statusCode).toBe(200);
    const r = await api(range);
    expect(r.suggestions).toHaveLength(5);
    expect(res.body).toContain('Farm help <small>(5 suggestions)</small>');
    const rows = res.body.split('<tbody>')[1]!.split('</tbody>')[0]!.split('<tr>').slice(1);
    expect(rows).toHaveLength(5);
    r.suggestions.forEach((s, i) => {
      const row = rows[i]!;
      expect(row).toContain(`<a href="/console/flows/farm#node-${s.nodeId}">${s.label.en}</a>`);
      expect(row).toContain(`${num('en', s.count)} of ${num('en', s.sample)}`);
      expect(row).toContain(`<td class="num">${pct('en', s.share)}</td><td class="num">${interval('en', s.interval95[0], s.interval95[1])}</td><td class="num">${pct('en', s.threshold)}</td>`);
      expect(row).toContain(`<code>${s.file}:${s.line}</code>`);
    });
    expect(res.body).toContain('Option almost no one picks');
    expect(res.body).toContain('Add it to the main menu');
    expect(res.body).toContain('Visits that ended on it: 0 of 12 found it at the first go.');
  });

  it('reads in Kiswahili for a Kiswahili reader', async () => {
    const res = await get(`/console/menu-recommendations?${range}`, 'wanjiru');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Mapendekezo ya menyu');
    expect(res.body).toContain('Chaguo ambalo karibu hakuna anayelichagua');
    expect(res.body).toContain('>Wilaya</a>');
  });

  it('says so when there is nothing to suggest, and answers 400 on dates it cannot show', async () => {
    const empty = await get('/console/menu-recommendations?from=2026-11-19&to=2026-11-19');
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('id="no-suggestions"');
    const bad = await get('/console/menu-recommendations?from=2026-11-21&to=2026-11-19');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('role="alert"');
  });

  it('the flow page links its suggestions', async () => {
    const res = await get(`/console/flows/farm?${range}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`<a id="menu-suggestions" href="/console/menu-recommendations?flow=farm&amp;from=${MENU_DAY}&amp;to=${MENU_DAY}">5 menu suggestions</a>`);
    const filtered = await get(`/console/menu-recommendations?flow=farm&${range}`);
    expect(filtered.body).toContain('<option value="farm" selected>');
  });
});
