import type { Clock } from '../lib/clock';
import type { Metrics } from '../lib/metrics';
import type { CheckResult, Readiness } from '../lib/readiness';
import type { OutboxHealthStore } from '../messaging/outbox-health-store';

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

/** What the outbox check finds: due messages without a transport, and how long the oldest due one has waited. */
export function checkOutbox(d: OutboxWatchDeps): CheckResult {
  if (!d.health.open) return { ok: false, reasons: [{ code: 'OUTBOX_UNREADABLE', message: 'the outbox cannot be read (database unavailable)' }] };
  const now = d.clock.now();
  const routes = d.health.due(now);
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
  readiness.register('outbox', () => checkOutbox(d));
  metrics.gauge('outbox_oldest_due_seconds', 'How long the oldest due (sendable now) queued message has waited, seconds; 0 when none', [], (g) => {
    if (!d.health.open) return;
    const now = d.clock.now();
    const oldest = d.health.due(now).reduce<number | null>((m, r) => (m === null ? r.oldestDueAt : Math.min(m, r.oldestDueAt)), null);
    g.set(oldest === null ? 0 : Math.max(0, (now - oldest) / 1000));
  });
  metrics.gauge('outbox_depth', 'Outbox messages per route (operator) and state: due (sendable now), deferred (later), sent (awaiting a receipt)', ['operator', 'state'], (g) => {
    if (!d.health.open) return;
    // Routes that emptied drop out instead of keeping their last value.
    g.reset();
    for (const r of d.health.depth(d.clock.now())) {
      const operator = r.operator ?? NO_OPERATOR;
      g.set({ operator, state: 'due' }, r.due);
      g.set({ operator, state: 'deferred' }, r.deferred);
      g.set({ operator, state: 'sent' }, r.sent);
    }
  });
}
