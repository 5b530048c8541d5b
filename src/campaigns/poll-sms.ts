import type { Tx } from '../db/database';
import type { Logger } from '../lib/logger';
import type { EnqueueRequest, EnqueueResult, InboundSms } from '../messaging/types';
import type { SubscriberService } from '../subscribers/subscriber-service';
import type { UsageLog } from '../usage/usage-log';
import type { PollRepo } from './poll-repo';
import type { PollService } from './poll-service';
import { fill, normalizeReply, parseReply, pick, type PollTexts } from './poll-text';

export interface PollSmsDeps {
  log: Logger;
  repo: PollRepo;
  polls: PollService;
  subscribers: Pick<SubscriberService, 'findByIdIn'>;
  usage: Pick<UsageLog, 'recordIn'>;
  messaging: { enqueueIn(req: EnqueueRequest, tx: Tx): Promise<EnqueueResult> };
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

  /**
   * The MO interceptor, inside the MO's unit `tx`: true when the message was a reply to an open poll
   * (and was answered). Everything it decides on is read before its first write, so a failure while
   * deciding leaves the unit as it was and the MO goes on to normal routing.
   */
  async handle(mo: InboundSms, tx: Tx): Promise<boolean> {
    const inv = await this.d.repo.latestSmsInviteFor(mo.subscriberId, tx);
    if (!inv) return false;
    const reply = normalizeReply(mo.text);
    const first = reply.split(' ')[0] ?? '';
    if (this.d.alwaysRouted().has(reply) || this.d.alwaysRouted().has(first)) return false;
    // Held shared on PostgreSQL until the unit ends: an edit of the poll waits for this answer.
    const poll = await this.d.repo.findIn(tx, inv.pollId, 'share');
    if (!poll || poll.status === 'closed') return false;
    const open = inv.expiresAt > mo.at;
    if (!open) return false;
    const answer = parseReply(poll, mo.text);
    if (answer === null && (this.d.keywords().has(reply) || this.d.keywords().has(first))) return false;
    // Already answered, or clarified once: this text is not for the poll.
    if (answer === null && (inv.answeredAt !== null || inv.clarifiedAt !== null)) return false;
    const lang = (await this.d.subscribers.findByIdIn(tx, mo.subscriberId))?.language ?? null;
    const t = (texts: Record<string, string>) => pick(texts, lang, this.d.defaultLanguage);
    const send = (text: string) =>
      this.d.messaging.enqueueIn({ to: mo.from, text, kind: 'transactional', source: 'poll', sourceRef: poll.id, ...(mo.to ? { from: mo.to } : {}) }, tx);

    if (answer === null) {
      // The update decides (a reply handled by another process meanwhile clarified or answered it).
      if (!(await this.d.repo.claimClarification(poll.id, mo.subscriberId, mo.at, tx))) return false;
      await this.d.usage.recordIn(tx, [{ at: mo.at, subscriberId: mo.subscriberId, channel: 'sms', type: 'input_invalid', detail: { pollId: poll.id, reply: mo.text.slice(0, 160) } }]);
      const template = poll.type === 'nps' ? t(this.d.texts.npsClarify) : t(this.d.texts.clarify);
      await send(fill(template, { reply: mo.text.trim().slice(0, 20), n: poll.answers.length }));
      this.log.debug({ pollId: poll.id, subscriberId: mo.subscriberId }, 'poll reply not understood; clarification sent');
      return true;
    }
    const r = await this.d.polls.recordAnswer(tx, poll, mo.subscriberId, answer, { channel: 'sms', at: mo.at, campaignId: inv.campaignId, usage: { reply: mo.text.slice(0, 160) } });
    await send(r.counted ? t(this.d.texts.thanks) : t(this.d.texts.alreadyAnswered));
    return true;
  }
}
