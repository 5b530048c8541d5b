import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/client';
import { iso } from '../lib/clock';
import type { Metrics } from '../lib/metrics';
import type { Counter } from 'prom-client';
import type { UsageChannel, UsageEventType } from './event-types';

export type { UsageChannel, UsageEventType };

/** One step of one subscriber's usage. */
export interface UsageEvent {
  at: number;
  subscriberId: number;
  channel: UsageChannel;
  type: UsageEventType;
  sessionId?: string | null;
  flowId?: string | null;
  nodeId?: string | null;
  detail?: Record<string, unknown> | null;
}

interface Row {
  id: number;
  at: number;
  channel: string;
  type: string;
  session_id: string | null;
  flow_id: string | null;
  node_id: string | null;
  detail: string | null;
}

/**
 * The durable usage log. `record` writes synchronously inside the caller's transaction, so a hop's
 * session state and its events commit together (a crash never leaves one without the other).
 */
export class UsageLog {
  private readonly insert: Statement;
  private readonly listStmt: Statement<[number, number, number], Row>;
  private readonly counter: Counter<string>;

  constructor(db: Db, metrics: Metrics) {
    this.insert = db.$client.prepare(
      'INSERT INTO usage_events (at, subscriber_id, channel, type, session_id, flow_id, node_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.listStmt = db.$client.prepare(
      'SELECT id, at, channel, type, session_id, flow_id, node_id, detail FROM usage_events WHERE subscriber_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
    );
    this.counter = metrics.counter('usage_events_total', 'Usage events recorded', ['channel', 'type']);
  }

  // Labelled children cached: looking labels up per event costs more than the insert's bookkeeping.
  private readonly children = new Map<string, { inc(): void }>();
  private counterFor(channel: string, type: string): { inc(): void } {
    const key = `${channel} ${type}`;
    let c = this.children.get(key);
    if (!c) this.children.set(key, (c = this.counter.labels({ channel, type })));
    return c;
  }

  /** Appends events (call inside a transaction when they must commit with other writes). */
  record(events: readonly UsageEvent[]): void {
    for (const e of events) {
      this.insert.run(e.at, e.subscriberId, e.channel, e.type, e.sessionId ?? null, e.flowId ?? null, e.nodeId ?? null, e.detail ? JSON.stringify(e.detail) : null);
      this.counterFor(e.channel, e.type).inc();
    }
  }

  /** A subscriber's events, newest first, in the contract's JSON shape. */
  list(subscriberId: number, opts: { limit: number; beforeId?: number }): Record<string, unknown>[] {
    return this.listStmt.all(subscriberId, opts.beforeId ?? Number.MAX_SAFE_INTEGER, opts.limit).map((r) => ({
      id: r.id,
      at: iso(r.at),
      channel: r.channel,
      type: r.type,
      ...(r.session_id ? { sessionId: r.session_id } : {}),
      ...(r.flow_id ? { flowId: r.flow_id } : {}),
      ...(r.node_id ? { nodeId: r.node_id } : {}),
      ...(r.detail ? { detail: JSON.parse(r.detail) as unknown } : {}),
    }));
  }
}
