import type { Clock } from '../lib/clock';
import type { Metrics } from '../lib/metrics';
import type { CheckResult, Readiness } from '../lib/readiness';
import type { DueRoute, OutboxHealthStore, RouteDepth } from '../messaging/outbox-health-store';

/** The route label of numbers no configured operator owns. */
export const NO_OPERATOR = 'none';

export interface OutboxWatchDeps {
  health: OutboxHealthStore;
  /** Whether some transport can take a message for this operator's numbers now. */
  canCarry(operator: string | null): boolean;
  clock: Clock;
  /** Not ready once the oldest due message has waited longer than this (seconds). */
  maxOldestDueSeconds: number;
}

/**
 * The outbox reads of /readyz and /metrics, one of each kind at a time: probes and scrapes arrive on
 * their own timers, and a read asked for while the same read is in flight shares its answer instead of
 * queueing another behind a slow database.
 */
export class OutboxReads {
  private dueRead: Promise<DueRoute[]> | null = null;
  private depthRead: Promise<RouteDepth[]> | null = null;

  constructor(private readonly health: OutboxHealthStore) {}

  /** Due messages per route as of `now` (or as of the in-flight read's moment). */
  due(now: number): Promise<DueRoute[]> {
    return (this.dueRead ??= this.health.due(now).finally(() => (this.dueRead = null)));
  }

  /** Queue depth per route as of `now` (or as of the in-flight read's moment). */
  depth(now: number): Promise<RouteDepth[]> {
    return (this.depthRead ??= this.health.depth(now).finally(() => (this.depthRead = null)));
  }
}

/** What the outbox check finds: due messages without a transport, and how long the oldest due one has waited. A failed read is not ready. */
export async function checkOutbox(d: OutboxWatchDeps, reads = new OutboxReads(d.health)): Promise<CheckResult> {
  const now = d.clock.now();
  let routes: DueRoute[];
  try {
    routes = await reads.due(now);
  } catch (e) {
    return { ok: false, reasons: [{ code: 'OUTBOX_UNREADABLE', message: `the outbox cannot be read (database unavailable): ${(e as Error).message}` }] };
  }
  let due = 0;
  let oldest: number | null = null;
  const stranded: Array<{ operator: string; due: number }> = [];
  for (const r of routes) {
    due += r.due;
    oldest = oldest === null ? r.oldestDueAt : Math.min(oldest, r.oldestDueAt);
    if (!d.canCarry(r.operator)) stranded.push({ operator: r.operator ?? NO_OPERATOR, due: r.due });
  }
  const oldestDueSeconds = oldest === null ? 0 : Math.max(0, Math.floor((now - oldest) / 1000));
  const reasons: Array<{ code: string; message: string }> = [];
  if (stranded.length > 0) {
    const n = stranded.reduce((a, s) => a + s.due, 0);
    const where = stranded.map((s) => `${s.due} for ${s.operator === NO_OPERATOR ? 'numbers of no configured operator' : `operator ${s.operator}`}`).join(', ');
    reasons.push({ code: 'NO_TRANSPORT', message: `${n} due message${n === 1 ? ' has' : 's have'} no transport able to take them (no bind bound or no route): ${where}` });
  }
  if (oldest !== null && oldestDueSeconds > d.maxOldestDueSeconds) {
    reasons.push({
      code: 'OLDEST_DUE_TOO_OLD',
      message: `the oldest due message has waited ${oldestDueSeconds} s, more than messaging.readiness.maxOldestDueSeconds (${d.maxOldestDueSeconds} s)`,
    });
  }
  return { ok: reasons.length === 0, reasons, detail: { due, oldestDueSeconds, ...(stranded.length ? { noTransport: stranded } : {}) } };
}

/** Registers the outbox readiness check and the outbox depth / oldest-due gauges. */
export function watchOutbox(readiness: Readiness, metrics: Metrics, d: OutboxWatchDeps): void {
  const reads = new OutboxReads(d.health);
  readiness.register('outbox', () => checkOutbox(d, reads));
  // A scrape while the outbox cannot be read keeps the gauges' last values (/readyz says why).
  metrics.gauge('outbox_oldest_due_seconds', 'How long the oldest due (sendable now) queued message has waited, seconds; 0 when none', [], async (g) => {
    const now = d.clock.now();
    const routes = await reads.due(now).catch(() => null);
    if (!routes) return;
    const oldest = routes.reduce<number | null>((m, r) => (m === null ? r.oldestDueAt : Math.min(m, r.oldestDueAt)), null);
    g.set(oldest === null ? 0 : Math.max(0, (now - oldest) / 1000));
  });
  metrics.gauge('outbox_depth', 'Outbox messages per route (operator) and state: due (sendable now), deferred (later), sent (awaiting a receipt)', ['operator', 'state'], async (g) => {
    const depth = await reads.depth(d.clock.now()).catch(() => null);
    if (!depth) return;
    // Routes that emptied drop out instead of keeping their last value.
    g.reset();
    for (const r of depth) {
      const operator = r.operator ?? NO_OPERATOR;
      g.set({ operator, state: 'due' }, r.due);
      g.set({ operator, state: 'deferred' }, r.deferred);
      g.set({ operator, state: 'sent' }, r.sent);
    }
  });
}
