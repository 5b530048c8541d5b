import { beforeAll, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import { FlowIndex } from '../../src/crm/flow-index';
import { crmFindings, crmInterventions, crmOnboarding, crmOnboardingContent, messages, subscribers } from '../../src/db/schema';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { onboardingReport } from '../../src/reports/onboarding';
import { parseRange } from '../../src/reports/range';
import { InterventionsStore } from '../../src/reports/stores/interventions-store';
import { OnboardingReportStore } from '../../src/reports/stores/onboarding-store';
import { eachBackend } from '../helpers/backends';
import { testConfig } from '../helpers/gateway';

// The onboarding report on both engines: planted new subscribers per arm (first episode, first go,
// retention closed or not), welcomes and follow-ups with their outbox rows, and first-go reaches per
// region and crop come back as the counts, pending windows and shortcut ranking they imply.
const days = new Days('Africa/Nairobi');
const DAY = 86_400_000;
const flows = new FlowIndex(new FlowRegistry(loadFlowsOrThrow('flows')));
const config = testConfig();
const now = Date.parse('2026-12-10T09:00:00Z');
const range = (from: string, to: string) => parseRange({ from, to }, now, days);
const nov = range('2026-11-01', '2026-11-30');
const at = nov.from + 3 * DAY;
const joinDay = days.of(at);

type O = typeof crmOnboarding.$inferInsert;
const joined = (subscriberId: number, arm: string | null, o: Partial<O> = {}): O => ({
  subscriberId, joinedAt: at, joinDay, via: 'session', findingId: `nf${subscriberId}`, arm, ...o,
});
type I = typeof crmInterventions.$inferInsert;
let seq = 0;
const iv = (kind: string, arm: 'treatment' | 'holdout', o: Partial<I> = {}): I => {
  const id = `i${++seq}`;
  return { id, findingId: `f-${id}`, subscriberId: 1, kind, findingKind: 'new_subscriber', arm, channel: arm === 'holdout' ? 'none' : 'sms', status: arm === 'holdout' ? 'held_out' : 'queued', at, windowEndsAt: at + 7 * DAY, outcomeClosed: true, ...o };
};
const msg = (id: string, status: string) => ({ id, subscriberId: 1, msisdn: '254700000001', text: 'hi', kind: 'promotional', source: 'crm', status, encoding: 'gsm7', parts: 1, dueAt: at, expiresAt: at + DAY, createdAt: at, updatedAt: at });
const reach = (day: number, region: string, crop: string, nodeId: string, firstGo: number) => ({ day, region, crop, flowId: 'crop-advice', nodeId, firstGo });

type Side = { subscribers: number; successes: number; rate: number | null };
type Compare = { treatment: Side; holdout: Side };
type Shortcut = { nodeId: string; from: string; reaches: number };
type Report = {
  newSubscribers: Record<string, number | string>;
  welcome: { onboarded: number; sent: number; delivered: number; blocked: number; deliveryRate: { rate: number | null } };
  firstGo: Compare & { pending: Record<string, number> };
  retention: Compare & { pending: Record<string, number> };
  followup: { onboarded: number; heldOut: number; sent: number; delivered: number; reachedContent: Compare; pending: Record<string, number> };
  shortcuts: { base: Shortcut[]; groups: Array<{ region: string | null; crop: string | null; reaches: number; shortcuts: Shortcut[] }> };
};

eachBackend((get) => {
  let stores: { onboarding: OnboardingReportStore; interventions: InterventionsStore };
  const report = async (r = nov, limit = 100) => (await onboardingReport(stores, flows, days, r, { config, now, limit })) as unknown as Report;

  beforeAll(async () => {
    const b = get();
    stores = { onboarding: new OnboardingReportStore(b.database), interventions: new InterventionsStore(b.database) };
    seq = 0;
    await b.plant(subscribers, Array.from({ length: 9 }, (_, i) => ({ id: i + 1, msisdn: `25470000000${i + 1}`, firstSeenAt: 0, updatedAt: 0 })));
    await b.plant(crmOnboarding, [
      joined(1, 'treatment', { episodeAt: at + DAY, firstGo: 1, retained: 1 }),
      joined(2, 'treatment', { episodeAt: at + DAY, firstGo: 1, retained: 0 }),
      joined(3, 'treatment', { episodeAt: at + DAY, firstGo: 0 }),
      joined(4, 'treatment', { via: 'subscription' }),
      joined(5, 'holdout', { episodeAt: at + DAY, firstGo: 0, retained: 1 }),
      joined(6, 'holdout', { via: 'subscription', retained: 1 }),
      joined(7, null),
      joined(8, 'treatment', { joinDay: days.of(nov.to) + 1, episodeAt: at, firstGo: 1, retained: 1 }),
    ]);
    await b.plant(messages, [msg('w1', 'delivered'), msg('u1', 'delivered'), msg('u2', 'sent')]);
    const ivs = [
      iv('welcome', 'treatment', { messageId: 'w1' }),
      iv('welcome', 'treatment', { status: 'blocked', reason: 'opted_out' }),
      iv('welcome', 'holdout'),
      iv('onboarding_followup', 'treatment', { messageId: 'u1', reachedContentAt: at + DAY }),
      iv('onboarding_followup', 'treatment', { messageId: 'u2', outcomeClosed: false }),
      iv('onboarding_followup', 'holdout', { reachedContentAt: at + DAY }),
    ];
    await b.plant(crmFindings, ivs.map((i) => ({ id: i.findingId, subscriberId: 1, kind: 'new_subscriber', dedupeKey: i.findingId, status: 'acted', reason: 'r', detail: {}, detectedAt: at, notBefore: at, expiresAt: at, closedAt: at })));
    await b.plant(crmInterventions, ivs);
    const today = days.of(now);
    await b.plant(crmOnboardingContent, [
      // Three groups of 25 reaches each: equal, so they come in region order.
      reach(today - 3, 'Nakuru', 'maize', 'maize-pests', 15),
      reach(today - 2, 'Nakuru', 'maize', 'maize-planting', 10),
      reach(today - 3, 'Kisumu', 'cassava', 'cassava-planting', 25),
      reach(today - 1, 'Eldoret', 'maize', 'maize-planting', 25),
      // Before the 90-day window: not counted.
      reach(today - 120, 'Nakuru', 'maize', 'maize-pests', 1000),
    ]);
  });

  it('counts the new subscribers of the range per arm, with first go and retention pending until known', async () => {
    const r = await report();
    expect(r.newSubscribers).toMatchObject({ joined: 7, viaSession: 4, onboarded: 4, heldOut: 2, notAssigned: 1 });
    expect(r.firstGo.treatment).toMatchObject({ subscribers: 3, successes: 2 });
    expect(r.firstGo.holdout).toMatchObject({ subscribers: 1, successes: 0 });
    expect(r.firstGo.pending).toEqual({ onboarded: 1, heldOut: 1 });
    expect(r.retention.treatment).toMatchObject({ subscribers: 2, successes: 1, rate: 0.5 });
    expect(r.retention.holdout).toMatchObject({ subscribers: 2, successes: 2, rate: 1 });
    expect(r.retention.pending).toEqual({ onboarded: 2, heldOut: 0 });
  });

  it("reads the welcome's delivery and the follow-up's outcomes from their interventions", async () => {
    const r = await report();
    expect(r.welcome).toMatchObject({ onboarded: 2, sent: 1, delivered: 1, blocked: 1, deliveryRate: { rate: 0.5 } });
    expect(r.followup).toMatchObject({ onboarded: 2, heldOut: 1, sent: 2, delivered: 1, pending: { onboarded: 1, heldOut: 0 } });
    expect(r.followup.reachedContent.treatment).toMatchObject({ subscribers: 1, successes: 1 });
    expect(r.followup.reachedContent.holdout).toMatchObject({ subscribers: 1, successes: 1 });
  });

  it('ranks the shortcuts by first-go reaches in the window, equal groups in region order', async () => {
    const r = await report();
    expect(r.shortcuts.base.map((s) => [s.nodeId, s.reaches])).toEqual([
      ['maize-planting', 35],
      ['cassava-planting', 25],
      ['maize-pests', 15],
    ]);
    expect(r.shortcuts.groups.map((g) => [g.region, g.crop, g.reaches])).toEqual([
      ['Eldoret', 'maize', 25],
      ['Kisumu', 'cassava', 25],
      ['Nakuru', 'maize', 25],
    ]);
    expect(r.shortcuts.groups[2]!.shortcuts.map((s) => [s.nodeId, s.from])).toEqual([
      ['maize-pests', 'region+crop'],
      ['maize-planting', 'region+crop'],
      ['cassava-planting', 'all'],
    ]);
    expect((await report(nov, 1)).shortcuts.groups.map((g) => g.region)).toEqual(['Eldoret']);
  });

  it('finds no one in an empty range', async () => {
    const r = await report(range('2025-01-01', '2025-01-31'));
    expect(r.newSubscribers).toMatchObject({ joined: 0, onboarded: 0, heldOut: 0, notAssigned: 0 });
    expect(r.welcome).toMatchObject({ onboarded: 0, deliveryRate: { rate: null } });
    expect(r.followup).toMatchObject({ onboarded: 0, heldOut: 0 });
  });
});
