import type { Config } from '../config';
import type { NodeContext } from '../engine/types';
import type { Db } from '../db/client';
import type { Database, Tx, UnitOfWork } from '../db/database';
import { MINUTE } from '../lib/clock';
import { ActivityStore, DIMS, NONE, type ChargeEntry } from './activity-store';
import { COHORTS } from './discovery-rollup';
import { EpisodeTracker, type EpisodeOutcome } from './episodes';
import type { BestChannelTracker } from './best-channel/best-channel-tracker';
import type { Days } from './days';
import { billingDetail, CHANNELS, endDetail, T, TYPE_NAMES, type BillingDetail, type EventBatch } from './event-decoder';
import type { FlowIndex } from './flow-index';
import { batchSource } from './ingest-reader';
import { IngestStore } from './ingest-store';
import type { OutcomeTracker } from './outcomes';
import type { Rollups } from './rollups';
import { applySessionEvent, finishSession, newSessionAcc, type NodeSink, type SessionAcc, type SessionOutcome } from './session-classifier';

/** How far back charges of a service matter: the lapsing window or the service's passive window. */
export function chargeHorizonDays(crm: Config['crm'], period: 'daily' | 'weekly' | 'monthly'): number {
  return Math.max(crm.lapsing.chargeWindowDays, crm.passive.windowDays[period]);
}

export interface IngestDeps {
  database: Database;
  /** Units on `database`: where the end of the log is read is a unit of its own. */
  units: UnitOfWork;
  /** The SQLite connection, when there is one: a large pass reads the log on its file in a worker thread. */
  db?: Db;
  config: Pick<Config, 'crm' | 'ussd' | 'services'>;
  flows: FlowIndex;
  days: Days;
  /** Read the log in a worker thread when the pass is large (and the database a file). */
  parallel?: boolean;
  /** How many new events make a pass large (default PARALLEL_MIN). */
  parallelMinEvents?: number;
}

/** What one pass read and what the detectors should look at. */
export interface IngestResult {
  fromId: number;
  toId: number;
  events: number;
  sessions: number;
  stuckSessions: number;
  /** Subscribers with a new stuck session in this pass. */
  stuckSubs: Set<number>;
  /** Subscriptions with a billing event in this pass. */
  subscriptions: Set<string>;
  /** Subscribers whose successful charges came in this pass (passive-renewer candidates). */
  renewedSubs: Set<number>;
  /** Onboarding: subscribers whose very first session started in this pass, with its start. */
  firstSessions: Map<number, number>;
  /** Onboarding: subscribers with a subscription (not a renewal) in this pass, with its earliest time. */
  subscribed: Map<number, number>;
  /** Onboarding: subscribers with a stuck session among their first `crm.onboarding.firstSessions` sessions in this pass. */
  earlyStuckSubs: Set<number>;
}

const CHARGE_OK = new Set(['subscribed', 'renewed']);
/** Log time between sweeps for finished episodes during a pass: keeps the open ones few. */
const EPISODE_SWEEP_MS = 6 * 3_600_000;

/**
 * Reads the usage log from the cursor on, once, and turns it into everything the detectors and reports
 * need: finished sessions classified (content reached, first attempt, stuck and why), per-subscriber
 * activity, daily rollups, billing charges and intervention outcomes. Nothing is read twice: sessions
 * still open at the end are carried to the next pass as their running summary.
 */
export class Ingest {
  /** Open sessions by the code the decoder gives them. */
  private readonly open = new Map<number, SessionAcc>();
  private openIds: [string, number][] = [];
  private readonly sink: NodeSink;
  private readonly dimBuf: string[] = ['unknown', 'unknown', 'unknown', 'unknown'];
  // The decoder's dictionaries, grown as batches bring new strings.
  private readonly nodes: string[] = [];
  private readonly flowIds: string[] = [];
  private readonly words: string[] = [];
  private readonly interned = new Map<string, string>();
  /** Episodes of sessions, and how many sessions each subscriber has open (an open one may still join). */
  readonly episodes: EpisodeTracker;
  private readonly openBySub = new Map<number, number>();
  private readonly heardMs: number;
  // Settings read per session, kept as plain numbers.
  private readonly firstSessions: number;
  private readonly stuckWindowMs: number;
  /** The latest session start (or keyword answer) read: no later session can start before it. */
  private latestStart = -Infinity;
  private sweptAt = -Infinity;
  private readonly db: IngestStore;
  /** Listeners to finished episodes beyond the discovery rollups (onboarding), called on the pass's thread. */
  readonly episodeTaps: ((e: EpisodeOutcome) => void)[] = [];
  /** Sees every successful charge read (revenue per value tier). */
  onCharge: ((sub: number, at: number, amountMinor: number) => void) | null = null;

  constructor(
    private readonly d: IngestDeps,
    readonly store: ActivityStore,
    readonly rollups: Rollups,
    readonly outcomes: OutcomeTracker,
    /** Best-channel evidence (journey 5): fed the deliveries, calls and answers met on the way. */
    readonly channels: BestChannelTracker | null = null,
  ) {
    const days = d.days;
    this.db = IngestStore.of(d.database);
    this.sink = {
      view: (at, acc, node) => {
        rollups.view(days.of(at), acc.ch, acc.flow, node);
        rollups.menu.view(days.of(at), acc.ch, acc.flow, node);
      },
      dwell: (at, acc, node, ms) => rollups.dwell(days.of(at), acc.ch, acc.flow, node, ms),
      invalid: (at, acc, node) => rollups.invalid(days.of(at), acc.ch, acc.flow, node),
      back: (at, acc, node) => rollups.back(days.of(at), acc.ch, acc.flow, node),
      pick: (at, acc, from, to) => rollups.menu.pick(days.of(at), acc.ch, acc.flow, from, to),
      paged: (at, acc, node) => rollups.menu.paged(days.of(at), acc.ch, acc.flow, node),
      invalidView: (at, acc, node) => rollups.menu.invalidView(days.of(at), acc.ch, acc.flow, node),
      arrived: (at, acc, node, how) => rollups.menu.arrived(days.of(at), acc.ch, acc.flow, node, how),
    };
    const crm = d.config.crm;
    this.heardMs = crm.ivrContentHeardSeconds * 1000;
    this.firstSessions = crm.onboarding.firstSessions;
    this.stuckWindowMs = crm.stuck.windowDays * 86_400_000;
    this.episodes = new EpisodeTracker(crm.episodeGapMinutes * MINUTE, (e) => this.episodeDone(e));
    // The typed profile schema, when configured, names the fields worth a breakdown; otherwise any field.
    const fields = (d.config as { profile?: { fields?: Record<string, unknown> } }).profile?.fields;
    rollups.discovery.profileFields = fields && typeof fields === 'object' ? Object.keys(fields) : null;
    rollups.demography.profileFields = rollups.discovery.profileFields;
  }

  /** Reads events after `cursor` (up to the newest one not after `now`) and applies them. */
  async run(cursor: number, now: number): Promise<IngestResult> {
    const maxId = await this.d.units.unit((tx) => this.db.lastEventId(tx));
    const res: IngestResult = { fromId: cursor, toId: cursor, events: 0, sessions: 0, stuckSessions: 0, stuckSubs: new Set(), subscriptions: new Set(), renewedSubs: new Set(), firstSessions: new Map(), subscribed: new Map(), earlyStuckSubs: new Set() };
    const carried = await this.db.openSessions<SessionAcc>();
    carried.forEach(([id, a], code) => {
      this.open.set(code, a);
      this.openIds.push([id, code]);
      this.opened(a.sub, 1);
    });
    await this.episodes.load(this.db);
    // What was carried may end or finish without a new event of its subscriber: their rows are needed too.
    await this.store.load([...[...this.open.values()].map((a) => a.sub), ...this.episodes.open.keys()]);
    if (maxId <= cursor) return this.closeStale(res, now);

    // Start the reader first: a worker decodes while this thread loads the subscribers.
    const source = batchSource(this.d.database, this.d.db, { from: cursor, to: maxId, now, open: this.openIds }, { parallel: this.d.parallel ?? false, ...(this.d.parallelMinEvents !== undefined ? { minEvents: this.d.parallelMinEvents } : {}) });
    try {
      // A pass over most of the base loads every subscriber in one scan; a small one loads those it meets.
      const maxSub = await this.db.lastSubscriberId();
      if (maxId - cursor > 2 * maxSub) await this.store.loadAll();
      else this.store.grow(maxSub);
      for (let b = await source.next(); b !== null; b = await source.next()) {
        this.learn(b);
        // The subscribers of the page not met before, in one query; the events then apply without waiting.
        await this.store.load(b.sub.subarray(0, b.n));
        if (this.channels) await this.channels.load(b);
        for (let i = 0; i < b.n; i++) this.apply(b, i, res);
        res.events += b.n;
        res.toId = b.toId;
        // The log arrives in session-start order, so an episode idle for the gap before the latest start is over.
        if (this.latestStart - this.sweptAt >= EPISODE_SWEEP_MS) {
          this.sweptAt = this.latestStart;
          this.episodes.sweep(this.latestStart, (sub) => this.openBySub.has(sub));
        }
        // After a stopped batch the source reports the log read (null), with the sessions left open.
      }
      this.openIds = source.open();
    } finally {
      source.close();
    }
    return this.closeStale(res, now);
  }

  private learn(b: EventBatch): void {
    this.nodes.push(...b.added.nodes);
    this.flowIds.push(...b.added.flows);
    for (const w of b.added.words) this.words.push(w);
    this.detailRow = 0;
  }

  private detailRow = 0;

  /** One string per distinct value (service ids), however many events name it. */
  private intern(s: string): string {
    let v = this.interned.get(s);
    if (v === undefined) this.interned.set(s, (v = s));
    return v;
  }

  private opened(sub: number, delta: 1 | -1): void {
    const n = (this.openBySub.get(sub) ?? 0) + delta;
    if (n > 0) this.openBySub.set(sub, n);
    else this.openBySub.delete(sub);
  }

  /** Whether the subscriber's row is in memory (loaded before their page was applied); false for one that no longer exists. */
  private ensure(sub: number): boolean {
    return this.store.loaded(sub);
  }

  private apply(b: EventBatch, i: number, res: IngestResult): void {
    const type = b.type[i]!;
    const dr = type === T.end || type === T.billing ? this.detailRow++ : -1;
    const sub = b.sub[i]!;
    if (!this.ensure(sub)) return; // an event of a subscriber that no longer exists
    const at = b.at[i]!;
    const store = this.store;
    const ses = b.ses[i]!;
    const chCode = b.ch[i]!;
    if (ses >= 0 && chCode !== 0 && type !== T.other && type !== T.smsIn && type !== T.billing) {
      let acc = this.open.get(ses);
      const flowCode = b.flow[i]!;
      if (!acc) {
        acc = newSessionAcc(sub, CHANNELS[chCode]!, flowCode >= 0 ? this.flowIds[flowCode]! : '', at);
        this.open.set(ses, acc);
        this.opened(sub, 1);
      }
      const nodeCode = b.node[i]!;
      const node = nodeCode >= 0 ? this.nodes[nodeCode]! : null;
      if (type === T.start || type === T.startOutbound || type === T.startShortcut) {
        // A call we placed (voice guidance) is not the subscriber looking for something: no episode.
        if (type === T.startOutbound) acc.outbound = true;
        if (type === T.startShortcut) acc.shortcut = true;
        if (at > this.latestStart) this.latestStart = at;
        if (flowCode >= 0 && acc.flow === '') acc.flow = this.flowIds[flowCode]!;
        store.activeOn(sub, this.d.days.of(at));
        // Our own call (voice guidance, a campaign call) is the treatment's traffic, not the subscriber coming
        // back: counting it would credit the treated arm with a return the holdout can never have.
        if (type !== T.startOutbound && this.outcomes.has(sub)) this.outcomes.returned(sub, at);
        return;
      }
      if (type === T.end) {
        const d = endDetail(b, dr, this.words);
        const end = { at, reason: d.reason, node, depth: d.depth, hangup: d.hangup, heardMs: this.heardMs };
        const o = finishSession(acc, end, this.d.config.crm.stuck, this.d.flows, this.sink);
        this.open.delete(ses);
        this.opened(sub, -1);
        this.finished(o, res);
        return;
      }
      applySessionEvent(acc, TYPE_NAMES[type]!, node, at, this.sink);
      if (type === T.content) {
        this.contentReached(sub, at, acc.outbound !== true);
        // Events inside a session may not repeat the flow: the session's own flow is the one.
        if (node !== null) this.inContext(sub, at, acc.flow, node);
      }
      // Content or a poll answer in a USSD session the subscriber opened: USSD works for them.
      if ((type === T.content || type === T.pollInSession) && acc.ch === 'ussd' && acc.outbound !== true) this.channels?.responded(sub, at, 'ussd');
      return;
    }
    switch (type) {
      case T.content: {
        // Content outside a session (an SMS keyword answered with advice): an SMS visit that got it at once,
        // and the subscriber coming back by SMS.
        this.contentReached(sub, at, true);
        if (chCode === 0) this.channels?.responded(sub, at, 'sms');
        if (this.outcomes.has(sub)) this.outcomes.returned(sub, at);
        store.activeOn(sub, this.d.days.of(at));
        const flowCode = b.flow[i]!;
        const nodeCode = b.node[i]!;
        if (at > this.latestStart) this.latestStart = at;
        const ch = chCode === 0 ? 'sms' : CHANNELS[chCode]!;
        this.rollups.demography.visit(sub, this.d.days.of(at), ch, flowCode >= 0 ? this.flowIds[flowCode]! : '', false, true, flowCode >= 0 && nodeCode >= 0 ? [this.nodes[nodeCode]!] : []);
        if (flowCode >= 0 && nodeCode >= 0) {
          this.inContext(sub, at, this.flowIds[flowCode]!, this.nodes[nodeCode]!);
          const got = [this.nodes[nodeCode]!];
          this.episodes.add({ sub, ch: chCode === 0 ? 'sms' : CHANNELS[chCode]!, flow: this.flowIds[flowCode]!, start: at, end: at, heard: got, heardClean: got });
        }
        return;
      }
      case T.smsIn:
        // Not a return by itself: a STOP, HELP or "who is this?" answering our own message exists only in the
        // treated arm. A keyword that got content counts (above), as the docs define coming back.
        store.activeOn(sub, this.d.days.of(at));
        this.channels?.responded(sub, at, 'sms');
        return;
      case T.pollSms:
        this.channels?.responded(sub, at, chCode === 0 ? 'sms' : 'ussd');
        return;
      case T.smsDelivered:
        this.channels?.smsDelivered(sub, at);
        return;
      case T.callDialled:
        this.channels?.callDialled(sub);
        return;
      case T.callAnswered:
        this.channels?.callAnswered(sub);
        return;
      case T.billing: {
        const d = billingDetail(b, dr, this.words);
        if (d) this.billing(sub, at, d, res);
        return;
      }
      default:
        return;
    }
  }

  /** Advice served: counted against its context when the node declares one (looked up once per node). */
  private inContext(sub: number, at: number, flow: string, node: string): void {
    let byNode = this.contexts.get(flow);
    if (!byNode) this.contexts.set(flow, (byNode = new Map<string, NodeContext | null>()));
    let ctx = byNode.get(node);
    if (ctx === undefined) byNode.set(node, (ctx = this.d.flows.context(flow, node)));
    if (ctx) this.rollups.context.served(sub, at, flow, node, ctx);
  }

  private readonly contexts = new Map<string, Map<string, NodeContext | null>>();

  /** `outcome`: false for content played in a call we placed (the treatment itself, not what it led to). */
  private contentReached(sub: number, at: number, outcome: boolean): void {
    const prev = this.store.lastContentAt[sub]!;
    if (Number.isNaN(prev) || at > prev) this.store.lastContentAt[sub] = at;
    this.store.touch(sub);
    if (outcome && this.outcomes.has(sub)) this.outcomes.reachedContent(sub, at);
  }

  private billing(sub: number, at: number, d: BillingDetail, res: IngestResult): void {
    if (d.subscriptionId !== null) res.subscriptions.add(d.subscriptionId);
    const event = d.event;
    if (d.serviceId === null || d.flag) return;
    const serviceId = this.intern(d.serviceId);
    const ok = CHARGE_OK.has(event);
    if (event === 'subscribed') {
      const prev = res.subscribed.get(sub);
      if (prev === undefined || at < prev) res.subscribed.set(sub, at);
    }
    if (!ok && event !== 'renewal_failed') return;
    const amountMinor = d.amount !== null ? Math.round(d.amount * 100) : 0;
    // A ring of recent attempts per paying subscriber; detectors read the window they need from it.
    this.store.charges.add(sub, [at, serviceId, event === 'renewed' ? 1 : ok ? 2 : 0, amountMinor] as ChargeEntry);
    this.store.touch(sub);
    if (ok) {
      res.renewedSubs.add(sub);
      if (this.outcomes.has(sub)) this.outcomes.charged(sub, at, amountMinor);
      this.onCharge?.(sub, at, amountMinor);
    }
  }

  private finished(o: SessionOutcome, res: IngestResult): void {
    const s = this.store;
    const sub = o.sub;
    const first = s.sessions[sub] === 0;
    s.sessions[sub]! += 1;
    if (o.ch === 'ivr') s.ivr[sub]! += 1;
    else s.ussd[sub]! += 1;
    if (o.content) s.content[sub]! += 1;
    if (o.clean) s.clean[sub]! += 1;
    if (first) {
      s.firstContent[sub] = o.content ? 1 : 0;
      res.firstSessions.set(sub, o.start);
    }
    if (o.stuck && s.sessions[sub]! <= this.firstSessions) res.earlyStuckSubs.add(sub);
    const last = s.lastSessionAt[sub]!;
    if (Number.isNaN(last) || o.start > last) s.lastSessionAt[sub] = o.start;
    if (o.stuck) {
      s.stuck[sub]! += 1;
      const windowStart = o.end - this.stuckWindowMs;
      const list = (s.stuckRecent.get(sub) ?? []).filter((e) => e[0] >= windowStart);
      list.push([o.end, o.ch, o.flow, o.sought]);
      s.stuckRecent.set(sub, list);
      res.stuckSubs.add(sub);
      res.stuckSessions++;
    }
    s.touch(sub);
    for (let i = 0; i < DIMS.length; i++) this.dimBuf[i] = s.dimValues[s.dims[DIMS[i]!][sub]!]!;
    this.rollups.session(o, this.d.days.of(o.start), this.d.days.of(o.end), first, this.dimBuf);
    this.rollups.demography.visit(sub, this.d.days.of(o.start), o.ch, o.flow, true, o.content, o.heard);
    if (!o.outbound) this.episodes.add(o);
    res.sessions++;
  }

  private episodeDone(e: EpisodeOutcome): void {
    const day = this.d.days.of(e.start);
    const s = this.store;
    const known = this.ensure(e.sub);
    const lang = known ? s.dimValues[s.dims.language[e.sub]!]! : 'unknown';
    const firstDay = known ? s.firstDay[e.sub]! : NONE;
    const cohort = firstDay === NONE || day - firstDay < 7 ? COHORTS.firstWeek : COHORTS.established;
    this.rollups.discovery.episode(e, day, lang, cohort);
    for (const tap of this.episodeTaps) tap(e);
  }

  // A session with no end event long after its last step (the sweeper never ran, a crash) ends as a timeout.
  private closeStale(res: IngestResult, now: number): IngestResult {
    const staleMs = this.d.config.ussd.sessionTimeoutSeconds * 1000 + 10 * MINUTE;
    for (const [code, acc] of this.open) {
      if (acc.last > now - staleMs) continue;
      this.open.delete(code);
      this.opened(acc.sub, -1);
      if (!this.ensure(acc.sub)) continue;
      this.finished(finishSession(acc, { at: acc.last, reason: 'timeout', node: acc.node, heardMs: this.heardMs }, this.d.config.crm.stuck, this.d.flows, this.sink), res);
    }
    // Episodes whose gap has passed by now are finished; the rest wait for the next pass.
    this.episodes.sweep(now, (sub) => this.openBySub.has(sub));
    return res;
  }

  /** Writes the sessions and episodes still open, for the next pass (inside the pass's unit of work). */
  async saveOpenSessions(tx: Tx): Promise<number> {
    await this.episodes.save(this.db, tx);
    const rows: { id: string; sub: number; last: number; acc: SessionAcc }[] = [];
    for (const [id, code] of this.openIds) {
      const acc = this.open.get(code);
      if (acc) rows.push({ id, sub: acc.sub, last: acc.last, acc });
    }
    return this.db.saveOpenSessions(rows, tx);
  }
}

