import type { Counter, Histogram } from 'prom-client';
import type { Config } from '../config';
import type { Database, Tx, UnitOfWork } from '../db/database';
import type { Flow } from '../engine/types';
import { systemClock, type Clock } from '../lib/clock';
import type { Lifecycle } from '../lib/lifecycle';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { Subscriber } from '../subscribers/subscriber-service';
import type { UsageEvent } from '../usage/usage-log';
import { CallStore } from './call-store';
import { checkCallRequest, newCall } from './call-request';
import { answer, dialRefused, finish, type StatusDetail } from './call-transitions';
import { callView } from './call-view';
import type { CallPolicy } from './call-policy';
import { CallProviderError, type VoiceProvider } from './provider';
import type { CallEnqueueResult, CallRequest, CallRow, CallsPort } from './types';
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
  database: Database;
  /** Units of work: the group commit on SQLite. */
  units: UnitOfWork;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  config: Config['ivr'];
  flows: { byId(id: string): Flow | null | undefined };
  subscribers: {
    normalize(raw: string): string | null;
    findByIdIn(tx: Tx, id: number): Promise<Subscriber | null>;
    ensureIn(tx: Tx, msisdn: string, opts: { at?: number; touch?: boolean }): Promise<Subscriber>;
  };
  usage: { recordIn(tx: Tx, events: readonly UsageEvent[]): Promise<void> };
  policy: CallPolicy;
  /** How often the dispatcher looks for due calls (ms); enqueue and outcomes also wake it. */
  tickMs?: number;
  /** Monotonic milliseconds for the calls-per-second limit (default performance.now). */
  monotonic?: () => number;
  /**
   * Real time in ms for the calls-per-second limit across processes (default the system time): processes
   * sharing a database count each other's dials in the real second before it. Not the business clock:
   * the provider counts real seconds, as for `monotonic`.
   */
  wall?: Clock;
}

/**
 * The durable outbound-call queue (CallsPort). `request` and `enqueueIn` store the call in a unit; the
 * dispatcher dials due calls through the attached provider within the simultaneous-call and
 * calls-per-second limits; provider callbacks report answered / no answer / busy / failed, and no answer
 * and busy are retried per `ivr.retry`. Every dial is a `call_out` usage event and every outcome a
 * `call_status` event on channel `ivr`.
 */
export class CallService implements CallsPort, Lifecycle {
  private readonly store: CallStore;
  private readonly units: UnitOfWork;
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
    this.store = new CallStore(d.database);
    this.units = d.units;
    this.log = d.log.child({ comp: 'calls' });
    this.limiter = new RateLimiter(d.config.callsPerSecond, d.monotonic ?? (() => performance.now()));
    this.statusCounter = d.metrics.counter('calls_total', 'Outbound call outcomes and transitions', ['status']);
    this.dialSeconds = d.metrics.histogram('call_dial_request_seconds', 'Time for the voice provider to accept a dial request', ['provider'], [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15]);
    d.metrics.gauge('calls_in_flight', 'Outbound calls holding a slot (dialing, ringing, in progress)', [], async (g) => g.set(await this.store.inFlightCount()));
  }

  /** Plugs in the voice provider that places calls (the IVR channel does this at start-up). */
  attachProvider(provider: VoiceProvider): void {
    this.provider = provider;
    this.kick();
  }

  /** Queues a call inside the caller's unit of work. Throws 400 for an invalid number, flow or start node. */
  async enqueueIn(tx: Tx, req: CallRequest): Promise<CallEnqueueResult> {
    const v = checkCallRequest(req, this.d.clock.now(), this.d);
    // An outbound call is not contact from the subscriber: create them if new, but never move last-seen.
    const subscriber = await this.d.subscribers.ensureIn(tx, v.msisdn, { at: v.now, touch: false });
    const { call, out } = newCall(subscriber, req, v, this.d.policy);
    await this.store.insert(call, tx);
    await this.queuedIn(tx, call, v.now);
    return out;
  }

  /** Queues a call in a unit of its own; resolves once it is durable. Throws 400 for an invalid number, flow or start node. */
  async request(req: CallRequest): Promise<CallEnqueueResult> {
    const result = await this.units.unit((tx) => this.enqueueIn(tx, req));
    if (result.status === 'queued') this.kick();
    return result;
  }

  /** The call by id, or null. */
  get(id: string): Promise<CallRow | null> {
    return this.store.findById(id);
  }

  /** The call a provider callback is about: by our id, the provider's id, or the number being dialled (inside unit `tx` when given). */
  async matchIn(m: CallMatch, tx?: Tx): Promise<CallRow | null> {
    if (m.callId) {
      const c = await this.store.findById(m.callId, tx);
      if (c) return c;
    }
    if (m.providerRef) {
      const c = await this.store.findByProviderRef(m.providerRef, tx);
      if (c) return c;
    }
    // Also by the provider's id in the same statement: the dialler may name the attempt between the read
    // above and this one (on PostgreSQL it commits on a connection of its own, and each read sees the
    // latest commit), and a fast callback lost that way hung up an answered call.
    return m.msisdn ? this.store.findUnconfirmedTo(m.msisdn, tx, m.providerRef ?? null) : null;
  }

  /** The subscriber answered, inside the caller's unit of work: the call is in progress and will run its flow. Idempotent. */
  async answeredIn(tx: Tx, callId: string, providerRef: string | null): Promise<CallRow | null> {
    const now = this.d.clock.now();
    const call = await this.store.lockById(callId, tx);
    const a = call && answer(call, providerRef, now);
    if (!a) return null;
    if (a.changed) {
      await this.store.update(a.call, tx);
      await this.wasAnsweredIn(tx, a.call, now);
    }
    return a.call;
  }

  /** Links the IVR session an answered call runs, inside the caller's unit of work, so the call and the session history meet. */
  async linkSessionIn(tx: Tx, callId: string, sessionId: string): Promise<void> {
    const call = await this.store.lockById(callId, tx);
    if (!call || call.sessionId === sessionId) return;
    call.sessionId = sessionId;
    call.updatedAt = this.d.clock.now();
    await this.store.update(call, tx);
  }

  /**
   * The provider's final word on an attempt, inside the caller's unit of work. No answer and busy are
   * retried while attempts remain; repeats and callbacks about an older attempt change nothing. Returns
   * the call as it now stands.
   */
  async finishedIn(tx: Tx, callId: string, outcome: CallOutcome): Promise<CallRow | null> {
    const now = this.d.clock.now();
    const c = await this.store.lockById(callId, tx);
    if (!c) return null;
    const f = finish(c, outcome, now, this.d.config.retry);
    if (f) {
      await this.store.update(c, tx);
      await this.changedIn(tx, c, now, f);
    }
    // A freed slot: the dispatcher looks again (after this turn, when the caller's unit has written).
    this.kick();
    return c;
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
      await this.expireSilent();
      const provider = this.provider;
      if (!provider) return;
      const free = this.d.config.maxConcurrentCalls - (await this.store.inFlightCount());
      if (free <= 0) return;
      const now = this.d.clock.now();
      const due = await this.store.due(now, Math.min(free, this.limiter.available()));
      for (const candidate of due) {
        if (!this.limiter.take()) break;
        const call = await this.claim(candidate, provider.name);
        if (call) this.track(this.dial(provider, call));
      }
    } catch (err) {
      this.log.error({ err }, 'call dispatch pass failed');
    }
  }

  /**
   * Claims a due call for one more attempt (dialing) unless the policies say otherwise now, in one unit.
   * The claim statement decides: a call another dispatcher took meanwhile is not dialled again.
   */
  private async claim(candidate: CallRow, providerName: string): Promise<CallRow | null> {
    const now = this.d.clock.now();
    return this.units.unit(async (tx) => {
      const subscriber = await this.d.subscribers.findByIdIn(tx, candidate.subscriberId);
      const decision = subscriber ? this.d.policy(subscriber, candidate.kind, now) : { action: 'block' as const, reason: 'unknown_subscriber' };
      if (decision.action === 'block') {
        const c = await this.store.claimBlock(candidate.id, now, decision.reason, tx);
        if (c) await this.changedIn(tx, c, now, { event: { status: 'blocked', reason: decision.reason }, counted: 'blocked' });
        return null;
      }
      if (decision.action === 'defer') {
        await this.store.claimDefer(candidate.id, now, decision.reason, decision.until, tx);
        return null;
      }
      const rate = { perSecond: this.d.config.callsPerSecond, wall: (this.d.wall ?? systemClock).now() };
      const call = await this.store.claimDial(candidate.id, now, providerName, this.d.config.maxConcurrentCalls, tx, rate);
      if (!call) return null;
      await this.d.usage.recordIn(tx, [
        { at: now, subscriberId: call.subscriberId, channel: 'ivr', type: 'call_out', flowId: call.flowId, nodeId: call.startNode, detail: { callId: call.id, attempt: call.attempts, provider: providerName, source: call.source } },
      ]);
      this.statusCounter.inc({ status: 'dialing' });
      return call;
    });
  }

  private async dial(provider: VoiceProvider, call: CallRow): Promise<void> {
    const started = performance.now();
    let providerRef: string | null;
    try {
      // Outside any unit: a unit never awaits the network.
      providerRef = (await provider.placeCall({ callId: call.id, to: call.msisdn, attempt: call.attempts })).providerRef ?? null;
      this.dialSeconds.observe({ provider: provider.name }, (performance.now() - started) / 1000);
    } catch (err) {
      return this.dialFailed(call, err);
    }
    if (!providerRef) return;
    const ref = providerRef;
    // A fast callback may already have named the attempt: the statement fills in only what is still unknown.
    await this.units.unit((tx) => this.store.setProviderRef(call.id, call.attempts, ref, this.d.clock.now(), tx));
  }

  private async dialFailed(call: CallRow, err: unknown): Promise<void> {
    const e = err instanceof CallProviderError ? err : new CallProviderError((err as Error)?.message ?? String(err), true, 'provider_error');
    this.log.warn({ callId: call.id, code: e.code, retryable: e.retryable, err: e.message }, 'voice provider refused the call');
    const now = this.d.clock.now();
    await this.units.unit(async (tx) => {
      const c = await this.store.lockById(call.id, tx);
      if (!c || c.attempts !== call.attempts || c.status !== 'dialing') return;
      const r = dialRefused(c, e.code, e.retryable, now, this.d.config.retry);
      await this.store.update(c, tx);
      await this.changedIn(tx, c, now, r);
    });
    this.kick();
  }

  /** Calls that never got a final callback would hold their slot forever; fail them after a while. */
  private async expireSilent(): Promise<void> {
    const now = this.d.clock.now();
    const cutoff = now - this.d.config.staleCallSeconds * 1000;
    if ((await this.store.stale(cutoff, 1)).length === 0) return;
    const n = await this.units.unit(async (tx) => {
      const stale = await this.store.stale(cutoff, 100, tx);
      for (const c of stale) {
        Object.assign(c, { status: 'failed', reason: 'no_final_callback', nextAttemptAt: null, endedAt: now, updatedAt: now });
        await this.store.update(c, tx);
        await this.changedIn(tx, c, now, { event: { status: 'failed', reason: 'no_final_callback', attempt: c.attempts }, counted: 'failed' });
      }
      return stale.length;
    });
    if (n > 0) this.log.warn({ n }, 'calls with no final callback marked failed');
  }

  /** Records a new call's status (a blocked one's event, in unit `tx`) and counts it. */
  private async queuedIn(tx: Tx, call: CallRow, now: number): Promise<void> {
    if (call.status === 'blocked') await this.statusEventIn(tx, call, now, { status: 'blocked', reason: call.reason });
    this.statusCounter.inc({ status: call.status });
  }

  private async wasAnsweredIn(tx: Tx, call: CallRow, now: number): Promise<void> {
    await this.statusEventIn(tx, call, now, { status: 'answered', attempt: call.attempts });
    this.statusCounter.inc({ status: 'answered' });
  }

  /** Records a call's new status as a usage event in unit `tx` and counts it. */
  private async changedIn(tx: Tx, call: CallRow, at: number, f: { event: StatusDetail; counted: string }): Promise<void> {
    await this.statusEventIn(tx, call, at, f.event);
    this.statusCounter.inc({ status: f.counted });
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    // stop() waits for `pending`. dial() settles the provider's failures itself, but recording one can still
    // throw (the database); logged here rather than left as an unhandled rejection, which would stop the process.
    void p.catch((err: unknown) => this.log.error({ err }, 'could not record the outcome of a dial')).finally(() => this.pending.delete(p));
  }

  private statusEventIn(tx: Tx, call: CallRow, at: number, detail: StatusDetail): Promise<void> {
    return this.d.usage.recordIn(tx, [statusUsage(call, at, detail)]);
  }
}

/** A call's status change as a `call_status` usage event on channel `ivr`. */
function statusUsage(call: CallRow, at: number, detail: StatusDetail): UsageEvent {
  return { at, subscriberId: call.subscriberId, channel: 'ivr', type: 'call_status', sessionId: call.sessionId, flowId: call.flowId, detail: { callId: call.id, ...detail } };
}
