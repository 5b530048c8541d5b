import type { RankedTier, Tier, TiersConfig } from './tier-names';

/** What ranking needs of one live subscriber. */
export interface TierCandidate {
  subscriberId: number;
  /** Sum of the residual values of the live subscriptions. */
  residualValue: number;
  tenureDays: number;
}

/** One subscriber's place. */
export interface TierPlace {
  tier: Tier;
  /** 1 = the highest; null for `new`. */
  rank: number | null;
  /** Share of the ranked at or below this one (1 = the top); null for `new`. */
  score: number | null;
}

// Residual values within a cent of each other are a tie, so float noise never outranks tenure.
const cents = (v: number) => Math.round(v * 100);

/**
 * The tiers: subscribers at least minTenureDays old are ranked by residual value (highest first; equal
 * to the cent: the longer tenure first, then the lower subscriber id, so the order is stable); the top
 * coreShare of them (rounded up) are core, the next growthShare growth, the rest base. Younger ones are
 * `new`.
 */
export function rankTiers(candidates: readonly TierCandidate[], cfg: Pick<TiersConfig, 'coreShare' | 'growthShare' | 'minTenureDays'>): Map<number, TierPlace> {
  const out = new Map<number, TierPlace>();
  const ranked: TierCandidate[] = [];
  for (const c of candidates) {
    if (c.tenureDays < cfg.minTenureDays) out.set(c.subscriberId, { tier: 'new', rank: null, score: null });
    else ranked.push(c);
  }
  ranked.sort((a, b) => cents(b.residualValue) - cents(a.residualValue) || b.tenureDays - a.tenureDays || a.subscriberId - b.subscriberId);
  const n = ranked.length;
  // A hair below the product so that 0.1 x 50 is 5, not 6 after float rounding.
  const coreN = Math.ceil(cfg.coreShare * n - 1e-9);
  const growthN = Math.min(n - coreN, Math.ceil(cfg.growthShare * n - 1e-9));
  ranked.forEach((c, i) => {
    const tier: RankedTier = i < coreN ? 'core' : i < coreN + growthN ? 'growth' : 'base';
    out.set(c.subscriberId, { tier, rank: i + 1, score: (n - i) / n });
  });
  return out;
}
