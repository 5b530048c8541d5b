import { beforeAll, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import { FlowIndex } from '../../src/crm/flow-index';
import { crmContextDaily } from '../../src/db/schema';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { contextReport } from '../../src/reports/context';
import { parseRange } from '../../src/reports/range';
import { ContextReportStore } from '../../src/reports/stores/context-store';
import { eachBackend } from '../helpers/backends';

// Advice served outside its context on both engines: planted daily context rollups come back summed per
// node over the range, worst first, with the flow filter, the declared-but-unserved nodes and the limit.
const days = new Days('Africa/Nairobi');
const flows = new FlowIndex(new FlowRegistry(loadFlowsOrThrow('flows')));
const d1 = days.of(Date.parse('2026-11-02T09:00:00Z'));
const d2 = d1 + 1;
const outside = d1 - 5;
const range = (q: { from?: string; to?: string; flow?: string; channel?: 'ussd' } = {}) =>
  parseRange({ from: '2026-11-01', to: '2026-11-03', ...q }, Date.parse('2026-11-04T00:00:00Z'), days);

type Node = { flowId: string; nodeId: string; served: number; outside: Record<string, number>; share: Record<string, number | null>; unknown: Record<string, number>; shareCi95: number[] | null };
type Report = { served: number; outsideAny: number; shareOutside: number | null; nodes: Node[]; note?: string };

const row = (day: number, nodeId: string, n: Partial<typeof crmContextDaily.$inferInsert> & { served: number }) => ({
  day, flowId: 'crop-advice', nodeId, outsideAny: 0, outsideMonths: 0, outsideRegions: 0, outsideCrops: 0, regionUnknown: 0, cropsUnknown: 0, ...n,
});

eachBackend((get) => {
  let store: ContextReportStore;
  beforeAll(async () => {
    const b = get();
    store = new ContextReportStore(b.database);
    await b.plant(crmContextDaily, [
      // maize-planting: 10 + 6 served, 4 + 3 outside (months 5, crops 2), unknowns 1 + 1 region, 2 crops
      row(d1, 'maize-planting', { served: 10, outsideAny: 4, outsideMonths: 3, outsideCrops: 1, regionUnknown: 1, cropsUnknown: 2 }),
      row(d2, 'maize-planting', { served: 6, outsideAny: 3, outsideMonths: 2, outsideCrops: 1, regionUnknown: 1 }),
      row(outside, 'maize-planting', { served: 500, outsideAny: 500, outsideMonths: 500 }),
      // market-cassava: 7 outside of 9 (regions)
      row(d2, 'market-cassava', { served: 9, outsideAny: 7, outsideRegions: 7 }),
      // Two nodes tied on outside, share and served: flow, then node id decide.
      row(d1, 'beans-pests', { served: 4, outsideAny: 2, outsideCrops: 2 }),
      row(d1, 'beans-harvest', { served: 4, outsideAny: 2, outsideCrops: 2 }),
      // A served node with a context, nothing outside.
      row(d2, 'cassava-harvest', { served: 5 }),
    ]);
  });

  it('sums each node over the range, worst first, ties by flow and node', async () => {
    const r = (await contextReport(store, flows, range(), 100)) as Report;
    expect(r).toMatchObject({ served: 38, outsideAny: 18 });
    expect(r.shareOutside).toBeCloseTo(18 / 38, 4);
    expect(r.nodes.slice(0, 5).map((n) => n.nodeId)).toEqual(['market-cassava', 'maize-planting', 'beans-harvest', 'beans-pests', 'cassava-harvest']);
    expect(r.nodes[1]).toMatchObject({ flowId: 'crop-advice', served: 16, outside: { any: 7, months: 5, regions: 0, crops: 2 }, unknown: { region: 2, crops: 2 } });
    expect(r.nodes[1]!.share.any).toBeCloseTo(7 / 16, 4);
    expect(r.nodes[0]).toMatchObject({ served: 9, outside: { any: 7, regions: 7 } });
    // Every other declared context node is listed with nothing served.
    expect(r.nodes).toHaveLength(flows.contextNodes().length);
    expect(r.nodes.slice(5).every((n) => n.served === 0 && n.shareCi95 === null)).toBe(true);
    expect(r.note).toBeUndefined();
  });

  it('limits to a flow (nothing for another) and cuts the list at the limit', async () => {
    const ofFlow = (await contextReport(store, flows, range({ flow: 'crop-advice' }), 2)) as Report;
    expect(ofFlow.nodes.map((n) => n.nodeId)).toEqual(['market-cassava', 'maize-planting']);
    expect(ofFlow).toMatchObject({ served: 38, outsideAny: 18 });
    expect(await contextReport(store, flows, range({ flow: 'voice-guide' }), 100)).toEqual({ served: 0, outsideAny: 0, shareOutside: null, nodes: [] });
  });

  it('an empty range lists the declared nodes with nothing served; a channel filter is noted, not applied', async () => {
    const empty = (await contextReport(store, flows, range({ from: '2026-10-01', to: '2026-10-02' }), 100)) as Report;
    expect(empty).toMatchObject({ served: 0, outsideAny: 0, shareOutside: null });
    expect(empty.nodes.every((n) => n.served === 0)).toBe(true);
    const ussd = (await contextReport(store, flows, range({ channel: 'ussd' }), 100)) as Report;
    expect(ussd).toMatchObject({ served: 38, outsideAny: 18 });
    expect(ussd.note).toMatch(/channel filter does not apply/);
  });
});
