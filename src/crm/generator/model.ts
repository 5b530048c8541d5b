import { Random } from '../scores/random';

/**
 * The synthetic population's hidden truth. Every draw comes from a hash of (seed, subscriber, day, salt),
 * so any day of any subscriber can be regenerated alone: a second run can append one more day exactly as
 * a longer first run would have produced it.
 */

/** A 32-bit hash of four integers (murmur3-style mixing). */
export function h32(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0xcc9e2d51);
  h = mixIn(h, b);
  h = mixIn(h, c);
  h = mixIn(h, d);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function mixIn(h: number, k: number): number {
  let x = Math.imul(k | 0, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, 0x1b873593);
  h ^= x;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Uniform [0,1) from a hash. */
export const u01 = (seed: number, i: number, day: number, salt: number) => h32(seed, i, day, salt) / 4294967296;

/** A random stream for one (subscriber, day, purpose). */
export const rng = (seed: number, i: number, day: number, salt: number) => new Random(h32(seed, i, day, salt));

export const SALT = { latent: 1, active: 2, day: 3, charge: 4, cancel: 5, planted: 6 } as const;

/** True parameters of the synthetic population (what the model fits should recover). */
export const TRUTH = {
  /** BG/BB: daily activity p ~ Beta(a, b) while alive; daily dropout θ ~ Beta(g, d). */
  bgbb: { a: 0.6, b: 14, g: 0.8, d: 9 },
  /** sBG: per-period cancellation ~ Beta(a, b), by billing period. */
  sbg: { daily: { a: 0.5, b: 12 }, weekly: { a: 0.668, b: 3.806 }, monthly: { a: 0.704, b: 1.182 } },
  /** Charge success per attempt ~ Beta(6, 1.2): mean ~0.83, the carrier-billing average. */
  balance: { a: 6, b: 1.2 },
  /** Share of subscribers often without airtime (charge success ~ Beta(0.6, 6), mean ~0.09): the ones a save message can help. */
  brokeShare: 0.12,
  broke: { a: 0.6, b: 6 },
  /** Share of subscribers who subscribe on their first day. */
  subscribeRate: 0.2,
  /** Share of the others who subscribe later, after a wait of 1 + Exp(mean) days: subscriptions start throughout the period. */
  laterSubscribeRate: 0.15,
  laterSubscribeMeanDays: 12,
  /** Share who use the IVR line rather than USSD. */
  ivrShare: 0.12,
  /** Share who struggle with menus (high stuck propensity); others rarely do. */
  strugglerShare: 0.1,
} as const;

export const REGIONS = ['Nakuru', 'Kakamega', 'Bungoma', 'Meru', 'Kisii', 'Machakos', 'Kitui', 'Trans Nzoia', 'Uasin Gishu', 'Kiambu'];
export const REGION_WEIGHTS = [14, 12, 11, 10, 9, 9, 8, 10, 9, 8];
export const CROPS = ['maize', 'beans', 'cassava', 'potatoes', 'sorghum'];
export const CROP_WEIGHTS = [45, 22, 15, 10, 8];
