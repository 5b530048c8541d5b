import { normalizeReply } from '../../campaigns/poll-text';
import type { Config } from '../../config';
import { tx } from '../../db/client';
import type { Flow } from '../../engine/types';
import { DAY, HOUR } from '../../lib/clock';
import { newId } from '../../lib/ids';
import type { Logger } from '../../lib/logger';
import type { EnqueueRequest, EnqueueResult, InboundSms } from '../../messaging/types';
import type { Subscriber } from '../../subscribers/subscriber-service';
import type { ExitEvent } from '../../subscriptions/subscription-service';
import type { Service } from '../../subscriptions/types';
import type { Days } from '../days';
import type { FindingsRepo } from '../findings-repo';
import { fillTemplate } from '../interventions';
import type { ExitSurveyRepo, ExitSurveyRow } from './exit-survey-repo';
import { EXIT_REASONS, numberedOptions, parseExitReply, tenureBand, type ParsedExitReply } from './reasons';

export interface ExitSurveyDeps {
  repo: ExitSurveyRepo;
  findings: FindingsRepo;
  /** Local days of the gateway's time zone: the report counts exits per day. */
  days: Days;
  log: Logger;
  config: Pick<Config, 'crm' | 'services' | 'defaults'>;
  subscribers: { findById(id: number): Subscriber | null };
  messaging: { enqueue(req: EnqueueRequest): EnqueueResult };
  /** Opt-out, opt-in and help words (normalized): never read as an answer. */
  alwaysRouted: ReadonlySet<string>;
  /** Flow and service keywords (normalized): free text that is one of them goes on to keyword routing. */
  keywords: ReadonlySet<string>;
}

/** The values a survey is counted under, per grouping of the report (empty: not known). */
function groupings(s: Pick<ExitSurveyRow, 'cohort' | 'tenureDays' | 'region' | 'exitChannel'>): [string, string][] {
  return [
    ['all', ''],
    ['cohort', s.cohort ?? ''],
    ['tenure', tenureBand(s.tenureDays)],
    ['region', s.region ?? ''],
    ['channel', s.exitChannel],
  ];
}

/** The package an exit offer proposes: the cheapest other package of the service's family that costs less per charge. */
export function cheaperPackage(services: readonly Service[], left: Service | undefined): Service | null {
  if (!left?.family) return null;
  const cheaper = services.filter((s) => s.id !== left.id && s.family === left.family && s.currency === left.currency && s.price < left.price);
  return cheaper.sort((a, b) => a.price - b.price)[0] ?? null;
}

/**
 * Exit reasons: when a subscriber leaves a service they get ONE question (numbered reasons, in their
 * language) by SMS, or on the next USSD screen when they left in a USSD menu. The answer is stored and,
 * when its reason routes to a follow-up (config crm.exitReasons.followUps), raises an `exit_reason`
 * finding that the next CRM pass acts on like any other (holdout, intervention row, outcomes).
 */
export class ExitSurveys {
  private readonly log: Logger;
  /** Set while a USSD session's unsubscribe effect runs, when its flow asks the question itself. */
  private inSession: { subscriberId: number; flowId: string } | null = null;

  constructor(private readonly d: ExitSurveyDeps) {
    this.log = d.log.child({ comp: 'exit-reasons' });
  }

  private get cfg(): Config['crm']['exitReasons'] {
    return this.d.config.crm.exitReasons;
  }

  /** Whether a flow asks the exit question in the session (it has a poll node with the configured key). */
  asksInSession(flow: Flow): boolean {
    return Object.values(flow.nodes).some((n) => n.type === 'poll' && n.poll === this.cfg.ussdPoll);
  }

  /** Called with a USSD unsubscribe effect, before it is applied: the exit it causes is asked about in the session. */
  expectInSession(subscriberId: number, flow: Flow): void {
    this.inSession = this.asksInSession(flow) ? { subscriberId, flowId: flow.id } : null;
  }

  /** An exit happened (the subscription's listener): store the survey and ask, once per exit. */
  onExit(e: ExitEvent): void {
    const inSession = this.inSession?.subscriberId === e.subscriberId && (e.channel === 'ussd' || e.channel === 'ivr');
    this.inSession = null;
    if (!this.cfg.enabled) return;
    const runStartedAt = e.runStartedAt ?? 0;
    if (this.d.repo.exists(e.subscriptionId, runStartedAt)) return;
    const sub = this.d.subscribers.findById(e.subscriberId);
    if (!sub) return;
    const service = this.d.config.services.find((s) => s.id === e.serviceId);
    const id = newId('exs', e.at);
    const row: ExitSurveyRow = {
      id,
      subscriberId: sub.id,
      serviceId: e.serviceId,
      subscriptionId: e.subscriptionId,
      runStartedAt,
      exitAt: e.at,
      exitChannel: e.channel,
      status: 'asked',
      notAskedReason: null,
      askedChannel: null,
      askedAt: null,
      windowEndsAt: null,
      messageId: null,
      answeredAt: null,
      reason: null,
      freeText: null,
      tenureDays: e.runStartedAt !== null ? Math.max(0, Math.floor((e.at - e.runStartedAt) / DAY)) : null,
      region: sub.region,
      cohort: e.runStartedAt !== null ? new Date(e.runStartedAt).toISOString().slice(0, 7) : null,
      language: sub.language,
      findingId: null,
    };
    const window = this.cfg.replyWindowHours * HOUR;
    if (inSession) {
      // The flow's next screen asks; the answer comes back as the poll node's effect.
      Object.assign(row, { askedChannel: 'ussd', askedAt: e.at, windowEndsAt: e.at + window });
    } else if (sub.optedOut) {
      // Opted out of messages: the question is transactional, but someone who said STOP to all messages gets none.
      Object.assign(row, { status: 'not_asked', notAskedReason: 'opted_out' });
    } else {
      const lang = this.lang(sub);
      const text = fillTemplate(this.pick(this.cfg.question, lang), { service: service?.name ?? e.serviceId, options: numberedOptions(this.cfg.labels, lang, this.d.config.defaults.language) });
      // Transactional: it follows the subscriber's own action, like the unsubscribe confirmation queued just before it.
      const r = this.d.messaging.enqueue({ to: sub.msisdn, text, kind: 'transactional', source: 'exit_reason', sourceRef: id, ...(service?.shortCode ? { from: service.shortCode } : {}) });
      if (r.status === 'blocked') Object.assign(row, { status: 'not_asked', notAskedReason: `blocked:${r.reason ?? 'unknown'}` });
      else Object.assign(row, { askedChannel: 'sms', askedAt: e.at, windowEndsAt: e.at + window, messageId: r.id });
    }
    if (this.d.repo.insert(row)) this.count(row, row.status, null, row.notAskedReason, 1);
    this.log.debug({ msisdn: sub.msisdn, service: e.serviceId, channel: row.askedChannel, status: row.status }, 'exit question');
  }

  /**
   * The MO interceptor: an SMS answer to the subscriber's open exit question. The newest open question
   * wins: when an SMS poll was sent after the exit question, the reply is left to the poll.
   */
  handleMo(mo: InboundSms): boolean {
    const survey = this.d.repo.latestAskedOn(mo.subscriberId, 'sms');
    if (!survey || survey.status !== 'asked' || survey.askedAt === null || (survey.windowEndsAt ?? 0) <= mo.at) return false;
    const reply = normalizeReply(mo.text);
    const first = reply.split(' ')[0] ?? '';
    if (this.d.alwaysRouted.has(reply) || this.d.alwaysRouted.has(first)) return false;
    const pollAt = this.d.repo.openPollSentAt(mo.subscriberId, mo.at);
    if (pollAt !== null && pollAt > survey.askedAt) return false;
    const parsed = parseExitReply(mo.text, this.cfg.words);
    if (!parsed) return false;
    // Free text that is a keyword is a request for content, not an answer.
    if (parsed.freeText !== null && (this.d.keywords.has(reply) || this.d.keywords.has(first))) return false;
    const sub = this.d.subscribers.findById(mo.subscriberId);
    tx(this.d.repo.handle, () => {
      this.record(survey, mo.at, parsed);
      this.d.messaging.enqueue({ to: mo.from, text: this.pick(this.cfg.thanks, sub ? this.lang(sub) : this.d.config.defaults.language), kind: 'transactional', source: 'exit_reason', sourceRef: survey.id, ...(mo.to ? { from: mo.to } : {}) });
    });
    return true;
  }

  /**
   * A poll answer from a flow: when the poll is the exit question, it is the answer to the subscriber's
   * question asked in the session (consumed: it is not a poll result).
   */
  answerInSession(poll: string, answer: number, subscriberId: number, at: number): boolean {
    if (poll !== this.cfg.ussdPoll) return false;
    const survey = this.d.repo.latestAskedOn(subscriberId, 'ussd');
    const reason = EXIT_REASONS[answer];
    if (survey && survey.status === 'asked' && (survey.windowEndsAt ?? 0) > at && reason) this.record(survey, at, { reason, freeText: null });
    else this.log.debug({ subscriberId }, 'exit question answered in a session with no open question; ignored');
    return true;
  }

  /** Stores the answer and raises the follow-up finding its reason routes to. */
  private record(survey: ExitSurveyRow, at: number, parsed: ParsedExitReply): void {
    if (!this.d.repo.answer(survey.id, at, parsed.reason, parsed.freeText)) return;
    this.count(survey, 'asked', null, null, -1);
    this.count(survey, 'answered', parsed.reason, null, 1);
    const followUp = this.cfg.followUps[parsed.reason];
    if (!followUp) return;
    const services = this.d.config.services;
    const offer = followUp === 'exit_offer' ? cheaperPackage(services, services.find((s) => s.id === survey.serviceId)) : null;
    const findingId = this.d.findings.insert(
      {
        subscriberId: survey.subscriberId,
        kind: 'exit_reason',
        reason: parsed.reason,
        serviceId: survey.serviceId,
        dedupeKey: `exit:${survey.id}`,
        detail: { followUp, surveyId: survey.id, exitChannel: survey.exitChannel, ...(followUp === 'exit_offer' ? { offerServiceId: offer?.id ?? null } : {}) },
      },
      at,
      this.d.config.crm.interventions.findingTtlDays * DAY,
    );
    if (findingId) this.d.repo.setFinding(survey.id, findingId);
  }

  /** Moves the report's daily counts of the survey's exit day under every grouping. */
  private count(s: ExitSurveyRow, status: string, reason: string | null, notAsked: string | null, delta: number): void {
    const day = this.d.days.of(s.exitAt);
    this.d.repo.bump(groupings(s).map(([dim, value]) => ({ day, dim, value, status, reason: reason ?? '', notAsked: notAsked ?? '', delta })));
  }

  private lang(sub: Pick<Subscriber, 'language'>): string {
    return sub.language ?? this.d.config.defaults.language;
  }

  private pick(texts: Record<string, string>, lang: string): string {
    return texts[lang] ?? texts[this.d.config.defaults.language] ?? Object.values(texts)[0] ?? '';
  }
}
