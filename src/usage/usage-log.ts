import type { Database, Tx } from '../db/database';
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
 * The durable usage log. `recordIn` writes inside the caller's unit of work, so a hop's session state
 * and its events commit together (a crash never leaves one without the other).
 */
export class UsageLog {
  private readonly repo: UsageRepo;
  private readonly counter: Counter<string>;

  constructor(metrics: Metrics, database: Database) {
    this.repo = new UsageRepo(database);
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

  /** Appends events inside unit of work `tx`, on either engine: they commit with the unit's other writes. */
  async recordIn(tx: Tx, events: readonly UsageEvent[]): Promise<void> {
    await this.repo.appendAllIn(tx, events);
    for (const e of events) this.counterFor(e.channel, e.type).inc();
  }

  /** A subscriber's events, newest first, in the contract's JSON shape. */
  async list(subscriberId: number, opts: { limit: number; beforeId?: number }): Promise<Record<string, unknown>[]> {
    return (await this.repo.listBefore(subscriberId, opts.beforeId ?? Number.MAX_SAFE_INTEGER, opts.limit)).map((r) => ({
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
