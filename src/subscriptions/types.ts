import type { Static } from '@sinclair/typebox';
import type { ServiceSchema } from '../config/services';

/** A service sold by subscription, as configured (`services`). */
export type Service = Static<typeof ServiceSchema>;
export type Period = Service['period'];

/**
 * Where a subscription is. `none` is internal (a row that only holds requests for a service the
 * subscriber never had) and is hidden from lists; `pending` means asked for, not yet confirmed.
 */
export type SubscriptionState = 'none' | 'pending' | 'active' | 'grace' | 'suspended' | 'cancelled' | 'expired';
export const VISIBLE_STATES = ['pending', 'active', 'grace', 'suspended', 'cancelled', 'expired'] as const;

/** What an operator's billing platform tells us (the generic event's `type`). */
export const OPERATOR_EVENT_TYPES = ['subscribed', 'renewed', 'renewal_failed', 'suspended', 'unsubscribed', 'expired'] as const;
export type OperatorEventType = (typeof OPERATOR_EVENT_TYPES)[number];
/** What the subscriber asked us for (USSD action, SMS keyword). */
export type RequestEventType = 'subscribe_requested' | 'unsubscribe_requested';
export type BillingEventType = OperatorEventType | RequestEventType;

/** Where a notification came from; the idempotency key is scoped by it. */
export type BillingSource = 'generic' | 'africastalking' | 'sdp' | 'request';

/**
 * A billing notification as every dialect normalizes it. The dialect resolves the service and
 * normalizes the MSISDN, so a bad one is rejected with a message naming the field.
 */
export interface BillingNotification {
  source: Exclude<BillingSource, 'request'>;
  /**
   * The platform's id for this notification (eventId, transactionID). `null` when the platform sends
   * none (Africa's Talking): a notification is then a duplicate when the previous one from the same
   * source for this subscription has the same type (additions and deletions alternate).
   */
  eventId: string | null;
  msisdn: string;
  serviceId: string;
  type: OperatorEventType;
  /** The event's own time (epoch ms). */
  at: number;
  /** Amount charged in the service currency; null = the service price for subscribed/renewed, else none. */
  amount?: number | null;
  currency?: string | null;
  reason?: string | null;
  /** When the operator says the next charge is due. */
  nextRenewalAt?: number | null;
  /** False when the operator will not renew (SDP isAutoExtend 0). */
  autoRenew?: boolean | null;
  /** The operator's network (operator id), if the dialect knows it. */
  operator?: string | null;
  /** Dialect fields worth keeping (SDP extensionInfo, AT keyword). */
  detail?: Record<string, unknown>;
}

export interface IngestResult {
  duplicate: boolean;
  subscriptionId: string;
  state: SubscriptionState;
  /** Set when this event is an impossible transition (recorded and flagged, never a crash). */
  flag: string | null;
}

/** Outcome of a call to an operator's subscription API. */
export interface ProviderOutcome {
  /** The operator's answer, kept on the request for support. */
  detail: string;
}

/** A failed call to an operator's subscription API; retryable ones are tried again later. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/**
 * An operator's subscription API (Africa's Talking premium subscriptions, ...). Channels attach one with
 * `core.subscriptions.attachProvider(...)`; the core never imports a channel.
 */
export interface SubscriptionProvider {
  name: string;
  /** Whether this provider can act for the service (the service has this operator's ids). */
  handles(service: Service): boolean;
  subscribe(msisdn: string, service: Service): Promise<ProviderOutcome>;
  unsubscribe(msisdn: string, service: Service): Promise<ProviderOutcome>;
}
