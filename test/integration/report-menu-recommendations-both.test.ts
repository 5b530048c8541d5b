import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import { FlowIndex } from '../../src/crm/flow-index';
import { crmDiscoveryDaily, crmMenuDaily } from '../../src/db/schema';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { menuRecommendationsReport, type MenuSuggestion } from '../../src/reports/menu-recommendations';
import { parseRange } from '../../src/reports/range';
import { DiscoveryStore } from '../../src/reports/stores/discovery-store';
import { MenuReportStore } from '../../src/reports/stores/menu-store';
import { eachBackend } from '../helpers/backends';
import { MENU_DIR } from '../helpers/menu-recommendations';

// Menu-design suggestions on both engines: planted menu rollups (picks per option in a JSON column) split
// over days and channels come back summed into the same five suggestions, in flow-file order, with the
// episode rollups' first-go figures for buried content; the channel and flow filters and an empty range
// change what is found.
const days = new Days('Africa/Nairobi');
const flows = new FlowIndex(new FlowRegistry(loadFlowsOrThrow(MENU_DIR)));
const cfg = { minSample: 10, rareOptionShare: 0.1, invalidRate: 0.2, detourRate: 0.5, shortcutShare: 0.5, pagingRate: 0.3 };
const d1 = days.of(Date.parse('2026-11-02T09:00:00Z'));
const d2 = d1 + 1;
const outside = d1 - 5;
const range = (q: { from?: string; to?: string; channel?: 'ussd' | 'ivr'; flow?: string } = {}) =>
  parseRange({ from: '2026-11-01', to: '2026-11-03', ...q }, Date.parse('2026-11-04T00:00:00Z'), days);

const menuDay = (day: number, channel: string, nodeId: string, n: Partial<typeof crmMenuDaily.$inferInsert>, flowId = 'farm') => ({
  day, channel, flowId, nodeId, views: 0, picks: {}, pagedViews: 0, invalidViews: 0, menuArrivals: 0, detourArrivals: 0, shortcutArrivals: 0, ...n,
});

type Report = { nodesChecked: number; suggestions: MenuSuggestion[] };

eachBackend((get) => {
  let menu: MenuReportStore;
  let discovery: DiscoveryStore;
  const run = async (q: Parameters<typeof range>[0] = {}) => (await menuRecommendationsReport(menu, discovery, flows, range(q), cfg)) as unknown as Report;

  beforeAll(async () => {
    const b = get();
    menu = new MenuReportStore(b.database);
    discovery = new DiscoveryStore(b.database);
    await b.plant(crmMenuDaily, [
      // main: 54 onward choices in the range, none for option 4 (Loans); Loans was popular before the range.
      menuDay(d1, 'ussd', 'main', { views: 40, picks: { advice: 20, prices: 10, district: 5 } }),
      menuDay(d2, 'ivr', 'main', { views: 20, picks: { advice: 10, prices: 4, district: 5 } }),
      menuDay(outside, 'ussd', 'main', { views: 200, picks: { loans: 200 } }),
      // district: invalid replies on 10 of 12 views
      menuDay(d1, 'ussd', 'district', { views: 6, invalidViews: 5 }),
      menuDay(d2, 'ussd', 'district', { views: 6, invalidViews: 5 }),
      // compost: 12 of 12 menu arrivals after a detour
      menuDay(d2, 'ussd', 'compost', { views: 12, menuArrivals: 12, detourArrivals: 12 }),
      // pests: 20 of 23 arrivals by shortcut dial
      menuDay(d1, 'ussd', 'pests', { views: 23, menuArrivals: 3, shortcutArrivals: 20 }),
      // prices: the next page on 10 of 12 views
      menuDay(d1, 'ussd', 'prices', { views: 12, pagedViews: 10 }),
      // healthy content, a built-in screen and a flow since removed: checked or skipped, never suggested
      menuDay(d1, 'ussd', 'planting', { views: 10, menuArrivals: 10 }),
      menuDay(d1, 'ussd', '_language', { views: 50, invalidViews: 50 }),
      menuDay(d1, 'ussd', 'main', { views: 50, invalidViews: 50 }, 'gone'),
    ]);
    await b.plant(crmDiscoveryDaily, [
      { day: d2, channel: 'ussd', flowId: 'farm', language: 'en', cohort: 'first_week', soughtFlowId: 'farm', nodeId: 'compost', episodes: 9, firstGo: 1, retried: 8, notFound: 0, anyFirstGo: 1, sessions: 12 },
      { day: d1, channel: 'ussd', flowId: 'farm', language: 'sw', cohort: 'established', soughtFlowId: 'farm', nodeId: 'compost', episodes: 3, firstGo: 0, retried: 3, notFound: 0, anyFirstGo: 0, sessions: 4 },
    ]);
  });

  it('sums the range into the five planted suggestions, in flow-file order', async () => {
    const r = await run();
    expect(r.nodesChecked).toBe(6);
    expect(r.suggestions.map((s) => `${s.kind}:${s.nodeId}`)).toEqual(['rare_option:main', 'buried_content:compost', 'shortcut_only:pests', 'long_screen:prices', 'unclear_prompt:district']);
    for (const s of r.suggestions) expect(s).toMatchObject({ flowId: 'farm', file: path.join(MENU_DIR, 'farm.yaml') });
    const at = (kind: string) => r.suggestions.find((s) => s.kind === kind)!;
    expect(at('rare_option')).toMatchObject({ option: { key: '4', next: 'loans', label: { en: 'Loans', sw: 'Mikopo' } }, count: 0, sample: 54, share: 0 });
    expect(at('unclear_prompt')).toMatchObject({ count: 10, sample: 12, share: 0.8333 });
    expect(at('buried_content')).toMatchObject({ count: 12, sample: 12, share: 1, shortcut: '*500*1*2*2#', discovery: { episodes: 12, foundFirstGo: 1, firstGoRate: 0.0833 } });
    expect(at('shortcut_only')).toMatchObject({ count: 20, sample: 23, depth: 2 });
    expect(at('long_screen')).toMatchObject({ count: 10, sample: 12 });
  });

  it('limits to a channel: IVR alone has too few choices to call option 4 rare', async () => {
    expect(await run({ channel: 'ivr' })).toMatchObject({ nodesChecked: 1, suggestions: [] });
    // USSD's 35 choices are enough: even the interval's top for option 4 is under 10%.
    const ussd = await run({ channel: 'ussd' });
    expect(ussd.suggestions.find((s) => s.kind === 'rare_option')).toMatchObject({ count: 0, sample: 35 });
    expect(ussd.suggestions).toHaveLength(5);
  });

  it('limits to a flow; an empty range checks nothing', async () => {
    expect((await run({ flow: 'farm' })).suggestions).toHaveLength(5);
    expect(await run({ flow: 'gone' })).toMatchObject({ nodesChecked: 0, suggestions: [] });
    expect(await run({ from: '2026-10-01', to: '2026-10-02' })).toMatchObject({ nodesChecked: 0, suggestions: [] });
  });
});
