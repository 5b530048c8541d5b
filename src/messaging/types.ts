import type { Tx } from '../db/database';

/**
 * The messaging port other domains use (CRM, campaigns, subscriptions, flows, the API). Implemented by
 * src/messaging (outbox, policies, dispatcher); the SMPP channel is its transport.
 */

/** An address a reply may go to when it is not a phone number: up to 20 letters, digits, + . _ & - or spaces. */
export const REPLY_ADDRESS_RE = /^[\p{L}\p{N}+ ._&-]{1,20}$/u;

export type MessageKind = 'transactional' | 'promotional';

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'failed' | 'expired' | 'blocked';

export interface EnqueueRequest {
  /** E.164 destination. */
  to: string;
  text: string;
  /** Sender (short code); default: the bind's sourceAddr. */
  from?: string;
  /** Default promotional: opt-out, quiet hours and the frequency cap apply. */
  kind?: MessageKind;
  /** Who asked: api, flow, mo_reply, campaign, intervention, reminder, poll, partner:<systemId>. */
  source?: string;
  /** The asking thing's id (campaign id, intervention id, ...). */
  sourceRef?: string;
  /** Earliest send time (epoch ms). */
  notBefore?: number;
  /** The id to give the message (partners' reassembled submits already answered with it); default: a new id. */
  id?: string;
  /** The sender wants a delivery receipt handed back (partner binds): for every final state, or failures only. */
  receipt?: 'all' | 'failures';
  /**
   * `to` is an address as an MO came from (a reply): when it is not a phone number (short code,
   * alphanumeric) the message goes to it as given, with no subscriber profile (its `subscriberId` is null:
   * such addresses have no usage log; what they sent is kept in `inbound_sms`).
   */
  toAddress?: boolean;
}

export interface EnqueueResult {
  id: string;
  status: 'queued' | 'blocked';
  /** Why it was blocked (opted_out, frequency_cap) or deferred (quiet_hours). */
  reason?: string;
  /** When it will be sent if deferred (epoch ms). */
  sendAt?: number;
  parts: number;
}

/** A request the outbox refused: its slot in a bulk answer (the other requests still go). */
export interface EnqueueRefused {
  error: { code: string; message: string };
}

/** What every message of a bulk send shares. */
export interface BulkCommon {
  /** Default promotional. */
  kind?: MessageKind;
  source: string;
  sourceRef?: string;
  from?: string;
}

/**
 * One message of a bulk send to a subscriber the caller has already read in its transaction
 * (a campaign batch joins its recipients with the subscribers table), so the outbox need not look
 * each one up by number again.
 */
export interface BulkRecipient {
  subscriberId: number;
  /** E.164, as the subscribers table stores it. */
  msisdn: string;
  /** The subscriber's own operator (its time zone wins for quiet hours), as stored. */
  operator: string | null;
  optedOut: boolean;
  text: string;
  /** Earliest send time (epoch ms). */
  notBefore?: number;
}

/** Enqueue is synchronous and durable when it returns (it may run inside the caller's transaction). */
export interface MessagingPort {
  enqueue(req: EnqueueRequest): EnqueueResult;
  enqueueIn(req: EnqueueRequest, tx: Tx): Promise<EnqueueResult>;
}

/** An SMS received from a subscriber, reassembled and decoded. */
export interface InboundSms {
  subscriberId: number;
  from: string;
  to: string;
  text: string;
  at: number;
}

/**
 * A hook that may consume an MO before keyword routing (e.g. a poll awaiting this subscriber's answer).
 * Resolves true when it handled the message (and sent any reply itself). It runs inside the MO's unit
 * of work `tx` and writes there. A failing hook is logged and the MO routed as usual, so a hook reads
 * and decides before its first write: what it wrote before failing would stay in the unit.
 */
export type MoInterceptor = (mo: InboundSms, tx: Tx) => Promise<boolean>;

/** A message status change, told to `onStatus` listeners after it is committed. */
export interface MessageStatusChange {
  id: string;
  status: MessageStatus;
  at: number;
  /** null: an address with no subscriber profile (a reply to a short code). */
  subscriberId: number | null;
  msisdn: string;
  source: string;
  sourceRef: string | null;
  /** Why it failed or expired (SMPP status name, receipt state). */
  error?: string | null;
}

/** A message as GET /api/v1/messages/:id shows it (times as ISO-8601). */
export interface MessageView {
  id: string;
  to: string;
  from: string | null;
  text: string;
  kind: MessageKind;
  status: MessageStatus;
  reason: string | null;
  parts: number;
  partsSent: number;
  partsDelivered: number;
  encoding: string;
  attempts: number;
  error: string | null;
  source: string;
  sourceRef: string | null;
  createdAt: string | null;
  sendAt: string | null;
  sentAt: string | null;
  deliveredAt: string | null;
  finalAt: string | null;
  expiresAt: string | null;
}
