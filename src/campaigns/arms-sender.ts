import type { CampaignArm } from '../db/schema/campaigns';
import type { BulkRecipient } from '../messaging/types';
import { armName, assignArm } from './arms-assign';
import type { ArmsRepo, AssignmentRow } from './arms-repo';
import type { Tx } from '../db/database';
import type { Campaign, RecipientRow, RecipientUpdate } from './campaign-types';
import type { SendPorts } from './campaign-sender';
import { guard, writeInvites, type Refused } from './campaign-sender';
import type { InviteDraft, Poll, PollRepo } from './poll-repo';
import { pick, pollSms, type PollTexts } from './poll-text';

/** What the arms fan-out needs besides the campaign. */
export interface ArmsSenderDeps {
  ports: SendPorts;
  pollRepo: Pick<PollRepo, 'upsertInviteIn'>;
  /** The polls the campaign and its arms ask, read once per run. */
  polls: ReadonlyMap<string, Poll>;
  armsRepo: ArmsRepo;
  runId: number;
  pollTexts: PollTexts;
  defaultLanguage: string;
  replyWindowMs: number;
  /**
   * The holdout percent of each of a batch's recipients when the arms offer a package or price (core
   * customers capped), read in the batch's unit; a recipient absent from the map gets the campaign's.
   */
  offerHoldout?: (subscriberIds: readonly number[], percent: number, tx: Tx) => Promise<Map<number, number>>;
}

type Sent = { id: string; status: 'queued' | 'blocked'; reason?: string; sendAt?: number } | Refused;

/**
 * The fan-out of a campaign with arms: each recipient is given an arm (arms-assign.ts) and gets that
 * arm's text, poll or call; the holdout gets nothing and is marked blocked with reason `holdout`. Every
 * recipient's arm is written to campaign_assignments in the batch's transaction, so conversions are
 * counted for the holdout as for the arms.
 */
export class ArmsSender {
  private readonly texts = new Map<string, string>();
  private readonly arms: CampaignArm[];
  private readonly percent: number;
  /** An offer (an arm with a package or a price) caps core customers' share of the holdout. */
  private readonly offer: boolean;

  constructor(
    private readonly c: Campaign,
    private readonly d: ArmsSenderDeps,
  ) {
    this.arms = c.arms ?? [];
    this.percent = c.holdoutPercent ?? 0;
    this.offer = this.arms.some((a) => a.serviceId !== undefined || a.price !== undefined);
  }

  /** Hands a batch over arm by arm; returns what happened to each recipient (holdout: blocked, `holdout`). */
  async send(rows: RecipientRow[], slots: (number | undefined)[], now: number, tx: Tx): Promise<RecipientUpdate[]> {
    const updates = new Array<RecipientUpdate>(rows.length);
    const assigned = new Array<AssignmentRow>(rows.length);
    const sms: { i: number; arm: CampaignArm }[] = [];
    const smsReq: BulkRecipient[] = [];
    const invites: InviteDraft[] = [];
    const holdouts = this.offer && this.d.offerHoldout ? await this.d.offerHoldout(rows.map((r) => r.subscriberId), this.percent, tx) : null;
    for (const [i, r] of rows.entries()) {
      const arm = assignArm(this.c.id, r.subscriberId, this.arms, holdouts?.get(r.subscriberId) ?? this.percent);
      const at = Math.max(slots[i] ?? now, now);
      if (!arm) {
        updates[i] = { subscriberId: r.subscriberId, status: 'blocked', ref: null, reason: 'holdout' };
        assigned[i] = { subscriberId: r.subscriberId, arm: armName(arm), channel: 'none', ref: null, assignedAt: at };
        continue;
      }
      if (arm.channel === 'call') {
        const res = await guard(() =>
          this.d.ports.calls.enqueueIn(tx, {
            to: r.msisdn,
            flowId: arm.flowId ?? this.c.flowId!,
            ...((arm.startNode ?? this.c.startNode) ? { startNode: (arm.startNode ?? this.c.startNode)! } : {}),
            kind: 'promotional',
            source: 'campaign',
            sourceRef: this.c.id,
            ...(slots[i] !== undefined ? { notBefore: slots[i] } : {}),
          }),
        );
        updates[i] = this.outcome(r, res, arm, slots[i], now, invites);
        assigned[i] = { subscriberId: r.subscriberId, arm: arm.name, channel: 'call', ref: 'error' in res ? null : res.id, assignedAt: at };
        continue;
      }
      sms.push({ i, arm });
      smsReq.push({
        subscriberId: r.subscriberId,
        msisdn: r.msisdn,
        operator: r.operator,
        optedOut: r.optedOut,
        text: this.textFor(arm, r.language),
        ...(slots[i] !== undefined ? { notBefore: slots[i] } : {}),
      });
    }
    if (smsReq.length > 0) {
      const results = await this.d.ports.messaging.enqueueBulkIn({ kind: 'promotional', source: 'campaign', sourceRef: this.c.id }, smsReq, tx);
      sms.forEach(({ i, arm }, k) => {
        const r = rows[i]!;
        const res = results[k]!;
        updates[i] = this.outcome(r, res, arm, slots[i], now, invites);
        assigned[i] = { subscriberId: r.subscriberId, arm: arm.name, channel: 'sms', ref: 'error' in res ? null : res.id, assignedAt: Math.max(slots[i] ?? now, now) };
      });
    }
    await writeInvites(this.d.pollRepo, invites, tx);
    await this.d.armsRepo.assign(this.c.id, this.d.runId, assigned, tx);
    return updates;
  }

  /** The SMS of an arm in a language: the arm's text (else the campaign's), then its poll's question. */
  textFor(arm: CampaignArm, lang: string | null): string {
    const key = `${arm.name}\u0000${lang ?? ''}`;
    let t = this.texts.get(key);
    if (t === undefined) {
      const own = arm.text ?? this.c.text;
      const intro = own ? pick(own, lang, this.d.defaultLanguage) : '';
      const poll = this.pollOf(arm);
      if (this.c.kind === 'poll' && poll) {
        const body = pollSms(poll, lang, this.d.defaultLanguage, this.d.pollTexts);
        t = intro ? `${intro}\n${body}` : body;
      } else {
        t = intro;
      }
      this.texts.set(key, t);
    }
    return t;
  }

  private pollOf(arm: CampaignArm): Poll | null {
    const id = arm.pollId ?? this.c.pollId;
    if (!id) return null;
    return this.d.polls.get(id) ?? null;
  }

  /** A recipient's outcome; a poll reaching them adds their invitation to `invites` (written with the batch). */
  private outcome(r: RecipientRow, res: Sent, arm: CampaignArm, slot: number | undefined, now: number, invites: InviteDraft[]): RecipientUpdate {
    if ('error' in res) return { subscriberId: r.subscriberId, status: 'blocked', ref: null, reason: res.error.code.toLowerCase() };
    const poll = this.c.kind === 'poll' ? this.pollOf(arm) : null;
    if (res.status === 'queued' && poll) {
      const sentAt = Math.max(res.sendAt ?? 0, slot ?? 0, now);
      invites.push({ pollId: poll.id, subscriberId: r.subscriberId, channel: 'sms', campaignId: this.c.id, sentAt, expiresAt: sentAt + this.d.replyWindowMs });
    }
    return { subscriberId: r.subscriberId, status: res.status, ref: res.id, reason: res.reason ?? null };
  }
}
