import type { CampaignArm } from '../db/schema/campaigns';
import { unitDraw } from '../crm/experiments';
import { HOLDOUT_ARM } from './arms-validate';

/** The arm a recipient gets, or null for the holdout. */
export type ArmChoice = CampaignArm | null;

/**
 * THE place a recipient of a campaign with arms is given an arm: one draw from a hash of (campaign,
 * subscriber), so the same subscriber gets the same arm in every run and every process. The draw below
 * `holdoutPercent` is the holdout; the rest is split by the arms' shares. `holdoutPercent` is the
 * campaign's own; a per-subscriber cap (core customers kept out of a control group beyond a configured
 * share: src/crm/tiers `cappedHoldoutPercent(percent, tier, cfg)`) is applied by the caller passing the
 * capped percent here; the draw is the same, so a capped subscriber moves from holdout to an arm only.
 */
export function assignArm(campaignId: string, subscriberId: number, arms: readonly CampaignArm[], holdoutPercent: number): ArmChoice {
  const u = unitDraw(campaignId, 'arms', subscriberId);
  const h = Math.min(Math.max(holdoutPercent, 0), 100) / 100;
  if (u < h) return null;
  const v = h < 1 ? (u - h) / (1 - h) : 0;
  const total = arms.reduce((a, x) => a + (x.share ?? 1), 0);
  let acc = 0;
  for (const arm of arms) {
    acc += (arm.share ?? 1) / total;
    if (v < acc) return arm;
  }
  return arms[arms.length - 1] ?? null;
}

/** The name stored for a choice. */
export function armName(choice: ArmChoice): string {
  return choice ? choice.name : HOLDOUT_ARM;
}
