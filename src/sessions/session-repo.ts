import { getTableColumns, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/database';
import { json } from '../db/portable';
import { selectList } from '../db/select-list';
import { sessions } from '../db/schema';
import { name } from '../db/statement';
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

/** The row as a raw statement returns it: the state JSON text on SQLite, parsed jsonb on PostgreSQL. */
type StoredRow = Omit<SessionRow, 'state'> & { state: unknown };

const p = <N extends string>(n: N) => sql.placeholder(n);
const s = sessions;

const fromRow = (r: StoredRow | undefined): SessionRow | null => (r ? { ...r, state: json<StoredState>(r.state) } : null);

/** The columns a save may change, by schema key. */
const UPDATED = ['state', 'status', 'endReason', 'hops', 'lastActivityAt', 'endedAt'] as const;

/**
 * Data access for sessions, on both engines. The row is the truth: consecutive hops of one session may
 * land on different processes. A process keeps the active sessions it last saved (every hop reads its
 * session, and this saves the SELECT), and every update of a known session names the hop count it was
 * computed from (`WHERE hops = :was`): an update from a copy another process (or a rolled-back unit)
 * has overtaken changes no row, and the caller reloads the row and recomputes.
 */
export class SessionRepo {
  private readonly byExternal;
  private readonly byId;
  private readonly lastOf;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly hopStmt;
  private readonly staleStmt;

  constructor(database: Database) {
    const all = selectList(s);
    this.byExternal = database.statement<StoredRow, { channel: string; externalId: string }>(
      sql`SELECT ${all} FROM ${s} WHERE ${s.channel} = ${p('channel')} AND ${s.externalId} = ${p('externalId')}`,
    );
    this.byId = database.statement<StoredRow, { id: string }>(sql`SELECT ${all} FROM ${s} WHERE ${s.id} = ${p('id')}`);
    this.lastOf = database.statement<StoredRow, { subscriberId: number; flowId: string; channel: string; since: number }>(
      sql`SELECT ${all} FROM ${s} WHERE ${s.subscriberId} = ${p('subscriberId')} AND ${s.flowId} = ${p('flowId')} AND ${s.channel} = ${p('channel')}
        AND ${s.lastActivityAt} >= ${p('since')} ORDER BY ${s.startedAt} DESC LIMIT 1`,
    );
    // Placeholders are named by schema key, so a row binds as it is. A session the channel already
    // started (another process took the same first hop) is left as it is: the caller continues that one.
    const cols = Object.entries(getTableColumns(s));
    this.insertStmt = database.statement<never, Record<string, unknown>>(
      sql`INSERT INTO ${s} (${sql.join(cols.map(([, c]) => name(c)), sql`, `)}) VALUES (${sql.join(cols.map(([k]) => p(k)), sql`, `)})
        ON CONFLICT DO NOTHING`,
    );
    const updated = cols.filter(([k]) => (UPDATED as readonly string[]).includes(k));
    this.updateStmt = database.statement<never, Record<string, unknown>>(
      sql`UPDATE ${s} SET ${sql.join(updated.map(([k, c]) => sql`${name(c)} = ${p(k)}`), sql`, `)}
        WHERE ${name(s.id)} = ${p('id')} AND ${name(s.hops)} = ${p('was')} AND ${name(s.status)} = 'active'`,
    );
    // A hop that leaves the session active writes no indexed column, so SQLite rewrites only the row (the
    // WHERE keeps it exact: a row not active and open takes the full update instead).
    this.hopStmt = database.statement<never, { state: string; hops: number; lastActivityAt: number; id: string; was: number }>(
      sql`UPDATE ${s} SET ${name(s.state)} = ${p('state')}, ${name(s.hops)} = ${p('hops')}, ${name(s.lastActivityAt)} = ${p('lastActivityAt')}
        WHERE ${name(s.id)} = ${p('id')} AND ${name(s.hops)} = ${p('was')} AND ${name(s.status)} = 'active' AND ${name(s.endReason)} IS NULL AND ${name(s.endedAt)} IS NULL`,
    );
    // The index is on (status, started_at), which hops never change; a session quiet since before the cutoff
    // started before it too (times come from one clock that does not run backwards).
    this.staleStmt = database.statement<StoredRow, { channel: string; cutoff: number; limit: number }>(
      sql`SELECT ${all} FROM ${s} WHERE ${s.status} = 'active' AND ${s.startedAt} < ${p('cutoff')} AND ${s.channel} = ${p('channel')}
        AND ${s.lastActivityAt} < ${p('cutoff')} ORDER BY ${s.lastActivityAt} LIMIT ${p('limit')}`,
    );
  }

  /**
   * Active sessions as this process last saved them, by channel and external id. Only a hint: a save
   * from it checks the hop count against the row (see the class comment). Callers get a copy whose
   * `state` they may replace field by field.
   */
  private readonly active = new Map<string, SessionRow>();

  /** The session a channel knows by its own id, as the row holds it now. */
  async findByExternal(channel: string, externalId: string, tx?: Tx): Promise<SessionRow | null> {
    return fromRow(await this.byExternal.get({ channel, externalId }, tx));
  }

  /** The session as this process last saved it, else as the row holds it (a hop's read: its save checks). */
  async recent(channel: string, externalId: string, tx: Tx): Promise<SessionRow | null> {
    const hit = this.active.get(`${channel}\u0000${externalId}`);
    if (hit) return { ...hit, state: { ...hit.state } };
    return this.findByExternal(channel, externalId, tx);
  }

  /** Forgets this process's copy of one session (it was overtaken). */
  forget(channel: string, externalId: string): void {
    this.active.delete(`${channel}\u0000${externalId}`);
  }

  /** Drops every remembered session (after a rolled-back unit: the rows are the truth again). */
  forgetCached(): void {
    this.active.clear();
  }

  /** The session by our id. */
  async findById(id: string, tx?: Tx): Promise<SessionRow | null> {
    return fromRow(await this.byId.get({ id }, tx));
  }

  /** The subscriber's latest session of a flow on a channel active since `since`. */
  async lastSession(subscriberId: number, flowId: string, channel: string, since: number, tx: Tx): Promise<SessionRow | null> {
    return fromRow(await this.lastOf.get({ subscriberId, flowId, channel, since }, tx));
  }

  /** Inserts a new session; false when the channel's session id is already taken (another process started it). */
  async insert(r: SessionRow, tx: Tx): Promise<boolean> {
    const done = (await this.insertStmt.run({ ...r, state: JSON.stringify(r.state) }, tx)) === 1;
    if (done) this.remember(r);
    return done;
  }

  /**
   * Saves a known, active session computed from the row with `was` hops; false (nothing written) when
   * the row has moved on since or is no longer active.
   */
  async update(r: SessionRow, was: number, tx: Tx): Promise<boolean> {
    const state = JSON.stringify(r.state);
    const open = r.status === 'active' && r.endReason === null && r.endedAt === null;
    const changed = open
      ? await this.hopStmt.run({ state, hops: r.hops, lastActivityAt: r.lastActivityAt, id: r.id, was }, tx)
      : await this.updateStmt.run({ ...r, state, was }, tx);
    if (changed === 1) this.remember(r);
    else this.forget(r.channel, r.externalId);
    return changed === 1;
  }

  /** Active sessions of a channel quiet since before `cutoff`. */
  async stale(channel: string, cutoff: number, limit: number): Promise<SessionRow[]> {
    return (await this.staleStmt.all({ channel, cutoff, limit })).map((r) => fromRow(r)!);
  }

  private remember(r: SessionRow): void {
    const key = `${r.channel}\u0000${r.externalId}`;
    if (r.status === 'active') this.active.set(key, { ...r, state: { ...r.state } });
    else this.active.delete(key);
  }
}
