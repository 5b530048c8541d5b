// Value tiers (issue 15, core customers): names, ranking, the holdout cap, and the pass step.
export { RANKED_TIERS, TIERS, isTier, cappedHoldoutPercent, holdoutPercentFor, type Tier, type RankedTier, type TiersConfig } from './tier-names';
export { rankTiers, type TierCandidate, type TierPlace } from './rank';
export { TierCollector, computeTiers, type TierSummary } from './tier-pass';
