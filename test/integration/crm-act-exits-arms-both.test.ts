import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { countArmConversions, type ArmsCursorState } from '../../src/campaigns/arms-conversion-store';
import type { ExitSurveyRow } from '../../src/crm/exit-reasons/exit-survey-store';
import { plantArmsCampaign } from '../../src/crm/generator/arms';
import type { UnitOfWork } from '../../src/db/database';
import { campaignAssignments, campaigns, crmFindings, exitReasonsDaily, exitSurveys, messages, usageEvents } from '../../src/db/schema';
import { eachBackend } from '../helpers/backends';
import { actStack, actStackPerTest, count, DAY, NOW, plantSubscribers } from '../helpers/crm-act';

// Exit surveys and campaign arm conversions on both engines, in units of work: the exit question is asked
// once per exit; an SMS answer is stored, counted, followed up and thanked once however often it arrives,
// also when two processes get it at once; a campaign arm's conversions are counted once over two passes;
// and the generator's planted arms campaign is one unit whose conversions the count recovers.

eachBackend((get) => {
  const s = actStackPerTest(get);

  it('asks the exit question once per exit, stores an SMS answer once, counts it, raises its follow-up and thanks once', async () => {
    const b = get();
    await plantSubscribers(b, [41]);
    const exit = { subscriberId: 41, serviceId: 'crop-daily', subscriptionId: 'sub_41', channel: 'billing' as const, at: NOW - 3_600_000, runStartedAt: NOW - 40 * DAY };
    await b.units.unit((tx) => s.exits.onExitIn(exit, tx));
    await b.units.unit((tx) => s.exits.onExitIn(exit, tx));
    const surveys = await b.database.all<Pick<ExitSurveyRow, 'id' | 'status' | 'askedChannel' | 'messageId'>>(
      sql`SELECT ${exitSurveys.id} AS "id", ${exitSurveys.status} AS "status", ${exitSurveys.askedChannel} AS "askedChannel", ${exitSurveys.messageId} AS "messageId" FROM ${exitSurveys}`,
    );
    expect(surveys).toHaveLength(1);
    expect(surveys[0]).toMatchObject({ status: 'asked', askedChannel: 'sms' });
    expect(await count(b, messages, sql`${messages.source} = 'exit_reason' AND ${messages.id} = ${surveys[0]!.messageId}`)).toBe(1);

    // "1" (too expensive) arrives twice, as a resent SMS would.
    const mo = { subscriberId: 41, from: '+254711000041', to: '20123', text: '1', at: NOW };
    expect(await b.units.unit((tx) => s.exits.handleMoIn(mo, tx))).toBe(true);
    expect(await b.units.unit((tx) => s.exits.handleMoIn(mo, tx))).toBe(false);
    const answered = await b.database.get<{ status: string; reason: string; findingId: string | null }>(
      sql`SELECT ${exitSurveys.status} AS "status", ${exitSurveys.reason} AS "reason", ${exitSurveys.findingId} AS "findingId" FROM ${exitSurveys}`,
    );
    expect(answered).toMatchObject({ status: 'answered', reason: 'too_expensive' });
    // Its follow-up (config: too_expensive -> exit_offer) is one open exit_reason finding, linked to the survey.
    const raised = await b.database.all<{ id: string; kind: string; detail: unknown }>(
      sql`SELECT ${crmFindings.id} AS "id", ${crmFindings.kind} AS "kind", ${crmFindings.detail} AS "detail" FROM ${crmFindings}`,
    );
    expect(raised.map((r) => [r.id, r.kind])).toEqual([[answered!.findingId, 'exit_reason']]);
    expect(typeof raised[0]!.detail === 'string' ? JSON.parse(raised[0]!.detail) : raised[0]!.detail).toMatchObject({ followUp: 'exit_offer', surveyId: surveys[0]!.id });
    // The report's counts: under every grouping, the survey moved from asked to answered once.
    const daily = await b.database.all<{ status: string; reason: string; n: unknown }>(
      sql`SELECT ${exitReasonsDaily.status} AS "status", ${exitReasonsDaily.reason} AS "reason", ${exitReasonsDaily.n} AS "n" FROM ${exitReasonsDaily} WHERE ${exitReasonsDaily.dim} = 'all'`,
    );
    expect(Object.fromEntries(daily.map((d) => [`${d.status}/${d.reason}`, Number(d.n)]))).toEqual({ 'asked/': 0, 'answered/too_expensive': 1 });
    expect(await count(b, messages, sql`${messages.source} = 'exit_reason'`)).toBe(2);
  });

  it('records an exit answer delivered to two processes at once once: one answer, one count, one follow-up, one thanks', async () => {
    const b = get();
    await plantSubscribers(b, [42]);
    const exit = { subscriberId: 42, serviceId: 'crop-daily', subscriptionId: 'sub_42', channel: 'billing' as const, at: NOW - 3_600_000, runStartedAt: NOW - 40 * DAY };
    await b.units.unit((tx) => s.exits.onExitIn(exit, tx));
    // PostgreSQL: the second process is a second connection with units of its own. SQLite has one writer:
    // the second "process" is a second stack whose units take turns on the same connection.
    const other = b.dialect === 'postgresql' ? await b.reopen() : null;
    const second = actStack(other ? { ...b, database: other.database, units: other.database as unknown as UnitOfWork } : b);
    try {
      const mo = { subscriberId: 42, from: '+254711000042', to: '20123', text: 'HARD', at: NOW };
      const [one, two] = await Promise.all([b.units.unit((tx) => s.exits.handleMoIn(mo, tx)), (other ? (other.database as unknown as UnitOfWork) : b.units).unit((tx) => second.exits.handleMoIn(mo, tx))]);
      // The first to record it consumed it; the other consumed it too (it saw the question still asked) or
      // saw it answered and left it to routing. Either way it was recorded once, below.
      expect(one || two).toBe(true);
    } finally {
      second.close();
      await other?.close();
    }
    expect(await count(b, exitSurveys, sql`${exitSurveys.status} = 'answered' AND ${exitSurveys.reason} = 'hard_to_use'`)).toBe(1);
    expect(await count(b, crmFindings, sql`${crmFindings.kind} = 'exit_reason'`)).toBe(1);
    const n = await b.database.get<{ n: unknown }>(
      sql`SELECT ${exitReasonsDaily.n} AS "n" FROM ${exitReasonsDaily} WHERE ${exitReasonsDaily.dim} = 'all' AND ${exitReasonsDaily.status} = 'answered'`,
    );
    expect(Number(n!.n)).toBe(1);
    // The question and one thanks.
    expect(await count(b, messages, sql`${messages.source} = 'exit_reason'`)).toBe(2);
  });

  it('counts each campaign arm conversion once over two passes, and settles delivery and cost', async () => {
    const b = get();
    await plantSubscribers(b, [1, 2, 3, 4, 5]);
    const goal = (g: Record<string, unknown>) => ({ windowDays: 7, ...g });
    await b.plant(campaigns, [
      { id: 'c-content', name: 'content', kind: 'sms', channel: 'sms', segmentId: 's', timezone: 'Africa/Nairobi', status: 'completed', goal: goal({ type: 'reached_content', flowId: 'crop-advice', nodeId: 'maize-planting' }) as never, createdAt: NOW, updatedAt: NOW },
      { id: 'c-sub', name: 'subscribe', kind: 'sms', channel: 'sms', segmentId: 's', timezone: 'Africa/Nairobi', status: 'completed', goal: goal({ type: 'subscribed', serviceId: 'crop-daily' }) as never, createdAt: NOW, updatedAt: NOW },
    ]);
    const sent = NOW - 5 * DAY;
    await b.plant(messages, [
      { id: 'm1', subscriberId: 1, msisdn: '+254711000001', text: 'offer', kind: 'promotional', source: 'campaign', status: 'delivered', encoding: 'gsm7', parts: 2, attempts: 1, dueAt: sent, expiresAt: sent + DAY, createdAt: sent, updatedAt: sent, sentAt: sent, deliveredAt: sent + 60_000, finalAt: sent + 60_000 },
    ]);
    await b.plant(campaignAssignments, [
      { campaignId: 'c-content', subscriberId: 1, arm: 'A', runId: 1, channel: 'sms', ref: 'm1', assignedAt: sent },
      { campaignId: 'c-content', subscriberId: 2, arm: 'A', runId: 1, channel: 'none', ref: null, assignedAt: sent, settled: true },
      { campaignId: 'c-content', subscriberId: 3, arm: '(holdout)', runId: 1, channel: 'none', ref: null, assignedAt: sent, settled: true },
      { campaignId: 'c-sub', subscriberId: 4, arm: 'B', runId: 1, channel: 'none', ref: null, assignedAt: sent, settled: true },
      { campaignId: 'c-sub', subscriberId: 5, arm: 'B', runId: 1, channel: 'none', ref: null, assignedAt: sent, settled: true },
    ]);
    const content = (subscriberId: number, at: number) => ({ at, subscriberId, channel: 'sms' as const, type: 'content', flowId: 'crop-advice', nodeId: 'maize-planting' });
    await b.plant(usageEvents, [
      content(1, sent + DAY),
      content(1, sent + 2 * DAY),
      content(3, sent + 3 * DAY),
      // Outside the window: does not count.
      content(2, sent + 9 * DAY),
      { at: sent + DAY, subscriberId: 4, channel: 'billing', type: 'billing', detail: { event: 'subscribed', serviceId: 'crop-daily' } },
      { at: sent + DAY, subscriberId: 5, channel: 'billing', type: 'billing', detail: { event: 'subscribed', serviceId: 'other-service' } },
    ]);
    const kept = new Map<string, unknown>();
    const state: ArmsCursorState = { get: <T,>(k: string, fallback: T) => (kept.has(k) ? (kept.get(k) as T) : fallback), set: (k, v) => void kept.set(k, v) };
    const costs = { currency: 'KES', smsPart: 0.5, call: 2 };
    expect(await b.units.unit((tx) => countArmConversions(tx, state, NOW, costs))).toBe(3);
    expect(await b.units.unit((tx) => countArmConversions(tx, state, NOW + DAY, costs))).toBe(0);
    // A late event of an already converted subscriber, after the cursor: still counted once.
    await b.plant(usageEvents, [content(1, sent + 4 * DAY)]);
    expect(await b.units.unit((tx) => countArmConversions(tx, state, NOW + 2 * DAY, costs))).toBe(0);
    const a = campaignAssignments;
    const rows = await b.database.all<{ subscriberId: number; convertedAt: unknown; reachedAt: unknown; costMinor: unknown; settled: unknown }>(
      sql`SELECT ${a.subscriberId} AS "subscriberId", ${a.convertedAt} AS "convertedAt", ${a.reachedAt} AS "reachedAt", ${a.costMinor} AS "costMinor", ${a.settled} AS "settled" FROM ${a} ORDER BY ${a.subscriberId}`,
    );
    const n = (v: unknown) => (v === null ? null : Number(v));
    expect(rows.map((r) => [r.subscriberId, n(r.convertedAt), n(r.reachedAt), n(r.costMinor), r.settled === true || r.settled === 1])).toEqual([
      [1, sent + DAY, sent + 60_000, 100, true],
      [2, null, null, 0, true],
      [3, sent + 3 * DAY, null, 0, true],
      [4, sent + DAY, null, 0, true],
      [5, null, null, 0, true],
    ]);
  });

  it('plants the generator\'s arms campaign in one unit, and the counted conversions are the planted ones', async () => {
    const b = get();
    await plantSubscribers(b, Array.from({ length: 60 }, (_, i) => i + 1));
    const sent = NOW - 10 * DAY;
    const truth = await plantArmsCampaign({ database: b.database, commits: b.units }, { recipients: 60, sentAt: sent, seed: 7 });
    const armed = truth.arms.reduce((n, a) => n + a.assigned, 0);
    expect(armed + truth.holdout.assigned).toBe(60);
    expect(await count(b, campaignAssignments)).toBe(60);
    expect(await count(b, messages, sql`${messages.source} = 'campaign'`)).toBe(armed);
    expect(await count(b, messages, sql`${messages.status} = 'delivered'`)).toBe(truth.arms.reduce((n, a) => n + a.delivered, 0));
    const kept = new Map<string, unknown>();
    const state: ArmsCursorState = { get: <T,>(k: string, fallback: T) => (kept.has(k) ? (kept.get(k) as T) : fallback), set: (k, v) => void kept.set(k, v) };
    const converted = await b.units.unit((tx) => countArmConversions(tx, state, NOW, { currency: 'KES', smsPart: 0.5, call: 2 }));
    expect(converted).toBe(truth.arms.reduce((n, a) => n + a.converted, 0) + truth.holdout.converted);
  });
});
