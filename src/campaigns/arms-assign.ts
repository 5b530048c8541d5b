import type { CampaignArm } from '../db/schema/campaigns';
import { unitDraw } from '../crm/experiments';
import { HOLDOUT_ARM } from './arms-validate';

/** The arm a recipient gets, or null for the holdout. */
export type ArmChoice = CampaignArm | null;

/**
 * THE place a recipient of a campaign with arms is given an arm: draws from a hash of (campaign,
 * subscriber), so the same subscriber gets the same arm in every run and every process. One draw below
 * `holdoutPercent` puts them in the holdout; another splits the rest by the arms' shares. `holdoutPercent` is the
 * campaign's own; a per-subscriber cap (core customers kept out of a control group beyond a configured
 * share: src/crm/tiers `cappedHoldoutPercent(percent, tier, cfg)`) is applied by the caller passing the
 * capped percent here; the draws are the same, so a capped subscriber can only move from the holdout into the arm they would
 * have had, never between arms.
 */
export function assignArm(campaignId: string, subscriberId: number, arms: readonly CampaignArm[], holdoutPercent: number): ArmChoice {
  const h = Math.min(Math.max(holdoutPercent, 0), 100) / 100;
  if (unitDraw(campaignId, 'arms-holdout', subscriberId) < h) return null;
  // A second, independent draw picks the arm, so the arm does not depend on the holdout percent.
  const v = unitDraw(campaignId, 'arms', subscriberId);
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
