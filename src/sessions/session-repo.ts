import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/client';
import type { EngineState } from '../engine/types';

/** What a session row keeps between hops. */
export interface StoredState {
  engine: EngineState;
  /** Africa's Talking history pieces already applied (its `text` grows with every hop). */
  consumed: number;
  /** Consecutive hops with no input (IVR). */
  noInput: number;
}

export interface SessionRow {
  id: string;
  channel: string;
  externalId: string;
  subscriberId: number;
  flowId: string;
  serviceCode: string | null;
  state: StoredState;
  status: 'active' | 'ended';
  endReason: string | null;
  hops: number;
  startedAt: number;
  lastActivityAt: number;
  endedAt: number | null;
}

interface Row {
  id: string;
  channel: string;
  external_id: string;
  subscriber_id: number;
  flow_id: string;
  service_code: string | null;
  state: string;
  status: 'active' | 'ended';
  end_reason: string | null;
  hops: number;
  started_at: number;
  last_activity_at: number;
  ended_at: number | null;
}

const fromRow = (r: Row): SessionRow => ({
  id: r.id,
  channel: r.channel,
  externalId: r.external_id,
  subscriberId: r.subscriber_id,
  flowId: r.flow_id,
  serviceCode: r.service_code,
  state: JSON.parse(r.state) as StoredState,
  status: r.status,
  endReason: r.end_reason,
  hops: r.hops,
  startedAt: r.started_at,
  lastActivityAt: r.last_activity_at,
  endedAt: r.ended_at,
});

/** Data access for sessions (prepared statements: this is on every hop). */
export class SessionRepo {
  private readonly byExternal: Statement<[string, string], Row>;
  private readonly byId: Statement<[string], Row>;
  private readonly lastOf: Statement<[number, string, string, number], Row>;
  private readonly upsertStmt: Statement;
  private readonly updateStmt: Statement;
  private readonly staleStmt: Statement<[string, number, number], Row>;

  constructor(db: Db) {
    const c = db.$client;
    this.byExternal = c.prepare('SELECT * FROM sessions WHERE channel = ? AND external_id = ?');
    this.byId = c.prepare('SELECT * FROM sessions WHERE id = ?');
    this.lastOf = c.prepare(
      'SELECT * FROM sessions WHERE subscriber_id = ? AND flow_id = ? AND channel = ? AND last_activity_at >= ? ORDER BY started_at DESC LIMIT 1',
    );
    this.upsertStmt = c.prepare(`INSERT INTO sessions (id, channel, external_id, subscriber_id, flow_id, service_code, state, status, end_reason, hops, started_at, last_activity_at, ended_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET state = excluded.state, status = excluded.status, end_reason = excluded.end_reason, hops = excluded.hops,
        last_activity_at = excluded.last_activity_at, ended_at = excluded.ended_at`);
    this.updateStmt = c.prepare('UPDATE sessions SET state = ?, status = ?, end_reason = ?, hops = ?, last_activity_at = ?, ended_at = ? WHERE id = ?');
    this.staleStmt = c.prepare(
      "SELECT * FROM sessions WHERE status = 'active' AND channel = ? AND last_activity_at < ? ORDER BY last_activity_at LIMIT ?",
    );
  }

  /**
   * Active sessions as last saved, by channel and external id: every hop reads its session, and this
   * saves the SELECT. Write-through (save updates it), so it is exact as long as this process is the
   * only writer of the database (see docs/operations.md: one gateway process per database). Callers get a copy
   * whose `state` they may replace field by field.
   */
  private readonly active = new Map<string, SessionRow>();

  /** The session a channel knows by its own id. */
  findByExternal(channel: string, externalId: string): SessionRow | null {
    const hit = this.active.get(`${channel}\u0000${externalId}`);
    if (hit) return { ...hit, state: { ...hit.state } };
    const r = this.byExternal.get(channel, externalId);
    return r ? fromRow(r) : null;
  }

  /** Drops cached sessions after a rolled-back write (the database is the truth again). */
  forgetCached(): void {
    this.active.clear();
  }

  /** The session by our id. */
  findById(id: string): SessionRow | null {
    const r = this.byId.get(id);
    return r ? fromRow(r) : null;
  }

  /** The subscriber's latest session of a flow on a channel active since `since`. */
  lastSession(subscriberId: number, flowId: string, channel: string, since: number): SessionRow | null {
    const r = this.lastOf.get(subscriberId, flowId, channel, since);
    return r ? fromRow(r) : null;
  }

  /** Inserts or updates a session. */
  save(s: SessionRow): void {
    // Positional parameters and a plain UPDATE for a known session: this runs on every hop.
    const key = `${s.channel}\u0000${s.externalId}`;
    if (s.hops > 1 || this.active.has(key)) {
      const changed = this.updateStmt.run(JSON.stringify(s.state), s.status, s.endReason, s.hops, s.lastActivityAt, s.endedAt, s.id).changes;
      if (changed === 0) this.insert(s);
    } else this.insert(s);
    if (s.status === 'active') this.active.set(key, { ...s, state: { ...s.state } });
    else this.active.delete(key);
  }

  private insert(s: SessionRow): void {
    this.upsertStmt.run(s.id, s.channel, s.externalId, s.subscriberId, s.flowId, s.serviceCode, JSON.stringify(s.state), s.status, s.endReason, s.hops, s.startedAt, s.lastActivityAt, s.endedAt);
  }

  /** Active sessions of a channel quiet since before `cutoff`. */
  stale(channel: string, cutoff: number, limit: number): SessionRow[] {
    return this.staleStmt.all(channel, cutoff, limit).map(fromRow);
  }
}
