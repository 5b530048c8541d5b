import type { Database, UnitOfWork } from '../../src/db/database';
import { PollRepo } from '../../src/campaigns/poll-repo';
import { PollService } from '../../src/campaigns/poll-service';
import { PollSmsReplies } from '../../src/campaigns/poll-sms';
import { normalizeReply } from '../../src/campaigns/poll-text';
import { ManualClock } from '../../src/lib/clock';
import { silentLogger } from '../../src/lib/logger';
import { createMetrics } from '../../src/lib/metrics';
import { MessagingService } from '../../src/messaging/messaging-service';
import { OperatorDirectory } from '../../src/subscribers/operators';
import { SubscriberRepo } from '../../src/subscribers/subscriber-repo';
import { SubscriberService } from '../../src/subscribers/subscriber-service';
import { subscriptionKeywordInterceptor } from '../../src/subscriptions/keyword-interceptor';
import { SubscriptionService } from '../../src/subscriptions/subscription-service';
import { UsageLog } from '../../src/usage/usage-log';
import type { Backend } from './backends';
import { testConfig } from './gateway';

// MO routing as one gateway process builds it (messaging with its MO router, SMS poll replies, the
// subscription keywords), on one engine of `eachBackend`: what the both-engine MO tests drive.

/** One process's MO routing stack. */
export interface MoStack {
  clock: ManualClock;
  subscribers: SubscriberService;
  messaging: MessagingService;
  polls: PollService;
  close(): void;
}

/** An MO stack over `database` with its units (another connection's stand for another process). */
export function moStack(b: Backend, clock = new ManualClock(Date.parse('2026-11-20T07:00:00Z')), on: { database: Database; units: UnitOfWork } = b): MoStack {
  const config = testConfig();
  const metrics = createMetrics({ processMetrics: false });
  const operators = new OperatorDirectory(config.operators);
  const subscribers = new SubscriberService(new SubscriberRepo(on.database), operators, clock, '254');
  const usage = new UsageLog(metrics, on.database);
  const messaging = new MessagingService({ db: b.sqlite ?? null, database: on.database, units: on.units, clock, log: silentLogger, metrics, usage, subscribers, operators, config, content: () => null, dispatcherId: 'test' });
  const repo = new PollRepo(on.database);
  const reserved = new Set([...config.messaging.keywords.optOut, ...config.messaging.keywords.optIn, ...config.messaging.keywords.help].map(normalizeReply));
  const polls = new PollService({ repo, units: on.units, clock, log: silentLogger, usage, reservedWords: () => reserved });
  const replies = new PollSmsReplies({
    log: silentLogger,
    repo,
    polls,
    subscribers,
    usage,
    messaging,
    texts: config.campaigns.texts,
    defaultLanguage: config.defaults.language,
    alwaysRouted: () => reserved,
    keywords: () => new Set(config.services.flatMap((s) => s.keywords).map(normalizeReply)),
  });
  messaging.addMoInterceptor((mo, tx) => replies.handle(mo, tx));
  const subscriptions = new SubscriptionService({ database: on.database, units: on.units, clock, log: silentLogger, metrics, config, subscribers, usage, operators, messaging });
  messaging.addMoInterceptor(subscriptionKeywordInterceptor(subscriptions, subscriptions.catalog, config.messaging.keywords.optOut));
  return { clock, subscribers, messaging, polls, close: () => {} };
}
