/**
 * The port between the outbox and whatever carries SMS (the SMPP channel's binds, HTTP aggregators).
 * The core never imports a channel: a channel attaches an `SmsTransport` to the messaging service
 * (several may be attached; `TransportRouter` picks one per operator) and hands it what it receives
 * (receipts, MO parts, whole SMS from aggregators).
 */

/** One part of an outbound message, encoded; the transport adds the concatenation header or TLVs. */
export interface OutboundPart {
  messageId: string;
  /** E.164 destination, or an address as received (short code, alphanumeric) when replying to one. */
  to: string;
  /** Sender; null = the bind's default sourceAddr. */
  from: string | null;
  /** 0 GSM 03.38 (unpacked septets), 8 UCS-2. */
  dataCoding: number;
  /** This part's encoded text, without any header. */
  payload: Buffer;
  /** 1-based part number, the number of parts, and the 8-bit reference shared by the parts. */
  seq: number;
  total: number;
  ref: number;
  /** The SMSC may give up after this instant (epoch ms). */
  validUntil: number;
  /** Ask the SMSC for a delivery receipt. */
  receipt: boolean;
  /** The whole message's text, for transports that take whole messages (HTTP aggregators). */
  text?: string;
}

/** What became of one submitted part. */
export type SubmitOutcome =
  | { ok: true; bindId: string; smsc: string; smscId: string; /** false when the bind asked for no receipt */ receipt?: boolean }
  | {
      ok: false;
      /** Trying again later can help (throttled, queue full, timeout, disconnect). */
      retryable: boolean;
      /** Stable text: the SMPP status name (ESME_RINVDSTADR), `timeout` or `disconnected`. */
      code: string;
      /** SMPP command_status when the SMSC answered. */
      status: number | null;
      bindId: string | null;
      /** Overrides the retry backoff (0: resend as soon as a bind can take it, e.g. after a disconnect). */
      retryAfterMs?: number;
    };

/** Where a lane stands right now. */
export type LaneState =
  /** No bind that serves this operator is bound: messages wait in the outbox. */
  | { up: false }
  /** `free`: parts that may be submitted now (window and TPS). */
  | { up: true; free: number };

export interface SmsTransport {
  /** Capacity towards an operator (null: a number no configured operator owns). */
  lane(operator: string | null): LaneState;
  /**
   * Submits one part through a bind serving the operator (failing over to another when one is down).
   * `done` is called exactly once and never before `submit` returns. Returns false when no bind could
   * take it now (nothing was sent, `done` is not called).
   */
  submit(part: OutboundPart, operator: string | null, done: (outcome: SubmitOutcome) => void): boolean;
  /** The transport calls `fn` when capacity frees up or a bind comes up, so waiting parts go at once. */
  setWakeup(fn: () => void): void;
  /**
   * Whether it carries an operator's numbers: `own` (configured for that operator), `any` (serves any
   * number), or false. Used to choose among several transports; absent = `any`.
   */
  serves?(operator: string | null): 'own' | 'any' | false;
  /**
   * True when the transport takes a whole message at once (its text in part 1) and splits it itself,
   * as HTTP aggregators do: only part 1 is submitted and one receipt settles the message.
   */
  wholeMessages?: boolean;
}

/** SMSC names of whole-message transports start with this (their one receipt settles every part). */
export const WHOLE_MESSAGE_SMSC_PREFIX = 'http:';

/** Whether receipts from this SMSC settle a whole message (an HTTP aggregator's). */
export function isWholeMessageSmsc(smsc: string): boolean {
  return smsc.startsWith(WHOLE_MESSAGE_SMSC_PREFIX);
}

/** A delivery receipt as the transport parsed it. */
export interface ReceiptIn {
  /** The SMSC the receipt came from (binds to one SMSC share this key). */
  smsc: string;
  /** The id as the SMSC wrote it (hex or decimal, maybe with leading zeros). */
  smscId: string;
  /** DELIVRD, EXPIRED, DELETED, UNDELIV, REJECTD, ACCEPTD, ENROUTE, UNKNOWN. */
  stat: string;
  err: string | null;
  bindId: string;
}

/** A received SMS part as the transport parsed it (before reassembly and decoding). */
export interface MoPartIn {
  /** Sender as received (a phone number in any form, a short code, an alphanumeric sender). */
  from: string;
  /** Recipient as addressed (short code). */
  to: string;
  dataCoding: number;
  payload: Buffer;
  /** Present when the part belongs to a concatenated message (UDH or SAR). */
  concat?: { ref: number; total: number; seq: number };
  bindId: string;
}
