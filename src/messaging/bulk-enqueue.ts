import type { Config } from '../config';
import type { Tx } from '../db/database';
import { DAY, HOUR } from '../lib/clock';
import type { OperatorDirectory } from '../subscribers/operators';
import type { UsageEvent, UsageLog } from '../usage/usage-log';
import { encodingFor, splitText, type SmsEncoding } from './encoding';
import { newId } from '../lib/ids';
import type { NewMessage, OutboxRepo } from './outbox-repo';
import { quietUntil } from './quiet-hours';
import type { BulkCommon, BulkRecipient, EnqueueRefused, EnqueueResult, MessageKind } from './types';

export interface BulkEnqueueDeps {
  repo: OutboxRepo;
  usage: UsageLog;
  operators: OperatorDirectory;
  config: Pick<Config, 'messaging'>;
  /** The 8-bit concatenation reference of the next message (shared with single enqueues). */
  nextConcatRef(): number;
}

export const SENDER_RE = /^(\+?\d{1,15}|[A-Za-z0-9][A-Za-z0-9 .&_-]{0,10})$/;

type TextInfo = { encoding: SmsEncoding; parts: number } | EnqueueRefused;

const refused = (code: string, message: string): EnqueueRefused => ({ error: { code, message } });

/**
 * The outbox side of a bulk send (a campaign batch): the same policies and rows as one enqueue per
 * message, set-based where the work repeats. Recipients come with what the caller already read
 * (subscriber id, opt-out, operator), so nobody is looked up by number; the frequency cap is one
 * grouped query per call; a text is checked and split once however many receive it; quiet hours
 * are worked out once per time zone. Runs inside the caller's unit of work.
 */
export class BulkEnqueue {
  constructor(private readonly d: BulkEnqueueDeps) {}

  /** One result per recipient, in order, written inside unit of work `tx`: the message written, or why the request was refused. */
  async runIn(now: number, common: BulkCommon, recipients: readonly BulkRecipient[], tx: Tx): Promise<Array<EnqueueResult | EnqueueRefused>> {
    const kind: MessageKind = common.kind ?? 'promotional';
    const wrong = this.checkCommon(common, kind);
    if (wrong) return recipients.map(() => wrong);
    const since = this.capSince(kind, now);
    const counts = since === null ? null : await this.d.repo.promotionalCountsIn(this.cappable(recipients), since, tx);
    const { rows, events, out } = this.plan(now, common, kind, recipients, counts);
    for (const r of rows) await this.d.repo.insertIn(r, tx);
    await this.d.usage.recordIn(tx, events);
    return out;
  }

  /** Since when promotional messages count against the cap, or null when nothing is capped. */
  private capSince(kind: MessageKind, now: number): number | null {
    const cfg = this.d.config.messaging;
    return kind === 'promotional' && cfg.frequencyCap.promotional > 0 ? now - cfg.frequencyCap.days * DAY : null;
  }

  /** The rows, `sms_out` events and answers of a bulk send, given each subscriber's promotional count. */
  private plan(
    now: number,
    common: BulkCommon,
    kind: MessageKind,
    recipients: readonly BulkRecipient[],
    counts: Map<number, number> | null,
  ): { rows: NewMessage[]; events: UsageEvent[]; out: Array<EnqueueResult | EnqueueRefused> } {
    const cfg = this.d.config.messaging;
    const promotional = kind === 'promotional';
    const cap = cfg.frequencyCap.promotional;
    const rows: NewMessage[] = [];
    const texts = new Map<string, TextInfo>();
    // Quiet hours at `now` per time zone: the answer is the same for everyone in the zone.
    const quietNow = new Map<string, number | null>();
    const validity = cfg.validityHours * HOUR;
    const source = common.source;
    const sourceRef = common.sourceRef ?? null;
    const sender = common.from ?? null;
    const events: UsageEvent[] = [];
    const out = new Array<EnqueueResult | EnqueueRefused>(recipients.length);
    for (let i = 0; i < recipients.length; i++) {
      const r = recipients[i]!;
      let info = texts.get(r.text);
      if (info === undefined) {
        info = this.checkText(r.text);
        texts.set(r.text, info);
      }
      if ('error' in info) {
        out[i] = info;
        continue;
      }
      const operator = this.d.operators.forMsisdn(r.msisdn);
      let blocked: string | null = null;
      let reason: string | null = null;
      let due = Math.max(now, r.notBefore ?? now);
      if (promotional) {
        if (r.optedOut) blocked = 'opted_out';
        else if (counts && (counts.get(r.subscriberId) ?? 0) >= cap) blocked = 'frequency_cap';
        if (!blocked) {
          const tz = this.d.operators.timezoneOf(r.operator) ?? this.d.operators.timezoneOf(operator) ?? cfg.timezone;
          let until: number | null;
          if (due === now) {
            const known = quietNow.get(tz);
            until = known === undefined ? quietUntil(now, cfg.quietHours, tz) : known;
            if (known === undefined) quietNow.set(tz, until);
          } else {
            until = quietUntil(due, cfg.quietHours, tz);
          }
          if (until !== null) {
            due = until;
            reason = 'quiet_hours';
          }
        }
      }
      const id = newId('msg', now);
      rows.push({
        id,
        subscriberId: r.subscriberId,
        msisdn: r.msisdn,
        sender,
        text: r.text,
        kind,
        source,
        sourceRef,
        status: blocked ? 'blocked' : 'queued',
        reason: blocked ?? reason,
        operator,
        encoding: info.encoding,
        parts: info.parts,
        concatRef: this.d.nextConcatRef(),
        dueAt: due,
        expiresAt: due + validity,
        receiptRequested: 0,
        createdAt: now,
        finalAt: blocked ? now : null,
      });
      const res: EnqueueResult = { id, status: blocked ? 'blocked' : 'queued', parts: info.parts };
      if (blocked ?? reason) res.reason = (blocked ?? reason)!;
      if (!blocked) {
        if (due > now) res.sendAt = due;
        if (counts) counts.set(r.subscriberId, (counts.get(r.subscriberId) ?? 0) + 1);
        events.push({
          at: now,
          subscriberId: r.subscriberId,
          channel: 'sms',
          type: 'sms_out',
          // Two fixed shapes (not a spread): a million of these are serialized, and the keys keep their order.
          detail: reason ? { messageId: id, kind, source, parts: info.parts, deferred: reason, sendAt: due } : { messageId: id, kind, source, parts: info.parts },
        });
      }
      out[i] = res;
    }
    return { rows, events, out };
  }

  /** What is wrong with the shared fields (every message would be refused the same way), or null. */
  private checkCommon(common: BulkCommon, kind: MessageKind): EnqueueRefused | null {
    if (common.from != null && !SENDER_RE.test(common.from)) {
      return refused('INVALID_SENDER', 'from must be a number of up to 15 digits or an alphanumeric sender of up to 11 characters.');
    }
    if (kind !== 'promotional' && kind !== 'transactional') return refused('INVALID_KIND', 'kind must be transactional or promotional.');
    return null;
  }

  /** Encoding and parts of a text, or why it cannot be sent (the same answers as a single enqueue). */
  private checkText(text: string): TextInfo {
    if (typeof text !== 'string' || text.trim() === '') return refused('INVALID_TEXT', 'text must be a non-empty string.');
    const encoding = encodingFor(text);
    const parts = splitText(text, encoding).length;
    const max = this.d.config.messaging.maxParts;
    if (parts > max) {
      return refused('TEXT_TOO_LONG', `The text needs ${parts} SMS parts; at most ${max} are allowed (${encoding === 'gsm7' ? 153 : 67} characters each).`);
    }
    return { encoding, parts };
  }

  /** Recipients the frequency cap can still block (the opted out are blocked anyway). */
  private cappable(recipients: readonly BulkRecipient[]): number[] {
    const ids: number[] = [];
    for (const r of recipients) if (!r.optedOut) ids.push(r.subscriberId);
    return ids;
  }
}
