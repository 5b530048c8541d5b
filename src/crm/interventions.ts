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
import { inHoldout } from './experiments';
import type { FindingRow, FindingsRepo } from './findings-repo';
import type { FlowIndex } from './flow-index';
import { InterventionRepo } from './intervention-repo';

export type InterventionKind = 'education_sms' | 'voice_guidance' | 'nudge' | 'save' | 'winback';
export const INTERVENTION_KINDS: readonly InterventionKind[] = ['education_sms', 'voice_guidance', 'nudge', 'save', 'winback'];

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
}

/** What happened to one due finding. */
export type ActOutcome = { kind: InterventionKind; arm: 'treatment' | 'holdout'; status: string } | { deferred: true } | { ineligible: string };

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
  private readonly channels: BestChannelStore;

  constructor(private readonly d: InterventionDeps) {
    this.counter = d.metrics.counter('crm_interventions_total', 'CRM interventions decided', ['kind', 'arm', 'status']);
    this.log = d.log.child({ comp: 'crm' });
    this.repo = InterventionRepo.of(d.db);
    this.channels = new BestChannelStore(d.db);
  }

  /**
   * Whether an SMS kind goes out as a guidance call instead: the kind is listed in
   * crm.interventions.bestChannel, calls can be placed, and the subscriber's best channel is `call`.
   */
  private byCall(kind: InterventionKind, subscriberId: number): boolean {
    if (kind === 'voice_guidance' || !this.d.calls || !this.d.config.crm.interventions.bestChannel.includes(kind)) return false;
    return this.channels.get(subscriberId)?.channel === 'call';
  }

  /** The intervention a finding calls for. */
  kindFor(f: Pick<FindingRow, 'kind' | 'detail'>): InterventionKind {
    const k: FindingKind = f.kind;
    if (k === 'stuck') {
      return f.detail.channel === 'ivr' && this.d.calls ? 'voice_guidance' : 'education_sms';
    }
    if (k === 'passive') return 'nudge';
    if (k === 'lapsing') return 'save';
    return 'winback';
  }

  /** Acts on one due finding as of `now`. */
  act(f: FindingRow, now: number): ActOutcome {
    const cfg = this.d.config.crm;
    const sub = this.d.subscribers.findById(f.subscriberId);
    if (!sub) return this.ineligible(f, 'unknown_subscriber', now);
    // Opted out before assignment: outside the experiment altogether (messaging would block it anyway).
    if (sub.optedOut) return this.ineligible(f, 'opted_out', now);
    const kind = this.kindFor(f);
    // The kind (its cool-down, holdout and report line) stays the same whichever channel carries it.
    const call = kind === 'voice_guidance' || this.byCall(kind, sub.id);
    if (call ? !this.d.calls : !this.d.messaging) return this.ineligible(f, 'no_channel', now);

    const lastAt = this.repo.lastAt(sub.id, kind);
    const cooldown = cfg.interventions.cooldownDays[kind] * DAY;
    if (lastAt !== null && lastAt + cooldown > now) {
      this.d.findings.defer(f.id, lastAt + cooldown);
      return { deferred: true };
    }

    const holdout = inHoldout(cfg.experimentSalt, kind, sub.id, cfg.holdoutPercent);
    const id = newId('int', now);
    const detail = f.detail;
    const windowEndsAt = now + cfg.interventions.outcomeDays * DAY;
    // A savepoint inside the pass's batch transaction (its own transaction otherwise): a finding whose
    // message cannot be queued rolls back alone.
    // (tx nests as a savepoint when a transaction is open.)
    return tx(this.d.db, () => {
      let status: string;
      let reason: string | null = null;
      let channel = 'none';
      let messageId: string | null = null;
      let callId: string | null = null;
      let text: string | null = null;
      let parts = 0;
      let costMinor = 0;
      if (holdout) {
        status = 'held_out';
      } else if (call) {
        const target = this.voiceTarget(detail);
        const r = this.d.calls!.enqueue({ to: sub.msisdn, flowId: target.flowId, ...(target.startNode ? { startNode: target.startNode } : {}), kind: 'promotional', source: 'intervention', sourceRef: id });
        channel = 'call';
        status = r.status;
        reason = r.reason ?? null;
        callId = r.id;
        // The price quote; the report charges it only for an answered call the provider put no price on.
        costMinor = Math.round(cfg.costs.call * 100);
      } else {
        text = this.render(kind, f, detail, sub);
        const r = this.d.messaging!.enqueue({
          to: sub.msisdn,
          text,
          kind: 'promotional',
          source: 'intervention',
          sourceRef: id,
          ...(cfg.interventions.from ? { from: cfg.interventions.from } : {}),
        });
        channel = 'sms';
        status = r.status;
        reason = r.reason ?? null;
        messageId = r.id;
        parts = r.parts;
        // The price quote; the report charges it per part the SMSC accepts (operators bill on submit).
        costMinor = Math.round(cfg.costs.smsPart * 100 * r.parts);
      }
      const arm = holdout ? 'holdout' : 'treatment';
      this.repo.insert({
        id,
        findingId: f.id,
        subscriberId: sub.id,
        kind,
        findingKind: f.kind,
        serviceId: f.serviceId,
        arm,
        channel,
        status,
        reason,
        messageId,
        callId,
        text,
        parts,
        costMinor,
        at: now,
        windowEndsAt,
      });
      this.d.findings.done(f.id, holdout ? 'holdout' : 'acted', id);
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
          },
        },
      ]);
      this.counter.inc({ kind, arm, status });
      this.log.debug({ msisdn: sub.msisdn, kind, arm, status }, 'intervention');
      return { kind, arm, status };
    });
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
  render(kind: Exclude<InterventionKind, 'voice_guidance'>, f: Pick<FindingRow, 'reason' | 'serviceId'>, detail: Record<string, unknown>, sub: Pick<Subscriber, 'language'>): string {
    const cfg = this.d.config;
    const t = cfg.crm.interventions.templates;
    const templates = kind === 'save' ? (f.reason === 'usage_fading' ? t.save_usage : t.save_billing) : t[kind];
    const lang = sub.language && templates[sub.language] ? sub.language : templates[cfg.defaults.language] ? cfg.defaults.language : Object.keys(templates)[0]!;
    const main = this.d.index.mainFlow();
    const flowId = typeof detail.flowId === 'string' ? detail.flowId : (main?.id ?? '');
    const code = this.d.index.code(flowId) ?? (main ? this.d.index.code(main.id) : null) ?? '';
    const nodeId = typeof detail.nodeId === 'string' ? detail.nodeId : null;
    const flow = this.d.flows.byId(flowId);
    const service = f.serviceId ? cfg.services.find((s) => s.id === f.serviceId) : undefined;
    const vars: Record<string, string> = {
      code,
      shortcut: typeof detail.shortcut === 'string' ? detail.shortcut : code,
      topic: nodeId ? this.d.index.topic(flowId, nodeId, lang) : (flow?.title?.[lang] ?? flow?.title?.[flow.defaultLanguage] ?? flowId),
      service: service?.name ?? '',
      price: service ? String(service.price) : '',
      currency: service?.currency ?? '',
      period: service ? (cfg.billing?.texts?.periodNames?.[service.period]?.[lang] ?? service.period) : '',
    };
    return fillTemplate(templates[lang]!, vars);
  }
}
