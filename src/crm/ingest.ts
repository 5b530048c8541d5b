import type { Config } from '../config';
import type { Db } from '../db/client';
import { MINUTE } from '../lib/clock';
import { ActivityStore, DIMS, type ChargeEntry } from './activity-store';
import type { Days } from './days';
import type { FlowIndex } from './flow-index';
import type { OutcomeTracker } from './outcomes';
import type { Rollups } from './rollups';
import { applySessionEvent, finishSession, newSessionAcc, type NodeSink, type SessionAcc, type SessionOutcome } from './session-classifier';

export interface IngestDeps {
  db: Db;
  config: Pick<Config, 'crm' | 'ussd'>;
  flows: FlowIndex;
  days: Days;
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
}

// Rows come with channel and type as small integers (mapped in SQL) and flow and detail only where they
// are read, so a pass over ten million events allocates a few strings per event, not eight.
type Raw = [number, number, number, number, number, string | null, string | null, string | null, string | null];

const T = { other: 0, start: 1, menu: 2, content: 3, invalid: 4, back: 5, home: 6, more: 7, end: 8, smsIn: 9, billing: 10, step: 11 } as const;
const TYPE_NAMES = ['', 'session_start', 'menu', 'content', 'input_invalid', 'back', 'home', 'more', 'session_end', 'sms_in', 'billing', 'action'];
const CHANNELS = ['', 'ussd', 'ivr'];
const PAGE_SQL = `SELECT id, at, subscriber_id,
    CASE channel WHEN 'ussd' THEN 1 WHEN 'ivr' THEN 2 ELSE 0 END,
    CASE type WHEN 'menu' THEN 2 WHEN 'content' THEN 3 WHEN 'input_invalid' THEN 4 WHEN 'back' THEN 5 WHEN 'home' THEN 6 WHEN 'more' THEN 7
      WHEN 'session_start' THEN 1 WHEN 'session_end' THEN 8 WHEN 'sms_in' THEN 9 WHEN 'billing' THEN 10
      WHEN 'action' THEN 11 WHEN 'profile_update' THEN 11 WHEN 'poll_answer' THEN 11 ELSE 0 END,
    session_id,
    CASE WHEN type = 'session_start' OR session_id IS NULL THEN flow_id END,
    node_id,
    CASE WHEN type IN ('session_end', 'billing') THEN detail END
  FROM usage_events
  WHERE id > ? AND id <= ? AND type IN ('session_start', 'menu', 'content', 'input_invalid', 'back', 'home', 'more', 'session_end', 'sms_in', 'billing', 'action', 'profile_update', 'poll_answer')
  ORDER BY id`;

const PAGE = 50_000;
const CHARGE_OK = new Set(['subscribed', 'renewed']);

/**
 * Reads the usage log from the cursor on, once, and turns it into everything the detectors and reports
 * need: finished sessions classified (content reached, first attempt, stuck and why), per-subscriber
 * activity, daily rollups, billing charges and intervention outcomes. Nothing is read twice: sessions
 * still open at the end are carried to the next pass as their running summary.
 */
export class Ingest {
  private readonly open = new Map<string, SessionAcc>();
  private readonly sink: NodeSink;
  private readonly dimBuf: string[] = ['unknown', 'unknown', 'unknown', 'unknown'];
  private readonly chargeHorizonMs: number;

  constructor(
    private readonly d: IngestDeps,
    readonly store: ActivityStore,
    readonly rollups: Rollups,
    readonly outcomes: OutcomeTracker,
  ) {
    this.chargeHorizonMs = Math.max(d.config.crm.lapsing.chargeWindowDays, ...Object.values(d.config.crm.passive.windowDays)) * 86_400_000;
    const days = d.days;
    this.sink = {
      view: (at, acc, node) => rollups.view(days.of(at), acc.ch, acc.flow, node),
      dwell: (at, acc, node, ms) => rollups.dwell(days.of(at), acc.ch, acc.flow, node, ms),
      invalid: (at, acc, node) => rollups.invalid(days.of(at), acc.ch, acc.flow, node),
      back: (at, acc, node) => rollups.back(days.of(at), acc.ch, acc.flow, node),
    };
  }

  /** Reads events after `cursor` (up to the newest one not after `now`) and applies them. */
  run(cursor: number, now: number): IngestResult {
    const c = this.d.db.$client;
    const maxId = (c.prepare('SELECT max(id) AS m FROM usage_events').get() as { m: number | null }).m ?? 0;
    const res: IngestResult = { fromId: cursor, toId: cursor, events: 0, sessions: 0, stuckSessions: 0, stuckSubs: new Set(), subscriptions: new Set(), renewedSubs: new Set() };
    for (const r of c.prepare('SELECT session_id, acc FROM crm_open_sessions').raw().all() as [string, string][]) this.open.set(r[0], JSON.parse(r[1]) as SessionAcc);
    if (maxId <= cursor) return this.closeStale(res, now);

    // A pass over most of the base loads every subscriber in one scan; a small one loads those it meets.
    const maxSub = (c.prepare('SELECT max(id) AS m FROM subscribers').get() as { m: number | null }).m ?? 0;
    if (maxId - cursor > 2 * maxSub) this.store.loadAll();
    else this.store.grow(maxSub);

    const page = c.prepare(PAGE_SQL).raw();
    let from = cursor;
    outer: while (from < maxId) {
      const to = Math.min(maxId, from + PAGE);
      const rows = page.all(from, to) as Raw[];
      for (const r of rows) {
        // Our own events are never later than now; one that is belongs to a later pass (a replay with --now).
        if (r[1] > now && r[4] !== T.billing) {
          res.toId = r[0] - 1;
          break outer;
        }
        this.apply(r, res);
        res.events++;
      }
      from = to;
      res.toId = to;
    }
    return this.closeStale(res, now);
  }

  private ensure(sub: number): boolean {
    if (this.store.loaded(sub)) return true;
    this.store.grow(sub);
    return this.store.load(sub);
  }

  private apply(r: Raw, res: IngestResult): void {
    const [, at, sub, chCode, type, sessionId, flowId, nodeId, detail] = r;
    if (!this.ensure(sub)) return; // an event of a subscriber that no longer exists
    const store = this.store;
    if (sessionId !== null && chCode !== 0 && type !== T.other && type !== T.smsIn && type !== T.billing) {
      let acc = this.open.get(sessionId);
      if (!acc) {
        acc = newSessionAcc(sub, CHANNELS[chCode]!, flowId ?? '', at);
        this.open.set(sessionId, acc);
      }
      if (type === T.start) {
        if (flowId !== null && acc.flow === '') acc.flow = flowId;
        store.activeOn(sub, this.d.days.of(at));
        if (this.outcomes.has(sub)) this.outcomes.returned(sub, at);
        return;
      }
      if (type === T.end) {
        const dt = detail ? (JSON.parse(detail) as { reason?: string; depth?: number }) : {};
        const o = finishSession(acc, { at, reason: dt.reason ?? 'completed', node: nodeId, depth: dt.depth ?? null }, this.d.config.crm.stuck, this.d.flows, this.sink);
        this.open.delete(sessionId);
        this.finished(o, res);
        return;
      }
      applySessionEvent(acc, TYPE_NAMES[type]!, nodeId, at, this.sink);
      if (type === T.content) this.contentReached(sub, at);
      return;
    }
    switch (type) {
      case T.content: // content outside a session (an SMS keyword answered with advice)
        this.contentReached(sub, at);
        store.activeOn(sub, this.d.days.of(at));
        return;
      case T.smsIn:
        store.activeOn(sub, this.d.days.of(at));
        if (this.outcomes.has(sub)) this.outcomes.returned(sub, at);
        return;
      case T.billing:
        if (detail) this.billing(sub, at, JSON.parse(detail) as Record<string, unknown>, res);
        return;
      default:
        return;
    }
  }

  private contentReached(sub: number, at: number): void {
    const prev = this.store.lastContentAt[sub]!;
    if (Number.isNaN(prev) || at > prev) this.store.lastContentAt[sub] = at;
    this.store.touch(sub);
    if (this.outcomes.has(sub)) this.outcomes.reachedContent(sub, at);
  }

  private billing(sub: number, at: number, d: Record<string, unknown>, res: IngestResult): void {
    const event = typeof d.event === 'string' ? d.event : '';
    const serviceId = typeof d.serviceId === 'string' ? d.serviceId : null;
    if (typeof d.subscriptionId === 'string') res.subscriptions.add(d.subscriptionId);
    if (!serviceId || d.flag) return;
    const ok = CHARGE_OK.has(event);
    if (!ok && event !== 'renewal_failed') return;
    const amountMinor = typeof d.amount === 'number' ? Math.round(d.amount * 100) : 0;
    // Appended in arrival order (nearly time order); pruned and sorted only when it grows, so a daily
    // subscription's month of renewals costs no more than a few array pushes.
    let list = this.store.chargesRecent.get(sub);
    if (!list) this.store.chargesRecent.set(sub, (list = []));
    list.push([at, serviceId, ok ? 1 : 0, amountMinor] as ChargeEntry);
    if (list.length > 1 && list[list.length - 2]![0] > at) list.sort((a, b) => a[0] - b[0]);
    if (list.length > 64) this.store.chargesRecent.set(sub, list.filter((e) => e[0] >= at - this.chargeHorizonMs));
    this.store.touch(sub);
    if (ok) {
      res.renewedSubs.add(sub);
      if (this.outcomes.has(sub)) this.outcomes.charged(sub, at, amountMinor);
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
    if (first) s.firstContent[sub] = o.content ? 1 : 0;
    const last = s.lastSessionAt[sub]!;
    if (Number.isNaN(last) || o.start > last) s.lastSessionAt[sub] = o.start;
    if (o.stuck) {
      s.stuck[sub]! += 1;
      const windowStart = o.end - this.d.config.crm.stuck.windowDays * 86_400_000;
      const list = (s.stuckRecent.get(sub) ?? []).filter((e) => e[0] >= windowStart);
      list.push([o.end, o.ch, o.flow, o.sought]);
      s.stuckRecent.set(sub, list);
      res.stuckSubs.add(sub);
      res.stuckSessions++;
    }
    s.touch(sub);
    for (let i = 0; i < DIMS.length; i++) this.dimBuf[i] = s.dimValues[s.dims[DIMS[i]!][sub]!]!;
    this.rollups.session(o, this.d.days.of(o.start), this.d.days.of(o.end), first, this.dimBuf);
    res.sessions++;
  }

  // A session with no end event long after its last step (the sweeper never ran, a crash) ends as a timeout.
  private closeStale(res: IngestResult, now: number): IngestResult {
    const staleMs = this.d.config.ussd.sessionTimeoutSeconds * 1000 + 10 * MINUTE;
    for (const [id, acc] of this.open) {
      if (acc.last > now - staleMs) continue;
      if (!this.ensure(acc.sub)) {
        this.open.delete(id);
        continue;
      }
      const o = finishSession(acc, { at: acc.last, reason: 'timeout', node: acc.node }, this.d.config.crm.stuck, this.d.flows, this.sink);
      this.open.delete(id);
      this.finished(o, res);
    }
    return res;
  }

  /** Writes the sessions still open, for the next pass (inside the pass's transaction). */
  saveOpenSessions(): number {
    const c = this.d.db.$client;
    c.prepare('DELETE FROM crm_open_sessions').run();
    const ins = c.prepare('INSERT INTO crm_open_sessions (session_id, subscriber_id, last_at, acc) VALUES (?, ?, ?, ?)');
    for (const [id, acc] of this.open) ins.run(id, acc.sub, acc.last, JSON.stringify(acc));
    return this.open.size;
  }
}
