import type { Db } from '../db/client';
import { iso } from '../lib/clock';
import type { Metrics } from '../lib/metrics';
import type { Counter } from 'prom-client';
import type { UsageChannel, UsageEventType } from './event-types';
import { UsageRepo } from './usage-repo';

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

/**
 * The durable usage log. `record` writes synchronously inside the caller's transaction, so a hop's
 * session state and its events commit together (a crash never leaves one without the other).
 */
export class UsageLog {
  private readonly repo: UsageRepo;
  private readonly counter: Counter<string>;

  constructor(db: Db, metrics: Metrics) {
    this.repo = new UsageRepo(db);
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
    this.repo.appendAll(events);
    for (const e of events) this.counterFor(e.channel, e.type).inc();
  }

  /** A subscriber's events, newest first, in the contract's JSON shape. */
  list(subscriberId: number, opts: { limit: number; beforeId?: number }): Record<string, unknown>[] {
    return this.repo.listBefore(subscriberId, opts.beforeId ?? Number.MAX_SAFE_INTEGER, opts.limit).map((r) => ({
      id: r.id,
      at: iso(r.at),
      channel: r.channel,
      type: r.type,
      ...(r.sessionId ? { sessionId: r.sessionId } : {}),
      ...(r.flowId ? { flowId: r.flowId } : {}),
      ...(r.nodeId ? { nodeId: r.nodeId } : {}),
      ...(r.detail ? { detail: r.detail } : {}),
    }));
  }
}
