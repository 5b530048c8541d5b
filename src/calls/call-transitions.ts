import { iso } from '../lib/clock';
import type { CallOutcome } from './call-service';
import type { CallRow, CallStatus } from './types';

// What each event does to a call, decided on the row as read: shared by the unit-of-work forms of
// CallService and the synchronous forms kept for areas not yet on units, so both change a call alike.

/** A `call_status` usage event's detail. */
export type StatusDetail = Record<string, unknown> & { status: CallStatus | 'answered' };

/** The retry rule of `ivr.retry`. */
export interface RetryRule {
  attempts: number;
  spacingSeconds: number;
}

/**
 * The subscriber answered: the call as it now stands and whether it changed, or null when the answer
 * is not about this call's current attempt.
 */
export function answer(call: CallRow, providerRef: string | null, now: number): { call: CallRow; changed: boolean } | null {
  if (call.status === 'in_progress') return { call, changed: false };
  if (call.status !== 'dialing' && call.status !== 'ringing') return null;
  if (providerRef && call.providerRef && call.providerRef !== providerRef) return null;
  Object.assign(call, { status: 'in_progress', providerRef: call.providerRef ?? providerRef, answeredAt: now, updatedAt: now });
  return { call, changed: true };
}

/**
 * The provider's final word on an attempt: the status event to record and the counter's label, or null
 * when it changes nothing (a repeat, or about an older attempt). No answer and busy retry while attempts remain.
 */
export function finish(c: CallRow, outcome: CallOutcome, now: number, retryRule: RetryRule): { event: StatusDetail; counted: string } | null {
  if (outcome.providerRef && c.providerRef && c.providerRef !== outcome.providerRef) return null;
  if (c.status !== 'dialing' && c.status !== 'ringing' && c.status !== 'in_progress') return null;
  // A call the subscriber picked up counts as completed whatever the hang-up cause says.
  const status: CallOutcome['status'] = c.status === 'in_progress' ? 'completed' : outcome.status;
  c.providerRef = c.providerRef ?? outcome.providerRef ?? null;
  c.hangupCause = outcome.hangupCause ?? null;
  c.durationSeconds = outcome.durationSeconds ?? c.durationSeconds;
  c.amount = outcome.amount ?? c.amount;
  c.currency = outcome.currency ?? c.currency;
  c.updatedAt = now;
  const retry = (status === 'no_answer' || status === 'busy') && c.attempts < retryRule.attempts;
  if (retry) {
    Object.assign(c, { status: 'retry_wait', reason: status, nextAttemptAt: now + retryRule.spacingSeconds * 1000 });
  } else {
    Object.assign(c, { status, reason: status === 'completed' ? null : status, nextAttemptAt: null, endedAt: now });
  }
  const event: StatusDetail = {
    status,
    attempt: c.attempts,
    willRetry: retry,
    ...(retry ? { nextAttemptAt: iso(c.nextAttemptAt) } : {}),
    ...(c.hangupCause ? { hangupCause: c.hangupCause } : {}),
    ...(c.durationSeconds != null ? { durationSeconds: c.durationSeconds } : {}),
    ...(c.amount != null ? { amount: c.amount, currency: c.currency } : {}),
  };
  return { event, counted: retry ? 'retry_wait' : status };
}

/** The provider refused a dial request: retried sooner than a no-answer while attempts remain, else failed. */
export function dialRefused(c: CallRow, code: string, retryable: boolean, now: number, retryRule: RetryRule): { event: StatusDetail; counted: string } {
  const retry = retryable && c.attempts < retryRule.attempts;
  c.updatedAt = now;
  if (retry) {
    // A provider hiccup is not the subscriber's silence: try again sooner than a no-answer retry.
    const backoff = Math.min(retryRule.spacingSeconds, 60 * c.attempts) * 1000;
    Object.assign(c, { status: 'retry_wait', reason: code, nextAttemptAt: now + backoff });
  } else {
    Object.assign(c, { status: 'failed', reason: code, nextAttemptAt: null, endedAt: now });
  }
  return { event: { status: 'failed', reason: code, attempt: c.attempts, willRetry: retry }, counted: retry ? 'retry_wait' : 'failed' };
}
