import type { CallEnqueueResult, CallRequest } from '../calls/types';
import { AppError } from '../lib/errors';
import type { BulkCommon, BulkRecipient, EnqueueResult } from '../messaging/types';
import type { Campaign, RecipientRow, RecipientUpdate } from './campaign-repo';
import type { Poll, PollRepo } from './poll-repo';
import { pick, pollSms, type PollTexts } from './poll-text';
import type { ArmsRepo } from './arms-repo';
import { ArmsSender } from './arms-sender';

/** A request the outbox refused (its slot in enqueueBulk's answer). */
export interface Refused {
  error: { code: string; message: string };
}

/** The outbound ports a campaign hands its recipients to. */
export interface SendPorts {
  messaging: {
    enqueueBulk(common: BulkCommon, recipients: readonly BulkRecipient[]): (EnqueueResult | Refused)[];
  };
  calls: { enqueue(req: CallRequest): CallEnqueueResult };
}

/**
 * What one campaign sends to one recipient, prepared once per run: texts per language are built once
 * (a million recipients share a handful of texts), then each batch maps recipients to outbox requests.
 */
export class CampaignSender {
  private readonly texts = new Map<string, string>();
  /** A campaign with arms sends through the arms fan-out (src/campaigns/arms-sender.ts). */
  private readonly armed: ArmsSender | null;

  constructor(
    private readonly c: Campaign,
    private readonly poll: Poll | null,
    private readonly d: { ports: SendPorts; pollRepo: PollRepo; pollTexts: PollTexts; defaultLanguage: string; replyWindowMs: number; arms?: { repo: ArmsRepo; runId: number; offerHoldout?: (subscriberId: number, percent: number) => number } },
  ) {
    this.armed = c.arms && c.arms.length > 0 && d.arms ? new ArmsSender(c, { ...d, armsRepo: d.arms.repo, runId: d.arms.runId, ...(d.arms.offerHoldout ? { offerHoldout: d.arms.offerHoldout } : {}) }) : null;
  }

  /** The SMS text for a subscriber's language. */
  textFor(lang: string | null): string {
    const key = lang ?? '';
    let t = this.texts.get(key);
    if (t === undefined) {
      const intro = this.c.text ? pick(this.c.text, lang, this.d.defaultLanguage) : '';
      if (this.c.kind === 'poll' && this.poll) {
        const body = pollSms(this.poll, lang, this.d.defaultLanguage, this.d.pollTexts);
        t = intro ? `${intro}\n${body}` : body;
      } else {
        t = intro;
      }
      this.texts.set(key, t);
    }
    return t;
  }

  /**
   * Hands a batch to the outbox (or the call queue) and returns what happened to each recipient.
   * `slots[i]` is the paced earliest send time (undefined = now). Runs inside the batch transaction.
   */
  send(rows: RecipientRow[], slots: (number | undefined)[], now: number): RecipientUpdate[] {
    if (this.armed) return this.armed.send(rows, slots, now);
    const updates = new Array<RecipientUpdate>(rows.length);
    if (this.c.channel === 'sms') {
      // The batch already holds each subscriber (id, opt-out, operator): the outbox need not look them up.
      const recipients: BulkRecipient[] = rows.map((r, i) => ({
        subscriberId: r.subscriberId,
        msisdn: r.msisdn,
        operator: r.operator,
        optedOut: r.optedOut === 1,
        text: this.textFor(r.language),
        ...(slots[i] !== undefined ? { notBefore: slots[i] } : {}),
      }));
      const results = this.d.ports.messaging.enqueueBulk({ kind: 'promotional', source: 'campaign', sourceRef: this.c.id }, recipients);
      rows.forEach((r, i) => (updates[i] = this.outcome(r, results[i]!, slots[i], now)));
      return updates;
    }
    rows.forEach((r, i) => {
      const res = guard(() =>
        this.d.ports.calls.enqueue({
          to: r.msisdn,
          flowId: this.c.flowId!,
          ...(this.c.startNode ? { startNode: this.c.startNode } : {}),
          kind: 'promotional',
          source: 'campaign',
          sourceRef: this.c.id,
          ...(slots[i] !== undefined ? { notBefore: slots[i] } : {}),
        }),
      );
      updates[i] = this.outcome(r, res, slots[i], now);
    });
    return updates;
  }

  private outcome(r: RecipientRow, res: EnqueueResult | CallEnqueueResult | Refused, slot: number | undefined, now: number): RecipientUpdate {
    if ('error' in res) return { subscriberId: r.subscriberId, status: 'blocked', ref: null, reason: res.error.code.toLowerCase() };
    if (res.status === 'queued' && this.poll) {
      const sentAt = Math.max(res.sendAt ?? 0, slot ?? 0, now);
      this.d.pollRepo.upsertInvite({ pollId: this.poll.id, subscriberId: r.subscriberId, channel: this.c.channel, campaignId: this.c.id, sentAt, expiresAt: sentAt + this.d.replyWindowMs });
    }
    return { subscriberId: r.subscriberId, status: res.status, ref: res.id, reason: res.reason ?? null };
  }
}

/** A caller mistake for one recipient (an AppError) blocks that recipient, not the whole batch. */
export function guard<T>(fn: () => T): T | Refused {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AppError) return { error: { code: e.code, message: e.message } };
    throw e;
  }
}
