import type { Config } from '../../../src/config';
import type { Logger } from '../../../src/lib/logger';
import type { LaneState, OutboundPart, SmsTransport, SubmitOutcome } from '../../../src/messaging/transport';
import { SendError, failedOutcome, receiptSmsc, retryableHttp } from '../send-error';

export type AfricasTalkingSmsConfig = Config['sms']['transports'][number];

/** Recipient statusCodes of a message AT accepted: 100 Processed, 101 Sent, 102 Queued. */
const ACCEPTED = new Set([100, 101, 102]);
/** Worth trying again later: 405 InsufficientBalance, 500 InternalServerError, 501 GatewayError. */
const RETRYABLE = new Set([405, 500, 501]);

interface AtRecipient {
  statusCode?: number;
  status?: string;
  messageId?: string;
  number?: string;
}

/**
 * Africa's Talking SMS as a transport of the outbox: one `POST {baseUrl}/version1/messaging` per
 * message (header apiKey; form username, to, message, from) with at most `maxInFlight` requests at once.
 * AT splits long texts itself, so the whole text goes as one request and one delivery report settles
 * the message. The recipient's statusCode decides: accepted (its messageId is what the delivery report
 * names), retryable or permanent.
 */
export class AfricasTalkingSms implements SmsTransport {
  readonly wholeMessages = true;
  private inFlight = 0;
  private wakeup: () => void = () => {};
  private readonly log: Logger;
  private readonly smsc = receiptSmsc('africastalking');

  constructor(
    private readonly cfg: AfricasTalkingSmsConfig,
    log: Logger,
  ) {
    this.log = log.child({ comp: 'sms', transport: cfg.id });
  }

  /** `own` for the operators listed in its config, `any` when it lists none. */
  serves(operator: string | null): 'own' | 'any' | false {
    if (this.cfg.operators.length === 0) return 'any';
    return operator !== null && this.cfg.operators.includes(operator) ? 'own' : false;
  }

  lane(): LaneState {
    return { up: true, free: this.cfg.maxInFlight - this.inFlight };
  }

  setWakeup(fn: () => void): void {
    this.wakeup = fn;
  }

  submit(part: OutboundPart, _operator: string | null, done: (o: SubmitOutcome) => void): boolean {
    if (this.inFlight >= this.cfg.maxInFlight) return false;
    this.inFlight++;
    // Not awaited: submit answers at once and reports through `done`. send's rejection becomes a failed
    // outcome in the first handler, so the chain only settles by handing the outcome over.
    void this.send(part)
      .then(
        (messageId): SubmitOutcome => ({ ok: true, bindId: this.cfg.id, smsc: this.smsc, smscId: messageId }),
        (err: unknown) => {
          const o = failedOutcome(err, this.cfg.id);
          this.log.warn({ messageId: part.messageId, code: o.code, retryable: o.retryable }, "Africa's Talking did not take the message");
          return o;
        },
      )
      .then((o) => {
        this.inFlight--;
        done(o);
        this.wakeup();
      });
    return true;
  }

  /** Sends one whole message; resolves with AT's message id or rejects with a SendError. */
  private async send(part: OutboundPart): Promise<string> {
    if (part.text === undefined) throw new SendError('no_text', false);
    const form = new URLSearchParams({ username: this.cfg.username, to: part.to, message: part.text });
    const from = part.from ?? this.cfg.from;
    if (from) form.set('from', from);
    const res = await fetch(`${this.cfg.baseUrl.replace(/\/+$/, '')}/version1/messaging`, {
      method: 'POST',
      headers: { apiKey: this.cfg.apiKey, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form,
      signal: AbortSignal.timeout(this.cfg.timeoutMs),
    });
    const body = await res.text();
    if (!res.ok) {
      if (res.status === 401) this.log.error({ status: res.status }, "Africa's Talking refused the credentials (sms.transports username / apiKey); messages wait");
      throw new SendError(`http_${res.status}`, retryableHttp(res.status), res.status);
    }
    let recipient: AtRecipient | undefined;
    let summary = '';
    try {
      const data = JSON.parse(body) as { SMSMessageData?: { Message?: string; Recipients?: AtRecipient[] } };
      recipient = data.SMSMessageData?.Recipients?.[0];
      summary = data.SMSMessageData?.Message ?? '';
    } catch {
      throw new SendError('bad_response', true, res.status);
    }
    // No recipient: AT refused the whole request (its Message says why, e.g. InvalidSenderId).
    if (!recipient) throw new SendError(summary.replace(/[^A-Za-z]/g, '').slice(0, 40) || 'no_recipient', false, null);
    const code = Number(recipient.statusCode);
    if (ACCEPTED.has(code) && recipient.messageId) return recipient.messageId;
    throw new SendError(recipient.status || `status_${code}`, RETRYABLE.has(code), Number.isFinite(code) ? code : null);
  }
}
