import type { Counter } from 'prom-client';
import type { CallsPort } from '../calls/types';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { tx } from '../db/client';
import type { FlowRegistry } from '../engine/flow-registry';
import { DAY } from '../lib/clock';
import { newId } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { MessagingPort } from '../messaging/types';
import type { Subscriber } from '../subscribers/subscriber-service';
import type { UsageLog } from '../usage/usage-log';
import type { FindingKind } from './detectors/types';
import { BestChannelStore } from './best-channel/best-channel-store';
import { InterventionChannel, type Carrier } from './best-channel/intervention-channel';
import { inHoldout } from './experiments';
import { offeredPackage, packageSpokenOf } from './exit-reasons/exit-offer';
import type { FindingRow, FindingsRepo } from './findings-repo';
import type { FlowIndex } from './flow-index';
import { InterventionRepo } from './intervention-repo';
import { holdoutKind } from './onboarding/shared-holdout';
import { fitShortcuts } from './onboarding/welcome-text';
import { holdoutPercentFor, TierStore, type Tier } from './tiers';
import { SaveCall } from './tiers/save-call';

export type InterventionKind = 'education_sms' | 'voice_guidance' | 'nudge' | 'save' | 'winback' | 'welcome' | 'onboarding_followup' | 'exit_guidance' | 'exit_offer' | 'save_call';
export const INTERVENTION_KINDS: readonly InterventionKind[] = ['education_sms', 'voice_guidance', 'nudge', 'save', 'winback', 'welcome', 'onboarding_followup', 'exit_guidance', 'exit_offer', 'save_call'];

export interface InterventionDeps {
  db: Db;
  config: Pick<Config, 'crm' | 'services' | 'defaults'> & { billing?: { texts?: { periodNames?: Record<string, Record<string, string>> } } };
  flows: FlowRegistry;
  index: FlowIndex;
  findings: FindingsRepo;
  subscribers: { findById(id: number): Subscriber | null };
  usage: Pick<UsageLog, 'record'>;
  messaging: MessagingPort | null;
  calls: CallsPort | null;
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
type SmsKind = Exclude<InterventionKind, 'voice_guidance' | 'exit_guidance' | 'save_call'>;

/** How an intervention went out: the intervention row's channel fields. */
type Sent = { channel: 'none' | Carrier; status: string; reason: string | null; messageId: string | null; callId: string | null; text: string | null; parts: number; costMinor: number };
const NOT_SENT: Sent = { channel: 'none', status: '', reason: null, messageId: null, callId: null, text: null, parts: 0, costMinor: 0 };

/** Fills `{name}` placeholders; unknown names stay as they are so a template mistake is visible. */
export function fillTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}

/**
 * Acts on findings: picks the intervention, applies the cool-down and the holdout, renders the template
 * in the subscriber's language and hands it to messaging (SMS: opt-out, quiet hours and the frequency cap
 * apply there) or to the call queue (guidance call). The intervention row, the finding's new status and
 * the `intervention` usage event commit together with the outbox row.
 */
export class Interventions {
  private readonly counter: Counter<string>;
  private readonly log: Logger;
  private readonly repo: InterventionRepo;
  private readonly tiers: TierStore;
  private readonly channel: InterventionChannel;
  private readonly saveCall: SaveCall;

  constructor(private readonly d: InterventionDeps) {
    this.counter = d.metrics.counter('crm_interventions_total', 'CRM interventions decided', ['kind', 'arm', 'status']);
    this.log = d.log.child({ comp: 'crm' });
    this.repo = InterventionRepo.of(d.db);
    this.tiers = TierStore.of(d.db);
    this.channel = new InterventionChannel({ bestChannelKinds: d.config.crm.interventions.bestChannel, canCall: d.calls !== null, store: new BestChannelStore(d.db) });
    this.saveCall = new SaveCall({ config: d.config, flows: d.flows, repo: this.repo, canCall: d.calls !== null });
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

  /** Acts on one due finding as of `now`. */
  act(f: FindingRow, now: number): ActOutcome {
    const sub = this.d.subscribers.findById(f.subscriberId);
    if (!sub) return this.ineligible(f, 'unknown_subscriber', now);
    // Opted out before assignment: outside the experiment altogether (messaging would block it anyway).
    if (sub.optedOut) return this.ineligible(f, 'opted_out', now);
    const kind = this.kindFor(f);
    const carrier = this.channel.carrier(kind, sub.id);
    if (carrier === 'call' ? !this.d.calls : !this.d.messaging) return this.ineligible(f, 'no_channel', now);
    if (kind === 'exit_offer' && offeredPackage(f.detail) === null) return this.ineligible(f, 'no_cheaper_package', now);
    const coolUntil = this.cooldownEnd(sub.id, kind, now);
    if (coolUntil !== null) {
      this.d.findings.defer(f.id, coolUntil);
      return { deferred: true };
    }
    const tier = this.tiers.tierOf(sub.id);
    const main = this.decide(f, sub, kind, carrier, tier, now, true);
    if (!this.saveCall.due(kind, tier, sub.id, now)) return main;
    try {
      return { ...main, also: [this.decide(f, sub, 'save_call', 'call', tier, now, false)] };
    } catch (err) {
      // The SMS stands; a call the queue refuses rolls back alone (its savepoint) and is logged.
      this.log.error({ err, finding: f.id }, 'save call failed');
      return main;
    }
  }

  /** When the subscriber's last intervention of `kind` stops cooling down, if that is after `now`; null: it may go. */
  private cooldownEnd(subscriberId: number, kind: InterventionKind, now: number): number | null {
    const lastAt = this.repo.lastAt(subscriberId, kind);
    if (lastAt === null) return null;
    const end = lastAt + this.d.config.crm.interventions.cooldownDays[kind] * DAY;
    return end > now ? end : null;
  }

  /**
   * Whether the subscriber is held out of `kind`: onboarding's kinds share one assignment, and a core
   * customer is held out of a discount offer at most crm.tiers.coreMaxHoldoutPercent of the time.
   */
  private heldOut(kind: InterventionKind, subscriberId: number, tier: Tier | null): boolean {
    const cfg = this.d.config.crm;
    return inHoldout(cfg.experimentSalt, holdoutKind(kind), subscriberId, holdoutPercentFor(kind, cfg.holdoutPercent, tier, cfg.tiers));
  }

  /** Decides one intervention of `kind` on a finding: holdout, send or call, row, usage event; `primary` closes the finding. */
  private decide(f: FindingRow, sub: Subscriber, kind: InterventionKind, carrier: Carrier, tier: Tier | null, now: number, primary: boolean): Decided {
    const cfg = this.d.config.crm;
    const holdout = this.heldOut(kind, sub.id, tier);
    const id = newId('int', now);
    const windowEndsAt = now + cfg.interventions.outcomeDays * DAY;
    // A savepoint inside the pass's batch transaction (its own transaction otherwise): a finding whose
    // message cannot be queued rolls back alone.
    // (tx nests as a savepoint when a transaction is open.)
    return tx(this.d.db, () => {
      const sent: Sent = holdout ? { ...NOT_SENT, status: 'held_out' } : carrier === 'call' ? this.call(f, sub, kind, id) : this.sms(f, sub, kind, id);
      const { status, reason, messageId, callId } = sent;
      const arm = holdout ? 'holdout' : 'treatment';
      this.repo.insert({ id, findingId: f.id, subscriberId: sub.id, kind, findingKind: f.kind, serviceId: f.serviceId, arm, ...sent, at: now, windowEndsAt });
      if (primary) this.d.findings.done(f.id, holdout ? 'holdout' : 'acted', id);
      if (tier) this.tiers.noteIntervention(id, tier, now);
      this.d.usage.record([
        {
          at: now,
          subscriberId: sub.id,
          channel: 'crm',
          type: 'intervention',
          detail: {
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
          },
        },
      ]);
      this.counter.inc({ kind, arm, status });
      this.log.debug({ msisdn: sub.msisdn, kind, arm, status }, 'intervention');
      return { kind, arm, status, id };
    });
  }

  /** Queues the intervention's call: the save call's own flow, else the guidance flow. */
  private call(f: FindingRow, sub: Subscriber, kind: InterventionKind, id: string): Sent {
    const own = kind === 'save_call' ? this.saveCall.ownFlow() : null;
    const target = own ? { flowId: own } : this.voiceTarget(f.detail);
    const r = this.d.calls!.enqueue({ to: sub.msisdn, flowId: target.flowId, ...(target.startNode ? { startNode: target.startNode } : {}), kind: 'promotional', source: 'intervention', sourceRef: id });
    // The price quote; the report charges it only for an answered call the provider put no price on.
    return { ...NOT_SENT, channel: 'call', status: r.status, reason: r.reason ?? null, callId: r.id, costMinor: Math.round(this.d.config.crm.costs.call * 100) };
  }

  /** Queues the intervention's SMS, rendered in the subscriber's language. */
  private sms(f: FindingRow, sub: Subscriber, kind: InterventionKind, id: string): Sent {
    const cfg = this.d.config.crm;
    const text = this.render(kind as SmsKind, f, f.detail, sub);
    const r = this.d.messaging!.enqueue({ to: sub.msisdn, text, kind: 'promotional', source: 'intervention', sourceRef: id, ...(cfg.interventions.from ? { from: cfg.interventions.from } : {}) });
    // The price quote; the report charges it per part the SMSC accepts (operators bill on submit).
    return { channel: 'sms', status: r.status, reason: r.reason ?? null, messageId: r.id, callId: null, text, parts: r.parts, costMinor: Math.round(cfg.costs.smsPart * 100 * r.parts) };
  }

  private ineligible(f: FindingRow, reason: string, now: number): ActOutcome {
    this.d.findings.ineligible(f.id, reason, now);
    return { ineligible: reason };
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
