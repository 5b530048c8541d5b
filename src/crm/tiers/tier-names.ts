import type { Config } from '../../config';

/** The ranked value tiers, highest first. */
export const RANKED_TIERS = ['core', 'growth', 'base'] as const;
/** Every tier a live subscriber can have: ranked, or `new` while too young to rank. */
export const TIERS = [...RANKED_TIERS, 'new'] as const;
export type RankedTier = (typeof RANKED_TIERS)[number];
export type Tier = (typeof TIERS)[number];

/** The tiers configuration (crm.tiers). */
export type TiersConfig = Config['crm']['tiers'];

/** Whether a text is a tier name. */
export function isTier(v: unknown): v is Tier {
  return typeof v === 'string' && (TIERS as readonly string[]).includes(v);
}

/**
 * The holdout percent a core customer may get in a discount offer: never more than
 * crm.tiers.coreMaxHoldoutPercent (other tiers, and unknown ones, keep `percent`).
 */
export function cappedHoldoutPercent(percent: number, tier: Tier | null, cfg: Pick<TiersConfig, 'coreMaxHoldoutPercent'>): number {
  return tier === 'core' ? Math.min(percent, cfg.coreMaxHoldoutPercent) : percent;
}

/** The holdout percent of intervention `kind` for a subscriber of `tier`: capped for core when the kind is a discount offer. */
export function holdoutPercentFor(kind: string, percent: number, tier: Tier | null, cfg: Pick<TiersConfig, 'coreMaxHoldoutPercent' | 'discountKinds'>): number {
  return cfg.discountKinds.includes(kind) ? cappedHoldoutPercent(percent, tier, cfg) : percent;
}
