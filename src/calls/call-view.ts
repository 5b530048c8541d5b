import { iso } from '../lib/clock';
import { FINAL, type CallRow } from './types';

/** The public JSON shape of a call (GET /api/v1/calls/:id); times in ISO-8601. */
export function callView(c: CallRow, maxAttempts: number): Record<string, unknown> {
  return {
    id: c.id,
    to: c.msisdn,
    flowId: c.flowId,
    startNode: c.startNode,
    kind: c.kind,
    source: c.source,
    status: c.status,
    reason: c.reason,
    attempts: c.attempts,
    maxAttempts,
    nextAttemptAt: FINAL.includes(c.status) ? null : iso(c.nextAttemptAt),
    sessionId: c.sessionId,
    hangupCause: c.hangupCause,
    durationSeconds: c.durationSeconds,
    cost: c.amount == null ? null : { amount: c.amount, currency: c.currency },
    createdAt: iso(c.createdAt),
    dialedAt: iso(c.dialedAt),
    answeredAt: iso(c.answeredAt),
    endedAt: iso(c.endedAt),
  };
}
