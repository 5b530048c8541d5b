import type { Config } from '../config';
import type { Database, UnitOfWork } from '../db/database';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { MessagingService } from '../messaging/messaging-service';
import type { MessagingPort, MoInterceptor } from '../messaging/types';
import type { SessionService } from '../sessions/session-service';
import type { OperatorDirectory } from '../subscribers/operators';
import type { SubscriberService } from '../subscribers/subscriber-service';
import type { SubscriberViewPart } from '../subscribers/subscriber-views';
import type { UsageLog } from '../usage/usage-log';
import { subscriptionKeywordInterceptor } from './keyword-interceptor';
import { LifecycleJob } from './lifecycle-job';
import { SubscriptionService } from './subscription-service';

export interface SubscriptionsWiring {
  database: Database;
  units: UnitOfWork;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  config: Config;
  subscribers: SubscriberService;
  usage: UsageLog;
  operators: OperatorDirectory;
  sessions: Pick<SessionService, 'onEffect'>;
  messaging: Pick<MessagingPort, 'enqueue'> & Pick<MessagingService, 'enqueueIn'> & { addMoInterceptor?(fn: MoInterceptor): void };
  subscriberViews: SubscriberViewPart[];
}

/**
 * Builds the subscriptions domain and plugs it into the others: engine effects (subscribe /
 * unsubscribe from USSD and IVR), SMS service keywords (an MO interceptor), the subscriber view.
 * Returns the service and its lifecycle job (both are background work the server starts).
 */
export function wireSubscriptions(w: SubscriptionsWiring): { subscriptions: SubscriptionService; subscriptionJob: LifecycleJob } {
  const log = w.log.child({ comp: 'subscriptions' });
  const subscriptions = new SubscriptionService({
    database: w.database,
    units: w.units,
    clock: w.clock,
    log: w.log,
    metrics: w.metrics,
    config: w.config,
    subscribers: w.subscribers,
    usage: w.usage,
    operators: w.operators,
    messaging: w.messaging,
  });
  const subscriptionJob = new LifecycleJob({
    units: w.units,
    clock: w.clock,
    log: w.log,
    config: w.config,
    subscriptions,
    subscribers: w.subscribers,
    operators: w.operators,
    usage: w.usage,
    messaging: w.messaging,
  });
  // A flow naming a service that is not configured must not break the session: log it and go on. The
  // request refuses an unknown service before it writes anything in the hop's unit.
  const guarded = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      log.warn({ err, what }, 'subscription request from a flow failed');
    }
  };
  w.sessions.onEffect('subscribe', (e, ctx) => guarded('subscribe', () => subscriptions.requestSubscribeIn(ctx.subscriber.id, e.service, ctx.channel, ctx.tx)));
  w.sessions.onEffect('unsubscribe', (e, ctx) => guarded('unsubscribe', () => subscriptions.requestUnsubscribeIn(ctx.subscriber.id, e.service, ctx.channel, ctx.tx)));
  w.messaging.addMoInterceptor?.(subscriptionKeywordInterceptor(subscriptions, subscriptions.catalog, w.config.messaging.keywords.optOut));
  w.subscriberViews.push(async (s) => ({ subscriptions: await subscriptions.views.forSubscriber(s.id) }));
  return { subscriptions, subscriptionJob };
}
