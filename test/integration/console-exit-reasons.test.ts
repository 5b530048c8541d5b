import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { num, pct } from '../../src/console/format';
import { maskMsisdn } from '../../src/lib/msisdn';
import { readersOf } from '../helpers/console-session';
import { EXIT_SECRET, plantExits } from '../helpers/exit-reasons';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

// The exit-reasons page shows the exit-reasons report's figures, as the API gives them for the same query.
describe('console: /console/exit-reasons', () => {
  let gw: TestGateway;
  let get: Awaited<ReturnType<typeof readersOf>>;
  let writer: string;
  beforeAll(async () => {
    gw = await testGateway({ callbacks: { secret: EXIT_SECRET } } as unknown as Partial<Config>, { now: '2026-11-20T07:00:00Z' });
    get = await readersOf(gw);
    const plant = [
      ...Array.from({ length: 6 }, () => ({ region: 'Nakuru', joinedDaysAgo: 3, reply: '1' })),
      ...Array.from({ length: 3 }, () => ({ region: 'Kisumu', joinedDaysAgo: 40, reply: '4' })),
      ...Array.from({ length: 2 }, () => ({ region: 'Kisumu', joinedDaysAgo: 100, reply: null })),
    ];
    await plantExits(gw, plant);
    writer = (await plantExits(gw, [{ region: 'Nakuru', joinedDaysAgo: 10, reply: 'The advice came too late' }], '+2547140'))[0]!;
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  const api = async (query: string) => (await gw.app.inject({ url: `/api/v1/reports/exit-reasons${query}`, headers: AUTH })).json();
  type Reason = { reason: string; answers: number; share: number | null };

  it('shows the counts, the response rate and each reason with its share, as the API does', async () => {
    const res = await get('/console/exit-reasons');
    expect(res.statusCode).toBe(200);
    const r = await api('');
    expect(r).toMatchObject({ exits: 12, answered: 10 });
    for (const v of [r.exits, r.asked, r.answered, r.pending]) expect(res.body).toContain(`<strong class="figure">${num('en', v)}</strong>`);
    expect(res.body).toContain(`<strong class="figure">${pct('en', r.responseRate)}</strong>`);
    const rows = res.body.split('id="reasons-table"')[1]!.split('</tbody>')[0]!;
    for (const x of r.reasons as Reason[]) expect(rows).toContain(`<td class="num">${num('en', x.answers)}</td><td class="num">${pct('en', x.share)}</td>`);
    expect(rows).toContain('<td>Too expensive</td>');
    const spec = JSON.parse(/class="chart-spec">(.*?)<\/script>/.exec(res.body)![1]!);
    expect(spec.series[0].data).toEqual((r.reasons as Reason[]).map((x) => x.share));
    expect(res.body).toContain('href="/console/interventions?kind=exit_offer"');
  });

  it('splits by tenure in plain words, with the figures of the API', async () => {
    const res = await get('/console/exit-reasons?by=tenure');
    expect(res.statusCode).toBe(200);
    const r = await api('?by=tenure');
    const table = res.body.split('id="groups-table"')[1]!.split('</tbody>')[0]!;
    for (const g of r.groups as { value: string; exits: number; answered: number }[]) expect(table).toContain(`<td class="num">${num('en', g.exits)}</td><td class="num">${num('en', g.answered)}</td>`);
    expect(table).toContain('<td>under 1 week</td>');
    expect(table).toContain('<td>1 to 3 months</td>');
  });

  it('shows free text with the number masked for a viewer, and in Kiswahili', async () => {
    const editor = await get('/console/exit-reasons');
    expect(editor.body).toContain('The advice came too late');
    expect(editor.body).toContain(`<td>${writer}</td>`);
    const viewer = await get('/console/exit-reasons', 'vic.viewer');
    expect(viewer.body).toContain(`<td>${maskMsisdn(writer)}</td>`);
    expect(viewer.body).not.toContain(writer);
    const sw = await get('/console/exit-reasons?by=channel', 'wanjiru');
    expect(sw.body).toContain('Sababu za kuondoka');
    expect(sw.body).toContain('<td>Mtandao (malipo)</td>');
  });

  it('answers 400 with the error next to the field for an unknown split', async () => {
    const res = await get('/console/exit-reasons?by=shoe');
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Choose one of the splits in the list.');
  });
});
