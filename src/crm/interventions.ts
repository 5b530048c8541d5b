import type { Counter } from 'prom-client';
import type { CallEnqueueResult, CallRequest } from '../calls/types';
import type { Config } from '../config';
import type { Database, Tx } from '../db/database';
import type { FlowRegistry } from '../engine/flow-registry';
import { DAY } from '../lib/clock';
import { newId } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { EnqueueRequest, EnqueueResult } from '../messaging/types';
import type { Subscriber } from '../subscribers/subscriber-service';
import type { UsageLog } from '../usage/usage-log';
import type { FindingKind } from './detectors/types';
import { InterventionChannel, type Carrier } from './best-channel/intervention-channel';
import { inHoldout } from './experiments';
import { offeredPackage, packageSpokenOf } from './exit-reasons/exit-offer';
import type { FindingRow, FindingsRepo } from './findings-repo';
import type { FlowIndex } from './flow-index';
import { InterventionStore } from './intervention-store';
import { holdoutKind } from './onboarding/shared-holdout';
import { fitShortcuts } from './onboarding/welcome-text';
import { holdoutPercentFor, isTier, type Tier } from './tiers';
import { SaveCall } from './tiers/save-call';
import { inSavepoint } from '../db/savepoint';

export type InterventionKind = 'education_sms' | 'voice_guidance' | 'nudge' | 'save' | 'winback' | 'welcome' | 'onboarding_followup' | 'exit_guidance' | 'exit_offer' | 'save_call';
export const INTERVENTION_KINDS: readonly InterventionKind[] = ['education_sms', 'voice_guidance', 'nudge', 'save', 'winback', 'welcome', 'onboarding_followup', 'exit_guidance', 'exit_offer', 'save_call'];

export interface InterventionDeps {
  /** Where acting reads and writes (src/crm/intervention-store.ts), on either engine. */
  database: Database;
  config: Pick<Config, 'crm' | 'services' | 'defaults'> & { billing?: { texts?: { periodNames?: Record<string, Record<string, string>> } } };
  flows: FlowRegistry;
  index: FlowIndex;
  /** The finding's new state (acted, held out, deferred, ineligible) is written in the acting unit. */
  findings: Pick<FindingsRepo, 'doneIn' | 'deferIn' | 'ineligibleIn'>;
  subscribers: { findByIdIn(tx: Tx, id: number): Promise<Subscriber | null> };
  usage: Pick<UsageLog, 'recordIn'>;
  messaging: { enqueueIn(req: EnqueueRequest, tx: Tx): Promise<EnqueueResult> } | null;
  calls: { enqueueIn(tx: Tx, req: CallRequest): Promise<CallEnqueueResult> } | null;
  log: Logger;
  metrics: Metrics;
  /** The welcome's shortcut lines for a subscriber (onboarding), best first; none without it. */
  welcomeShortcuts?: (sub: Pick<Subscriber, 'region' | 'crop'>, lang: string) => string[];
}

/** What was decided for one intervention kind. */
export type Decided = { kind: InterventionKind; arm: 'treatment' | 'holdout'; status: string; id: string };
/** What happened to one due finding; `also`: further interventions on the same finding (a lapsing core customer's save call). */
export type ActOutcome = (Decided & { also?: Decided[] }) | { deferred: true } | { ineligible: string };

/** Kinds that go out as an SMS when they are not carried by a call. */
export type SmsKind = Exclude<InterventionKind, 'voice_guidance' | 'exit_guidance' | 'save_call'>;

/** How an intervention went out: the intervention row's channel fields. */
export type Sent = { channel: 'none' | Carrier; status: string; reason: string | null; messageId: string | null; callId: string | null; text: string | null; parts: number; costMinor: number };
export const NOT_SENT: Sent = { channel: 'none', status: '', reason: null, messageId: null, callId: null, text: null, parts: 0, costMinor: 0 };

/** Fills `{name}` placeholders; unknown names stay as they are so a template mistake is visible. */
export function fillTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}

/**
 * Acts on findings: picks the intervention, applies the cool-down and the holdout, renders the template
 * in the subscriber's language and hands it to messaging (SMS: opt-out, quiet hours and the frequency cap
 * apply there) or to the call queue (guidance call). Everything runs in the caller's unit of work: the
 * intervention row, the finding's new status and the `intervention` usage event commit together with the
 * outbox or call row, on either engine.
 */
export class Interventions {
  private readonly counter: Counter<string>;
  private readonly log: Logger;
  private readonly store: InterventionStore;
  private readonly channel: InterventionChannel;
  private readonly saveCall: SaveCall;

  constructor(private readonly d: InterventionDeps) {
    this.counter = d.metrics.counter('crm_interventions_total', 'CRM interventions decided', ['kind', 'arm', 'status']);
    this.log = d.log.child({ comp: 'crm' });
    this.store = new InterventionStore(d.database);
    this.channel = new InterventionChannel({ bestChannelKinds: d.config.crm.interventions.bestChannel, canCall: d.calls !== null });
    this.saveCall = new SaveCall({ config: d.config, flows: d.flows, canCall: d.calls !== null });
  }

  /** The intervention a finding calls for. */
  kindFor(f: Pick<FindingRow, 'kind' | 'detail'>): InterventionKind {
    const k: FindingKind = f.kind;
    if (k === 'stuck') {
      return f.detail.channel === 'ivr' && this.d.calls ? 'voice_guidance' : 'education_sms';
    }
    if (k === 'passive') return 'nudge';
    if (k === 'lapsing') return 'save';
    if (k === 'new_subscriber') return 'welcome';
    if (k === 'first_sessions_stuck') return 'onboarding_followup';
    // An exit answer names its follow-up (config crm.exitReasons.followUps) when it is raised.
    if (k === 'exit_reason') return f.detail.followUp === 'exit_offer' ? 'exit_offer' : 'exit_guidance';
    return 'winback';
  }

  /**
   * Acts on one due finding as of `now`, in unit of work `tx`. The finding's writes run in a savepoint of
   * the unit: when its message or call is refused the error is thrown with none of them left, and the
   * caller's unit goes on (it closes the finding as failed).
   */
  act(f: FindingRow, now: number, tx: Tx): Promise<ActOutcome> {
    return inSavepoint(tx, 'crm_act', () => this.actIn(f, now, tx));
  }

  private async actIn(f: FindingRow, now: number, tx: Tx): Promise<ActOutcome> {
    const sub = await this.d.subscribers.findByIdIn(tx, f.subscriberId);
    if (!sub) return this.ineligible(f, 'unknown_subscriber', now, tx);
    // Opted out before assignment: outside the experiment altogether (messaging would block it anyway).
    if (sub.optedOut) return this.ineligible(f, 'opted_out', now, tx);
    const kind = this.kindFor(f);
    const carrier = await this.channel.carrierIn(kind, sub.id, (id) => this.store.bestChannelOf(id, tx));
    if (carrier === 'call' ? !this.d.calls : !this.d.messaging) return this.ineligible(f, 'no_channel', now, tx);
    if (kind === 'exit_offer' && offeredPackage(f.detail) === null) return this.ineligible(f, 'no_cheaper_package', now, tx);
    const coolUntil = await this.cooldownEnd(sub.id, kind, now, tx);
    if (coolUntil !== null) {
      await this.d.findings.deferIn(tx, f.id, coolUntil);
      return { deferred: true };
    }
    const stored = await this.store.tierOf(sub.id, tx);
    const tier = isTier(stored) ? stored : null;
    const main = await this.decide(f, sub, kind, carrier, tier, now, true, tx);
    if (!(await this.saveCall.dueIn(kind, tier, sub.id, now, (id, k) => this.store.lastAt(id, k, tx)))) return main;
    try {
      return { ...main, also: [await inSavepoint(tx, 'crm_act', () => this.decide(f, sub, 'save_call', 'call', tier, now, false, tx))] };
    } catch (err) {
      // The SMS stands; a call the queue refuses rolls back alone (its savepoint) and is logged.
      this.log.error({ err, finding: f.id }, 'save call failed');
      return main;
    }
  }

  /** When the subscriber's last intervention of `kind` stops cooling down, if that is after `now`; null: it may go. */
  private async cooldownEnd(subscriberId: number, kind: InterventionKind, now: number, tx: Tx): Promise<number | null> {
    const lastAt = await this.store.lastAt(subscriberId, kind, tx);
    if (lastAt === null) return null;
    const end = lastAt + this.d.config.crm.interventions.cooldownDays[kind] * DAY;
    return end > now ? end : null;
  }

  /**
   * Whether the subscriber is held out of `kind`: onboarding's kinds share one assignment, and a core
   * customer is held out of a discount offer at most crm.tiers.coreMaxHoldoutPercent of the time.
   */
  heldOut(kind: InterventionKind, subscriberId: number, tier: Tier | null): boolean {
    const cfg = this.d.config.crm;
    return inHoldout(cfg.experimentSalt, holdoutKind(kind), subscriberId, holdoutPercentFor(kind, cfg.holdoutPercent, tier, cfg.tiers));
  }

  /** Decides one intervention of `kind` on a finding: holdout, send or call, row, usage event; `primary` closes the finding. */
  private async decide(f: FindingRow, sub: Subscriber, kind: InterventionKind, carrier: Carrier, tier: Tier | null, now: number, primary: boolean, tx: Tx): Promise<Decided> {
    const holdout = this.heldOut(kind, sub.id, tier);
    const id = newId('int', now);
    const windowEndsAt = now + this.d.config.crm.interventions.outcomeDays * DAY;
    const sent: Sent = holdout ? { ...NOT_SENT, status: 'held_out' } : carrier === 'call' ? await this.call(f, sub, kind, id, tx) : await this.sms(f, sub, kind, id, tx);
    const arm = holdout ? 'holdout' : 'treatment';
    await this.store.insert({ id, findingId: f.id, subscriberId: sub.id, kind, findingKind: f.kind, serviceId: f.serviceId, arm, ...sent, at: now, windowEndsAt }, tx);
    if (primary) await this.d.findings.doneIn(tx, f.id, arm === 'holdout' ? 'holdout' : 'acted', id);
    if (tier) await this.store.noteTier(id, tier, now, tx);
    await this.d.usage.recordIn(tx, [{ at: now, subscriberId: sub.id, channel: 'crm', type: 'intervention', detail: interventionDetail(id, kind, f, arm, sent, tier) }]);
    this.counted(sub, kind, arm, sent.status);
    return { kind, arm, status: sent.status, id };
  }

  /** Counts and logs one decided intervention. */
  counted(sub: Pick<Subscriber, 'msisdn'>, kind: InterventionKind, arm: string, status: string): void {
    this.counter.inc({ kind, arm, status });
    this.log.debug({ msisdn: sub.msisdn, kind, arm, status }, 'intervention');
  }

  /** Queues the intervention's call: the save call's own flow, else the guidance flow. */
  private async call(f: FindingRow, sub: Subscriber, kind: InterventionKind, id: string, tx: Tx): Promise<Sent> {
    const target = this.callTarget(f, kind);
    const r = await this.d.calls!.enqueueIn(tx, { to: sub.msisdn, flowId: target.flowId, ...(target.startNode ? { startNode: target.startNode } : {}), kind: 'promotional', source: 'intervention', sourceRef: id });
    // The price quote; the report charges it only for an answered call the provider put no price on.
    return { ...NOT_SENT, channel: 'call', status: r.status, reason: r.reason ?? null, callId: r.id, costMinor: Math.round(this.d.config.crm.costs.call * 100) };
  }

  /** Queues the intervention's SMS, rendered in the subscriber's language. */
  private async sms(f: FindingRow, sub: Subscriber, kind: InterventionKind, id: string, tx: Tx): Promise<Sent> {
    const cfg = this.d.config.crm;
    const text = this.render(kind as SmsKind, f, f.detail, sub);
    const r = await this.d.messaging!.enqueueIn({ to: sub.msisdn, text, kind: 'promotional', source: 'intervention', sourceRef: id, ...(cfg.interventions.from ? { from: cfg.interventions.from } : {}) }, tx);
    // The price quote; the report charges it per part the SMSC accepts (operators bill on submit).
    return { channel: 'sms', status: r.status, reason: r.reason ?? null, messageId: r.id, callId: null, text, parts: r.parts, costMinor: Math.round(cfg.costs.smsPart * 100 * r.parts) };
  }

  private async ineligible(f: FindingRow, reason: string, now: number, tx: Tx): Promise<ActOutcome> {
    await this.d.findings.ineligibleIn(tx, f.id, reason, now);
    return { ineligible: reason };
  }

  /** Closes a finding whose intervention failed (its message refused): the reason is `failed: <code>`. */
  async failed(f: Pick<FindingRow, 'id'>, code: string, now: number, tx: Tx): Promise<void> {
    await this.d.findings.ineligibleIn(tx, f.id, `failed: ${code}`, now);
  }

  /** The call an intervention places: the save call's own flow, else the guidance flow. */
  callTarget(f: Pick<FindingRow, 'detail'>, kind: InterventionKind): { flowId: string; startNode?: string } {
    const own = kind === 'save_call' ? this.saveCall.ownFlow() : null;
    return own ? { flowId: own } : this.voiceTarget(f.detail);
  }

  /** The guidance flow, or the main flow at the menu the subscriber was after when there is none. */
  private voiceTarget(detail: Record<string, unknown>): { flowId: string; startNode?: string } {
    const voice = this.d.flows.byId(this.d.config.crm.interventions.voiceFlow);
    if (voice) return { flowId: voice.id };
    const flowId = typeof detail.flowId === 'string' && this.d.flows.byId(detail.flowId) ? detail.flowId : (this.d.index.mainFlow()?.id ?? '');
    return typeof detail.nodeId === 'string' ? { flowId, startNode: detail.nodeId } : { flowId };
  }

  /** The message text for a kind, in the subscriber's language (or the default language). */
  render(kind: SmsKind, f: Pick<FindingRow, 'reason' | 'serviceId'>, detail: Record<string, unknown>, sub: Pick<Subscriber, 'language' | 'region' | 'crop'>): string {
    const cfg = this.d.config;
    const t = cfg.crm.interventions.templates;
    const templates = kind === 'save' ? (f.reason === 'usage_fading' ? t.save_usage : t.save_billing) : t[kind];
    const lang = sub.language && templates[sub.language] ? sub.language : templates[cfg.defaults.language] ? cfg.defaults.language : Object.keys(templates)[0]!;
    const main = this.d.index.mainFlow();
    const flowId = typeof detail.flowId === 'string' ? detail.flowId : (main?.id ?? '');
    const code = this.d.index.code(flowId) ?? (main ? this.d.index.code(main.id) : null) ?? '';
    const nodeId = typeof detail.nodeId === 'string' ? detail.nodeId : null;
    const flow = this.d.flows.byId(flowId);
    const serviceId = packageSpokenOf(kind, f.serviceId, detail);
    const service = serviceId ? cfg.services.find((s) => s.id === serviceId) : undefined;
    const vars: Record<string, string> = {
      code,
      shortcut: typeof detail.shortcut === 'string' ? detail.shortcut : code,
      topic: nodeId ? this.d.index.topic(flowId, nodeId, lang) : (flow?.title?.[lang] ?? flow?.title?.[flow.defaultLanguage] ?? flowId),
      service: service?.name ?? '',
      price: service ? String(service.price) : '',
      currency: service?.currency ?? '',
      period: service ? (cfg.billing?.texts?.periodNames?.[service.period]?.[lang] ?? service.period) : '',
      keyword: service?.keywords[0] ?? '',
      shortCode: service?.shortCode ?? '',
    };
    if (kind === 'welcome') return fitShortcuts((shortcuts) => fillTemplate(templates[lang]!, { ...vars, shortcuts }), this.d.welcomeShortcuts?.(sub, lang) ?? [], cfg.crm.onboarding.shortcuts, code);
    return fillTemplate(templates[lang]!, vars);
  }
}

/** The `intervention` usage event's detail: the decision, and what carried it when something did. */
export function interventionDetail(id: string, kind: InterventionKind, f: Pick<FindingRow, 'kind' | 'reason' | 'serviceId'>, arm: string, sent: Pick<Sent, 'status' | 'reason' | 'messageId' | 'callId'>, tier: Tier | null): Record<string, unknown> {
  const { status, reason, messageId, callId } = sent;
  return {
    interventionId: id,
    kind,
    finding: f.kind,
    reason: f.reason,
    arm,
    status,
    ...(reason ? { blocked: reason } : {}),
    ...(messageId ? { messageId } : {}),
    ...(callId ? { callId } : {}),
    ...(f.serviceId ? { serviceId: f.serviceId } : {}),
    ...(tier ? { tier } : {}),
  };
}
