import type { Config } from '../config';
import { DAY, HOUR } from '../lib/clock';
import { badRequest } from '../lib/errors';
import { newId } from '../lib/ids';
import { normalizeMsisdn, requireMsisdn } from '../lib/msisdn';
import type { UsageEvent } from '../usage/usage-log';
import { SENDER_RE } from './bulk-enqueue';
import { encodingFor, splitText, type SmsEncoding } from './encoding';
import type { NewMessage } from './outbox-repo';
import { quietUntil } from './quiet-hours';
import type { EnqueueRequest, EnqueueResult, MessageKind } from './types';
import { REPLY_ADDRESS_RE } from './types';

// What one enqueue writes, decided without the database: the synchronous form (other areas, inside
// their transactions) and the unit-taking form (MessagingService.enqueueIn) share it, so they cannot
// drift apart. Only the reads and writes around it differ.

type MessagingConfig = Config['messaging'];

/** A request that passed validation: where it goes, and how its text is sent. */
export interface CheckedRequest {
  /** E.164, or the address as an MO came from when `address` (a reply to a short code). */
  to: string;
  address: boolean;
  kind: MessageKind;
  encoding: SmsEncoding;
  parts: number;
}

/** An address as an MO came from that is not a phone number (see REPLY_ADDRESS_RE). */
function validAddress(raw: string): string {
  const a = raw.trim();
  if (!REPLY_ADDRESS_RE.test(a)) throw badRequest('INVALID_ADDRESS', `to "${a.slice(0, 32)}" is neither a phone number nor a sender address (up to 20 letters and digits).`);
  return a;
}

/** Validates a request (throws the 400 a caller would get); changes nothing. */
export function checkRequest(req: EnqueueRequest, cfg: MessagingConfig, countryCode: string): CheckedRequest {
  // A reply goes back to the address the MO came from, phone number or not (short code "123").
  const address = req.toAddress && typeof req.to === 'string' && !normalizeMsisdn(req.to, countryCode) ? validAddress(req.to) : null;
  const to = address ?? requireMsisdn(req.to, countryCode, 'to');
  if (typeof req.text !== 'string' || req.text.trim() === '') throw badRequest('INVALID_TEXT', 'text must be a non-empty string.');
  if (req.from != null && !SENDER_RE.test(req.from)) {
    throw badRequest('INVALID_SENDER', 'from must be a number of up to 15 digits or an alphanumeric sender of up to 11 characters.');
  }
  const kind: MessageKind = req.kind ?? 'promotional';
  if (kind !== 'promotional' && kind !== 'transactional') throw badRequest('INVALID_KIND', 'kind must be transactional or promotional.');
  const encoding = encodingFor(req.text);
  const parts = splitText(req.text, encoding).length;
  if (parts > cfg.maxParts) {
    throw badRequest('TEXT_TOO_LONG', `The text needs ${parts} SMS parts; at most ${cfg.maxParts} are allowed (${encoding === 'gsm7' ? 153 : 67} characters each).`);
  }
  return { to, address: address !== null, kind, encoding, parts };
}

/** The row of a reply to an address with no profile: transactional, sent at once, no policies. */
export function addressMessage(req: EnqueueRequest, c: CheckedRequest, now: number, cfg: MessagingConfig, concatRef: number): { row: NewMessage; result: EnqueueResult } {
  const id = req.id ?? newId('msg', now);
  const row: NewMessage = {
    id, subscriberId: null, msisdn: c.to, sender: req.from ?? null, text: req.text, kind: 'transactional', source: req.source ?? 'mo_reply', sourceRef: req.sourceRef ?? null,
    status: 'queued', reason: null, operator: null, encoding: c.encoding, parts: c.parts, concatRef, dueAt: now, expiresAt: now + cfg.validityHours * HOUR, receiptRequested: 0, createdAt: now, finalAt: null,
  };
  return { row, result: { id, status: 'queued', parts: c.parts } };
}

/** Since when promotional messages count against the frequency cap, or null when it need not be counted. */
export function capWindow(c: CheckedRequest, sub: { optedOut: boolean }, now: number, cfg: MessagingConfig): number | null {
  return c.kind === 'promotional' && !sub.optedOut && cfg.frequencyCap.promotional > 0 ? now - cfg.frequencyCap.days * DAY : null;
}

/**
 * The row, `sms_out` event and answer of a message to a subscriber: promotional messages are blocked
 * for the opted out and beyond the frequency cap (`promoCount`: theirs in the cap window), and wait out
 * quiet hours in `timezone`; transactional ones only honour `notBefore`.
 */
export function subscriberMessage(
  req: EnqueueRequest,
  c: CheckedRequest,
  s: { sub: { id: number; optedOut: boolean }; operator: string | null; timezone: string; promoCount: number | null; now: number; concatRef: number },
  cfg: MessagingConfig,
): { row: NewMessage; event: UsageEvent | null; result: EnqueueResult } {
  const { sub, now, operator } = s;
  const kind = c.kind;
  let blocked: string | null = null;
  let reason: string | null = null;
  let due = Math.max(now, req.notBefore ?? now);
  if (kind === 'promotional') {
    if (sub.optedOut) blocked = 'opted_out';
    else if (s.promoCount !== null && s.promoCount >= cfg.frequencyCap.promotional) blocked = 'frequency_cap';
    if (!blocked) {
      const until = quietUntil(due, cfg.quietHours, s.timezone);
      if (until !== null) {
        due = until;
        reason = 'quiet_hours';
      }
    }
  }
  const id = req.id ?? newId('msg', now);
  const source = req.source ?? 'api';
  const row: NewMessage = {
    id,
    subscriberId: sub.id,
    msisdn: c.to,
    sender: req.from ?? null,
    text: req.text,
    kind,
    source,
    sourceRef: req.sourceRef ?? null,
    status: blocked ? 'blocked' : 'queued',
    reason: blocked ?? reason,
    operator,
    encoding: c.encoding,
    parts: c.parts,
    concatRef: s.concatRef,
    dueAt: due,
    expiresAt: due + cfg.validityHours * HOUR,
    receiptRequested: req.receipt === 'all' ? 1 : req.receipt === 'failures' ? 2 : 0,
    createdAt: now,
    finalAt: blocked ? now : null,
  };
  const event: UsageEvent | null = blocked
    ? null
    : { at: now, subscriberId: sub.id, channel: 'sms', type: 'sms_out', detail: { messageId: id, kind, source, parts: c.parts, ...(reason ? { deferred: reason, sendAt: due } : {}) } };
  const result: EnqueueResult = { id, status: blocked ? 'blocked' : 'queued', parts: c.parts };
  if (blocked ?? reason) result.reason = (blocked ?? reason)!;
  if (!blocked && due > now) result.sendAt = due;
  return { row, event, result };
}
