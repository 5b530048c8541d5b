import type { Statement } from 'better-sqlite3';
import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { name, prepare } from '../db/statement';
import { usageEvents } from '../db/schema';

/** A usage event as stored. */
export type UsageEventRow = typeof usageEvents.$inferSelect;

/** A usage event to append (the id is assigned by the database). */
export type NewUsageEvent = Omit<typeof usageEvents.$inferInsert, 'id'>;

const p = <N extends string>(n: N) => sql.placeholder(n);

/** Most rows one multi-row INSERT takes (8 values each, far below SQLite's limit on bound values). */
const MANY = 16;

/** The usage log's table: append-only writes, newest-first reads per subscriber. */
export class UsageRepo {
  private readonly insert;
  /** INSERTs of 1..MANY rows, prepared on first use: a hop appends one to three events in one statement call. */
  private readonly inserts: Statement[] = [];
  private readonly head: SQL;
  private readonly listStmt;

  constructor(private readonly db: Db) {
    // Raw and positional: one to three of these run on every hop. The detail is bound already serialized.
    const u = usageEvents;
    const cols = [u.at, u.subscriberId, u.channel, u.type, u.sessionId, u.flowId, u.nodeId, u.detail];
    this.head = sql`INSERT INTO ${u} (${sql.join(cols.map(name), sql`, `)}) VALUES `;
    this.insert = this.insertOf(1);
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

  /**
   * Appends events in one statement per MANY (same order, so the same ids as one by one; inside the caller's
   * transaction when they must commit with other writes).
   */
  appendAll(events: readonly NewUsageEvent[]): void {
    for (let i = 0; i < events.length; i += MANY) {
      const n = Math.min(MANY, events.length - i);
      if (n === 1) {
        this.append(events[i]!);
        continue;
      }
      const values: unknown[] = new Array(n * 8);
      for (let j = 0; j < n; j++) {
        const e = events[i + j]!;
        const k = j * 8;
        values[k] = e.at;
        values[k + 1] = e.subscriberId;
        values[k + 2] = e.channel;
        values[k + 3] = e.type;
        values[k + 4] = e.sessionId ?? null;
        values[k + 5] = e.flowId ?? null;
        values[k + 6] = e.nodeId ?? null;
        values[k + 7] = e.detail ? JSON.stringify(e.detail) : null;
      }
      (this.inserts[n] ??= this.insertOf(n)).run(values);
    }
  }

  private insertOf(rows: number): Statement {
    const row = sql`(?, ?, ?, ?, ?, ?, ?, ?)`;
    return prepare(this.db, sql`${this.head}${sql.join(new Array<SQL>(rows).fill(row), sql`, `)}`).statement as Statement;
  }

  /** A subscriber's events with id below `beforeId`, newest first. */
  listBefore(subscriberId: number, beforeId: number, limit: number): UsageEventRow[] {
    return this.listStmt.all({ subscriberId, beforeId, limit });
  }
}
