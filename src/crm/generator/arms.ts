import { assignArm } from '../../campaigns/arms-assign';
import type { Database, UnitOfWork } from '../../db/database';
import type { CampaignArm, CampaignGoal } from '../../db/schema/campaigns';
import { DAY, HOUR } from '../../lib/clock';
import { CrmState } from '../crm-state-store';
import { u01 } from './model';
import { ArmsPlantStore, type PlantedRows } from './arms-store';

/**
 * The planted truth of the arms campaign: a natural conversion rate everyone has, and per arm the
 * intention-to-treat uplift (percentage points as a fraction) over the holdout. A subscriber converts when
 * one uniform draw falls under natural + uplift of their arm, so both potential outcomes are known.
 */
export const ARMS_TRUTH = {
  campaignId: 'cmp_generated_arms',
  holdoutPercent: 20,
  natural: 0.05,
  uplift: { A: 0.08, B: 0.03 } as Record<string, number>,
  /** Share of SMS the planted receipts mark delivered. */
  delivery: 0.85,
  /** Share of everyone who also reaches the goal node outside the window (must not count). */
  outsideWindow: 0.03,
  goal: { type: 'reached_content', flowId: 'crop-advice', nodeId: 'maize-planting', windowDays: 7 } satisfies CampaignGoal,
} as const;

/** The crm_state key holding what the last planted arms campaign produced. */
export const ARMS_TRUTH_KEY = 'generator_arms_truth';

/** Per arm (and holdout): assigned, converted as it happened, and the realised uplift from both potential outcomes. */
export interface ArmsTruth {
  campaignId: string;
  planted: { natural: number; uplift: Record<string, number>; holdoutPercent: number; windowDays: number };
  arms: { name: string; assigned: number; converted: number; delivered: number; realisedUplift: number | null }[];
  holdout: { assigned: number; converted: number };
}

const SALT = { draw: 900, deliver: 901, when: 902, outside: 903 };

/**
 * Plants a finished campaign with arms A and B and a holdout over the first `recipients` subscribers of a
 * generated population, sent at `sentAt`: assignment by the product's own `assignArm`, one outbox row per
 * arm recipient (delivered or failed, as receipts would leave it), and the goal events (content reached by
 * shortcut SMS) inside the window as planted, plus noise outside it. The CRM pass then counts conversions
 * and GET /campaigns/:id/results must recover the planted uplifts. The truth is stored in the same unit,
 * on either engine.
 */
export async function plantArmsCampaign(core: { database: Database; commits: UnitOfWork }, o: { recipients: number; sentAt: number; seed?: number }): Promise<ArmsTruth> {
  const seed = o.seed ?? 1;
  const t = ARMS_TRUTH;
  const id = t.campaignId;
  const arms: CampaignArm[] = Object.keys(t.uplift).map((name) => ({ name, text: { en: `Offer ${name}: reply MAIZE for planting advice`, sw: `Ofa ${name}: jibu MAHINDI kwa ushauri wa kupanda` }, channel: 'sms', share: 1 }));
  const windowMs = t.goal.windowDays * DAY;
  const store = new ArmsPlantStore(core.database);
  const truth: ArmsTruth = {
    campaignId: id,
    planted: { natural: t.natural, uplift: { ...t.uplift }, holdoutPercent: t.holdoutPercent, windowDays: t.goal.windowDays },
    arms: arms.map((a) => ({ name: a.name, assigned: 0, converted: 0, delivered: 0, realisedUplift: null })),
    holdout: { assigned: 0, converted: 0 },
  };
  const gain = new Map<string, number>();
  // One unit: the campaign is planted whole or not at all.
  await core.commits.unit(async (tx) => {
    const now = o.sentAt;
    const ids = await store.subscribers(o.recipients, tx);
    const runId = await store.campaignIn(
      { id, name: 'Generated offer test', kind: 'sms', channel: 'sms', segmentId: 'seg_generated_arms', timezone: 'Africa/Nairobi', status: 'completed', scheduleAt: now, runs: 1, lastRunAt: now, arms, holdoutPercent: t.holdoutPercent, goal: t.goal, createdAt: now, updatedAt: now },
      { id: 'seg_generated_arms', name: 'Generated arms test', filter: {}, createdAt: now, updatedAt: now },
      { campaignId: id, dueAt: now, status: 'done', startedAt: now, finishedAt: now, total: ids.length },
      tx,
    );
    let queued = 0;
    const rows: PlantedRows = { messages: [], assignments: [], recipients: [], events: [] };
    for (const s of ids) {
      const arm = assignArm(id, s.id, arms, t.holdoutPercent);
      const u = u01(seed, s.id, 0, SALT.draw);
      const y0 = u < t.natural;
      const y1 = arm ? u < t.natural + (t.uplift[arm.name] ?? 0) : y0;
      if (arm) {
        const line = truth.arms.find((x) => x.name === arm.name)!;
        const delivered = u01(seed, s.id, 0, SALT.deliver) < t.delivery;
        const msgId = `msg_gen_arms_${s.id}`;
        rows.messages.push({ id: msgId, subscriberId: s.id, msisdn: s.msisdn, text: arm.text!.en!, kind: 'promotional', source: 'campaign', sourceRef: id, status: delivered ? 'delivered' : 'failed', encoding: 'gsm7', parts: 1, attempts: 1, dueAt: now, expiresAt: now + DAY, createdAt: now, updatedAt: now, sentAt: now, ...(delivered ? { deliveredAt: now + 60_000 } : {}), finalAt: now + 60_000 });
        rows.recipients.push({ runId, subscriberId: s.id, status: 'queued', ref: msgId, at: now });
        rows.assignments.push({ campaignId: id, subscriberId: s.id, arm: arm.name, runId, channel: 'sms', ref: msgId, assignedAt: now });
        line.assigned++;
        if (delivered) line.delivered++;
        if (y1) line.converted++;
        gain.set(arm.name, (gain.get(arm.name) ?? 0) + (y1 ? 1 : 0) - (y0 ? 1 : 0));
        queued++;
      } else {
        rows.recipients.push({ runId, subscriberId: s.id, status: 'blocked', reason: 'holdout', at: now });
        rows.assignments.push({ campaignId: id, subscriberId: s.id, arm: 'holdout', runId, channel: 'none', ref: null, assignedAt: now, settled: true });
        truth.holdout.assigned++;
        if (y1) truth.holdout.converted++;
      }
      const content = (at: number) => rows.events.push({ at, subscriberId: s.id, channel: 'sms', type: 'content', flowId: t.goal.flowId, nodeId: t.goal.nodeId, detail: { keyword: 'MAIZE' } });
      if (y1) content(now + HOUR + Math.floor(u01(seed, s.id, 0, SALT.when) * (windowMs - 2 * HOUR)));
      if (u01(seed, s.id, 0, SALT.outside) < t.outsideWindow) content(now + windowMs + HOUR + Math.floor(u01(seed, s.id, 1, SALT.when) * 3 * DAY));
      if (rows.assignments.length >= 500) await store.flush(rows, tx);
    }
    await store.flush(rows, tx);
    await store.finishRun(runId, queued, ids.length - queued, ids.at(-1)?.id ?? 0, tx);
    for (const line of truth.arms) line.realisedUplift = line.assigned ? Math.round(((gain.get(line.name) ?? 0) / line.assigned) * 1e4) / 1e4 : null;
    // In the same unit as the campaign, on either engine: the truth is there exactly when the campaign is.
    await new CrmState(core.database).set(ARMS_TRUTH_KEY, truth, now, tx);
  });
  return truth;
}
