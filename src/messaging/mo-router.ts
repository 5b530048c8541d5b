import type { Counter } from 'prom-client';
import type { Config } from '../config';
import type { Tx } from '../db/database';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { Subscriber } from '../subscribers/subscriber-service';
import type { UsageEvent } from '../usage/usage-log';
import type { EnqueueRequest, EnqueueResult, InboundSms, MoInterceptor } from './types';

/** Content an SMS keyword leads to (a flow's SMS entry point), in the subscriber's language. */
export interface SmsContent {
  flowId: string;
  nodeId: string;
  text: string;
}

/** Finds the content for a keyword sent to a short code, in a language (with the flow's fallbacks). */
export type SmsContentLookup = (keyword: string, shortCode: string, lang: string) => SmsContent | null;

/** How an MO was handled. */
export type MoRoute = 'opt_out' | 'opt_in' | 'intercepted' | 'help' | 'keyword' | 'default';

export interface MoRouterDeps {
  subscribers: { setOptOutIn(tx: Tx, id: number, optedOut: boolean): Promise<void> };
  usage: { recordIn(tx: Tx, events: readonly UsageEvent[]): Promise<void> };
  enqueueIn(req: EnqueueRequest, tx: Tx): Promise<EnqueueResult>;
  content: SmsContentLookup;
  interceptors: readonly MoInterceptor[];
  config: Config['messaging'];
  defaultLanguage: string;
  metrics: Metrics;
  log: Logger;
}

/** Queues a reply to the MO being routed, in its unit. */
type Reply = (text: string, extra?: Partial<EnqueueRequest>) => Promise<EnqueueResult>;

/** Upper case, single spaces, no surrounding punctuation: "  stop! " -> "STOP". */
export function normalizeKeywordText(text: string): string {
  return text
    .normalize('NFKC')
    .toUpperCase()
    .replace(/\s+/g, ' ')
    .replace(/^[\s.,!?;:'"()*#-]+|[\s.,!?;:'"()*#-]+$/g, '');
}

/**
 * Routes a received SMS (already reassembled and decoded). Order: opt-out and opt-in words first, so
 * STOP always works whatever else waits for the subscriber; then interceptors (a poll awaiting an
 * answer); then HELP, a flow's SMS keyword (the first word), else the default reply.
 * Replies are transactional (the subscriber asked) and come from the short code written to.
 * Runs inside the MO's unit of work: the usage events, flag changes, what interceptors write and the
 * replies commit together.
 */
export class MoRouter {
  private readonly optOut: Set<string>;
  private readonly optIn: Set<string>;
  private readonly help: Set<string>;
  private readonly routed: Counter<string>;

  constructor(private readonly d: MoRouterDeps) {
    const set = (words: string[]) => new Set(words.map(normalizeKeywordText));
    this.optOut = set(d.config.keywords.optOut);
    this.optIn = set(d.config.keywords.optIn);
    this.help = set(d.config.keywords.help);
    this.routed = d.metrics.counter('mo_messages_total', 'Received SMS by how they were routed', ['route']);
  }

  /** Handles one inbound SMS from a known subscriber inside unit `tx`; resolves with the route taken. */
  async route(sub: Subscriber, mo: InboundSms, parts: number, tx: Tx): Promise<MoRoute> {
    const norm = normalizeKeywordText(mo.text);
    const lang = sub.language ?? this.d.defaultLanguage;
    const events: UsageEvent[] = [
      { at: mo.at, subscriberId: sub.id, channel: 'sms', type: 'sms_in', detail: { to: mo.to, text: mo.text.slice(0, 160), parts } },
    ];
    const reply: Reply = (text, extra = {}) => this.d.enqueueIn({ to: mo.from, text, from: mo.to, kind: 'transactional', source: 'mo_reply', ...extra }, tx);
    let route: MoRoute;
    if (this.optOut.has(norm)) {
      route = 'opt_out';
      await this.d.subscribers.setOptOutIn(tx, sub.id, true);
      events.push({ at: mo.at, subscriberId: sub.id, channel: 'sms', type: 'opt_out', detail: { keyword: norm } });
      await this.d.usage.recordIn(tx, events);
      await reply(this.text('optOut', lang));
    } else if (this.optIn.has(norm)) {
      route = 'opt_in';
      await this.d.subscribers.setOptOutIn(tx, sub.id, false);
      events.push({ at: mo.at, subscriberId: sub.id, channel: 'sms', type: 'opt_in', detail: { keyword: norm } });
      await this.d.usage.recordIn(tx, events);
      await reply(this.text('optIn', lang));
    } else {
      await this.d.usage.recordIn(tx, events);
      route = await this.routeRest(sub, mo, norm, lang, reply, tx);
    }
    this.routed.inc({ route });
    return route;
  }

  /**
   * Handles an SMS from an address that is not a phone number (a short code, an alphanumeric sender):
   * it has no profile, so nothing is stored against one and no poll can await it. Opt-out and opt-in
   * words are confirmed (promotional messages never go to such an address anyway), HELP and keywords
   * answered; replies go back to the address as it was received. Inside unit `tx`.
   */
  async routeAddress(mo: { from: string; to: string; text: string; at: number }, tx: Tx): Promise<MoRoute> {
    const norm = normalizeKeywordText(mo.text);
    const lang = this.d.defaultLanguage;
    const reply: Reply = (text, extra = {}) => this.d.enqueueIn({ to: mo.from, toAddress: true, text, from: mo.to, kind: 'transactional', source: 'mo_reply', ...extra }, tx);
    let route: MoRoute;
    if (this.optOut.has(norm)) {
      route = 'opt_out';
      await reply(this.text('optOut', lang));
    } else if (this.optIn.has(norm)) {
      route = 'opt_in';
      await reply(this.text('optIn', lang));
    } else if (this.help.has(norm)) {
      route = 'help';
      await reply(this.text('help', lang));
    } else {
      const first = norm.split(' ')[0] ?? '';
      const content = first ? this.d.content(first, mo.to, lang) : null;
      route = content ? 'keyword' : 'default';
      if (content) await reply(content.text, { sourceRef: `${content.flowId}:${content.nodeId}` });
      else await reply(this.text('defaultReply', lang));
    }
    this.routed.inc({ route });
    return route;
  }

  private async routeRest(sub: Subscriber, mo: InboundSms, norm: string, lang: string, reply: Reply, tx: Tx): Promise<MoRoute> {
    for (const intercept of this.d.interceptors) {
      // Units do not nest, so there is no savepoint to undo a failing interceptor: each one decides on
      // reads before it writes (src/messaging/types.ts). On PostgreSQL a failed statement aborts the
      // unit, which then fails as a whole and the SMSC resends the MO: it is not lost either way.
      try {
        if (await intercept(mo, tx)) return 'intercepted';
      } catch (err) {
        this.d.log.error({ err, msisdn: mo.from }, 'MO interceptor failed; routing the message as usual');
      }
    }
    if (this.help.has(norm)) {
      await reply(this.text('help', lang));
      return 'help';
    }
    const first = norm.split(' ')[0] ?? '';
    const content = first ? this.d.content(first, mo.to, lang) : null;
    if (content) {
      await this.d.usage.recordIn(tx, [
        { at: mo.at, subscriberId: sub.id, channel: 'sms', type: 'content', flowId: content.flowId, nodeId: content.nodeId, detail: { keyword: first } },
      ]);
      await reply(content.text, { sourceRef: `${content.flowId}:${content.nodeId}` });
      return 'keyword';
    }
    await reply(this.text('defaultReply', lang));
    return 'default';
  }

  private text(key: keyof Config['messaging']['texts'], lang: string): string {
    const t = this.d.config.texts[key];
    return t[lang] ?? t[this.d.defaultLanguage] ?? t.en ?? Object.values(t)[0] ?? '';
  }
}
