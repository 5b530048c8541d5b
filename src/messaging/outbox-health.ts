import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/client';

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
export interface RecentError {
  messageId: string;
  operator: string | null;
  status: string;
  error: string;
  errorCode: number | null;
  bindId: string | null;
  at: number;
}

/**
 * Read-only questions about the outbox for /readyz, /metrics and `vasgw status`: what is due per route,
 * how deep each route's queue is, the recent errors. Every query walks the (status, operator, due_at) index.
 */
export class OutboxHealth {
  private readonly s: Record<'due' | 'byStatus' | 'errors', Statement>;

  constructor(private readonly db: Db) {
    const c = db.$client;
    this.s = {
      due: c.prepare("SELECT operator, count(*) AS n, min(due_at) AS oldest FROM messages WHERE status = 'queued' AND due_at <= ? GROUP BY operator"),
      // Counted per status so each count walks one range of the (status, operator, due_at) index.
      byStatus: c.prepare('SELECT operator, count(*) AS n FROM messages WHERE status = ? GROUP BY operator'),
      errors: c.prepare(`SELECT id, operator, status, error, error_code, bind_id, updated_at FROM messages
          WHERE error IS NOT NULL AND updated_at >= ? ORDER BY updated_at DESC LIMIT ?`),
    };
  }

  /** Whether the database can still be read (a closed handle answers nothing). */
  get open(): boolean {
    return this.db.$client.open;
  }

  /** Due messages per route as of `now`. */
  due(now: number): DueRoute[] {
    return (this.s.due.all(now) as Array<{ operator: string | null; n: number; oldest: number }>).map((r) => ({ operator: r.operator, due: r.n, oldestDueAt: r.oldest }));
  }

  /** Queue depth per route and state as of `now`. */
  depth(now: number): RouteDepth[] {
    const out = new Map<string | null, RouteDepth>();
    const route = (operator: string | null) => {
      let r = out.get(operator);
      if (!r) out.set(operator, (r = { operator, due: 0, deferred: 0, sent: 0 }));
      return r;
    };
    type Count = { operator: string | null; n: number };
    for (const r of this.s.byStatus.all('queued') as Count[]) route(r.operator).deferred = r.n;
    for (const r of this.due(now)) {
      const x = route(r.operator);
      x.due = r.due;
      x.deferred -= r.due;
    }
    for (const r of this.s.byStatus.all('sent') as Count[]) route(r.operator).sent = r.n;
    return [...out.values()];
  }

  /** The latest messages that carry a send error, updated since `since` (newest first). */
  recentErrors(since: number, limit = 10): RecentError[] {
    type Raw = { id: string; operator: string | null; status: string; error: string; error_code: number | null; bind_id: string | null; updated_at: number };
    return (this.s.errors.all(since, limit) as Raw[]).map((r) => ({
      messageId: r.id,
      operator: r.operator,
      status: r.status,
      error: r.error,
      errorCode: r.error_code,
      bindId: r.bind_id,
      at: r.updated_at,
    }));
  }
}
