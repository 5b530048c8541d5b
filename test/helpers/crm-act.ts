import { sql, type Table } from 'drizzle-orm';
import { messagingCallPolicy } from '../../src/calls/call-policy';
import { CallService } from '../../src/calls/call-service';
import { Days } from '../../src/crm/days';
import { ExitSurveyStore } from '../../src/crm/exit-reasons/exit-survey-store';
import { ExitSurveys } from '../../src/crm/exit-reasons/exit-surveys';
import { FindingsRepo, type FindingRow } from '../../src/crm/findings-repo';
import { FlowIndex } from '../../src/crm/flow-index';
import { Interventions } from '../../src/crm/interventions';
import { migrateDb, openDb, type Db } from '../../src/db/client';
import { calls, campaignAssignments, campaignRecipients, campaignRuns, campaigns, crmFindings, crmInterventions, exitReasonsDaily, exitSurveys, messages, segments, subscribers, usageEvents } from '../../src/db/schema';
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
import { afterEach, beforeEach } from 'vitest';
import type { Backend } from './backends';
import { testConfig } from './gateway';

// What the CRM acting tests build on each engine of `eachBackend` (test/integration/crm-act-*-both.test.ts):
// one process's acting stack (interventions, exit surveys, messaging, calls), planted subscribers and
// findings, and row counts.

export const NOW = Date.parse('2026-11-20T09:00:00Z'); // noon in Nairobi: no quiet hours
export const DAY = 86_400_000;
export const config = testConfig({ crm: { holdoutPercent: 50 } });
const flows = new FlowRegistry(loadFlowsOrThrow('flows'));

/**
 * One gateway process's acting stack on a backend. `handle` is a throwaway SQLite connection for the
 * population generator's truth records (its state store is still synchronous).
 */
export function actStack(b: Backend) {
  const handle: Db = openDb({ path: ':memory:' });
  migrateDb(handle);
  const clock = new ManualClock(NOW);
  const metrics = createMetrics({ processMetrics: false });
  const operators = new OperatorDirectory(config.operators);
  const subs = new SubscriberService(new SubscriberRepo(b.database), operators, clock, config.defaults.countryCode);
  const usage = new UsageLog(metrics, b.database);
  const messaging = new MessagingService({ db: null, database: b.database, units: b.units, clock, log: silentLogger, metrics, usage, subscribers: subs, operators, config, content: flowSmsContent(flows) });
  const callService = new CallService({ database: b.database, units: b.units, clock, log: silentLogger, metrics, config: config.ivr, flows, subscribers: subs, usage, policy: messagingCallPolicy(config.messaging, operators) });
  const findings = new FindingsRepo(b.database);
  const interventions = new Interventions({ database: b.database, config, flows, index: new FlowIndex(flows), findings, subscribers: subs, usage, messaging, calls: callService, log: silentLogger, metrics });
  const exits = new ExitSurveys({
    store: new ExitSurveyStore(b.database),
    findings,
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

export type Stack = ReturnType<typeof actStack>;

/** Subscribers planted on the backend. */
export async function plantSubscribers(b: Backend, ids: number[]): Promise<void> {
  const rows = ids.map((id) => ({ id, msisdn: `+2547110${String(id).padStart(5, '0')}`, language: 'en', firstSeenAt: NOW - 90 * DAY, updatedAt: NOW - DAY }));
  await b.plant(subscribers, rows);
}

export const count = async (b: Backend, table: Table, where = sql`1 = 1`) => Number((await b.database.get<{ n: unknown }>(sql`SELECT count(*) AS "n" FROM ${table} WHERE ${where}`))!.n);

/** The first subscriber id from `from` whose holdout draw for `kind` is `held`. */
export function idWhere(acts: Interventions, kind: Parameters<Interventions['heldOut']>[0], held: boolean, from: number, taken: Set<number>): number {
  for (let id = from; ; id++) if (!taken.has(id) && acts.heldOut(kind, id, null) === held) return (taken.add(id), id);
}

export const finding = (id: string, subscriberId: number, kind: FindingRow['kind'], reason: string, detail: Record<string, unknown>): FindingRow => ({
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

/** Empties what the acting tests write (children first). */
export async function clearActing(b: Backend): Promise<void> {
  await b.clear(campaignAssignments, campaignRecipients, campaignRuns, segments, campaigns, exitReasonsDaily, exitSurveys, crmInterventions, crmFindings, usageEvents, messages, calls, subscribers);
}

/**
 * Each test's acting stack on `get()`'s backend, its tables emptied first; call inside `eachBackend`.
 * The returned object is the current test's stack (filled in before each test).
 */
export function actStackPerTest(get: () => Backend): Stack {
  const s = {} as Stack;
  beforeEach(async () => {
    const b = get();
    await clearActing(b);
    Object.assign(s, actStack(b));
  });
  afterEach(() => s.close());
  return s;
}
