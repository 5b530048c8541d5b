import type { CallEnqueueResult, CallRequest } from '../calls/types';
import { AppError } from '../lib/errors';
import type { BulkCommon, BulkRecipient, EnqueueResult } from '../messaging/types';
import type { Tx } from '../db/database';
import type { Campaign, RecipientRow, RecipientUpdate } from './campaign-types';
import type { InviteDraft, Poll, PollRepo } from './poll-repo';
import { pick, pollSms, type PollTexts } from './poll-text';
import type { ArmsRepo } from './arms-repo';
import { ArmsSender } from './arms-sender';

/** A request the outbox refused (its slot in enqueueBulkIn's answer). */
export interface Refused {
  error: { code: string; message: string };
}

/** The outbound ports a campaign hands its recipients to. */
export interface SendPorts {
  /** Written in the batch's unit of work: the outbox rows and calls commit with the recipients' outcomes. */
  messaging: {
    enqueueBulkIn(common: BulkCommon, recipients: readonly BulkRecipient[], tx: Tx): Promise<(EnqueueResult | Refused)[]>;
  };
  calls: { enqueueIn(tx: Tx, req: CallRequest): Promise<CallEnqueueResult> };
  /** Best channel per subscriber, for campaigns with channel best (absent: everyone gets the fallback). */
  bestChannels?: { channelsOf(ids: readonly number[], tx: Tx): Promise<Map<number, string>> };
}

/**
 * What one campaign sends to one recipient, prepared once per run: texts per language are built once
 * (a million recipients share a handful of texts), then each batch maps recipients to outbox requests.
 */
export class CampaignSender {
  private readonly texts = new Map<string, string>();
  /** A campaign with arms sends through the arms fan-out (src/campaigns/arms-sender.ts). */
  private readonly armed: ArmsSender | null;

  /** The campaign's own poll (a poll campaign without arms), or null. */
  private readonly poll: Poll | null;

  /** `polls`: the polls the campaign and its arms ask, read once per run. */
  constructor(
    private readonly c: Campaign,
    polls: ReadonlyMap<string, Poll>,
    private readonly d: { ports: SendPorts; pollRepo: Pick<PollRepo, 'upsertInviteIn'>; pollTexts: PollTexts; defaultLanguage: string; replyWindowMs: number; arms?: { repo: ArmsRepo; runId: number; offerHoldout?: (subscriberIds: readonly number[], percent: number, tx: Tx) => Promise<Map<number, number>> } },
  ) {
    this.poll = c.pollId ? (polls.get(c.pollId) ?? null) : null;
    this.armed = c.arms && c.arms.length > 0 && d.arms ? new ArmsSender(c, { ...d, polls, armsRepo: d.arms.repo, runId: d.arms.runId, ...(d.arms.offerHoldout ? { offerHoldout: d.arms.offerHoldout } : {}) }) : null;
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
   * `slots[i]` is the paced earliest send time (undefined = now). Runs inside the batch's unit `tx`.
   */
  async send(rows: RecipientRow[], slots: (number | undefined)[], now: number, tx: Tx): Promise<RecipientUpdate[]> {
    if (this.armed) return this.armed.send(rows, slots, now, tx);
    if (this.c.channel !== 'best') return this.sendOn(this.c.channel, rows, slots, now, tx);
    // By best channel: call those whose best is call, text the rest (sms, and ussd: an SMS is what sends them
    // to the menu); unknown goes by the campaign's fallback.
    const best = (await this.d.ports.bestChannels?.channelsOf(rows.map((r) => r.subscriberId), tx)) ?? new Map<number, string>();
    const fallback = this.c.fallbackChannel ?? 'sms';
    const byCall = rows.map((r) => {
      const ch = best.get(r.subscriberId) ?? 'unknown';
      return ch === 'call' || (ch === 'unknown' && fallback === 'call');
    });
    const updates = new Array<RecipientUpdate>(rows.length);
    for (const call of [false, true]) {
      const idx = rows.flatMap((_, i) => (byCall[i] === call ? [i] : []));
      if (idx.length === 0) continue;
      const out = await this.sendOn(
        call ? 'call' : 'sms',
        idx.map((i) => rows[i]!),
        idx.map((i) => slots[i]),
        now,
        tx,
      );
      idx.forEach((i, j) => (updates[i] = out[j]!));
    }
    return updates;
  }

  private async sendOn(channel: 'sms' | 'call', rows: RecipientRow[], slots: (number | undefined)[], now: number, tx: Tx): Promise<RecipientUpdate[]> {
    const updates = new Array<RecipientUpdate>(rows.length);
    if (channel === 'sms') {
      // The batch already holds each subscriber (id, opt-out, operator): the outbox need not look them up.
      const recipients: BulkRecipient[] = rows.map((r, i) => ({
        subscriberId: r.subscriberId,
        msisdn: r.msisdn,
        operator: r.operator,
        optedOut: r.optedOut,
        text: this.textFor(r.language),
        ...(slots[i] !== undefined ? { notBefore: slots[i] } : {}),
      }));
      const results = await this.d.ports.messaging.enqueueBulkIn({ kind: 'promotional', source: 'campaign', sourceRef: this.c.id }, recipients, tx);
      const invites: InviteDraft[] = [];
      rows.forEach((r, i) => (updates[i] = this.outcome(r, results[i]!, slots[i], now, channel, invites)));
      await writeInvites(this.d.pollRepo, invites, tx);
      return updates;
    }
    // One call after another: each is a few statements in the batch's unit (the call queue has no bulk form).
    const invites: InviteDraft[] = [];
    for (const [i, r] of rows.entries()) {
      const res = await guard(() =>
        this.d.ports.calls.enqueueIn(tx, {
          to: r.msisdn,
          flowId: this.c.flowId!,
          ...(this.c.startNode ? { startNode: this.c.startNode } : {}),
          kind: 'promotional',
          source: 'campaign',
          sourceRef: this.c.id,
          ...(slots[i] !== undefined ? { notBefore: slots[i] } : {}),
        }),
      );
      updates[i] = this.outcome(r, res, slots[i], now, channel, invites);
    }
    await writeInvites(this.d.pollRepo, invites, tx);
    return updates;
  }

  /** A recipient's outcome; a poll reaching them adds their invitation to `invites` (written with the batch). */
  private outcome(r: RecipientRow, res: EnqueueResult | CallEnqueueResult | Refused, slot: number | undefined, now: number, channel: 'sms' | 'call', invites: InviteDraft[]): RecipientUpdate {
    if ('error' in res) return { subscriberId: r.subscriberId, status: 'blocked', ref: null, reason: res.error.code.toLowerCase() };
    if (res.status === 'queued' && this.poll) {
      const sentAt = Math.max(res.sendAt ?? 0, slot ?? 0, now);
      invites.push({ pollId: this.poll.id, subscriberId: r.subscriberId, channel, campaignId: this.c.id, sentAt, expiresAt: sentAt + this.d.replyWindowMs });
    }
    return { subscriberId: r.subscriberId, status: res.status, ref: res.id, reason: res.reason ?? null };
  }
}

/** Writes a batch's poll invitations in the batch's unit, so they commit with the outbox rows that carry the question. */
export async function writeInvites(repo: Pick<PollRepo, 'upsertInviteIn'>, invites: readonly InviteDraft[], tx: Tx): Promise<void> {
  for (const v of invites) await repo.upsertInviteIn(tx, v);
}

/**
 * A caller mistake for one recipient (an AppError) blocks that recipient, not the whole batch. The request
 * is refused by its checks before it writes anything, so the batch's unit goes on without it.
 */
export async function guard<T>(fn: () => Promise<T>): Promise<T | Refused> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AppError) return { error: { code: e.code, message: e.message } };
    throw e;
  }
}
