import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { usageEvents } from '../db/schema';

/** A usage event as stored. */
export type UsageEventRow = typeof usageEvents.$inferSelect;

/** A usage event to append (the id is assigned by the database). */
export type NewUsageEvent = Omit<typeof usageEvents.$inferInsert, 'id'>;

const p = <N extends string>(n: N) => sql.placeholder(n);

/** The usage log's table: append-only writes, newest-first reads per subscriber. */
export class UsageRepo {
  private readonly insert;
  private readonly listStmt;

  constructor(db: Db) {
    this.insert = db
      .insert(usageEvents)
      .values({
        at: p('at'),
        subscriberId: p('subscriberId'),
        channel: p('channel'),
        type: p('type'),
        sessionId: p('sessionId'),
        flowId: p('flowId'),
        nodeId: p('nodeId'),
        // Bound already serialized: a placeholder would pass null through JSON.stringify as the text "null".
        detail: sql`${p('detail')}`,
      })
      .prepare();
    this.listStmt = db
      .select()
      .from(usageEvents)
      .where(and(eq(usageEvents.subscriberId, p('subscriberId')), lt(usageEvents.id, p('beforeId'))))
      .orderBy(desc(usageEvents.id))
      .limit(p('limit'))
      .prepare();
  }

  /** Appends one event (inside the caller's transaction when it must commit with other writes). */
  append(e: NewUsageEvent): void {
    this.insert.run({
      at: e.at,
      subscriberId: e.subscriberId,
      channel: e.channel,
      type: e.type,
      sessionId: e.sessionId ?? null,
      flowId: e.flowId ?? null,
      nodeId: e.nodeId ?? null,
      detail: e.detail ? JSON.stringify(e.detail) : null,
    });
  }

  /** A subscriber's events with id below `beforeId`, newest first. */
  listBefore(subscriberId: number, beforeId: number, limit: number): UsageEventRow[] {
    return this.listStmt.all({ subscriberId, beforeId, limit });
  }
}
