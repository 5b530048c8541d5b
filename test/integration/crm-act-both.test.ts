import { sql, type Table } from 'drizzle-orm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { countArmConversions, type ArmsCursorState } from '../../src/campaigns/arms-conversion-store';
import { messagingCallPolicy } from '../../src/calls/call-policy';
import { CallService } from '../../src/calls/call-service';
import { Days } from '../../src/crm/days';
import { ExitSurveyRepo, type ExitSurveyRow } from '../../src/crm/exit-reasons/exit-survey-repo';
import { ExitSurveyStore } from '../../src/crm/exit-reasons/exit-survey-store';
import { ExitSurveys } from '../../src/crm/exit-reasons/exit-surveys';
import { FindingsRepo, type FindingRow } from '../../src/crm/findings-repo';
import { FlowIndex } from '../../src/crm/flow-index';
import { plantArmsCampaign } from '../../src/crm/generator/arms';
import { InterventionStore } from '../../src/crm/intervention-store';
import { Interventions, type ActOutcome } from '../../src/crm/interventions';
import { migrateDb, openDb, type Db } from '../../src/db/client';
import type { UnitOfWork } from '../../src/db/database';
import {
  calls,
  campaignAssignments,
  campaignRecipients,
  campaignRuns,
  campaigns,
  crmFindings,
  crmInterventions,
  exitReasonsDaily,
  exitSurveys,
  messages,
  segments,
  subscribers,
  usageEvents,
} from '../../src/db/schema';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { ManualClock } from '../../src/lib/clock';
import { silentLogger } from '../../src/lib/logger';
import { createMetrics } from '../../src/lib/metrics';
import { flowSmsContent } from '../../src/messaging/flow-content';
import { MessagingService } from '../../src/messaging/messaging-service';
import { OperatorDirectory } from '../../src/subscribers/operators';
import { SubscriberRepo } from '../../src/subscribers/subscriber-repo';
import { SubscriberService } from '../../src/subscribers/subscriber-service';
import { UsageLog } from '../../src/usage/usage-log';
import { eachBackend, type Backend } from '../helpers/backends';
import { testConfig } from '../helpers/gateway';

// Acting on findings, exit answers and arm conversions on both engines, in units of work: a due finding of
// each kind gets its SMS or call, its intervention row, its finding status and its usage event in the
// unit (a held-out one only the row, status and event); a unit that fails leaves none of them; an exit
// answer by SMS is stored and thanked once however often it arrives; the exit question is asked once
// per exit; and a campaign arm's conversions are counted once over two passes.

const NOW = Date.parse('2026-11-20T09:00:00Z'); // noon in Nairobi: no quiet hours
const DAY = 86_400_000;
const config = testConfig({ crm: { holdoutPercent: 50 } });
const flows = new FlowRegistry(loadFlowsOrThrow('flows'));

/** One gateway process's acting stack on a backend (the synchronous forms' SQLite handle is a throwaway). */
function actStack(b: Backend) {
  const handle: Db = openDb({ path: ':memory:' });
  migrateDb(handle);
  const clock = new ManualClock(NOW);
  const metrics = createMetrics({ processMetrics: false });
  const operators = new OperatorDirectory(config.operators);
  const subs = new SubscriberService(new SubscriberRepo(handle, b.database), operators, clock, config.defaults.countryCode);
  const usage = new UsageLog(handle, metrics, b.database);
  const messaging = new MessagingService({ db: handle, database: b.database, units: b.units, clock, log: silentLogger, metrics, usage, subscribers: subs, operators, config, content: flowSmsContent(flows) });
  const callService = new CallService({ db: handle, database: b.database, units: b.units, clock, log: silentLogger, metrics, config: config.ivr, flows, subscribers: subs, usage, policy: messagingCallPolicy(config.messaging, operators) });
  const interventions = new Interventions({ database: b.database, config, flows, index: new FlowIndex(flows), subscribers: subs, usage, messaging, calls: callService, log: silentLogger, metrics });
  const exits = new ExitSurveys({
    repo: new ExitSurveyRepo(handle),
    store: new ExitSurveyStore(b.database),
    findings: new FindingsRepo(handle),
    days: new Days(config.defaults.timezone),
    log: silentLogger,
    config,
    subscribers: subs,
    messaging,
    alwaysRouted: new Set(['STOP']),
    keywords: new Set(['SHAMBA']),
  });
  return { handle, interventions, exits, close: () => handle.$client.close() };
}

type Stack = ReturnType<typeof actStack>;

/** Subscribers planted on the backend and on the throwaway handle alike (messaging's synchronous lookup reads the handle). */
async function plantSubscribers(b: Backend, s: Stack, ids: number[]): Promise<void> {
  const rows = ids.map((id) => ({ id, msisdn: `+2547110${String(id).padStart(5, '0')}`, language: 'en', firstSeenAt: NOW - 90 * DAY, updatedAt: NOW - DAY }));
  await b.plant(subscribers, rows);
  s.handle.insert(subscribers).values(rows).run();
}

const count = async (b: Backend, table: Table, where = sql`1 = 1`) => Number((await b.database.get<{ n: unknown }>(sql`SELECT count(*) AS "n" FROM ${table} WHERE ${where}`))!.n);

/** The first subscriber id from `from` whose holdout draw for `kind` is `held`. */
function idWhere(acts: Interventions, kind: Parameters<Interventions['heldOut']>[0], held: boolean, from: number, taken: Set<number>): number {
  for (let id = from; ; id++) if (!taken.has(id) && acts.heldOut(kind, id, null) === held) return (taken.add(id), id);
}

const finding = (id: string, subscriberId: number, kind: FindingRow['kind'], reason: string, detail: Record<string, unknown>): FindingRow => ({
  id,
  subscriberId,
  kind,
  dedupeKey: `${kind}:${id}`,
  status: 'open',
  reason,
  serviceId: kind === 'lapsing' || kind === 'churned' ? 'crop-daily' : null,
  detail,
  detectedAt: NOW - DAY,
  notBefore: NOW - DAY,
  expiresAt: NOW + 10 * DAY,
  closedAt: null,
  interventionId: null,
});

eachBackend((get) => {
  let s: Stack;
  beforeEach(async () => {
    const b = get();
    await b.clear(campaignAssignments, campaignRecipients, campaignRuns, segments, campaigns, exitReasonsDaily, exitSurveys, crmInterventions, crmFindings, usageEvents, messages, calls, subscribers);
    s = actStack(b);
  });
  afterEach(() => s.close());

  it('acts on a due finding of each kind in one unit: SMS and call rows, intervention rows, finding statuses and usage events; the held-out one gets no message', async () => {
    const b = get();
    const taken = new Set<number>();
    const ids = {
      stuck: idWhere(s.interventions, 'education_sms', false, 1, taken),
      ivr: idWhere(s.interventions, 'voice_guidance', false, 1, taken),
      passive: idWhere(s.interventions, 'nudge', false, 1, taken),
      lapsing: idWhere(s.interventions, 'save', false, 1, taken),
      churned: idWhere(s.interventions, 'winback', false, 1, taken),
      held: idWhere(s.interventions, 'nudge', true, 1, taken),
    };
    await plantSubscribers(b, s, Object.values(ids));
    const due = [
      finding('f-stuck', ids.stuck, 'stuck', 'repeated_invalid', { channel: 'ussd', flowId: 'crop-advice', shortcut: '*384*1*2#' }),
      finding('f-ivr', ids.ivr, 'stuck', 'repeated_invalid', { channel: 'ivr', flowId: 'crop-advice' }),
      finding('f-passive', ids.passive, 'passive', 'charged_not_using', {}),
      finding('f-lapsing', ids.lapsing, 'lapsing', 'billing_failing', {}),
      finding('f-churned', ids.churned, 'churned', 'left', {}),
      finding('f-held', ids.held, 'passive', 'charged_not_using', {}),
    ];
    await b.plant(crmFindings, due.map(({ closedAt: _c, interventionId: _i, ...f }) => f));

    const outcomes = await b.units.unit(async (tx) => {
      const out: ActOutcome[] = [];
      for (const f of due) out.push(await s.interventions.act(f, NOW, tx));
      return out;
    });
    expect(outcomes.map((o) => ('kind' in o ? [o.kind, o.arm, o.status] : o))).toEqual([
      ['education_sms', 'treatment', 'queued'],
      ['voice_guidance', 'treatment', 'queued'],
      ['nudge', 'treatment', 'queued'],
      ['save', 'treatment', 'queued'],
      ['winback', 'treatment', 'queued'],
      ['nudge', 'holdout', 'held_out'],
    ]);

    const rows = await b.database.all<{ findingId: string; kind: string; arm: string; channel: string; messageId: string | null; callId: string | null; text: string | null }>(
      sql`SELECT ${crmInterventions.findingId} AS "findingId", ${crmInterventions.kind} AS "kind", ${crmInterventions.arm} AS "arm", ${crmInterventions.channel} AS "channel",
          ${crmInterventions.messageId} AS "messageId", ${crmInterventions.callId} AS "callId", ${crmInterventions.text} AS "text" FROM ${crmInterventions} ORDER BY ${crmInterventions.findingId}`,
    );
    expect(rows.map((r) => [r.findingId, r.kind, r.arm, r.channel, r.messageId !== null, r.callId !== null])).toEqual([
      ['f-churned', 'winback', 'treatment', 'sms', true, false],
      ['f-held', 'nudge', 'holdout', 'none', false, false],
      ['f-ivr', 'voice_guidance', 'treatment', 'call', false, true],
      ['f-lapsing', 'save', 'treatment', 'sms', true, false],
      ['f-passive', 'nudge', 'treatment', 'sms', true, false],
      ['f-stuck', 'education_sms', 'treatment', 'sms', true, false],
    ]);
    // The shortcut the subscriber was after is in the education SMS.
    expect(rows.find((r) => r.findingId === 'f-stuck')!.text).toContain('*384*1*2#');

    // The outbox holds the four SMS under their intervention's id, to the right numbers; the call queue the one call.
    const sms = await b.database.all<{ id: string; msisdn: string; sourceRef: string }>(
      sql`SELECT ${messages.id} AS "id", ${messages.msisdn} AS "msisdn", ${messages.sourceRef} AS "sourceRef" FROM ${messages} WHERE ${messages.source} = 'intervention' ORDER BY ${messages.msisdn}`,
    );
    expect(sms).toHaveLength(4);
    for (const m of sms) expect(rows.find((r) => r.messageId === m.id)).toBeDefined();
    expect(sms.map((m) => m.msisdn).sort()).toEqual([ids.stuck, ids.passive, ids.lapsing, ids.churned].map((id) => `+2547110${String(id).padStart(5, '0')}`).sort());
    expect(await count(b, calls, sql`${calls.source} = 'intervention' AND ${calls.status} = 'queued'`)).toBe(1);

    const findings = await b.database.all<{ id: string; status: string; interventionId: string | null }>(
      sql`SELECT ${crmFindings.id} AS "id", ${crmFindings.status} AS "status", ${crmFindings.interventionId} AS "interventionId" FROM ${crmFindings} ORDER BY ${crmFindings.id}`,
    );
    expect(findings.map((f) => [f.id, f.status, f.interventionId !== null])).toEqual([
      ['f-churned', 'acted', true],
      ['f-held', 'holdout', true],
      ['f-ivr', 'acted', true],
      ['f-lapsing', 'acted', true],
      ['f-passive', 'acted', true],
      ['f-stuck', 'acted', true],
    ]);
    const events = await b.database.all<{ subscriberId: number; detail: unknown }>(
      sql`SELECT ${usageEvents.subscriberId} AS "subscriberId", ${usageEvents.detail} AS "detail" FROM ${usageEvents} WHERE ${usageEvents.type} = 'intervention' ORDER BY ${usageEvents.id}`,
    );
    const detail = events.map((e) => (typeof e.detail === 'string' ? JSON.parse(e.detail) : e.detail) as { kind: string; arm: string; status: string });
    expect(detail.map((d) => [d.kind, d.arm, d.status])).toEqual(outcomes.map((o) => ('kind' in o ? [o.kind, o.arm, o.status] : null)));

    // The same subscriber's next nudge waits out the cool-down: deferred, nothing sent.
    await b.units.unit((tx) => tx.run(sql`UPDATE ${crmFindings} SET closed_at = ${NOW} WHERE ${crmFindings.id} = 'f-passive'`));
    const again = finding('f-passive-2', ids.passive, 'passive', 'charged_not_using', {});
    await b.plant(crmFindings, [{ ...again, closedAt: undefined, interventionId: undefined }]);
    expect(await b.units.unit((tx) => s.interventions.act(again, NOW + DAY, tx))).toEqual({ deferred: true });
    expect(await count(b, crmInterventions)).toBe(6);
  });

  it('leaves no intervention, message, event or finding change behind when the unit fails; the finding of a subscriber who opted out is closed as ineligible', async () => {
    const b = get();
    const taken = new Set<number>();
    const id = idWhere(s.interventions, 'nudge', false, 1, taken);
    await plantSubscribers(b, s, [id]);
    const f = finding('f-fail', id, 'passive', 'charged_not_using', {});
    const optedOut = finding('f-opted-out', 999_999, 'passive', 'charged_not_using', {});
    await b.plant(subscribers, [{ id: 999_999, msisdn: '+254719999999', firstSeenAt: NOW, updatedAt: NOW, optedOut: true }]);
    s.handle.insert(subscribers).values({ id: 999_999, msisdn: '+254719999999', firstSeenAt: NOW, updatedAt: NOW, optedOut: true }).run();
    await b.plant(crmFindings, [f, optedOut].map(({ closedAt: _c, interventionId: _i, ...x }) => x));
    await expect(
      b.units.unit(async (tx) => {
        await s.interventions.act(f, NOW, tx);
        throw new Error('the pass died');
      }),
    ).rejects.toThrow('the pass died');
    expect(await count(b, crmInterventions)).toBe(0);
    expect(await count(b, messages)).toBe(0);
    expect(await count(b, usageEvents)).toBe(0);
    expect(await count(b, crmFindings, sql`${crmFindings.status} = 'open'`)).toBe(2);

    expect(await b.units.unit((tx) => s.interventions.act(optedOut, NOW, tx))).toEqual({ ineligible: 'opted_out' });
    const closed = await b.database.get<{ status: string; closedAt: unknown; detail: unknown }>(
      sql`SELECT ${crmFindings.status} AS "status", ${crmFindings.closedAt} AS "closedAt", ${crmFindings.detail} AS "detail" FROM ${crmFindings} WHERE ${crmFindings.id} = 'f-opted-out'`,
    );
    expect(closed!.status).toBe('ineligible');
    expect(Number(closed!.closedAt)).toBe(NOW);
    expect(typeof closed!.detail === 'string' ? JSON.parse(closed!.detail) : closed!.detail).toEqual({ ineligible: 'opted_out' });
  });

  it('goes on with the batch when one finding\'s message is refused: that finding is closed as failed with nothing sent or stored', async () => {
    const b = get();
    const taken = new Set<number>();
    const good = idWhere(s.interventions, 'nudge', false, 1, taken);
    const bad = idWhere(s.interventions, 'nudge', false, 1, taken);
    await plantSubscribers(b, s, [good]);
    // A number messaging cannot send to (planted as an import once left it).
    const badRow = { id: bad, msisdn: 'not-a-number', firstSeenAt: NOW, updatedAt: NOW };
    await b.plant(subscribers, [badRow]);
    s.handle.insert(subscribers).values(badRow).run();
    const due = [finding('f-bad', bad, 'passive', 'charged_not_using', {}), finding('f-good', good, 'passive', 'charged_not_using', {})];
    await b.plant(crmFindings, due.map(({ closedAt: _c, interventionId: _i, ...x }) => x));
    // What the pass's actOnDue does with each batch.
    const results = await b.units.unit(async (tx) => {
      const out: string[] = [];
      for (const f of due) {
        try {
          const r = await s.interventions.act(f, NOW, tx);
          out.push('kind' in r ? r.status : 'other');
        } catch (err) {
          await s.interventions.failed(f, String((err as { code?: unknown }).code), NOW, tx);
          out.push('failed');
        }
      }
      return out;
    });
    expect(results).toEqual(['failed', 'queued']);
    const findings = await b.database.all<{ id: string; status: string; detail: unknown }>(
      sql`SELECT ${crmFindings.id} AS "id", ${crmFindings.status} AS "status", ${crmFindings.detail} AS "detail" FROM ${crmFindings} ORDER BY ${crmFindings.id}`,
    );
    expect(findings.map((f) => [f.id, f.status, (typeof f.detail === 'string' ? JSON.parse(f.detail) : f.detail) as unknown])).toEqual([
      ['f-bad', 'ineligible', { ineligible: 'failed: INVALID_MSISDN' }],
      ['f-good', 'acted', {}],
    ]);
    expect(await count(b, crmInterventions)).toBe(1);
    expect(await count(b, messages)).toBe(1);
    expect(await count(b, usageEvents, sql`${usageEvents.type} = 'intervention'`)).toBe(1);
  });

  it('reads open outcome windows page by page, saves outcomes, and closes ended windows with their findings once', async () => {
    const b = get();
    await plantSubscribers(b, s, [7]);
    const store = new InterventionStore(b.database);
    // One open finding per kind and subscriber: the three open ones are of different kinds; int-d's is closed.
    const acted = (id: string, kind: FindingRow['kind'], closedAt?: number) => {
      const { closedAt: _c, interventionId: _i, ...f } = finding(`f-${id}`, 7, kind, 'r', {});
      return { ...f, status: 'acted', interventionId: id, ...(closedAt ? { closedAt } : {}) };
    };
    await b.plant(crmFindings, [acted('int-a', 'passive'), acted('int-b', 'stuck'), acted('int-c', 'lapsing'), acted('int-d', 'passive', NOW - DAY)]);
    const row = (id: string, windowEndsAt: number, outcomeClosed = false) => ({ id, findingId: `f-${id}`, subscriberId: 7, kind: 'nudge', findingKind: 'passive', arm: 'treatment', channel: 'sms', status: 'queued', at: NOW - 20 * DAY, windowEndsAt, outcomeClosed });
    await b.plant(crmInterventions, [row('int-a', NOW - 2 * DAY), row('int-b', NOW - 3 * DAY), row('int-c', NOW + 5 * DAY), row('int-d', NOW - 9 * DAY, true)]);

    const first = await store.openOutcomes('', 2);
    const rest = await store.openOutcomes(first.at(-1)!.id, 2);
    expect([...first, ...rest].map((o) => o.id)).toEqual(['int-a', 'int-b', 'int-c']);
    await b.units.unit((tx) => store.saveOutcome({ id: 'int-a', reachedContentAt: NOW - 10 * DAY, returnedAt: NOW - 11 * DAY, renewedAt: null, revenueMinor: 500 }, tx));
    expect((await store.openOutcomes('', 10))[0]).toMatchObject({ id: 'int-a', reachedContentAt: NOW - 10 * DAY, returnedAt: NOW - 11 * DAY, renewedAt: null, revenueMinor: 500 });

    expect(await b.units.unit((tx) => store.closeOutcomes(NOW - DAY, NOW, tx))).toBe(2);
    expect(await b.units.unit((tx) => store.closeOutcomes(NOW - DAY, NOW + DAY, tx))).toBe(0);
    expect((await store.openOutcomes('', 10)).map((o) => o.id)).toEqual(['int-c']);
    const closed = await b.database.all<{ id: string; closedAt: unknown }>(sql`SELECT ${crmFindings.id} AS "id", ${crmFindings.closedAt} AS "closedAt" FROM ${crmFindings} ORDER BY ${crmFindings.id}`);
    expect(closed.map((c) => [c.id, c.closedAt === null ? null : Number(c.closedAt)])).toEqual([
      ['f-int-a', NOW],
      ['f-int-b', NOW],
      ['f-int-c', null],
      ['f-int-d', NOW - DAY],
    ]);
  });

  it('asks the exit question once per exit, stores an SMS answer once, counts it, raises its follow-up and thanks once', async () => {
    const b = get();
    await plantSubscribers(b, s, [41]);
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
    await plantSubscribers(b, s, [42]);
    const exit = { subscriberId: 42, serviceId: 'crop-daily', subscriptionId: 'sub_42', channel: 'billing' as const, at: NOW - 3_600_000, runStartedAt: NOW - 40 * DAY };
    await b.units.unit((tx) => s.exits.onExitIn(exit, tx));
    // PostgreSQL: the second process is a second connection with units of its own. SQLite has one writer:
    // the second "process" is a second stack whose units take turns on the same connection.
    const other = b.dialect === 'postgresql' ? await b.reopen() : null;
    const second = actStack(other ? { ...b, database: other.database, units: other.database as unknown as UnitOfWork } : b);
    second.handle.insert(subscribers).values({ id: 42, msisdn: '+254711000042', firstSeenAt: NOW, updatedAt: NOW }).run();
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
    await plantSubscribers(b, s, [1, 2, 3, 4, 5]);
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
    await plantSubscribers(b, s, Array.from({ length: 60 }, (_, i) => i + 1));
    const sent = NOW - 10 * DAY;
    const truth = await plantArmsCampaign({ db: s.handle, database: b.database, commits: b.units }, { recipients: 60, sentAt: sent, seed: 7 });
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
