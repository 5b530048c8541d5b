import type { Counter, Histogram } from 'prom-client';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { tx } from '../db/client';
import type { Flow } from '../engine/types';
import { iso, type Clock } from '../lib/clock';
import { badRequest } from '../lib/errors';
import { newId } from '../lib/ids';
import type { Lifecycle } from '../lib/lifecycle';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { MessageKind } from '../messaging/types';
import type { Subscriber } from '../subscribers/subscriber-service';
import type { UsageEvent } from '../usage/usage-log';
import { CallRepo, type CallRow } from './call-repo';
import { callView } from './call-view';
import type { CallPolicy } from './call-policy';
import { CallProviderError, type VoiceProvider } from './provider';
import type { CallEnqueueResult, CallRequest, CallsPort, CallStatus } from './types';
import { RateLimiter } from './rate-limiter';

/** How a call attempt ended, as the provider's final callback says. */
export interface CallOutcome {
  status: 'completed' | 'no_answer' | 'busy' | 'failed';
  /** The provider's id of the attempt the callback is about; a callback for an older attempt is ignored. */
  providerRef?: string | null;
  hangupCause?: string | null;
  durationSeconds?: number | null;
  amount?: number | null;
  currency?: string | null;
}

/** What a provider callback tells us to find its call by. */
export interface CallMatch {
  callId?: string | null;
  providerRef?: string | null;
  /** The called number, for a callback that beats the provider's reply to the dial request. */
  msisdn?: string | null;
}

export interface CallServiceDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  config: Config['ivr'];
  flows: { byId(id: string): Flow | null | undefined };
  subscribers: {
    normalize(raw: string): string | null;
    findById(id: number): Subscriber | null;
    ensure(msisdn: string, opts: { at?: number; touch?: boolean }): Subscriber;
  };
  usage: { record(events: readonly UsageEvent[]): void };
  policy: CallPolicy;
  /** How often the dispatcher looks for due calls (ms); enqueue and outcomes also wake it. */
  tickMs?: number;
  /** Monotonic milliseconds for the calls-per-second limit (default performance.now). */
  monotonic?: () => number;
}

const KINDS: readonly MessageKind[] = ['transactional', 'promotional'];

/**
 * The durable outbound-call queue (CallsPort). `enqueue` stores the call before returning; the
 * dispatcher dials due calls through the attached provider within the simultaneous-call and
 * calls-per-second limits; provider callbacks report answered / no answer / busy / failed, and no answer
 * and busy are retried per `ivr.retry`. Every dial is a `call_out` usage event and every outcome a
 * `call_status` event on channel `ivr`.
 */
export class CallService implements CallsPort, Lifecycle {
  private readonly repo: CallRepo;
  private readonly log: Logger;
  private readonly limiter: RateLimiter;
  private provider: VoiceProvider | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private nextPass: Promise<void> | null = null;
  private wake: NodeJS.Immediate | null = null;
  private running = false;
  private readonly pending = new Set<Promise<void>>();
  private readonly statusCounter: Counter<string>;
  private readonly dialSeconds: Histogram<string>;

  constructor(private readonly d: CallServiceDeps) {
    this.repo = new CallRepo(d.db);
    this.log = d.log.child({ comp: 'calls' });
    this.limiter = new RateLimiter(d.config.callsPerSecond, d.monotonic ?? (() => performance.now()));
    this.statusCounter = d.metrics.counter('calls_total', 'Outbound call outcomes and transitions', ['status']);
    this.dialSeconds = d.metrics.histogram('call_dial_request_seconds', 'Time for the voice provider to accept a dial request', ['provider'], [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15]);
    d.metrics.gauge('calls_in_flight', 'Outbound calls holding a slot (dialing, ringing, in progress)', [], (g) => g.set(this.repo.inFlightCount()));
  }

  /** Plugs in the voice provider that places calls (the IVR channel does this at start-up). */
  attachProvider(provider: VoiceProvider): void {
    this.provider = provider;
    this.kick();
  }

  /** Queues a call; durable when it returns. Throws 400 for an invalid number, flow or start node. */
  enqueue(req: CallRequest): CallEnqueueResult {
    const now = this.d.clock.now();
    const msisdn = typeof req.to === 'string' ? this.d.subscribers.normalize(req.to) : null;
    if (!msisdn) throw badRequest('INVALID_MSISDN', `to "${String(req.to).slice(0, 32)}" is not a phone number (use +2547..., 2547... or 07...).`);
    const flow = this.d.flows.byId(req.flowId);
    if (!flow) throw badRequest('UNKNOWN_FLOW', `There is no flow "${String(req.flowId).slice(0, 64)}".`);
    if (req.startNode !== undefined && !flow.nodes[req.startNode]) {
      throw badRequest('UNKNOWN_NODE', `Flow ${flow.id} has no node "${String(req.startNode).slice(0, 64)}".`);
    }
    const kind = req.kind ?? 'promotional';
    if (!KINDS.includes(kind)) throw badRequest('INVALID_KIND', 'kind must be transactional or promotional.');

    const result = tx(this.d.db, () => {
      // An outbound call is not contact from the subscriber: create them if new, but never move last-seen.
      const subscriber = this.d.subscribers.ensure(msisdn, { at: now, touch: false });
      const call: CallRow = {
        id: newId('call', now),
        subscriberId: subscriber.id,
        msisdn,
        flowId: flow.id,
        startNode: req.startNode ?? null,
        kind,
        source: req.source ?? 'api',
        sourceRef: req.sourceRef ?? null,
        status: 'queued',
        reason: null,
        attempts: 0,
        nextAttemptAt: Math.max(now, req.notBefore ?? now),
        provider: null,
        providerRef: null,
        sessionId: null,
        hangupCause: null,
        durationSeconds: null,
        amount: null,
        currency: null,
        createdAt: now,
        updatedAt: now,
        dialedAt: null,
        answeredAt: null,
        endedAt: null,
      };
      const decision = this.d.policy(subscriber, kind, call.nextAttemptAt!);
      if (decision.action === 'block') {
        Object.assign(call, { status: 'blocked', reason: decision.reason, nextAttemptAt: null, endedAt: now });
      } else if (decision.action === 'defer') {
        Object.assign(call, { reason: decision.reason, nextAttemptAt: decision.until });
      }
      this.repo.insert(call);
      if (call.status === 'blocked') this.statusEvent(call, now, { status: 'blocked', reason: call.reason });
      this.statusCounter.inc({ status: call.status });
      const out: CallEnqueueResult = { id: call.id, status: call.status === 'blocked' ? 'blocked' : 'queued' };
      if (call.reason) out.reason = call.reason;
      if (call.status === 'queued' && call.nextAttemptAt! > now) out.sendAt = call.nextAttemptAt!;
      return out;
    });
    if (result.status === 'queued') this.kick();
    return result;
  }

  /** The call by id, or null. */
  get(id: string): CallRow | null {
    return this.repo.findById(id);
  }

  /** The call a provider callback is about: by our id, the provider's id, or the number being dialled. */
  match(m: CallMatch): CallRow | null {
    if (m.callId) {
      const c = this.repo.findById(m.callId);
      if (c) return c;
    }
    if (m.providerRef) {
      const c = this.repo.findByProviderRef(m.providerRef);
      if (c) return c;
    }
    return m.msisdn ? this.repo.findUnconfirmedTo(m.msisdn) : null;
  }

  /** The subscriber answered: the call is in progress and will run its flow. Idempotent. */
  answered(callId: string, providerRef: string | null): CallRow | null {
    const now = this.d.clock.now();
    return tx(this.d.db, () => {
      const call = this.repo.findById(callId);
      if (!call) return null;
      if (call.status === 'in_progress') return call;
      if (call.status !== 'dialing' && call.status !== 'ringing') return null;
      if (providerRef && call.providerRef && call.providerRef !== providerRef) return null;
      Object.assign(call, { status: 'in_progress', providerRef: call.providerRef ?? providerRef, answeredAt: now, updatedAt: now });
      this.repo.update(call);
      this.statusEvent(call, now, { status: 'answered', attempt: call.attempts });
      this.statusCounter.inc({ status: 'answered' });
      return call;
    });
  }

  /** Links the IVR session an answered call runs, so the call and the session history meet. */
  linkSession(callId: string, sessionId: string): void {
    const call = this.repo.findById(callId);
    if (!call || call.sessionId === sessionId) return;
    call.sessionId = sessionId;
    call.updatedAt = this.d.clock.now();
    this.repo.update(call);
  }

  /**
   * The provider's final word on an attempt. No answer and busy are retried while attempts remain;
   * repeats and callbacks about an older attempt change nothing. Returns the call as it now stands.
   */
  finished(callId: string, outcome: CallOutcome): CallRow | null {
    const now = this.d.clock.now();
    const call = tx(this.d.db, () => {
      const c = this.repo.findById(callId);
      if (!c) return null;
      if (outcome.providerRef && c.providerRef && c.providerRef !== outcome.providerRef) return c;
      if (c.status !== 'dialing' && c.status !== 'ringing' && c.status !== 'in_progress') return c;
      // A call the subscriber picked up counts as completed whatever the hang-up cause says.
      const status: CallOutcome['status'] = c.status === 'in_progress' ? 'completed' : outcome.status;
      c.providerRef = c.providerRef ?? outcome.providerRef ?? null;
      c.hangupCause = outcome.hangupCause ?? null;
      c.durationSeconds = outcome.durationSeconds ?? c.durationSeconds;
      c.amount = outcome.amount ?? c.amount;
      c.currency = outcome.currency ?? c.currency;
      c.updatedAt = now;
      const retry = (status === 'no_answer' || status === 'busy') && c.attempts < this.d.config.retry.attempts;
      if (retry) {
        Object.assign(c, { status: 'retry_wait', reason: status, nextAttemptAt: now + this.d.config.retry.spacingSeconds * 1000 });
      } else {
        Object.assign(c, { status, reason: status === 'completed' ? null : status, nextAttemptAt: null, endedAt: now });
      }
      this.repo.update(c);
      this.statusEvent(c, now, {
        status,
        attempt: c.attempts,
        willRetry: retry,
        ...(retry ? { nextAttemptAt: iso(c.nextAttemptAt) } : {}),
        ...(c.hangupCause ? { hangupCause: c.hangupCause } : {}),
        ...(c.durationSeconds != null ? { durationSeconds: c.durationSeconds } : {}),
        ...(c.amount != null ? { amount: c.amount, currency: c.currency } : {}),
      });
      this.statusCounter.inc({ status: retry ? 'retry_wait' : status });
      return c;
    });
    this.kick();
    return call;
  }

  /**
   * One dispatcher pass: expire silent calls, then dial due calls within the limits. Passes never
   * overlap; a tick asked for during a pass runs right after it (it may see a newer clock), and
   * callers asking meanwhile share that one.
   */
  tick(): Promise<void> {
    if (this.nextPass) return this.nextPass;
    const run: Promise<void> = (this.ticking ?? Promise.resolve())
      .then(() => {
        this.nextPass = null;
        this.ticking = run;
        return this.pass();
      })
      .finally(() => {
        if (this.ticking === run) this.ticking = null;
      });
    this.nextPass = run;
    return run;
  }

  start(): void {
    this.running = true;
    // A tick never rejects (pass() logs its own failures), and stop() waits for the one running.
    this.timer = setInterval(() => void this.tick(), this.d.tickMs ?? 250);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.wake) clearImmediate(this.wake);
    this.wake = null;
    await (this.nextPass ?? this.ticking);
    await Promise.allSettled([...this.pending]);
  }

  /** The public JSON shape of a call (GET /api/v1/calls/:id). */
  toJson(c: CallRow): Record<string, unknown> {
    return callView(c, this.d.config.retry.attempts);
  }

  /** Wakes the dispatcher soon (after an enqueue or a freed slot) rather than at the next interval. */
  private kick(): void {
    if (!this.running || this.wake) return;
    this.wake = setImmediate(() => {
      this.wake = null;
      // As for the interval tick: it never rejects, and stop() waits for it.
      void this.tick();
    });
  }

  private async pass(): Promise<void> {
    try {
      this.expireSilent();
      const provider = this.provider;
      if (!provider) return;
      const free = this.d.config.maxConcurrentCalls - this.repo.inFlightCount();
      if (free <= 0) return;
      const now = this.d.clock.now();
      const due = this.repo.due(now, Math.min(free, this.limiter.available()));
      for (const candidate of due) {
        if (!this.limiter.take()) break;
        const call = this.claim(candidate.id, provider.name);
        if (call) this.track(this.dial(provider, call));
      }
    } catch (err) {
      this.log.error({ err }, 'call dispatch pass failed');
    }
  }

  /** Marks a due call as dialing (one more attempt) unless the policies say otherwise now. */
  private claim(id: string, providerName: string): CallRow | null {
    const now = this.d.clock.now();
    return tx(this.d.db, () => {
      const call = this.repo.findById(id);
      if (!call || (call.status !== 'queued' && call.status !== 'retry_wait') || (call.nextAttemptAt ?? 0) > now) return null;
      const subscriber = this.d.subscribers.findById(call.subscriberId);
      const decision = subscriber ? this.d.policy(subscriber, call.kind, now) : { action: 'block' as const, reason: 'unknown_subscriber' };
      call.updatedAt = now;
      if (decision.action === 'block') {
        Object.assign(call, { status: 'blocked', reason: decision.reason, nextAttemptAt: null, endedAt: now });
        this.repo.update(call);
        this.statusEvent(call, now, { status: 'blocked', reason: decision.reason });
        this.statusCounter.inc({ status: 'blocked' });
        return null;
      }
      if (decision.action === 'defer') {
        Object.assign(call, { reason: decision.reason, nextAttemptAt: decision.until });
        this.repo.update(call);
        return null;
      }
      Object.assign(call, { status: 'dialing', reason: null, attempts: call.attempts + 1, nextAttemptAt: null, provider: providerName, providerRef: null, dialedAt: now, hangupCause: null });
      this.repo.update(call);
      this.d.usage.record([
        { at: now, subscriberId: call.subscriberId, channel: 'ivr', type: 'call_out', flowId: call.flowId, nodeId: call.startNode, detail: { callId: call.id, attempt: call.attempts, provider: providerName, source: call.source } },
      ]);
      this.statusCounter.inc({ status: 'dialing' });
      return call;
    });
  }

  private async dial(provider: VoiceProvider, call: CallRow): Promise<void> {
    const started = performance.now();
    try {
      const res = await provider.placeCall({ callId: call.id, to: call.msisdn, attempt: call.attempts });
      this.dialSeconds.observe({ provider: provider.name }, (performance.now() - started) / 1000);
      if (!res.providerRef) return;
      tx(this.d.db, () => {
        const c = this.repo.findById(call.id);
        // A fast callback may already have named the attempt; only fill in what is still unknown.
        if (!c || c.attempts !== call.attempts || c.providerRef) return;
        c.providerRef = res.providerRef;
        c.updatedAt = this.d.clock.now();
        this.repo.update(c);
      });
    } catch (err) {
      this.dialFailed(call, err);
    }
  }

  private dialFailed(call: CallRow, err: unknown): void {
    const e = err instanceof CallProviderError ? err : new CallProviderError((err as Error)?.message ?? String(err), true, 'provider_error');
    this.log.warn({ callId: call.id, code: e.code, retryable: e.retryable, err: e.message }, 'voice provider refused the call');
    const now = this.d.clock.now();
    tx(this.d.db, () => {
      const c = this.repo.findById(call.id);
      if (!c || c.attempts !== call.attempts || c.status !== 'dialing') return;
      const retry = e.retryable && c.attempts < this.d.config.retry.attempts;
      c.updatedAt = now;
      if (retry) {
        // A provider hiccup is not the subscriber's silence: try again sooner than a no-answer retry.
        const backoff = Math.min(this.d.config.retry.spacingSeconds, 60 * c.attempts) * 1000;
        Object.assign(c, { status: 'retry_wait', reason: e.code, nextAttemptAt: now + backoff });
      } else {
        Object.assign(c, { status: 'failed', reason: e.code, nextAttemptAt: null, endedAt: now });
      }
      this.repo.update(c);
      this.statusEvent(c, now, { status: 'failed', reason: e.code, attempt: c.attempts, willRetry: retry });
      this.statusCounter.inc({ status: retry ? 'retry_wait' : 'failed' });
    });
    this.kick();
  }

  /** Calls that never got a final callback would hold their slot forever; fail them after a while. */
  private expireSilent(): void {
    const now = this.d.clock.now();
    const stale = this.repo.stale(now - this.d.config.staleCallSeconds * 1000, 100);
    if (stale.length === 0) return;
    tx(this.d.db, () => {
      for (const c of stale) {
        Object.assign(c, { status: 'failed', reason: 'no_final_callback', nextAttemptAt: null, endedAt: now, updatedAt: now });
        this.repo.update(c);
        this.statusEvent(c, now, { status: 'failed', reason: 'no_final_callback', attempt: c.attempts });
        this.statusCounter.inc({ status: 'failed' });
      }
    });
    this.log.warn({ n: stale.length }, 'calls with no final callback marked failed');
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    // stop() waits for `pending`. dial() settles the provider's failures itself, but recording one can still
    // throw (the database); logged here rather than left as an unhandled rejection, which would stop the process.
    void p.catch((err: unknown) => this.log.error({ err }, 'could not record the outcome of a dial')).finally(() => this.pending.delete(p));
  }

  private statusEvent(call: CallRow, at: number, detail: Record<string, unknown> & { status: CallStatus | 'answered' }): void {
    this.d.usage.record([
      { at, subscriberId: call.subscriberId, channel: 'ivr', type: 'call_status', sessionId: call.sessionId, flowId: call.flowId, detail: { callId: call.id, ...detail } },
    ]);
  }
}
