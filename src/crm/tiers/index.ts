// Value tiers (issue 15, core customers): names, ranking, the holdout cap, the pass step and the store.
export { RANKED_TIERS, TIERS, isTier, cappedHoldoutPercent, holdoutPercentFor, type Tier, type RankedTier, type TiersConfig } from './tier-names';
export { rankTiers, type TierCandidate, type TierPlace } from './rank';
export { TierCollector, TierRevenue, computeTiers, type TierSummary } from './tier-pass';
export { TierStore, tierOf, type SubscriberTier } from './tier-store';
