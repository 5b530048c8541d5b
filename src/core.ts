import type { Config } from './config';
import type { Db } from './db/client';
import { dbHealthy } from './db/client';
import type { Clock } from './lib/clock';
import type { Logger } from './lib/logger';
import type { Lifecycle } from './lib/lifecycle';
import { createMetrics, type Metrics } from './lib/metrics';
import { Readiness } from './lib/readiness';
import { OperatorDirectory } from './subscribers/operators';
import { SubscriberRepo } from './subscribers/subscriber-repo';
import { SubscriberService, type Subscriber } from './subscribers/subscriber-service';
import { UsageLog } from './usage/usage-log';
import { FlowRegistry } from './engine/flow-registry';
import { SessionService } from './sessions/session-service';

export interface CoreDeps {
  config: Config;
  db: Db;
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
  const { config, db, clock, log, flows } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const readiness = new Readiness();
  readiness.register('database', () => ({ ok: dbHealthy(db) }));
  const lifecycles: Lifecycle[] = [];

  const operators = new OperatorDirectory(config.operators);
  const subscribers = new SubscriberService(new SubscriberRepo(db), operators, clock, config.defaults.countryCode);
  const usage = new UsageLog(db, metrics);
  const sessions = new SessionService({ db, clock, log, flows, subscribers, usage, metrics, config: config.ussd });
  lifecycles.push(sessions);

  /** Extra fields for GET /api/v1/subscribers/:msisdn (subscriptions, CRM flags), one per domain. */
  const subscriberViews: Array<(s: Subscriber) => Record<string, unknown>> = [];

  return { config, db, clock, log, metrics, readiness, lifecycles, operators, subscribers, usage, flows, sessions, subscriberViews };
}

export type Core = ReturnType<typeof buildCore>;
