import type { Counter } from 'prom-client';
import type { CallService } from '../calls/call-service';
import type { Config } from '../config';
import type { Tx, UnitOfWork } from '../db/database';
import type { EndReason, Flow } from '../engine/types';
import { badRequest, notFound } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { SessionRow } from '../sessions/session-repo';
import type { HopInput, HopResult, SessionService } from '../sessions/session-service';
import type { SubscriberService } from '../subscribers/subscriber-service';
import type { CallDirection, PartyFieldNames, VoiceAnswer, VoiceRequest } from './types';
import { keysToInput, renderVoice, type VoicePlan } from './voice-plan';

/** IVR sessions are recorded on channel `ivr`; the external id says which dialect owns the call id. */
export const IVR_CHANNEL = 'ivr' as const;

export interface VoiceServiceDeps {
  config: Config['ivr'];
  log: Logger;
  metrics: Metrics;
  flows: { byId(id: string): Flow | undefined; byIvrNumber(number: string): Flow | undefined };
  sessions: Pick<SessionService, 'hopIn' | 'endIn' | 'findByExternalIn' | 'knownIn' | 'forgetCached'>;
  subscribers: Pick<SubscriberService, 'normalize' | 'findByIdIn'>;
  /** Units of work: one per callback, so the platform hears an answer only once it is durable. */
  units: UnitOfWork;
  calls: Pick<CallService, 'matchIn' | 'answeredIn' | 'finishedIn' | 'linkSessionIn'>;
}

const DEFAULT_FIELDS: PartyFieldNames = { caller: 'caller', called: 'called' };

/**
 * Voice as a domain: what every voice dialect shares once it has translated its wire format. It finds
 * the call (a queued outbound call, or an inbound call to a flow's IVR number), looks up the session,
 * runs the engine hop, says why a hung-up call ended, reports outbound outcomes to the call queue, and
 * counts it all. Usage events come from the sessions (session_start / session_end with the dialect's
 * detail) and the call queue (call_status). It never knows a wire format.
 */
export class VoiceService {
  private readonly events: Counter<string>;
  private readonly log: Logger;

  constructor(private readonly d: VoiceServiceDeps) {
    this.log = d.log.child({ comp: 'voice' });
    this.events = d.metrics.counter('ivr_call_events_total', 'Voice callbacks by dialect and what they were', ['dialect', 'event']);
  }

  /**
   * Handles one normalized request of `dialect` in one unit of work (the call, its session, usage events)
   * and resolves with the answer once that is durable.
   */
  handle(dialect: string, req: VoiceRequest): Promise<VoiceAnswer> {
    const externalId = `${dialect}:${req.callRef}`;
    const unit = this.d.units.unit((tx) => {
      switch (req.kind) {
        case 'call':
          return this.call(tx, dialect, externalId, req);
        case 'keys':
          return this.keys(tx, dialect, externalId, req.callRef, req.input);
        case 'hangup':
          return this.hangup(tx, dialect, externalId, req.callRef);
        case 'ended':
          return this.ended(tx, dialect, externalId, req);
      }
    });
    return unit.catch((err: unknown) => {
      this.d.sessions.forgetCached(); // a hop in the failed unit was rolled back with it
      throw err;
    });
  }

  /**
   * Why a call that hung up while its session was still open ended: `completed` when the caller had
   * reached content in this call (they got what they came for and put the phone down), `dropped` when they
   * hung up while still in the menus, which the CRM reads as a hang-up deep in the menu (with the depth).
   */
  hangupReason(s: SessionRow | null): EndReason {
    if (!s) return 'dropped';
    const flow = this.d.flows.byId(s.flowId);
    if (!flow) return 'dropped';
    const reached = Object.keys(s.state.engine.visits ?? {}).some((id) => flow.nodes[id]?.type === 'content');
    return reached ? 'completed' : 'dropped';
  }

  private async call(tx: Tx, dialect: string, externalId: string, r: Extract<VoiceRequest, { kind: 'call' }>): Promise<VoiceAnswer> {
    const known = await this.d.sessions.knownIn(tx, IVR_CHANNEL, externalId);
    if (known) {
      const result = await this.continueHop(tx, known, externalId, keysToInput(r.digits), badRequest);
      this.events.inc({ dialect, event: r.digits ? 'keys' : 'no_keys' });
      return this.plan(r.callRef, result);
    }
    if (r.direction === 'outbound') return this.answered(tx, dialect, externalId, r);
    return this.inbound(tx, dialect, externalId, r);
  }

  private async inbound(tx: Tx, dialect: string, externalId: string, r: Extract<VoiceRequest, { kind: 'call' }>): Promise<VoiceAnswer> {
    const fields = r.fields ?? DEFAULT_FIELDS;
    if (!r.caller) throw badRequest('MISSING_FIELD', `${fields.caller} is required.`);
    const msisdn = this.d.subscribers.normalize(r.caller);
    const bare = (name: string) => name.replace(/^Form field /, '');
    if (!msisdn) throw badRequest('INVALID_MSISDN', `${bare(fields.caller)} "${r.caller.slice(0, 40)}" is not a phone number.`);
    if (!r.called) throw badRequest('MISSING_FIELD', `${fields.called} is required.`);
    const flow = this.d.flows.byIvrNumber(r.called);
    if (!flow) {
      this.events.inc({ dialect, event: 'rejected' });
      this.log.info({ dialect, destinationNumber: r.called }, 'call to a number no flow answers');
      return { kind: 'reject', called: r.called };
    }
    this.events.inc({ dialect, event: 'inbound' });
    const result = await this.d.sessions.hopIn(tx, {
      channel: IVR_CHANNEL,
      externalId,
      msisdn,
      entry: { flowId: flow.id },
      input: { latest: null },
      maxChars: Infinity,
      maxNoInput: this.d.config.noInputRepeats,
      startDetail: { dialect, direction: 'inbound', number: r.called },
    });
    return this.plan(r.callRef, result);
  }

  /** An outbound call was picked up: find it in the call queue and start its flow; null answer hangs up. */
  private async answered(tx: Tx, dialect: string, externalId: string, r: Extract<VoiceRequest, { kind: 'call' }>): Promise<VoiceAnswer> {
    const call = await this.d.calls.matchIn({ callId: r.callId, providerRef: r.callRef, msisdn: this.subscriberNumber(r) }, tx);
    const answered = call ? await this.d.calls.answeredIn(tx, call.id, r.callRef) : null;
    if (!answered) {
      this.events.inc({ dialect, event: 'unmatched' });
      this.log.warn({ dialect, providerRef: r.callRef }, 'answered outbound call matches no queued call; hanging up');
      return { kind: 'done' };
    }
    this.events.inc({ dialect, event: 'answered' });
    const result = await this.d.sessions.hopIn(tx, {
      channel: IVR_CHANNEL,
      externalId,
      msisdn: answered.msisdn,
      entry: answered.startNode ? { flowId: answered.flowId, startNode: answered.startNode } : { flowId: answered.flowId },
      input: { latest: null },
      maxChars: Infinity,
      maxNoInput: this.d.config.noInputRepeats,
      startDetail: { dialect, direction: 'outbound', callId: answered.id },
    });
    if (result.sessionId) await this.d.calls.linkSessionIn(tx, answered.id, result.sessionId);
    return this.plan(r.callRef, result);
  }

  private async keys(tx: Tx, dialect: string, externalId: string, callRef: string, input: HopInput): Promise<VoiceAnswer> {
    const known = await this.d.sessions.knownIn(tx, IVR_CHANNEL, externalId);
    if (!known) throw notFound('UNKNOWN_SESSION', `There is no voice session "${callRef}".`);
    const result = await this.continueHop(tx, known, externalId, input, notFound);
    this.events.inc({ dialect, event: 'noInput' in input ? 'no_keys' : 'keys' });
    return this.plan(callRef, result);
  }

  private async hangup(tx: Tx, dialect: string, externalId: string, callRef: string): Promise<VoiceAnswer> {
    const s = await this.d.sessions.findByExternalIn(tx, IVR_CHANNEL, externalId);
    if (!s) throw notFound('UNKNOWN_SESSION', `There is no voice session "${callRef}".`);
    this.events.inc({ dialect, event: 'hangup' });
    if (s.status === 'active') await this.d.sessions.endIn(tx, IVR_CHANNEL, externalId, this.hangupReason(s), { dialect }, s);
    return { kind: 'done' };
  }

  private async ended(tx: Tx, dialect: string, externalId: string, r: Extract<VoiceRequest, { kind: 'ended' }>): Promise<VoiceAnswer> {
    this.events.inc({ dialect, event: 'ended' });
    const o = r.outcome;
    const detail: Record<string, unknown> = { dialect };
    if (o.durationSeconds != null) detail.durationSeconds = o.durationSeconds;
    if (o.amount != null) detail.amount = o.amount;
    if (o.currency) detail.currency = o.currency;
    if (o.hangupCause) detail.hangupCause = o.hangupCause;
    const outbound = r.direction === 'outbound';
    const call = await this.d.calls.matchIn({ callId: r.callId, providerRef: r.callRef, msisdn: outbound ? this.subscriberNumber(r) : null }, tx);
    // An inbound call only closes a queued call that this very call attempt answered.
    if (call && (outbound || call.providerRef === r.callRef)) {
      await this.d.calls.finishedIn(tx, call.id, { ...o, providerRef: r.callRef });
      detail.callId = call.id;
    }
    const s = await this.d.sessions.findByExternalIn(tx, IVR_CHANNEL, externalId);
    if (s && s.status === 'active') await this.d.sessions.endIn(tx, IVR_CHANNEL, externalId, this.hangupReason(s), detail, s);
    return { kind: 'done' };
  }

  /** A hop in the call's existing session `s`; `missing` makes the error for a session with no subscriber. */
  private async continueHop(tx: Tx, s: SessionRow, externalId: string, input: HopInput, missing: typeof notFound): Promise<HopResult> {
    const msisdn = (await this.d.subscribers.findByIdIn(tx, s.subscriberId))?.msisdn;
    if (!msisdn) throw missing('UNKNOWN_SESSION', 'The session of this call has no subscriber.');
    return this.d.sessions.hopIn(tx, { channel: IVR_CHANNEL, externalId, msisdn, entry: { flowId: s.flowId }, input, maxChars: Infinity, maxNoInput: this.d.config.noInputRepeats });
  }

  /** For an outbound call the subscriber is whichever party is not our own caller id. */
  private subscriberNumber(r: { direction: CallDirection; caller: string | null; called: string | null; ownNumber?: string }): string | null {
    const own = (r.ownNumber ?? '').replace(/\D/g, '');
    const order = r.direction === 'outbound' ? [r.called, r.caller] : [r.caller];
    for (const raw of order) {
      if (!raw || (r.direction === 'outbound' && own && raw.replace(/\D/g, '') === own)) continue;
      const n = this.d.subscribers.normalize(raw);
      if (n) return n;
    }
    return null;
  }

  private plan(callRef: string, result: HopResult): VoiceAnswer {
    const flow = result.flowId ? (this.d.flows.byId(result.flowId) ?? null) : null;
    const plan: VoicePlan = renderVoice(result.screen, flow, { audioBaseUrl: this.d.config.audioBaseUrl, voices: this.d.config.voices });
    return { kind: 'plan', callRef, plan };
  }
}
