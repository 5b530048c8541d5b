import type { Db } from '../db/client';
import { tx } from '../db/client';
import type { Logger } from '../lib/logger';
import type { EnqueueRequest, EnqueueResult, InboundSms } from '../messaging/types';
import type { SubscriberService } from '../subscribers/subscriber-service';
import type { UsageLog } from '../usage/usage-log';
import type { PollRepo } from './poll-repo';
import type { PollService } from './poll-service';
import { fill, normalizeReply, parseReply, pick, type PollTexts } from './poll-text';

export interface PollSmsDeps {
  db: Db;
  log: Logger;
  repo: PollRepo;
  polls: PollService;
  subscribers: Pick<SubscriberService, 'findById'>;
  usage: Pick<UsageLog, 'record'>;
  messaging: { enqueue(req: EnqueueRequest): EnqueueResult };
  texts: PollTexts;
  defaultLanguage: string;
  /** Opt-out, opt-in and help words: they always reach their own handler. */
  alwaysRouted: () => Set<string>;
  /** Other keywords (flows, services): routed unless the reply is one of the poll's answers. */
  keywords: () => Set<string>;
}

/**
 * Routes SMS replies to the subscriber's open poll (registered as a messaging MO interceptor, so it
 * runs before keyword routing). A reply is a number, an answer's label or keyword. An invalid reply
 * gets ONE clarifying SMS per invitation; after that, replies the poll cannot read go on to normal
 * routing (they may be meant for something else).
 */
export class PollSmsReplies {
  private readonly log: Logger;

  constructor(private readonly d: PollSmsDeps) {
    this.log = d.log.child({ comp: 'poll-sms' });
  }

  /** The MO interceptor: true when the message was a reply to an open poll (and was answered). */
  handle(mo: InboundSms): boolean {
    const inv = this.d.repo.latestSmsInviteFor(mo.subscriberId);
    if (!inv) return false;
    const reply = normalizeReply(mo.text);
    const first = reply.split(' ')[0] ?? '';
    if (this.d.alwaysRouted().has(reply) || this.d.alwaysRouted().has(first)) return false;
    const poll = this.d.repo.find(inv.pollId);
    if (!poll || poll.status === 'closed') return false;
    const open = inv.expiresAt > mo.at;
    if (!open) return false;
    const answer = parseReply(poll, mo.text);
    if (answer === null && (this.d.keywords().has(reply) || this.d.keywords().has(first))) return false;
    const lang = this.d.subscribers.findById(mo.subscriberId)?.language ?? null;
    const t = (texts: Record<string, string>) => pick(texts, lang, this.d.defaultLanguage);
    const send = (text: string) =>
      this.d.messaging.enqueue({ to: mo.from, text, kind: 'transactional', source: 'poll', sourceRef: poll.id, ...(mo.to ? { from: mo.to } : {}) });

    if (answer === null) {
      // Already answered, or clarified once: this text is not for the poll.
      if (inv.answeredAt !== null || inv.clarifiedAt !== null) return false;
      tx(this.d.db, () => {
        this.d.repo.setClarified(poll.id, mo.subscriberId, mo.at);
        this.d.usage.record([{ at: mo.at, subscriberId: mo.subscriberId, channel: 'sms', type: 'input_invalid', detail: { pollId: poll.id, reply: mo.text.slice(0, 160) } }]);
        const template = poll.type === 'nps' ? t(this.d.texts.npsClarify) : t(this.d.texts.clarify);
        send(fill(template, { reply: mo.text.trim().slice(0, 20), n: poll.answers.length }));
      });
      this.log.debug({ pollId: poll.id, subscriberId: mo.subscriberId }, 'poll reply not understood; clarification sent');
      return true;
    }
    tx(this.d.db, () => {
      const r = this.d.polls.recordAnswer(poll, mo.subscriberId, answer, { channel: 'sms', at: mo.at, campaignId: inv.campaignId, usage: { reply: mo.text.slice(0, 160) } });
      send(r.counted ? t(this.d.texts.thanks) : t(this.d.texts.alreadyAnswered));
    });
    return true;
  }
}
