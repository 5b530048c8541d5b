import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { name, prepare } from '../db/statement';
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
    // Raw and positional: one to three of these run on every hop. The detail is bound already serialized.
    const u = usageEvents;
    const cols = [u.at, u.subscriberId, u.channel, u.type, u.sessionId, u.flowId, u.nodeId, u.detail];
    this.insert = prepare(db, sql`INSERT INTO ${u} (${sql.join(cols.map(name), sql`, `)}) VALUES (${sql.join(cols.map(() => sql`?`), sql`, `)})`).statement;
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
    this.insert.run(e.at, e.subscriberId, e.channel, e.type, e.sessionId ?? null, e.flowId ?? null, e.nodeId ?? null, e.detail ? JSON.stringify(e.detail) : null);
  }

  /** A subscriber's events with id below `beforeId`, newest first. */
  listBefore(subscriberId: number, beforeId: number, limit: number): UsageEventRow[] {
    return this.listStmt.all({ subscriberId, beforeId, limit });
  }
}
