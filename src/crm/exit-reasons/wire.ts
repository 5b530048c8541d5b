import { normalizeReply } from '../../campaigns/poll-text';
import type { Config } from '../../config';
import type { Database, Tx } from '../../db/database';
import type { FlowRegistry } from '../../engine/flow-registry';
import type { Logger } from '../../lib/logger';
import type { MessagingPort, MoInterceptor } from '../../messaging/types';
import type { SessionService } from '../../sessions/session-service';
import type { Subscriber } from '../../subscribers/subscriber-service';
import type { SubscriptionService } from '../../subscriptions/subscription-service';
import { Days } from '../days';
import { FindingsRepo } from '../findings-repo';
import { ExitSurveyStore } from './exit-survey-store';
import { ExitSurveys } from './exit-surveys';
import { EXIT_REASONS } from './reasons';

export interface ExitSurveysWiring {
  database: Database;
  log: Logger;
  config: Config;
  flows: FlowRegistry;
  subscribers: { findByIdIn(tx: Tx, id: number): Promise<Subscriber | null> };
  messaging: Pick<MessagingPort, 'enqueueIn'> & { addMoInterceptor(fn: MoInterceptor): void };
  sessions: Pick<SessionService, 'interceptEffect'>;
  subscriptions: Pick<SubscriptionService, 'onExit'>;
}

/**
 * Plugs exit reasons into the other domains: the subscriptions' exit listener (ask), an MO interceptor
 * (SMS answers; wire it before the polls' so the newest question can win), and the session effects
 * (a USSD unsubscribe is asked about in the session; the in-session poll's answer is the reply).
 */
export function wireExitSurveys(w: ExitSurveysWiring): ExitSurveys {
  const words = (list: string[]) => new Set(list.map(normalizeReply).filter(Boolean));
  const kw = w.config.messaging.keywords;
  const exits = new ExitSurveys({
    store: new ExitSurveyStore(w.database),
    findings: new FindingsRepo(w.database),
    days: new Days(w.config.defaults.timezone),
    log: w.log,
    config: w.config,
    subscribers: w.subscribers,
    messaging: w.messaging,
    alwaysRouted: words([...kw.optOut, ...kw.optIn, ...kw.help]),
    keywords: words([...w.flows.all().flatMap((f) => f.entry.sms.map((s) => s.keyword)), ...w.config.services.flatMap((s) => s.keywords)]),
  });
  // The in-session question's answers are read by position: a node with other answers would misfile them.
  for (const flow of w.flows.all()) {
    for (const node of Object.values(flow.nodes)) {
      if (node.type === 'poll' && node.poll === w.config.crm.exitReasons.ussdPoll && node.answers.length !== EXIT_REASONS.length) {
        w.log.warn({ flow: flow.id, node: node.id, answers: node.answers.length }, `the exit question in a flow must offer the ${EXIT_REASONS.length} reasons in order`);
      }
    }
  }
  // Asked in the unit of the unsubscribe that records the exit.
  w.subscriptions.onExit((e, tx) => exits.onExitIn(e, tx));
  w.messaging.addMoInterceptor((mo, tx) => exits.handleMoIn(mo, tx));
  w.sessions.interceptEffect('unsubscribe', (_e, ctx) => {
    if (ctx.channel === 'ussd') exits.expectInSession(ctx.subscriber.id, ctx.flow);
    return false;
  });
  w.sessions.interceptEffect('poll_answer', (e, ctx) => exits.answerInSessionIn(e.poll, e.answer, ctx.subscriber.id, ctx.at, ctx.tx));
  return exits;
}
