import type { Config } from '../config';
import type { Database, Tx, UnitOfWork } from '../db/database';
import type { Clock } from '../lib/clock';
import { newId } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { Lifecycle } from '../lib/lifecycle';
import type { Metrics } from '../lib/metrics';
import type { Counter } from 'prom-client';
import { currentScreen as render, offerResume, start, step } from '../engine/engine';
import type { FlowRegistry } from '../engine/flow-registry';
import type { Effect, EndReason, EventDraft, Flow, Screen, StepContext, StepResult } from '../engine/types';
import type { Subscriber, SubscriberService } from '../subscribers/subscriber-service';
import type { UsageChannel, UsageEvent, UsageLog } from '../usage/usage-log';
import { SessionRepo, type SessionRow, type StoredState } from './session-repo';
import { goodbyeScreen, systemScreen } from './system-screens';

export type SessionChannel = Extract<UsageChannel, 'ussd' | 'ivr'>;

/** How a hop reaches a flow. */
export type HopEntry = { ussdCode: string } | { flowId: string; startNode?: string };

/** What the subscriber sent in this hop. */
export type HopInput =
  | { history: string[] } // Africa's Talking: every input so far; replayed from what was consumed
  | { latest: string | null } // one input (JSON dialect, IVR digits); null on the first request
  | { noInput: true }; // IVR: the caller pressed nothing

export interface HopRequest {
  channel: SessionChannel;
  externalId: string;
  msisdn: string;
  operator?: string | null;
  entry: HopEntry;
  input: HopInput;
  /** Characters per screen (ussd.maxChars); Infinity for voice. */
  maxChars: number;
  /** IVR: prompts repeated with no input before the session ends as `timeout`. */
  maxNoInput?: number;
  /** Channel-specific detail for the session_start event (dialect, network). */
  startDetail?: Record<string, unknown>;
}

export interface HopResult {
  sessionId: string | null;
  subscriberId: number;
  flowId: string | null;
  screen: Screen;
  end: boolean;
  reason: EndReason | null;
}

/** Context an effect handler gets: who, in which session, when, and the hop's unit of work. */
export interface EffectContext {
  subscriber: Subscriber;
  sessionId: string;
  flow: Flow;
  channel: SessionChannel;
  at: number;
  /** The hop's unit: a handler's writes belong in it, so the hop is all or nothing. */
  tx: Tx;
}
/** What to do with an engine effect; a synchronous handler writes on the SQLite connection inside the hop's unit. */
export type EffectHandler<K extends Effect['kind']> = (effect: Extract<Effect, { kind: K }>, ctx: EffectContext) => void | Promise<void>;

/** A save found the session's row moved on (another process, or a rolled-back unit): reload and hop again. */
class SessionOvertaken extends Error {
  constructor() {
    super('the session row changed since it was read');
  }
}

/** Attempts of one hop against a session row that keeps moving (concurrent hops of one session). */
const HOP_ATTEMPTS = 3;

export interface SessionServiceDeps {
  /** The database the session store is written on (either engine). */
  database: Database;
  /** Units of work: the group commit on SQLite, transactions on PostgreSQL. */
  units: UnitOfWork;
  clock: Clock;
  log: Logger;
  flows: FlowRegistry;
  subscribers: SubscriberService;
  usage: UsageLog;
  metrics: Metrics;
  config: Config['ussd'];
  /** Quiet time after which an active session ends as `timeout`, per channel (a call may play long audio). */
  timeoutSeconds: Record<SessionChannel, number>;
  /** Language of screens shown before a flow is known (unknown service code). */
  defaultLanguage: string;
  /** Registers a callback for when a group commit fails and rolls back (SQLite). */
  onRollback?: (fn: () => void) => void;
  /** How often the sweeper ends quiet sessions (ms). */
  sweepEveryMs?: number;
}

/**
 * Runs interactive sessions (USSD, IVR) on the engine: finds or creates the session, applies the
 * input, persists state, usage events and effects in one unit of work, and offers to resume a dropped
 * session. The same code serves every dialect; channels only parse and render. The session row is the
 * truth: consecutive hops of one session may land on different processes (src/sessions/session-repo.ts).
 */
export class SessionService implements Lifecycle {
  private readonly repo: SessionRepo;
  private readonly handlers = new Map<Effect['kind'], (e: Effect, ctx: EffectContext) => void | Promise<void>>();
  private readonly interceptors: Array<{ kind: Effect['kind']; fn: (e: Effect, ctx: EffectContext) => boolean | Promise<boolean> }> = [];
  private readonly hops: Counter<string>;
  private readonly ended: Counter<string>;
  private timer: NodeJS.Timeout | null = null;
  private readonly log: Logger;

  constructor(private readonly d: SessionServiceDeps) {
    this.repo = new SessionRepo(d.database);
    d.onRollback?.(() => this.repo.forgetCached());
    this.log = d.log.child({ comp: 'sessions' });
    this.hops = d.metrics.counter('session_hops_total', 'Interactive hops processed', ['channel']);
    this.ended = d.metrics.counter('sessions_ended_total', 'Sessions ended', ['channel', 'reason']);
    this.handlers.set('set_profile', async (e, ctx) => {
      if (e.kind !== 'set_profile') return;
      // Choices are checked at start-up; free input (digits) can still fall outside the schema: keep the session going.
      const refused = await d.subscribers.updateProfileFromFlowIn(ctx.tx, ctx.subscriber.id, e.field, e.value);
      if (refused) this.log.warn({ field: e.field, reason: refused }, 'flow input not stored: outside the profile schema');
    });
  }

  /** Registers what to do with an engine effect (subscribe, send an SMS, record a poll answer). */
  onEffect<K extends Effect['kind']>(kind: K, handler: EffectHandler<K>): void {
    this.handlers.set(kind, handler as (e: Effect, ctx: EffectContext) => void | Promise<void>);
  }

  /**
   * Registers a look at an effect before its handler, whoever registers that and whenever: true consumes
   * the effect (the handler does not run). Exit reasons use it to take their in-session poll's answers.
   */
  interceptEffect<K extends Effect['kind']>(kind: K, fn: (effect: Extract<Effect, { kind: K }>, ctx: EffectContext) => boolean | Promise<boolean>): void {
    this.interceptors.push({ kind, fn: fn as (e: Effect, ctx: EffectContext) => boolean | Promise<boolean> });
  }

  /** Whether an interceptor took the effect (the first that says so; they run in the hop's unit, in order). */
  private async intercepted(effect: Effect, ctx: EffectContext): Promise<boolean> {
    for (const i of this.interceptors) if (i.kind === effect.kind && (await i.fn(effect, ctx))) return true;
    return false;
  }

  /**
   * Processes one hop in a unit of its own and returns the screen to render once it is durable. Never
   * leaves a half-written session.
   */
  async hop(req: HopRequest): Promise<HopResult> {
    try {
      return await this.d.units.unit((tx) => this.hopIn(tx, req));
    } catch (err) {
      this.repo.forgetCached(); // the hop's writes were rolled back
      throw err;
    }
  }

  /** As {@link hop}, inside the caller's unit of work `tx` (a voice callback that also updates its call). */
  async hopIn(tx: Tx, req: HopRequest): Promise<HopResult> {
    const now = this.d.clock.now();
    this.hopsOn(req.channel).inc();
    const subscriber = await this.d.subscribers.ensureIn(tx, req.msisdn, { operator: req.operator ?? null, at: now });
    for (let attempt = 1; ; attempt++) {
      // The first attempt may start from this process's copy; a retry reads the row.
      const existing = attempt === 1 ? await this.repo.recent(req.channel, req.externalId, tx) : await this.repo.findByExternal(req.channel, req.externalId, tx);
      try {
        if (existing) return await this.continueSession(tx, existing, subscriber, req, now);
        return await this.newSession(tx, subscriber, req, now);
      } catch (err) {
        if (!(err instanceof SessionOvertaken) || attempt >= HOP_ATTEMPTS) throw err;
      }
    }
  }

  /** Ends a session the channel reports as over (IVR hang-up). Returns false if unknown or already ended. */
  end(channel: SessionChannel, externalId: string, reason: EndReason, detail: Record<string, unknown> = {}): Promise<boolean> {
    return this.d.units.unit((tx) => this.endIn(tx, channel, externalId, reason, detail));
  }

  /** As {@link end}, inside the caller's unit of work `tx`; `read` is the row if the caller has just read it in `tx`. */
  async endIn(tx: Tx, channel: SessionChannel, externalId: string, reason: EndReason, detail: Record<string, unknown> = {}, read?: SessionRow): Promise<boolean> {
    const now = this.d.clock.now();
    for (let attempt = 1; attempt <= HOP_ATTEMPTS; attempt++) {
      const s = attempt === 1 && read ? { ...read, state: { ...read.state } } : await this.repo.findByExternal(channel, externalId, tx);
      if (!s || s.status === 'ended') return false;
      if (await this.finish(tx, s, reason, now, detail)) return true;
    }
    throw new SessionOvertaken();
  }

  /** The session by our id (reports, IVR). */
  get(id: string): Promise<SessionRow | null> {
    return this.repo.findById(id);
  }

  /** The session by the channel's id, as its row holds it. */
  findByExternal(channel: SessionChannel, externalId: string): Promise<SessionRow | null> {
    return this.repo.findByExternal(channel, externalId);
  }

  /**
   * The session as this process last saved it, else as its row holds it, inside unit `tx`: for what
   * never changes in a session (that it exists, its subscriber, its flow). Its state may be behind the
   * row; a hop from it checks (see src/sessions/session-repo.ts).
   */
  knownIn(tx: Tx, channel: SessionChannel, externalId: string): Promise<SessionRow | null> {
    return this.repo.recent(channel, externalId, tx);
  }

  /** Forgets the sessions this process remembers (a unit that contained hops failed: the rows are the truth). */
  forgetCached(): void {
    this.repo.forgetCached();
  }

  /** As {@link findByExternal}, inside unit of work `tx` (a read that decides the unit's writes). */
  findByExternalIn(tx: Tx, channel: SessionChannel, externalId: string): Promise<SessionRow | null> {
    return this.repo.findByExternal(channel, externalId, tx);
  }

  /** Ends sessions quiet for longer than their channel's timeout as `timeout`; returns how many. */
  async sweep(now = this.d.clock.now()): Promise<number> {
    let n = 0;
    for (const [channel, seconds] of Object.entries(this.d.timeoutSeconds)) {
      const cutoff = now - seconds * 1000;
      for (;;) {
        const batch = await this.repo.stale(channel, cutoff, 500);
        if (batch.length === 0) break;
        // A session that another process ended, or a hop revived, since the read is left to it.
        const ended = await this.d.units.unit(async (tx) => {
          let k = 0;
          for (const s of batch) if (await this.finish(tx, s, 'timeout', now, {})) k++;
          return k;
        });
        n += ended;
        if (ended === 0) break;
      }
    }
    return n;
  }

  start(): void {
    const every = this.d.sweepEveryMs ?? 15_000;
    this.timer = setInterval(() => {
      this.sweep().then(
        (n) => {
          if (n > 0) this.log.debug({ n }, 'sessions timed out');
        },
        (err: unknown) => this.log.error({ err }, 'session sweep failed'),
      );
    }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  // Labelled children kept: prom-client hashes the labels on every labels() call.
  private readonly hopCounters = new Map<string, { inc(): void }>();
  private hopsOn(channel: string): { inc(): void } {
    let c = this.hopCounters.get(channel);
    if (!c) this.hopCounters.set(channel, (c = this.hops.labels({ channel })));
    return c;
  }

  private ctxFor(subscriber: Subscriber, req: HopRequest): StepContext {
    return { language: subscriber.language, maxChars: req.maxChars, maxInvalid: this.d.config.maxInvalid };
  }

  private async newSession(tx: Tx, subscriber: Subscriber, req: HopRequest, now: number): Promise<HopResult> {
    let flow: Flow | null;
    let shortcut: string[] = [];
    let serviceCode: string | null = null;
    if ('ussdCode' in req.entry) {
      const hit = this.d.flows.byUssd(req.entry.ussdCode);
      flow = hit?.flow ?? null;
      shortcut = hit?.shortcut ?? [];
      serviceCode = hit?.base ?? req.entry.ussdCode;
    } else {
      flow = this.d.flows.byId(req.entry.flowId) ?? null;
    }
    const lang = subscriber.language ?? this.d.defaultLanguage;
    if (!flow) {
      return { sessionId: null, subscriberId: subscriber.id, flowId: null, screen: systemScreen('unknownService', lang), end: true, reason: null };
    }
    if ('history' in req.input) shortcut = [...shortcut, ...req.input.history.filter((p) => p !== '')];
    else if ('latest' in req.input && req.input.latest) shortcut = [...shortcut, req.input.latest];

    const ctx = this.ctxFor(subscriber, req);
    const events: EventDraft[] = [];
    const effects: Effect[] = [];
    let result: StepResult;
    const previous = await this.resumable(tx, subscriber, flow, req, now);
    if (previous && shortcut.length === 0) {
      result = offerResume(flow, previous.state.engine, ctx);
    } else if ('startNode' in req.entry && req.entry.startNode) {
      result = start(flow, ctx, { node: req.entry.startNode });
    } else {
      result = start(flow, ctx, shortcut.length ? { shortcut } : {});
    }
    events.push(...result.events);
    effects.push(...result.effects);
    if (events[0]?.type === 'session_start') events[0] = { ...events[0], detail: { ...events[0].detail, ...req.startDetail, ...(previous ? { resumeOffered: true } : {}) } };

    const session: SessionRow = {
      id: newId('ses', now),
      channel: req.channel,
      externalId: req.externalId,
      subscriberId: subscriber.id,
      flowId: flow.id,
      serviceCode,
      state: { engine: result.state, consumed: 'history' in req.input ? req.input.history.length : 0, noInput: 0 },
      status: result.end ? 'ended' : 'active',
      endReason: result.end,
      hops: 1,
      startedAt: now,
      lastActivityAt: now,
      endedAt: result.end ? now : null,
    };
    await this.persist(tx, session, null, subscriber, flow, req.channel, events, effects, now);
    if (result.end) this.ended.inc({ channel: req.channel, reason: result.end });
    return { sessionId: session.id, subscriberId: subscriber.id, flowId: flow.id, screen: result.screen, end: result.screen.end, reason: result.end };
  }

  /** A recent session of this flow left deep in the menu (dropped or timed out), ended here as `dropped`. */
  private async resumable(tx: Tx, subscriber: Subscriber, flow: Flow, req: HopRequest, now: number): Promise<SessionRow | null> {
    const windowMs = this.d.config.resumeWindowSeconds * 1000;
    if (windowMs <= 0) return null;
    const prev = await this.repo.lastSession(subscriber.id, flow.id, req.channel, now - windowMs, tx);
    if (!prev || prev.externalId === req.externalId) return null;
    if (prev.status === 'active') {
      // Another process moved it on meanwhile: it is not a dropped session to offer.
      if (!(await this.finish(tx, prev, 'dropped', now, {}))) return null;
    } else if (prev.endReason !== 'dropped' && prev.endReason !== 'timeout') return null;
    const st = prev.state.engine;
    if (st.phase !== 'node' || st.node === flow.start) return null;
    return prev;
  }

  private async continueSession(tx: Tx, s: SessionRow, subscriber: Subscriber, req: HopRequest, now: number): Promise<HopResult> {
    const was = s.hops;
    const flow = this.d.flows.byId(s.flowId);
    const lang = s.state.engine.lang ?? subscriber.language ?? this.d.defaultLanguage;
    if (!flow || s.status === 'ended') {
      return { sessionId: s.id, subscriberId: subscriber.id, flowId: s.flowId, screen: systemScreen('sessionEnded', lang), end: true, reason: null };
    }
    const ctx = this.ctxFor(subscriber, req);
    const events: EventDraft[] = [];
    const effects: Effect[] = [];
    let state = s.state.engine;
    let result: StepResult | null = null;
    const inputs = this.newInputs(s.state, req.input);
    s.state.noInput = 'noInput' in req.input ? s.state.noInput + 1 : 0;

    if ('noInput' in req.input && s.state.noInput > (req.maxNoInput ?? 2)) {
      const screen = goodbyeScreen(flow, lang);
      s.state.engine = { ...state, phase: 'ended' };
      this.markEnded(s, 'timeout', now);
      await this.persist(tx, s, was, subscriber, flow, req.channel, [{ type: 'session_end', nodeId: state.node, detail: { reason: 'timeout' } }], [], now);
      this.ended.inc({ channel: s.channel, reason: 'timeout' });
      return { sessionId: s.id, subscriberId: subscriber.id, flowId: flow.id, screen, end: true, reason: 'timeout' };
    }
    for (const input of inputs) {
      result = step(flow, state, input, ctx);
      state = result.state;
      events.push(...result.events);
      effects.push(...result.effects);
      if (result.end) break;
    }
    if (!result) result = { state, screen: render(flow, state, ctx), events: [], effects: [], end: null };
    if ('history' in req.input) s.state.consumed = req.input.history.length;
    s.state.engine = result.state;
    s.hops += 1;
    s.lastActivityAt = now;
    if (result.end) this.markEnded(s, result.end, now);
    await this.persist(tx, s, was, subscriber, flow, req.channel, events, effects, now);
    if (result.end) this.ended.inc({ channel: req.channel, reason: result.end });
    return { sessionId: s.id, subscriberId: subscriber.id, flowId: flow.id, screen: result.screen, end: result.screen.end, reason: result.end };
  }

  /** The inputs of this hop that the session has not applied yet. */
  private newInputs(st: StoredState, input: HopInput): string[] {
    if ('history' in input) {
      // Replay what is new in the history; a history shorter than what we consumed means the
      // aggregator restarted its count: apply nothing and re-show the screen.
      return input.history.length > st.consumed ? input.history.slice(st.consumed) : [];
    }
    if ('latest' in input) return input.latest === null ? [] : [input.latest];
    return [];
  }

  private markEnded(s: SessionRow, reason: EndReason, now: number): void {
    s.status = 'ended';
    s.endReason = reason;
    s.endedAt = now;
  }

  /**
   * Ends an active session as read from its row, with a session_end event (timeouts, drops, hang-ups);
   * false, with nothing written, when the row has moved on since (a hop or an end elsewhere).
   */
  private async finish(tx: Tx, s: SessionRow, reason: EndReason, now: number, detail: Record<string, unknown>): Promise<boolean> {
    const was = s.hops;
    this.markEnded(s, reason, now);
    if (!(await this.repo.update(s, was, tx))) return false;
    this.ended.inc({ channel: s.channel, reason });
    const st = s.state.engine;
    await this.d.usage.recordIn(tx, [
      {
        at: now,
        subscriberId: s.subscriberId,
        channel: s.channel as SessionChannel,
        type: 'session_end',
        sessionId: s.id,
        flowId: s.flowId,
        nodeId: st.node,
        detail: { reason, ...detail, depth: st.stack.length },
      },
    ]);
    return true;
  }

  /**
   * Saves the hop (a new session when `was` is null, else the one read with `was` hops), then its events
   * and effects. The save comes first: when it finds the row moved on, nothing has been written.
   */
  private async persist(tx: Tx, s: SessionRow, was: number | null, subscriber: Subscriber, flow: Flow, channel: SessionChannel, drafts: EventDraft[], effects: Effect[], now: number): Promise<void> {
    const saved = was === null ? await this.repo.insert(s, tx) : await this.repo.update(s, was, tx);
    if (!saved) throw new SessionOvertaken();
    const events: UsageEvent[] = drafts.map((e) => ({
      at: now,
      subscriberId: subscriber.id,
      channel,
      type: e.type,
      sessionId: s.id,
      flowId: flow.id,
      nodeId: e.nodeId ?? null,
      detail: e.detail ?? null,
    }));
    await this.d.usage.recordIn(tx, events);
    const ctx: EffectContext = { subscriber, sessionId: s.id, flow, channel, at: now, tx };
    for (const effect of effects) {
      // Interceptors and handlers belong to other areas; each writes in this hop's unit through ctx.tx.
      if (await this.intercepted(effect, ctx)) continue;
      const h = this.handlers.get(effect.kind);
      if (h) await h(effect, ctx);
      else this.log.warn({ effect: effect.kind }, 'no handler for engine effect');
    }
  }
}
