import { beforeAll, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import { FlowIndex } from '../../src/crm/flow-index';
import { crmNodeDaily, crmSessionDaily } from '../../src/db/schema';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { funnelReport } from '../../src/reports/funnel';
import { parseRange } from '../../src/reports/range';
import { FunnelStore } from '../../src/reports/stores/funnel-store';
import { eachBackend } from '../helpers/backends';

// The flow funnel on both engines: planted daily node rollups come back summed over the range, with the
// filters (channel, flow) and the JSON columns (exits by reason, dwell histogram) read the same way.
const days = new Days('Africa/Nairobi');
const flows = new FlowIndex(new FlowRegistry(loadFlowsOrThrow('flows')));
const d1 = days.of(Date.parse('2026-11-02T09:00:00Z'));
const d2 = d1 + 1;
const outside = d1 - 5;
const range = (q: { channel?: 'ussd' | 'ivr'; flow?: string } = {}) => parseRange({ from: '2026-11-01', to: '2026-11-03', ...q }, Date.parse('2026-11-04T00:00:00Z'), days);

const node = (day: number, channel: string, nodeId: string, n: { views: number; sessions: number; exits?: Record<string, number>; dwell?: number[] }) => ({
  day, channel, flowId: 'crop-advice', nodeId, views: n.views, sessions: n.sessions, invalid: 1, backs: 0, exits: n.exits ?? {}, dropoffs: n.exits ? 1 : 0, dwell: n.dwell ?? [],
});

eachBackend((get) => {
  let store: FunnelStore;
  beforeAll(async () => {
    const b = get();
    store = new FunnelStore(b.database);
    await b.plant(crmNodeDaily, [
      node(d1, 'ussd', 'main', { views: 10, sessions: 8, exits: { timeout: 2 }, dwell: [0, 3, 1] }),
      node(d2, 'ussd', 'main', { views: 6, sessions: 5, exits: { timeout: 1, user: 1 }, dwell: [0, 1] }),
      node(d2, 'ivr', 'main', { views: 4, sessions: 4 }),
      node(outside, 'ussd', 'main', { views: 100, sessions: 100 }),
      node(d1, 'ussd', 'maize', { views: 3, sessions: 3 }),
    ]);
    await b.plant(crmSessionDaily, [
      { day: d1, channel: 'ussd', flowId: 'crop-advice', sessions: 8, contentSessions: 3 },
      { day: d2, channel: 'ussd', flowId: 'crop-advice', sessions: 5, contentSessions: 2 },
      { day: d2, channel: 'ivr', flowId: 'crop-advice', sessions: 4, contentSessions: 0 },
      { day: outside, channel: 'ussd', flowId: 'crop-advice', sessions: 100, contentSessions: 100 },
    ]);
  });

  it('sums the range over every channel, with exits by reason', async () => {
    const r = (await funnelReport(store, flows, range())) as { flows: Array<{ flowId: string; sessions: number; contentSessions: number; nodes: Array<Record<string, unknown>> }> };
    expect(r.flows).toHaveLength(1);
    expect(r.flows[0]).toMatchObject({ flowId: 'crop-advice', sessions: 17, contentSessions: 5 });
    const main = r.flows[0]!.nodes.find((n) => n.nodeId === 'main')!;
    expect(main).toMatchObject({ views: 20, sessions: 17, invalidInputs: 3, exits: { total: 4, timeout: 3, user: 1 }, dropoffs: 2 });
    expect(r.flows[0]!.nodes.find((n) => n.nodeId === 'maize')).toMatchObject({ views: 3, sessions: 3 });
  });

  it('limits to a channel', async () => {
    const r = (await funnelReport(store, flows, range({ channel: 'ivr' }))) as { flows: Array<{ sessions: number; nodes: Array<{ nodeId: string; views: number }> }> };
    expect(r.flows[0]).toMatchObject({ sessions: 4, nodes: [{ nodeId: 'main', views: 4 }] });
  });

  it('limits to a flow, and finds nothing for another', async () => {
    expect(((await funnelReport(store, flows, range({ flow: 'crop-advice' }))) as { flows: unknown[] }).flows).toHaveLength(1);
    expect(await funnelReport(store, flows, range({ flow: 'voice-guide' }))).toEqual({ flows: [] });
  });
});
