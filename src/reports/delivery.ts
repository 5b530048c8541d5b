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

/** SQL: the delivery state of the SMS in row alias `m` (the outbox status is already one of SMS_STATES). */
export const smsStateSql = (m: string): string => `${m}.status`;

/** SQL: whether the SMSC accepted message `m` (any part): it left the outbox, whatever its receipt said later. */
export const smsSentSql = (m: string): string =>
  `CASE WHEN ${m}.status IN ('sent', 'delivered') THEN 1 WHEN ${m}.status IN ('failed', 'expired') THEN EXISTS (SELECT 1 FROM message_parts mp WHERE mp.message_id = ${m}.id) ELSE 0 END`;

/**
 * SQL: how many parts of message `m` the SMSC accepted (what the operator bills: it bills on submit).
 * A message is `sent` only once every part was accepted, so only failed, expired and multi-part queued
 * messages (a retry of the missing parts) need the parts table.
 */
export const acceptedPartsSql = (m: string): string =>
  `CASE WHEN ${m}.status IN ('sent', 'delivered') THEN ${m}.parts WHEN ${m}.status = 'blocked' OR (${m}.status = 'queued' AND ${m}.parts = 1) THEN 0
     ELSE (SELECT count(*) FROM message_parts mp WHERE mp.message_id = ${m}.id) END`;

/** SQL: the delivery state of the call in row alias `c`. A call picked up counts as answered whatever came after. */
export const callStateSql = (c: string): string =>
  `CASE WHEN ${c}.answered_at IS NOT NULL THEN 'answered'
     WHEN ${c}.status = 'queued' THEN 'queued'
     WHEN ${c}.status IN ('dialing', 'ringing', 'in_progress', 'retry_wait') THEN 'dialling'
     WHEN ${c}.status IN ('no_answer', 'busy') THEN 'not_answered'
     WHEN ${c}.status = 'blocked' THEN 'blocked'
     ELSE 'failed' END`;

/**
 * SQL: whether the call was placed, i.e. the provider took the dial request (it named the attempt, the
 * phone rang unanswered or was picked up). A dial the provider refused (`provider_not_configured`,
 * an HTTP error) was never placed, though the row went through `dialing`.
 */
export const callPlacedSql = (c: string): string =>
  `(${c}.provider_ref IS NOT NULL OR ${c}.answered_at IS NOT NULL OR ${c}.status IN ('ringing', 'in_progress', 'completed', 'no_answer', 'busy') OR ${c}.reason IN ('no_answer', 'busy'))`;

/** Counts of every state (zeros included) from rows of (state, n), in the order of `states`. */
export function stateCounts<S extends string>(states: readonly S[], rows: readonly { state: string | null; n: number }[]): Record<S, number> {
  const out = Object.fromEntries(states.map((s) => [s, 0])) as Record<S, number>;
  for (const r of rows) if (r.state !== null && (states as readonly string[]).includes(r.state)) out[r.state as S] += r.n;
  return out;
}
