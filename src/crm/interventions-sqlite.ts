import type { CallsPort } from '../calls/types';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { tx } from '../db/client';
import { DAY } from '../lib/clock';
import { newId } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { MessagingPort } from '../messaging/types';
import type { Subscriber } from '../subscribers/subscriber-service';
import type { UsageLog } from '../usage/usage-log';
import { BestChannelStore } from './best-channel/best-channel-store';
import { InterventionChannel, type Carrier } from './best-channel/intervention-channel';
import { offeredPackage } from './exit-reasons/exit-offer';
import type { FindingRow, FindingsRepo } from './findings-repo';
import { InterventionRepo } from './intervention-repo';
import { interventionDetail, NOT_SENT, type ActOutcome, type Decided, type InterventionKind, type Interventions, type Sent, type SmsKind } from './interventions';
import { TierStore, type Tier } from './tiers';
import { SaveCall } from './tiers/save-call';

export interface SqliteInterventionDeps {
  db: Db;
  config: Pick<Config, 'crm' | 'services' | 'defaults'>;
  /** The unit-of-work form: its choice of kind, holdout, text and call target are the same here. */
  decisions: Pick<Interventions, 'kindFor' | 'heldOut' | 'render' | 'callTarget' | 'counted'>;
  findings: Pick<FindingsRepo, 'defer' | 'done' | 'ineligible'>;
  subscribers: { findById(id: number): Subscriber | null };
  usage: Pick<UsageLog, 'record'>;
  messaging: MessagingPort | null;
  calls: CallsPort | null;
  log: Logger;
}

/**
 * {@link Interventions.act} on the synchronous SQLite handle, for the detector pass while it still runs
 * synchronously (CrmService.runPass; helper crm-pass makes it asynchronous). Same decisions, same rows;
 * each intervention in a SQLite savepoint. The merge that makes the pass asynchronous deletes this file
 * and calls `actOnDue`, the unit-of-work form.
 */
export class SqliteInterventions {
  private readonly repo: InterventionRepo;
  private readonly tiers: TierStore;
  private readonly channel: InterventionChannel;
  private readonly saveCall: SaveCall;

  constructor(private readonly d: SqliteInterventionDeps & { flows: ConstructorParameters<typeof SaveCall>[0]['flows'] }) {
    this.repo = InterventionRepo.of(d.db);
    this.tiers = TierStore.of(d.db);
    this.channel = new InterventionChannel({ bestChannelKinds: d.config.crm.interventions.bestChannel, canCall: d.calls !== null, store: new BestChannelStore(d.db) });
    this.saveCall = new SaveCall({ config: d.config, flows: d.flows, repo: this.repo, canCall: d.calls !== null });
  }

  /** Acts on one due finding as of `now`. */
  act(f: FindingRow, now: number): ActOutcome {
    const sub = this.d.subscribers.findById(f.subscriberId);
    if (!sub) return this.ineligible(f, 'unknown_subscriber', now);
    if (sub.optedOut) return this.ineligible(f, 'opted_out', now);
    const kind = this.d.decisions.kindFor(f);
    const carrier = this.channel.carrier(kind, sub.id);
    if (carrier === 'call' ? !this.d.calls : !this.d.messaging) return this.ineligible(f, 'no_channel', now);
    if (kind === 'exit_offer' && offeredPackage(f.detail) === null) return this.ineligible(f, 'no_cheaper_package', now);
    const lastAt = this.repo.lastAt(sub.id, kind);
    const coolUntil = lastAt === null ? null : lastAt + this.d.config.crm.interventions.cooldownDays[kind] * DAY;
    if (coolUntil !== null && coolUntil > now) {
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
      this.d.log.error({ err, finding: f.id }, 'save call failed');
      return main;
    }
  }

  private decide(f: FindingRow, sub: Subscriber, kind: InterventionKind, carrier: Carrier, tier: Tier | null, now: number, primary: boolean): Decided {
    const holdout = this.d.decisions.heldOut(kind, sub.id, tier);
    const id = newId('int', now);
    const windowEndsAt = now + this.d.config.crm.interventions.outcomeDays * DAY;
    // A savepoint inside the pass's batch transaction: a finding whose message cannot be queued rolls back alone.
    return tx(this.d.db, () => {
      const sent: Sent = holdout ? { ...NOT_SENT, status: 'held_out' } : carrier === 'call' ? this.call(f, sub, kind, id) : this.sms(f, sub, kind, id);
      const arm = holdout ? 'holdout' : 'treatment';
      this.repo.insert({ id, findingId: f.id, subscriberId: sub.id, kind, findingKind: f.kind, serviceId: f.serviceId, arm, ...sent, at: now, windowEndsAt });
      if (primary) this.d.findings.done(f.id, holdout ? 'holdout' : 'acted', id);
      if (tier) this.tiers.noteIntervention(id, tier, now);
      this.d.usage.record([{ at: now, subscriberId: sub.id, channel: 'crm', type: 'intervention', detail: interventionDetail(id, kind, f, arm, sent, tier) }]);
      this.d.decisions.counted(sub, kind, arm, sent.status);
      return { kind, arm, status: sent.status, id };
    });
  }

  private call(f: FindingRow, sub: Subscriber, kind: InterventionKind, id: string): Sent {
    const target = this.d.decisions.callTarget(f, kind);
    const r = this.d.calls!.enqueue({ to: sub.msisdn, flowId: target.flowId, ...(target.startNode ? { startNode: target.startNode } : {}), kind: 'promotional', source: 'intervention', sourceRef: id });
    return { ...NOT_SENT, channel: 'call', status: r.status, reason: r.reason ?? null, callId: r.id, costMinor: Math.round(this.d.config.crm.costs.call * 100) };
  }

  private sms(f: FindingRow, sub: Subscriber, kind: InterventionKind, id: string): Sent {
    const cfg = this.d.config.crm;
    const text = this.d.decisions.render(kind as SmsKind, f, f.detail, sub);
    const r = this.d.messaging!.enqueue({ to: sub.msisdn, text, kind: 'promotional', source: 'intervention', sourceRef: id, ...(cfg.interventions.from ? { from: cfg.interventions.from } : {}) });
    return { channel: 'sms', status: r.status, reason: r.reason ?? null, messageId: r.id, callId: null, text, parts: r.parts, costMinor: Math.round(cfg.costs.smsPart * 100 * r.parts) };
  }

  private ineligible(f: FindingRow, reason: string, now: number): ActOutcome {
    this.d.findings.ineligible(f.id, reason, now);
    return { ineligible: reason };
  }
}
