import type { Config } from '../config';
import { quietUntil } from '../messaging/quiet-hours';
import type { MessageKind } from '../messaging/types';
import type { Subscriber } from '../subscribers/subscriber-service';

/** What the outbound policies say about placing a call now. */
export type CallDecision =
  | { action: 'call' }
  | { action: 'block'; reason: string }
  | { action: 'defer'; reason: string; until: number };

/**
 * Opt-out and quiet hours for outbound calls, decided as for SMS (the same messaging rules, so a
 * subscriber who said STOP gets neither promotional texts nor promotional calls). Asked when a call is
 * queued and again before every attempt: a retry may fall into quiet hours or after an opt-out.
 */
export type CallPolicy = (subscriber: Subscriber, kind: MessageKind, at: number) => CallDecision;

/**
 * The messaging policies applied to calls: `messaging.quietHours` in the subscriber's operator's time
 * zone (else `messaging.timezone`), and opt-out. Transactional calls, like transactional SMS, skip both.
 */
export function messagingCallPolicy(
  messaging: Config['messaging'],
  operators: { forMsisdn(msisdn: string): string | null; timezoneOf(id: string | null | undefined): string | undefined },
): CallPolicy {
  return (subscriber, kind, at) => {
    if (kind === 'transactional') return { action: 'call' };
    if (subscriber.optedOut) return { action: 'block', reason: 'opted_out' };
    const tz = operators.timezoneOf(subscriber.operator) ?? operators.timezoneOf(operators.forMsisdn(subscriber.msisdn)) ?? messaging.timezone;
    const until = quietUntil(at, messaging.quietHours, tz);
    return until === null ? { action: 'call' } : { action: 'defer', reason: 'quiet_hours', until };
  };
}
