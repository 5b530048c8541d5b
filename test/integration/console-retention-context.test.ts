import { beforeAll, describe, expect, it } from 'vitest';
import { num, pct } from '../../src/console/format';
import { twoPackageConsole } from '../helpers/console-session';
import { AUTH, stopAfterAll, type TestGateway } from '../helpers/gateway';

// The two pages of this journey show the report's own figures: package fit per pattern x package, and
// advice served outside its context, worst first, each linked to its node on the flow tree page.
describe('console: /console/package-fit and /console/context', () => {
  let gw: TestGateway;
  let cookie = '';
  let swCookie = '';
  beforeAll(async () => {
    ({ gw, cookie, swCookie } = await twoPackageConsole({ name: 'esi.viewer', role: 'viewer' }, { subscribers: 300, days: 45 }));
  }, 90_000);
  stopAfterAll(() => [gw]);

  const get = (url: string, c = cookie) => gw.app.inject({ url, headers: { cookie: c } });
  const api = async (name: string, query = '') => (await gw.app.inject({ url: `/api/v1/reports/${name}${query}`, headers: AUTH })).json();
  const rowsOf = (body: string, id: string) => body.split(`id="${id}"`)[1]!.split('<tbody>')[1]!.split('</tbody>')[0]!.split('<tr>').slice(1);

  it('package fit: each pattern and package with the figures of the API', async () => {
    const res = await get('/console/package-fit');
    expect(res.statusCode).toBe(200);
    const r = await api('package-fit');
    expect(r.asOf).not.toBeNull();
    type Pkg = { period: string; subscriptions: number; ended: number; stillSubscribed: number; survival: Record<string, { survival: number } | null> };
    let checked = 0;
    for (const p of r.patterns as { pattern: string; packages: Pkg[] }[]) {
      if (p.packages.length === 0) continue;
      const rows = rowsOf(res.body, `fit-${p.pattern}`);
      expect(rows).toHaveLength(p.packages.length);
      p.packages.forEach((k, i) => {
        expect(rows[i]).toContain(`<td class="num">${num('en', k.subscriptions)}</td><td class="num">${num('en', k.ended)}</td><td class="num">${num('en', k.stillSubscribed)}</td>`);
        const d30 = k.survival.day30;
        if (d30) expect(rows[i]).toContain(`<td class="num">${pct('en', d30.survival)} (`);
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(0);
    expect(res.body).toContain('class="chart-spec"');
  });

  it('advice in context: the rows of the API, worst first, linked to the flow tree', async () => {
    const res = await get('/console/context');
    expect(res.statusCode).toBe(200);
    const r = await api('context');
    const nodes = r.nodes as { flowId: string; nodeId: string; served: number; outside: { any: number; months: number } }[];
    expect(nodes.length).toBeGreaterThan(0);
    expect(r.served).toBeGreaterThan(0);
    const rows = rowsOf(res.body, 'context-table');
    expect(rows).toHaveLength(nodes.length);
    nodes.forEach((n, i) => {
      expect(rows[i]).toContain(`<a href="/console/flows/${n.flowId}#node-${n.nodeId}">`);
      expect(rows[i]).toContain(`<td class="num">${num('en', n.served)}</td><td class="num">${num('en', n.outside.any)} <small>`);
    });
    expect(res.body).toContain(`${num('en', r.served)} advice served in these dates; ${num('en', r.outsideAny)}`);
  });

  it('reads in Kiswahili', async () => {
    const a = await get('/console/context', swCookie);
    expect(a.body).toContain('<h1>Ushauri kwa muktadha</h1>');
    expect(a.body).toContain('Nje ya msimu');
    const b = await get('/console/package-fit', swCookie);
    expect(b.body).toContain('<h1>Kifurushi kinachofaa</h1>');
  });

  it('bad dates: 400 with the report\'s message, nothing else', async () => {
    const res = await get('/console/context?from=2026-12-01&to=2026-11-01');
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('from must not be after to.');
  });
});
