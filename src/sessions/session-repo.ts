import { getTableColumns, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { selectList } from '../db/select-list';
import { sessions } from '../db/schema';
import { name, prepare } from '../db/statement';
import type { EngineState } from '../engine/types';

/** What a session row keeps between hops. */
export interface StoredState {
  engine: EngineState;
  /** Africa's Talking history pieces already applied (its `text` grows with every hop). */
  consumed: number;
  /** Consecutive hops with no input (IVR). */
  noInput: number;
}

/** A session as stored, with its state parsed into what the engine keeps. */
export type SessionRow = Omit<typeof sessions.$inferSelect, 'state'> & { state: StoredState };

/** The row as a raw statement returns it: the state still JSON text. */
type StoredRow = Omit<SessionRow, 'state'> & { state: string };

const p = <N extends string>(n: N) => sql.placeholder(n);
const s = sessions;

const fromRow = (r: StoredRow | undefined): SessionRow | null => (r ? { ...r, state: JSON.parse(r.state) as StoredState } : null);

/** Data access for sessions (prepared raw statements: this is on every hop, drizzle's row mapping costs). */
export class SessionRepo {
  private readonly byExternal;
  private readonly byId;
  private readonly lastOf;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly hopStmt;
  private readonly staleStmt;

  constructor(db: Db) {
    const all = selectList(s);
    this.byExternal = prepare<StoredRow, { channel: string; externalId: string }>(
      db,
      sql`SELECT ${all} FROM ${s} WHERE ${s.channel} = ${p('channel')} AND ${s.externalId} = ${p('externalId')}`,
    );
    this.byId = prepare<StoredRow, { id: string }>(db, sql`SELECT ${all} FROM ${s} WHERE ${s.id} = ${p('id')}`);
    this.lastOf = prepare<StoredRow, { subscriberId: number; flowId: string; channel: string; since: number }>(
      db,
      sql`SELECT ${all} FROM ${s} WHERE ${s.subscriberId} = ${p('subscriberId')} AND ${s.flowId} = ${p('flowId')} AND ${s.channel} = ${p('channel')}
        AND ${s.lastActivityAt} >= ${p('since')} ORDER BY ${s.startedAt} DESC LIMIT 1`,
    );
    // Placeholders are named by schema key, so a row binds as it is.
    const cols = Object.entries(getTableColumns(s));
    const updated = cols.filter(([k]) => (['state', 'status', 'endReason', 'hops', 'lastActivityAt', 'endedAt'] as string[]).includes(k));
    this.insertStmt = prepare<never, Record<string, unknown>>(
      db,
      sql`INSERT INTO ${s} (${sql.join(cols.map(([, c]) => name(c)), sql`, `)}) VALUES (${sql.join(cols.map(([k]) => p(k)), sql`, `)})
        ON CONFLICT (${name(s.id)}) DO UPDATE SET ${sql.join(updated.map(([, c]) => sql`${name(c)} = excluded.${name(c)}`), sql`, `)}`,
    );
    this.updateStmt = prepare<never, Record<string, unknown>>(
      db,
      sql`UPDATE ${s} SET ${sql.join(updated.map(([k, c]) => sql`${name(c)} = ${p(k)}`), sql`, `)} WHERE ${name(s.id)} = ${p('id')}`,
    );
    // A hop that leaves the session active writes no indexed column, so SQLite rewrites only the row (the
    // WHERE keeps it exact: a row not active and open takes the full update instead). Positional: every hop.
    this.hopStmt = prepare(
      db,
      sql`UPDATE ${s} SET ${name(s.state)} = ?, ${name(s.hops)} = ?, ${name(s.lastActivityAt)} = ?
        WHERE ${name(s.id)} = ? AND ${name(s.status)} = 'active' AND ${name(s.endReason)} IS NULL AND ${name(s.endedAt)} IS NULL`,
    ).statement;
    // The index is on (status, started_at), which hops never change; a session quiet since before the cutoff
    // started before it too (times come from one clock that does not run backwards).
    this.staleStmt = prepare<StoredRow, { channel: string; cutoff: number; limit: number }>(
      db,
      sql`SELECT ${all} FROM ${s} WHERE ${s.status} = 'active' AND ${s.startedAt} < ${p('cutoff')} AND ${s.channel} = ${p('channel')}
        AND ${s.lastActivityAt} < ${p('cutoff')} ORDER BY ${s.lastActivityAt} LIMIT ${p('limit')}`,
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
    return fromRow(this.byExternal.get({ channel, externalId }));
  }

  /** Drops cached sessions after a rolled-back write (the database is the truth again). */
  forgetCached(): void {
    this.active.clear();
  }

  /** The session by our id. */
  findById(id: string): SessionRow | null {
    return fromRow(this.byId.get({ id }));
  }

  /** The subscriber's latest session of a flow on a channel active since `since`. */
  lastSession(subscriberId: number, flowId: string, channel: string, since: number): SessionRow | null {
    return fromRow(this.lastOf.get({ subscriberId, flowId, channel, since }));
  }

  /** Inserts or updates a session. */
  save(r: SessionRow): void {
    // A plain UPDATE for a known session: this runs on every hop.
    const key = `${r.channel}\u0000${r.externalId}`;
    const state = JSON.stringify(r.state);
    const known = r.hops > 1 || this.active.has(key);
    const open = r.status === 'active' && r.endReason === null && r.endedAt === null;
    if (known && open && this.hopStmt.run(state, r.hops, r.lastActivityAt, r.id).changes === 1) {
      // the row was active and open: what it holds now equals r
    } else {
      const values = { ...r, state };
      if (known) {
        if (this.updateStmt.run(values) === 0) this.insertStmt.run(values);
      } else this.insertStmt.run(values);
    }
    if (r.status === 'active') this.active.set(key, { ...r, state: { ...r.state } });
    else this.active.delete(key);
  }

  /** Active sessions of a channel quiet since before `cutoff`. */
  stale(channel: string, cutoff: number, limit: number): SessionRow[] {
    return this.staleStmt.all({ channel, cutoff, limit }).map((r) => fromRow(r)!);
  }
}
