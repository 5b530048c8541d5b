import { normalizeReply } from '../../campaigns/poll-text';
import type { Config } from '../../config';
import type { Tx } from '../../db/database';
import type { Flow } from '../../engine/types';
import { DAY, HOUR } from '../../lib/clock';
import { newId } from '../../lib/ids';
import type { Logger } from '../../lib/logger';
import type { EnqueueRequest, EnqueueResult, InboundSms } from '../../messaging/types';
import type { Subscriber } from '../../subscribers/subscriber-service';
import type { ExitEvent } from '../../subscriptions/subscription-service';
import type { Service } from '../../subscriptions/types';
import type { Days } from '../days';
import type { FindingDraft } from '../detectors/types';
import type { FindingsRepo } from '../findings-repo';
import { fillTemplate } from '../interventions';
import type { ExitSurveyRow, ExitSurveyStore } from './exit-survey-store';
import { EXIT_REASONS, numberedOptions, parseExitReply, tenureBand, type ExitReason, type ParsedExitReply } from './reasons';
import { inSavepoint } from '../../db/savepoint';

export interface ExitSurveyDeps {
  /** Where the unit-of-work forms read and write, on either engine. */
  store: ExitSurveyStore;
  findings: Pick<FindingsRepo, 'insertIn'>;
  /** Local days of the gateway's time zone: the report counts exits per day. */
  days: Days;
  log: Logger;
  config: Pick<Config, 'crm' | 'services' | 'defaults'>;
  subscribers: { findByIdIn(tx: Tx, id: number): Promise<Subscriber | null> };
  messaging: { enqueueIn(req: EnqueueRequest, tx: Tx): Promise<EnqueueResult> };
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

  /**
   * An exit happened, told inside the unit of work that records it: store the survey and ask, once per
   * exit. The survey is stored first and the question queued only when this unit stored it, so an exit
   * told to two processes at once is asked about once.
   */
  async onExitIn(e: ExitEvent, tx: Tx): Promise<void> {
    const inSession = this.takeInSession(e);
    if (!this.cfg.enabled) return;
    if (await this.d.store.exists(e.subscriptionId, e.runStartedAt ?? 0, tx)) return;
    const sub = await this.d.subscribers.findByIdIn(tx, e.subscriberId);
    if (!sub) return;
    const row = this.newSurvey(e, sub, inSession);
    const question = this.question(e, sub, row);
    if (!(await this.d.store.insert(row, tx))) return;
    if (question) {
      this.asked(row, await this.d.messaging.enqueueIn(question, tx), e.at);
      await this.d.store.asked(row, tx);
    }
    await this.countIn(row, row.status, null, row.notAskedReason, 1, tx);
    this.log.debug({ msisdn: sub.msisdn, service: e.serviceId, channel: row.askedChannel, status: row.status }, 'exit question');
  }

  /** Whether this exit is asked about in the USSD session that caused it (and forgets the session's note). */
  private takeInSession(e: ExitEvent): boolean {
    const inSession = this.inSession?.subscriberId === e.subscriberId && (e.channel === 'ussd' || e.channel === 'ivr');
    this.inSession = null;
    return inSession;
  }

  /** The survey of an exit, as it is before the question goes out by SMS (asked in the session, or not asked). */
  private newSurvey(e: ExitEvent, sub: Subscriber, inSession: boolean): ExitSurveyRow {
    const row: ExitSurveyRow = {
      id: newId('exs', e.at),
      subscriberId: sub.id,
      serviceId: e.serviceId,
      subscriptionId: e.subscriptionId,
      runStartedAt: e.runStartedAt ?? 0,
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
    // The flow's next screen asks; the answer comes back as the poll node's effect.
    if (inSession) Object.assign(row, { askedChannel: 'ussd', askedAt: e.at, windowEndsAt: e.at + this.cfg.replyWindowHours * HOUR });
    // Opted out of messages: the question is transactional, but someone who said STOP to all messages gets none.
    else if (sub.optedOut) Object.assign(row, { status: 'not_asked', notAskedReason: 'opted_out' });
    return row;
  }

  /** The SMS question for a survey still to be asked by SMS; null when it is asked in the session or not at all. */
  private question(e: ExitEvent, sub: Subscriber, row: ExitSurveyRow): EnqueueRequest | null {
    if (row.askedChannel !== null || row.status !== 'asked') return null;
    const service = this.d.config.services.find((s) => s.id === e.serviceId);
    const lang = this.lang(sub);
    const text = fillTemplate(this.pick(this.cfg.question, lang), { service: service?.name ?? e.serviceId, options: numberedOptions(this.cfg.labels, lang, this.d.config.defaults.language) });
    // Transactional: it follows the subscriber's own action, like the unsubscribe confirmation queued just before it.
    return { to: sub.msisdn, text, kind: 'transactional', source: 'exit_reason', sourceRef: row.id, ...(service?.shortCode ? { from: service.shortCode } : {}) };
  }

  /** What queuing the question did to the survey: asked by SMS, or not asked when messaging blocked it. */
  private asked(row: ExitSurveyRow, r: EnqueueResult, at: number): void {
    if (r.status === 'blocked') Object.assign(row, { status: 'not_asked', notAskedReason: `blocked:${r.reason ?? 'unknown'}` });
    else Object.assign(row, { askedChannel: 'sms', askedAt: at, windowEndsAt: at + this.cfg.replyWindowHours * HOUR, messageId: r.id });
  }

  /**
   * {@link handleMo} inside the MO's unit of work, on either engine: the answer, the report's counts, the
   * follow-up finding and the thanks are written in the unit (in a savepoint of it: when one fails none
   * remain and the error goes to the caller, which still routes the message). An answer already
   * recorded (the same SMS delivered twice, or to two processes) is consumed without a second thanks.
   */
  async handleMoIn(mo: InboundSms, tx: Tx): Promise<boolean> {
    const survey = await this.d.store.latestAskedOn(mo.subscriberId, 'sms', tx);
    if (!survey || survey.status !== 'asked' || survey.askedAt === null || (survey.windowEndsAt ?? 0) <= mo.at) return false;
    const reply = normalizeReply(mo.text);
    const first = reply.split(' ')[0] ?? '';
    if (this.d.alwaysRouted.has(reply) || this.d.alwaysRouted.has(first)) return false;
    const pollAt = await this.d.store.openPollSentAt(mo.subscriberId, mo.at, tx);
    if (pollAt !== null && pollAt > survey.askedAt) return false;
    const parsed = parseExitReply(mo.text, this.cfg.words);
    if (!parsed) return false;
    // Free text that is a keyword is a request for content, not an answer.
    if (parsed.freeText !== null && (this.d.keywords.has(reply) || this.d.keywords.has(first))) return false;
    const sub = await this.d.subscribers.findByIdIn(tx, mo.subscriberId);
    await inSavepoint(tx, 'exit_answer', async () => {
      if (!(await this.recordIn(survey, mo.at, parsed, tx))) return;
      await this.d.messaging.enqueueIn({ to: mo.from, text: this.pick(this.cfg.thanks, sub ? this.lang(sub) : this.d.config.defaults.language), kind: 'transactional', source: 'exit_reason', sourceRef: survey.id, ...(mo.to ? { from: mo.to } : {}) }, tx);
    });
    return true;
  }

  /** {@link answerInSession} inside the session hop's unit of work, on either engine. */
  async answerInSessionIn(poll: string, answer: number, subscriberId: number, at: number, tx: Tx): Promise<boolean> {
    if (poll !== this.cfg.ussdPoll) return false;
    const survey = await this.d.store.latestAskedOn(subscriberId, 'ussd', tx);
    const reason = EXIT_REASONS[answer];
    if (survey && survey.status === 'asked' && (survey.windowEndsAt ?? 0) > at && reason) await this.recordIn(survey, at, { reason, freeText: null }, tx);
    else this.log.debug({ subscriberId }, 'exit question answered in a session with no open question; ignored');
    return true;
  }

  /** {@link record} in unit of work `tx`; false when the survey had its answer already (nothing written). */
  private async recordIn(survey: ExitSurveyRow, at: number, parsed: ParsedExitReply, tx: Tx): Promise<boolean> {
    if (!(await this.d.store.answer(survey.id, at, parsed.reason, parsed.freeText, tx))) return false;
    await this.countIn(survey, 'asked', null, null, -1, tx);
    await this.countIn(survey, 'answered', parsed.reason, null, 1, tx);
    const draft = this.followUp(survey, parsed.reason);
    if (!draft) return true;
    // Stored unless the same answer raised one before or one of its kind is open: the insert decides.
    const findingId = await this.d.findings.insertIn(tx, draft, at, this.d.config.crm.interventions.findingTtlDays * DAY);
    if (findingId) await this.d.store.setFinding(survey.id, findingId, tx);
    return true;
  }

  /** The follow-up finding an answer's reason routes to (config crm.exitReasons.followUps); null: none. */
  private followUp(survey: ExitSurveyRow, reason: ExitReason): FindingDraft | null {
    const followUp = this.cfg.followUps[reason];
    if (!followUp) return null;
    const services = this.d.config.services;
    const offer = followUp === 'exit_offer' ? cheaperPackage(services, services.find((s) => s.id === survey.serviceId)) : null;
    return {
      subscriberId: survey.subscriberId,
      kind: 'exit_reason',
      reason,
      serviceId: survey.serviceId,
      dedupeKey: `exit:${survey.id}`,
      detail: { followUp, surveyId: survey.id, exitChannel: survey.exitChannel, ...(followUp === 'exit_offer' ? { offerServiceId: offer?.id ?? null } : {}) },
    };
  }

  /** {@link count} in unit of work `tx`. */
  private async countIn(s: ExitSurveyRow, status: string, reason: string | null, notAsked: string | null, delta: number, tx: Tx): Promise<void> {
    const day = this.d.days.of(s.exitAt);
    await this.d.store.bump(
      groupings(s).map(([dim, value]) => ({ day, dim, value, status, reason: reason ?? '', notAsked: notAsked ?? '', delta })),
      tx,
    );
  }

  private lang(sub: Pick<Subscriber, 'language'>): string {
    return sub.language ?? this.d.config.defaults.language;
  }

  private pick(texts: Record<string, string>, lang: string): string {
    return texts[lang] ?? texts[this.d.config.defaults.language] ?? Object.values(texts)[0] ?? '';
  }
}
