import { FlowTexts } from './flow-texts/flow-texts';
import type { Config } from './config';
import { instanceIdOf } from './config/instance-id';
import type { Db } from './db/client';
import type { Storage } from './db/storage';
import type { Clock } from './lib/clock';
import type { Logger } from './lib/logger';
import type { Lifecycle } from './lib/lifecycle';
import { createMetrics, type Metrics } from './lib/metrics';
import { Readiness } from './lib/readiness';
import { OperatorDirectory } from './subscribers/operators';
import { SubscriberRepo } from './subscribers/subscriber-repo';
import { SubscriberService } from './subscribers/subscriber-service';
import type { SubscriberViewPart } from './subscribers/subscriber-views';
import { checkFlowInputs, profileSchemaFor } from './subscribers/profile-flows';
import { UsageLog } from './usage/usage-log';
import { FlowRegistry } from './engine/flow-registry';
import { SessionService } from './sessions/session-service';
import { MessagingService } from './messaging/messaging-service';
import { flowSmsContent } from './messaging/flow-content';
import { OutboxHealthStore } from './messaging/outbox-health-store';
import { watchOutbox } from './operations/outbox-readiness';
import { CallService } from './calls/call-service';
import { messagingCallPolicy } from './calls/call-policy';
import { buildCampaigns } from './campaigns';
import { wireSubscriptions } from './subscriptions/wire';
import { buildCrm } from './crm';
import { wireExitSurveys } from './crm/exit-reasons/wire';

export interface CoreDeps {
  config: Config;
  /** The database the gateway runs on (src/db/storage.ts); the core uses it, `stop()` of the gateway closes it. */
  storage: Storage;
  clock: Clock;
  log: Logger;
  /** Loaded, validated flows. */
  flows: FlowRegistry;
  metrics?: Metrics;
}

/**
 * Builds every domain service of the core in dependency order, from explicit dependencies.
 * Nothing here listens or starts timers: `lifecycles` are started by the server (or a test).
 */
export function buildCore(deps: CoreDeps) {
  const { config, storage, clock, log, flows } = deps;
  /** The SQLite connection behind the synchronous forms not yet on units; null on PostgreSQL. */
  const db = storage.sqlite;
  const metrics = deps.metrics ?? createMetrics();
  const readiness = new Readiness();
  readiness.register('database', async () => ({ ok: await storage.healthy() }), 'DATABASE_UNAVAILABLE');
  const lifecycles: Lifecycle[] = [];
  /** Units of work for every write path: the group commit on SQLite, transactions on the pool on PostgreSQL. */
  const commits = storage.units;
  const { database, groupCommit } = storage;

  // Screen texts editors changed in the console, laid over the YAML before any session starts.
  const flowTexts = new FlowTexts({ database, units: commits }, flows, clock, config.ussd.maxChars);
  // On SQLite the texts are read at once and laid over the flows a microtask later; buildGateway awaits `loaded`.
  void flowTexts.applyStored().catch((err: unknown) => log.error({ err }, 'stored flow texts could not be applied'));
  const operators = new OperatorDirectory(config.operators);
  const subscribers = new SubscriberService(new SubscriberRepo(database), operators, clock, config.defaults.countryCode, profileSchemaFor(config.profile, flows), commits);
  checkFlowInputs(flows, subscribers);
  const usage = new UsageLog(metrics, database);
  const sessions = new SessionService({ database, units: commits, clock, log, flows, subscribers, usage, metrics, config: config.ussd, defaultLanguage: config.defaults.language,
    timeoutSeconds: { ussd: config.ussd.sessionTimeoutSeconds, ivr: config.ivr.sessionTimeoutSeconds },
    // SQLite: a hop's unit resolves before its group commits, so a failed group must drop the sessions the
    // hops cached. PostgreSQL needs no listener: a unit that fails never resolved, and a cached copy from
    // one carries a hop count the row does not have, so its next save changes no row and the hop reloads.
    ...(groupCommit ? { onRollback: (fn: () => void) => groupCommit.onRollback(fn) } : {}),
  });
  lifecycles.push(sessions);
  const messaging = new MessagingService({ db, clock, log, metrics, usage, subscribers, operators, config, content: flowSmsContent(flows), units: commits, database, dispatcherId: instanceIdOf(config) });
  lifecycles.push(messaging);
  // /readyz and /metrics: due messages no transport can take, and how long the oldest has waited.
  watchOutbox(readiness, metrics, { health: new OutboxHealthStore(database), canCarry: (op) => messaging.canCarry(op), clock, maxOldestDueSeconds: config.messaging.readiness.maxOldestDueSeconds });
  // A flow's send_sms action: the subscriber asked for it, so it is transactional. Written in the hop's unit.
  sessions.onEffect('send_sms', async (e, ctx) => {
    await messaging.enqueueIn({ to: ctx.subscriber.msisdn, text: e.text, kind: 'transactional', source: 'flow', sourceRef: `${ctx.flow.id}:${e.node}` }, ctx.tx);
  });
  const calls = new CallService({ database, units: commits, clock, log, metrics, config: config.ivr, flows, subscribers, usage, policy: messagingCallPolicy(config.messaging, operators) });
  lifecycles.push(calls);

  /** Extra fields for GET /api/v1/subscribers/:msisdn (subscriptions, CRM flags), one per domain. */
  const subscriberViews: SubscriberViewPart[] = [];
  // Subscriptions: billing notifications, the lifecycle, subscribe/unsubscribe effects and SMS keywords.
  const { subscriptions, subscriptionJob } = wireSubscriptions({ database, units: commits, clock, log, metrics, config, subscribers, usage, operators, sessions, messaging, subscriberViews });
  lifecycles.push(subscriptions.requests, subscriptionJob);
  // CRM: detectors, scores, interventions (through messaging and calls), experiments.
  const { crm, crmScheduler, reports } = buildCrm({ ...(db ? { db } : {}), database, units: commits, clock, log, metrics, config, flows, subscribers, usage, messaging, calls, subscriberViews });
  lifecycles.push(crmScheduler);
  // Exit reasons: one question when a subscriber leaves a service (before the polls: the newest question wins).
  const exitSurveys = wireExitSurveys({ database, log, config, flows, subscribers, messaging, sessions, subscriptions });
  // Campaigns and polls: segments over all of the above, fan-out through messaging and calls.
  const { segments, polls, pollResults, campaigns, scheduler: campaignScheduler, importer: subscriberImport, importJobs, armsResults, campaignReads, pollReads, segmentReads } = buildCampaigns({
    config, database, clock, log, metrics, subscribers, usage, flows, sessions, messaging, calls, commits,
  });
  lifecycles.push(campaignScheduler, importJobs);

  return {
    config,
    storage,
    /** The SQLite connection, for SQLite-only callers (tests, benches, the CRM's reader thread); there is none on PostgreSQL. */
    get db(): Db {
      if (!db) throw new Error('the SQLite connection was asked for on a gateway running on PostgreSQL; read through core.database');
      return db;
    },
    database, commits, groupCommit, clock, log, metrics, readiness, lifecycles, operators, subscribers, usage, flows, flowTexts, sessions, messaging, calls, segments, polls, pollResults, campaigns, campaignScheduler, subscriberImport, importJobs, armsResults, campaignReads, pollReads, segmentReads, subscriptions, subscriptionJob, crm, crmScheduler, reports, subscriberViews, exitSurveys };
}

export type Core = ReturnType<typeof buildCore>;
