import { and, asc, desc, eq, gte, lt, sql, type Column } from 'drizzle-orm';
import type { Db } from '../db/client';
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

const p = <N extends string>(n: N) => sql.placeholder(n);

/** The row as read: the json column comes back parsed; its shape is ours (written only by save()). */
const asSession = (r: typeof sessions.$inferSelect | undefined): SessionRow | null => (r ? (r as unknown as SessionRow) : null);

/** Data access for sessions (prepared statements: this is on every hop). */
export class SessionRepo {
  private readonly byExternal;
  private readonly byId;
  private readonly lastOf;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly staleStmt;

  constructor(db: Db) {
    this.byExternal = db
      .select()
      .from(sessions)
      .where(and(eq(sessions.channel, p('channel')), eq(sessions.externalId, p('externalId'))))
      .prepare();
    this.byId = db.select().from(sessions).where(eq(sessions.id, p('id'))).prepare();
    this.lastOf = db
      .select()
      .from(sessions)
      .where(
        and(
          eq(sessions.subscriberId, p('subscriberId')),
          eq(sessions.flowId, p('flowId')),
          eq(sessions.channel, p('channel')),
          gte(sessions.lastActivityAt, p('since')),
        ),
      )
      .orderBy(desc(sessions.startedAt))
      .limit(1)
      .prepare();
    const excluded = (c: Column) => sql`excluded.${name(c)}`;
    this.insertStmt = db
      .insert(sessions)
      .values({
        id: p('id'),
        channel: p('channel'),
        externalId: p('externalId'),
        subscriberId: p('subscriberId'),
        flowId: p('flowId'),
        serviceCode: p('serviceCode'),
        state: p('state'),
        status: p('status'),
        endReason: p('endReason'),
        hops: p('hops'),
        startedAt: p('startedAt'),
        lastActivityAt: p('lastActivityAt'),
        endedAt: p('endedAt'),
      })
      .onConflictDoUpdate({
        target: sessions.id,
        set: {
          state: excluded(sessions.state),
          status: excluded(sessions.status),
          endReason: excluded(sessions.endReason),
          hops: excluded(sessions.hops),
          lastActivityAt: excluded(sessions.lastActivityAt),
          endedAt: excluded(sessions.endedAt),
        },
      })
      .prepare();
    this.updateStmt = db
      .update(sessions)
      // Placeholders go in as SQL here, so the state is bound already serialized.
      .set({
        state: sql`${p('state')}`,
        status: sql`${p('status')}`,
        endReason: sql`${p('endReason')}`,
        hops: sql`${p('hops')}`,
        lastActivityAt: sql`${p('lastActivityAt')}`,
        endedAt: sql`${p('endedAt')}`,
      })
      .where(eq(sessions.id, p('id')))
      .prepare();
    this.staleStmt = db
      .select()
      .from(sessions)
      .where(and(eq(sessions.status, 'active'), eq(sessions.channel, p('channel')), lt(sessions.lastActivityAt, p('cutoff'))))
      .orderBy(asc(sessions.lastActivityAt))
      .limit(p('limit'))
      .prepare();
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
    return asSession(this.byExternal.get({ channel, externalId }));
  }

  /** Drops cached sessions after a rolled-back write (the database is the truth again). */
  forgetCached(): void {
    this.active.clear();
  }

  /** The session by our id. */
  findById(id: string): SessionRow | null {
    return asSession(this.byId.get({ id }));
  }

  /** The subscriber's latest session of a flow on a channel active since `since`. */
  lastSession(subscriberId: number, flowId: string, channel: string, since: number): SessionRow | null {
    return asSession(this.lastOf.get({ subscriberId, flowId, channel, since }));
  }

  /** Inserts or updates a session. */
  save(s: SessionRow): void {
    // A plain UPDATE for a known session: this runs on every hop.
    const key = `${s.channel}\u0000${s.externalId}`;
    if (s.hops > 1 || this.active.has(key)) {
      const changed = this.updateStmt.run({
        id: s.id,
        state: JSON.stringify(s.state),
        status: s.status,
        endReason: s.endReason,
        hops: s.hops,
        lastActivityAt: s.lastActivityAt,
        endedAt: s.endedAt,
      }).changes;
      if (changed === 0) this.insert(s);
    } else this.insert(s);
    if (s.status === 'active') this.active.set(key, { ...s, state: { ...s.state } });
    else this.active.delete(key);
  }

  private insert(s: SessionRow): void {
    this.insertStmt.run({ ...s });
  }

  /** Active sessions of a channel quiet since before `cutoff`. */
  stale(channel: string, cutoff: number, limit: number): SessionRow[] {
    return this.staleStmt.all({ channel, cutoff, limit }).map((r) => r as unknown as SessionRow);
  }
}
