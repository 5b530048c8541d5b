/**
 * Delivery states as reports count them, derived from the outbox row (`messages`, `message_parts`) or
 * the call row (`calls`) an action points at: one source of truth, so a receipt or a provider callback
 * that arrives later changes every report at once, and nothing is copied that could go stale.
 */

/** What became of an SMS: still waiting in the outbox, accepted by the SMSC, receipted, or refused. */
export const SMS_STATES = ['queued', 'sent', 'delivered', 'failed', 'expired', 'blocked'] as const;
/** What became of an outbound call: waiting, being dialled (or between retries), and how it ended. */
export const CALL_STATES = ['queued', 'dialling', 'answered', 'not_answered', 'failed', 'blocked'] as const;

export type SmsState = (typeof SMS_STATES)[number];
export type CallState = (typeof CALL_STATES)[number];
export type DeliveryState = SmsState | CallState;

// The SQL of the delivery states lives in the delivery store; the text forms stay importable from here.
export { acceptedPartsSql, callPlacedSql, callStateSql, smsSentSql, smsStateSql } from './stores/delivery-store';

/** Counts of every state (zeros included) from rows of (state, n), in the order of `states`. */
export function stateCounts<S extends string>(states: readonly S[], rows: readonly { state: string | null; n: number }[]): Record<S, number> {
  const out = Object.fromEntries(states.map((s) => [s, 0])) as Record<S, number>;
  for (const r of rows) if (r.state !== null && (states as readonly string[]).includes(r.state)) out[r.state as S] += r.n;
  return out;
}
