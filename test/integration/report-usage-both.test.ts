import { beforeAll, describe, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import { ALL_FIELD, NOT_SET_VALUE } from '../../src/crm/demography-rollup';
import { sketchAdd, sketchBytes, sketchNew } from '../../src/crm/distinct-sketch';
import { FlowIndex } from '../../src/crm/flow-index';
import { hllAdd, hllNew } from '../../src/crm/hll';
import { crmContentProfileDaily, crmSnapshots, crmUsageDaily, crmUsageProfileDaily } from '../../src/db/schema';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { contentDemographyReport } from '../../src/reports/content-demography';
import { parseRange } from '../../src/reports/range';
import { SnapshotStore } from '../../src/reports/stores/snapshot-store';
import { UsageStore } from '../../src/reports/stores/usage-store';
import { usageReport } from '../../src/reports/usage';
import { ProfileSchema } from '../../src/subscribers/profile-schema';
import { eachBackend } from '../helpers/backends';

// Usage and content-by-demography on both engines: planted daily usage rollups (with their subscriber
// sketches as blobs) and reach snapshots (JSON) come back as the same figures, per dimension value and
// per profile group, with the channel and flow filters, an empty range, and the report's orderings.
const days = new Days('Africa/Nairobi');
const flows = new FlowIndex(new FlowRegistry(loadFlowsOrThrow('flows')));
const schema = new ProfileSchema({
  fields: { gender: { type: 'enum', values: ['female', 'male', 'other'] }, birthYear: { type: 'integer' } },
});
const d1 = days.of(Date.parse('2026-11-02T09:00:00Z'));
const d2 = d1 + 1;
const outside = d1 - 5;
// A second stretch of days, far from the first, for the reach-index case (large counts).
const far = d1 + 20;
type Q = { channel?: 'ussd' | 'ivr'; flow?: string; from?: string; to?: string };
const range = (q: Q = {}) => parseRange({ from: '2026-11-01', to: '2026-11-03', ...q }, Date.parse('2026-12-30T00:00:00Z'), days);
const farRange = () => range({ from: '2026-11-21', to: '2026-11-23' });

/** HyperLogLog registers of the ids, as crm_usage_daily stores them. */
const hll = (ids: number[]) => {
  const regs = hllNew();
  for (const id of ids) hllAdd(regs, id);
  return Buffer.from(regs);
};
/** An exact distinct sketch of the ids, as crm_usage_profile_daily stores it. */
const sketch = (ids: number[]) => {
  const s = sketchNew();
  for (const id of ids) sketchAdd(s, id);
  return sketchBytes(s);
};
const span = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

const dimRow = (day: number, channel: string, flowId: string, dim: string, value: string, n: { sessions: number; content: number; stuck: number; ids: number[] }) => ({
  day, channel, flowId, dim, value, sessions: n.sessions, contentSessions: n.content, stuckSessions: n.stuck, subscribers: hll(n.ids),
});
const profileRow = (day: number, channel: string, field: string, value: string, n: { visits: number; sessions: number; content: number; ids: number[] }) => ({
  day, channel, flowId: 'crop-advice', field, value, visits: n.visits, sessions: n.sessions, contentSessions: n.content, subscribers: sketch(n.ids),
});
const reachRow = (day: number, channel: string, nodeId: string, field: string, value: string, visits: number) => ({ day, channel, flowId: 'crop-advice', nodeId, field, value, visits });

type UsageValue = { value: string; activeSubscribers: number; registeredSubscribers: number | null; reachRate: number | null; sessions: number; contentRate: number | null; stuckSessions: number | null };
type Usage = { by: string; activeSubscribers: number; values: UsageValue[] };
type Group = { value: string; reached: number; reachIndex: number | null; interval: [number, number] | null };
type Demography = { activeSubscribers: number; visits: number; groups: Array<{ value: string; activeSubscribers: number; visits: number }>; content: Array<{ flowId: string; nodeId: string; reached: number; groups: Group[] }>; failing: Array<{ nodeId: string; value: string; reachIndex: number }> };

eachBackend((get) => {
  let stores: { usage: UsageStore; snapshots: SnapshotStore };
  const usage = async (q: Q = {}, by?: string) => (await usageReport(stores, range(q), by, schema)) as unknown as Usage;
  const demography = async (r = range(), field = 'gender', limit = 100) => (await contentDemographyReport(stores.usage, flows, r, field, schema, limit)) as unknown as Demography;

  beforeAll(async () => {
    const b = get();
    stores = { usage: new UsageStore(b.database), snapshots: new SnapshotStore(b.database) };
    await b.plant(crmUsageDaily, [
      dimRow(d1, 'ussd', 'crop-advice', 'region', 'Nakuru', { sessions: 10, content: 6, stuck: 2, ids: [1, 2, 3] }),
      dimRow(d2, 'ussd', 'crop-advice', 'region', 'Nakuru', { sessions: 5, content: 1, stuck: 1, ids: [3, 4] }),
      dimRow(d2, 'ivr', 'crop-advice', 'region', 'Nakuru', { sessions: 4, content: 4, stuck: 0, ids: [5] }),
      dimRow(d1, 'ussd', 'voice-guide', 'region', 'Kisumu', { sessions: 8, content: 2, stuck: 4, ids: [6, 7, 8, 9, 10] }),
      dimRow(d2, 'ussd', 'crop-advice', 'region', 'Eldoret', { sessions: 2, content: 2, stuck: 0, ids: [11, 12] }),
      dimRow(outside, 'ussd', 'crop-advice', 'region', 'Nakuru', { sessions: 100, content: 100, stuck: 100, ids: span(50, 40) }),
      dimRow(d1, 'ussd', 'crop-advice', 'crop', 'maize', { sessions: 99, content: 0, stuck: 0, ids: [1] }),
    ]);
    await b.plant(crmUsageProfileDaily, [
      profileRow(d1, 'ussd', ALL_FIELD, '', { visits: 10, sessions: 9, content: 5, ids: [1, 2, 3, 4, 5, 6] }),
      profileRow(d1, 'ussd', 'gender', 'female', { visits: 6, sessions: 5, content: 4, ids: [1, 2, 3] }),
      profileRow(d1, 'ussd', 'gender', 'male', { visits: 3, sessions: 3, content: 1, ids: [4, 5] }),
      profileRow(d1, 'ussd', 'gender', NOT_SET_VALUE, { visits: 1, sessions: 1, content: 0, ids: [6] }),
      profileRow(d2, 'ivr', ALL_FIELD, '', { visits: 4, sessions: 4, content: 2, ids: [1, 7] }),
      profileRow(d2, 'ivr', 'gender', 'female', { visits: 2, sessions: 2, content: 2, ids: [1] }),
      profileRow(d2, 'ivr', 'gender', 'male', { visits: 2, sessions: 2, content: 0, ids: [7] }),
      profileRow(d1, 'ussd', 'birthYear', '2000', { visits: 6, sessions: 5, content: 4, ids: [1, 2, 3] }),
      profileRow(d1, 'ussd', 'birthYear', '1960', { visits: 3, sessions: 3, content: 1, ids: [4, 5] }),
      profileRow(d1, 'ussd', 'birthYear', NOT_SET_VALUE, { visits: 1, sessions: 1, content: 0, ids: [6] }),
      profileRow(outside, 'ussd', 'gender', 'female', { visits: 100, sessions: 100, content: 100, ids: span(90, 10) }),
      // The reach-index stretch: half the visits are women's, yet no woman reached either content node.
      profileRow(far, 'ussd', ALL_FIELD, '', { visits: 2000, sessions: 2000, content: 200, ids: span(1000, 200) }),
      profileRow(far, 'ussd', 'gender', 'female', { visits: 1000, sessions: 1000, content: 0, ids: span(1000, 100) }),
      profileRow(far, 'ussd', 'gender', 'male', { visits: 1000, sessions: 1000, content: 200, ids: span(1100, 100) }),
    ]);
    await b.plant(crmContentProfileDaily, [
      reachRow(d1, 'ussd', 'maize-planting', ALL_FIELD, '', 5),
      reachRow(d2, 'ivr', 'maize-planting', ALL_FIELD, '', 2),
      reachRow(d1, 'ussd', 'maize-planting', 'gender', 'female', 1),
      reachRow(d1, 'ussd', 'maize-planting', 'gender', 'male', 4),
      reachRow(d2, 'ivr', 'maize-planting', 'gender', 'male', 2),
      reachRow(d1, 'ussd', 'market-maize', ALL_FIELD, '', 3),
      reachRow(d1, 'ussd', 'market-maize', 'gender', 'female', 3),
      reachRow(outside, 'ussd', 'market-maize', 'gender', 'male', 50),
      // Equal reach on two nodes: the failing list keeps them in flow and node order.
      reachRow(far, 'ussd', 'maize-pests', ALL_FIELD, '', 100),
      reachRow(far, 'ussd', 'maize-pests', 'gender', 'male', 100),
      reachRow(far, 'ussd', 'beans-pests', ALL_FIELD, '', 100),
      reachRow(far, 'ussd', 'beans-pests', 'gender', 'male', 100),
    ]);
    await b.plant(crmSnapshots, [
      { kind: 'reach', day: d1 - 1, data: { region: { Nakuru: 20, Kisumu: 10 } }, at: 1 },
      { kind: 'reach', day: d2, data: { region: { Nakuru: 40, Kisumu: 10 }, crop: { maize: 7 } }, at: 2 },
      { kind: 'profile_reach', day: d2, data: { gender: { female: 30, male: 20, [NOT_SET_VALUE]: 5 }, birthYear: { '2000': 30, '1960': 20, '1961': 4 } }, at: 2 },
    ]);
  });

  describe('by a rollup dimension', () => {
    it('sums sessions, unions the distinct subscribers and takes registered counts from the latest snapshot', async () => {
      const r = await usage();
      expect(r.by).toBe('region');
      expect(r.activeSubscribers).toBe(12);
      // Kisumu and Nakuru tie on active subscribers: by name.
      expect(r.values).toEqual([
        { value: 'Kisumu', activeSubscribers: 5, registeredSubscribers: 10, reachRate: 0.5, sessions: 8, contentRate: 0.25, stuckSessions: 4, stuckRate: 0.5 },
        { value: 'Nakuru', activeSubscribers: 5, registeredSubscribers: 40, reachRate: 0.125, sessions: 19, contentRate: 0.5789, stuckSessions: 3, stuckRate: 0.1579 },
        { value: 'Eldoret', activeSubscribers: 2, registeredSubscribers: null, reachRate: null, sessions: 2, contentRate: 1, stuckSessions: 0, stuckRate: 0 },
      ]);
    });

    it('reads only the dimension asked for', async () => {
      const r = await usage({}, 'crop');
      expect(r.values).toEqual([expect.objectContaining({ value: 'maize', activeSubscribers: 1, registeredSubscribers: 7, sessions: 99 })]);
    });

    it('limits to a channel and to a flow', async () => {
      expect((await usage({ channel: 'ivr' })).values).toEqual([expect.objectContaining({ value: 'Nakuru', activeSubscribers: 1, sessions: 4, stuckSessions: 0 })]);
      const flow = await usage({ flow: 'voice-guide' });
      expect(flow.activeSubscribers).toBe(5);
      expect(flow.values.map((v) => [v.value, v.sessions])).toEqual([['Kisumu', 8]]);
    });

    it('finds nothing in a range without rollups', async () => {
      const r = await usage({ from: '2026-12-01', to: '2026-12-05' });
      expect(r).toMatchObject({ by: 'region', activeSubscribers: 0, values: [] });
    });
  });

  describe('by a typed profile field', () => {
    it('counts distinct subscribers per group exactly, in the field order with "(not set)" last', async () => {
      const r = await usage({}, 'gender');
      expect(r.activeSubscribers).toBe(7);
      expect(r.values).toEqual([
        { value: 'female', activeSubscribers: 3, registeredSubscribers: 30, reachRate: 0.1, sessions: 7, contentRate: 0.8571, stuckSessions: null, stuckRate: null },
        { value: 'male', activeSubscribers: 3, registeredSubscribers: 20, reachRate: 0.15, sessions: 5, contentRate: 0.2, stuckSessions: null, stuckRate: null },
        { value: '(not set)', activeSubscribers: 1, registeredSubscribers: 5, reachRate: 0.2, sessions: 1, contentRate: 0, stuckSessions: null, stuckRate: null },
      ]);
    });

    it('groups birth years into age bands as of the range end, registered counts included', async () => {
      const r = await usage({}, 'ageBand');
      expect(r.values.map((v) => [v.value, v.activeSubscribers, v.registeredSubscribers, v.sessions])).toEqual([
        ['25-34', 3, 30, 5],
        ['55+', 2, 24, 3],
        ['(not set)', 1, 0, 1],
      ]);
    });

    it('limits to a channel, and finds nothing in an empty range', async () => {
      const r = await usage({ channel: 'ivr' }, 'gender');
      expect(r.activeSubscribers).toBe(2);
      expect(r.values.map((v) => [v.value, v.activeSubscribers, v.sessions])).toEqual([
        ['female', 1, 2],
        ['male', 1, 2],
      ]);
      expect(await usage({ from: '2026-12-01', to: '2026-12-05' }, 'gender')).toMatchObject({ activeSubscribers: 0, values: [] });
    });
  });

  describe('content by demography', () => {
    it('counts visits reaching each content node per group, most reached first', async () => {
      const r = await demography();
      expect(r.activeSubscribers).toBe(7);
      expect(r.visits).toBe(14);
      expect(r.groups.map((g) => [g.value, g.activeSubscribers, g.visits])).toEqual([
        ['female', 3, 8],
        ['male', 3, 5],
        ['(not set)', 1, 1],
      ]);
      expect(r.content.map((c) => [c.nodeId, c.reached, c.groups.map((g) => [g.value, g.reached])])).toEqual([
        ['maize-planting', 7, [['female', 1], ['male', 6], ['(not set)', 0]]],
        ['market-maize', 3, [['female', 3], ['male', 0], ['(not set)', 0]]],
      ]);
      // market-maize: women made 8 of 14 visits and 3 of the 3 that reached it.
      expect(r.content[1]!.groups[0]!.reachIndex).toBe(1.75);
    });

    it('limits to a channel and finds nothing in an empty range', async () => {
      const ivr = await demography(range({ channel: 'ivr' }));
      expect(ivr.content.map((c) => [c.nodeId, c.reached])).toEqual([['maize-planting', 2]]);
      const none = await demography(range({ from: '2026-12-01', to: '2026-12-05' }));
      expect(none).toMatchObject({ activeSubscribers: 0, visits: 0, groups: [], content: [], failing: [] });
    });

    it('flags a group the content fails, ties in flow and node order', async () => {
      const r = await demography(farRange());
      expect(r.content.map((c) => [c.nodeId, c.reached])).toEqual([
        ['beans-pests', 100],
        ['maize-pests', 100],
      ]);
      expect(r.failing.map((f) => [f.nodeId, f.value, f.reachIndex])).toEqual([
        ['beans-pests', 'female', 0],
        ['maize-pests', 'female', 0],
      ]);
    });
  });
});
