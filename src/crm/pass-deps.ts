import { messagingCallPolicy } from '../calls/call-policy';
import { CallService } from '../calls/call-service';
import type { Config } from '../config';
import { GroupCommit } from '../db/group-commit';
import { sqliteDatabase } from '../db/sqlite-database';
import type { Db } from '../db/client';
import type { FlowRegistry } from '../engine/flow-registry';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { createMetrics, type Metrics } from '../lib/metrics';
import { flowSmsContent } from '../messaging/flow-content';
import { MessagingService } from '../messaging/messaging-service';
import { OperatorDirectory } from '../subscribers/operators';
import { SubscriberRepo } from '../subscribers/subscriber-repo';
import { SubscriberService } from '../subscribers/subscriber-service';
import { UsageLog } from '../usage/usage-log';
import type { CrmDeps } from './crm-service';

/**
 * What a detector pass outside the gateway's core (the scheduler's worker thread) needs, and no more:
 * subscribers to read, the usage log to record into, and the outbox and call queue to act through
 * (their policies: opt-out, caps, quiet hours). No sessions, campaigns or subscriptions are built, and
 * nothing is started: the gateway's own dispatchers send what the pass queues.
 */
export function buildPassDeps(d: { config: Config; db: Db; clock: Clock; log: Logger; flows: FlowRegistry; metrics?: Metrics }): CrmDeps {
  const { config, db, clock, log, flows } = d;
  const metrics = d.metrics ?? createMetrics({ processMetrics: false });
  const operators = new OperatorDirectory(config.operators);
  const database = sqliteDatabase(db);
  const subscribers = new SubscriberService(new SubscriberRepo(database), operators, clock, config.defaults.countryCode);
  const usage = new UsageLog(metrics, database);
  // One group commit for the connection: the pass acts in its units, and messaging and calls share them.
  const units = new GroupCommit(db);
  const messaging = new MessagingService({ db, database, units, clock, log, metrics, usage, subscribers, operators, config, content: flowSmsContent(flows) });
  const calls = new CallService({ database, units, clock, log, metrics, config: config.ivr, flows, subscribers, usage, policy: messagingCallPolicy(config.messaging, operators) });
  return { db, database, units, config, clock, log, metrics, flows, subscribers, usage, messaging, calls };
}
