import { beforeAll, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import { FlowIndex } from '../../src/crm/flow-index';
import { calls, crmFindings, crmInterventions, messages, subscribers } from '../../src/db/schema';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { parseRange } from '../../src/reports/range';
import { StuckStore } from '../../src/reports/stores/stuck-store';
import { stuckReport } from '../../src/reports/stuck';
import { eachBackend } from '../helpers/backends';

// The stuck report on both engines: planted stuck findings (their JSON detail names the channel and the
// menu) come back counted, the menus ranked with ties by menu, the list newest first with what was done
// about each (an SMS delivered, a call answered, a holdout, nothing yet).
const days = new Days('Africa/Nairobi');
const flows = new FlowIndex(new FlowRegistry(loadFlowsOrThrow('flows')));
const range = (q: { from?: string; to?: string; channel?: 'ussd' | 'ivr'; flow?: string } = {}) =>
  parseRange({ from: '2026-11-01', to: '2026-11-03', ...q }, Date.parse('2026-11-04T00:00:00Z'), days);
const T1 = Date.parse('2026-11-01T08:00:00Z');
const T2 = Date.parse('2026-11-02T08:00:00Z');
const T3 = Date.parse('2026-11-03T08:00:00Z');
const BEFORE = Date.parse('2026-10-20T08:00:00Z');
const msisdn = (id: number) => `+2547110000${String(id).padStart(2, '0')}`;

const finding = (id: string, subscriberId: number, detectedAt: number, detail: Record<string, unknown>, more: Partial<typeof crmFindings.$inferInsert> = {}) => ({
  id, subscriberId, kind: 'stuck', dedupeKey: id, status: 'open', reason: 'repeated_invalid', detail, detectedAt, notBefore: detectedAt, expiresAt: detectedAt + 86_400_000, ...more,
});
const intervention = (id: string, findingId: string, subscriberId: number, n: Partial<typeof crmInterventions.$inferInsert>) => ({
  id, findingId, subscriberId, kind: 'shortcut_sms', findingKind: 'stuck', arm: 'treatment', channel: 'sms', status: 'sent', at: T1, windowEndsAt: T1 + 7 * 86_400_000, ...n,
});

type Item = { msisdn: string; region: string | null; channel: string | null; detectedAt: string; sought: { flowId: string | null; nodeId: string | null; topic: string | null; shortcut: string | null }; stuckSessions: number | null; firstAttemptRate: number | null; status: string; intervention?: { kind: string; arm: string; status: string; delivery: string | null } };
type Report = { subscribers: number; mostSought: Array<{ flowId: string | null; nodeId: string | null; topic: string | null; subscribers: number }>; list: Item[] };

eachBackend((get) => {
  let store: StuckStore;
  const run = async (q: Parameters<typeof range>[0] = {}, limit = 100) => (await stuckReport(store, flows, range(q), limit)) as Report;

  beforeAll(async () => {
    const b = get();
    store = new StuckStore(b.database);
    await b.plant(subscribers, [1, 2, 3, 4, 5].map((id) => ({ id, msisdn: msisdn(id), language: 'en', region: id === 1 ? 'Nakuru' : null, firstSeenAt: 0, updatedAt: 0 })));
    await b.plant(messages, [{ id: 'm1', subscriberId: 1, msisdn: msisdn(1), text: 'Dial *500*1*3#', kind: 'transactional', source: 'crm', status: 'delivered', encoding: 'gsm7', parts: 1, dueAt: T1, expiresAt: T3, createdAt: T1, updatedAt: T1 }]);
    await b.plant(calls, [{ id: 'c1', subscriberId: 3, msisdn: msisdn(3), flowId: 'voice-guide', kind: 'transactional', source: 'crm', status: 'completed', createdAt: T3, updatedAt: T3, answeredAt: T3 + 5_000 }]);
    await b.plant(crmFindings, [
      finding('f1', 1, T1, { channel: 'ussd', flowId: 'crop-advice', nodeId: 'maize-pests', shortcut: '*500*1*3#', stuckSessions: 3, discoveryRate: 0.25 }, { status: 'acted', interventionId: 'i1' }),
      finding('f2', 2, T2, { channel: 'ussd', flowId: 'crop-advice', nodeId: 'maize-pests' }, { status: 'holdout', interventionId: 'i2' }),
      finding('f3', 3, T3, { channel: 'ivr', flowId: 'voice-guide', nodeId: 'menus' }, { status: 'acted', interventionId: 'i3' }),
      // The same moment as f3: the higher id is listed first.
      finding('f4', 4, T3, { channel: 'ussd', flowId: 'crop-advice', nodeId: null }),
      finding('f5', 5, T1, { channel: 'ussd', flowId: 'crop-advice', nodeId: 'beans-planting' }),
      finding('f6', 1, BEFORE, { channel: 'ussd', flowId: 'crop-advice', nodeId: 'maize-pests' }, { dedupeKey: 'old', status: 'expired', closedAt: BEFORE + 86_400_000 }),
      finding('f7', 2, T2, { channel: 'ussd', flowId: 'crop-advice', nodeId: 'maize-pests' }, { kind: 'passive', dedupeKey: 'passive' }),
    ]);
    await b.plant(crmInterventions, [
      intervention('i1', 'f1', 1, { messageId: 'm1' }),
      intervention('i2', 'f2', 2, { arm: 'holdout', status: 'holdout' }),
      intervention('i3', 'f3', 3, { kind: 'guidance_call', channel: 'call', callId: 'c1', status: 'placed' }),
    ]);
  });

  it('counts the stuck findings in the range and ranks the menus, ties by menu with no menu first', async () => {
    const r = await run();
    expect(r.subscribers).toBe(5);
    expect(r.mostSought.map((m) => [m.flowId, m.nodeId, m.subscribers])).toEqual([
      ['crop-advice', 'maize-pests', 2],
      ['crop-advice', null, 1],
      ['crop-advice', 'beans-planting', 1],
      ['voice-guide', 'menus', 1],
    ]);
    expect(r.mostSought[0]!.topic).toEqual(expect.any(String));
    expect(r.mostSought[1]!.topic).toBeNull();
  });

  it('lists them newest first with the detail and what was done: delivered SMS, held out, answered call, nothing', async () => {
    const r = await run();
    expect(r.list.map((i) => i.msisdn)).toEqual([4, 3, 2, 5, 1].map(msisdn));
    const [f4, f3, f2, , f1] = r.list;
    expect(f1).toMatchObject({ region: 'Nakuru', channel: 'ussd', detectedAt: '2026-11-01T08:00:00.000Z', status: 'acted', stuckSessions: 3, firstAttemptRate: 0.25, sought: { flowId: 'crop-advice', nodeId: 'maize-pests', shortcut: '*500*1*3#' }, intervention: { kind: 'shortcut_sms', arm: 'treatment', delivery: 'delivered' } });
    expect(f2!.intervention).toEqual({ kind: 'shortcut_sms', arm: 'holdout', status: 'holdout', delivery: null });
    expect(f3).toMatchObject({ channel: 'ivr', intervention: { kind: 'guidance_call', delivery: 'answered' } });
    expect(f4).toMatchObject({ stuckSessions: null, sought: { nodeId: null, topic: null } });
    expect(f4!.intervention).toBeUndefined();
    expect((await run({}, 2)).list.map((i) => i.msisdn)).toEqual([4, 3].map(msisdn));
  });

  it('limits to a channel and to a flow from the finding detail', async () => {
    const ivr = await run({ channel: 'ivr' });
    expect(ivr).toMatchObject({ subscribers: 1, mostSought: [{ flowId: 'voice-guide', nodeId: 'menus', subscribers: 1 }] });
    expect(ivr.list.map((i) => i.msisdn)).toEqual([msisdn(3)]);
    const crop = await run({ flow: 'crop-advice' });
    expect(crop.subscribers).toBe(4);
    expect(crop.list.map((i) => i.msisdn)).toEqual([4, 2, 5, 1].map(msisdn));
    expect((await run({ flow: 'crop-advice', channel: 'ivr' })).subscribers).toBe(0);
  });

  it('an empty range has no one stuck', async () => {
    expect(await run({ from: '2026-09-01', to: '2026-09-30' })).toEqual({ subscribers: 0, mostSought: [], list: [] });
  });
});
