import type { Config } from '../config';
import { newId } from '../lib/ids';
import type { NewBillingEvent } from './subscription-repo';
import type { SubscriptionState } from './types';

const LIVE: readonly SubscriptionState[] = ['active', 'grace', 'suspended'];

/** What a subscriber's subscribe/unsubscribe request means given the subscription's state before it. */
export interface RequestDecision {
  status: 'requested' | 'already_subscribed' | 'not_subscribed';
  /** The confirmation text (per language). */
  text: Record<string, string>;
  /** Whether the request is stored as an event (and passed to the operator): STOP always is. */
  record: boolean;
}

/** Decides a request: a subscribe to a live subscription is already done; an unsubscribe is always recorded. */
export function decideRequest(action: 'subscribe' | 'unsubscribe', before: SubscriptionState, texts: Config['billing']['texts']): RequestDecision {
  if (action === 'subscribe') {
    const status = LIVE.includes(before) ? 'already_subscribed' : 'requested';
    return { status, text: status === 'requested' ? texts.subscribeRequested : texts.alreadySubscribed, record: status === 'requested' };
  }
  const status = LIVE.includes(before) || before === 'pending' ? 'requested' : 'not_subscribed';
  return { status, text: status === 'requested' ? texts.unsubscribeRequested : texts.notSubscribed, record: true };
}

/** The event that records a subscriber's request on the subscription's history (it folds like any other). */
export function requestEvent(subscriptionId: string, action: 'subscribe' | 'unsubscribe', channel: string, now: number): NewBillingEvent {
  return {
    subscriptionId,
    source: 'request',
    externalId: `request:${newId('req', now)}`,
    type: action === 'subscribe' ? 'subscribe_requested' : 'unsubscribe_requested',
    at: now,
    receivedAt: now,
    amountMinor: null,
    currency: null,
    reason: null,
    nextRenewalAt: null,
    autoRenew: null,
    detail: { channel },
  };
}
