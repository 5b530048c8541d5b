import { sql } from 'drizzle-orm';
import type { Database, Statement } from '../db/database';
import { messages } from '../db/schema';
import type { MessageRow } from './outbox-repo';

/** Due messages of one route (operator; null = numbers no operator owns). */
export interface DueRoute {
  operator: string | null;
  due: number;
  /** due_at of the oldest due message (epoch ms). */
  oldestDueAt: number;
}

/** Outbox rows of one route by state: `due` queued and sendable now, `deferred` queued for later, `sent` awaiting a receipt. */
export interface RouteDepth {
  operator: string | null;
  due: number;
  deferred: number;
  sent: number;
}

/** A recent send failure or temporary error stored on a message. */
export type RecentError = Pick<MessageRow, 'operator' | 'status' | 'errorCode' | 'bindId'> & {
  messageId: string;
  error: string;
  /** When the message last changed (epoch ms). */
  at: number;
};

type RouteCount = { operator: string | null; n: number };

const p = (n: string) => sql.placeholder(n);
const m = messages;

/**
 * Read-only questions about the outbox for /readyz, /metrics and `vasgw status`: what is due per route,
 * how deep each route's queue is, the recent errors. Every query walks the (status, operator, due_at) index.
 */
export class OutboxHealthStore {
  private readonly s: {
    due: Statement<DueRoute, { now: number }>;
    byStatus: Statement<RouteCount, { status: string }>;
    errors: Statement<RecentError, { since: number; limit: number }>;
  };

  constructor(db: Database) {
    this.s = {
      // Routes in operator order (no operator last), so every reader lists them the same way on either engine.
      due: db.statement(
        sql`SELECT ${m.operator} AS "operator", count(*) AS "due", min(${m.dueAt}) AS "oldestDueAt" FROM ${m}
          WHERE ${m.status} = 'queued' AND ${m.dueAt} <= ${p('now')} GROUP BY ${m.operator} ORDER BY ${m.operator} IS NULL, ${m.operator}`,
      ),
      // Counted per status so each count walks one range of the (status, operator, due_at) index.
      byStatus: db.statement(
        sql`SELECT ${m.operator} AS "operator", count(*) AS "n" FROM ${m} WHERE ${m.status} = ${p('status')} GROUP BY ${m.operator} ORDER BY ${m.operator} IS NULL, ${m.operator}`,
      ),
      errors: db.statement(
        sql`SELECT ${m.id} AS "messageId", ${m.operator} AS "operator", ${m.status} AS "status", ${m.error} AS "error", ${m.errorCode} AS "errorCode",
            ${m.bindId} AS "bindId", ${m.updatedAt} AS "at"
          FROM ${m} WHERE ${m.error} IS NOT NULL AND ${m.updatedAt} >= ${p('since')} ORDER BY ${m.updatedAt} DESC, ${m.id} DESC LIMIT ${p('limit')}`,
      ),
    };
  }

  /** Due messages per route as of `now`. */
  async due(now: number): Promise<DueRoute[]> {
    return this.s.due.all({ now });
  }

  /** Queue depth per route and state as of `now`. */
  async depth(now: number): Promise<RouteDepth[]> {
    const out = new Map<string | null, RouteDepth>();
    const route = (operator: string | null) => {
      let r = out.get(operator);
      if (!r) out.set(operator, (r = { operator, due: 0, deferred: 0, sent: 0 }));
      return r;
    };
    // Three reads, not one snapshot: on a busy outbox a message may move between them, as it could before.
    const [queued, due, sent] = await Promise.all([this.s.byStatus.all({ status: 'queued' }), this.due(now), this.s.byStatus.all({ status: 'sent' })]);
    for (const r of queued) route(r.operator).deferred = r.n;
    for (const r of due) {
      const x = route(r.operator);
      x.due = r.due;
      x.deferred -= r.due;
    }
    for (const r of sent) route(r.operator).sent = r.n;
    return [...out.values()];
  }

  /** The latest messages that carry a send error, updated since `since` (newest first). */
  async recentErrors(since: number, limit = 10): Promise<RecentError[]> {
    return this.s.errors.all({ since, limit });
  }
}
