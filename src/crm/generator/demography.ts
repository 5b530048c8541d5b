import type { Random } from '../scores/random';
import type { Route } from './flow-paths';
import { CROPS, CROP_WEIGHTS } from './model';

/** Which part of the service a content node belongs to, from the menus leading to it. */
export type Topic = 'market' | 'weather' | 'crops';

/** The topic of a route: market prices and weather tips are menus of their own in the flows. */
export function topicOf(route: Route): Topic {
  if (route.menus.some((m) => m.includes('market')) || route.content.includes('market')) return 'market';
  if (route.menus.some((m) => m.includes('weather')) || route.content.includes('weather')) return 'weather';
  return 'crops';
}

/**
 * The planted demographic truth: who the subscribers are (typed profile, profile-format.md) and the
 * differences in content use the reports must show. Everything else about content choice is the same
 * for every group.
 */
export const DEMOGRAPHY_TRUTH = {
  /** Share of women in the base; the rest split men / other as below. */
  gender: { female: 0.45, male: 0.53, other: 0.02 },
  /** Birth years, uniform within each band (weights): the planted "young" group is birthYear >= 1998. */
  birthYearBands: [
    { from: 1950, to: 1964, weight: 8 },
    { from: 1965, to: 1979, weight: 24 },
    { from: 1980, to: 1989, weight: 24 },
    { from: 1990, to: 1997, weight: 20 },
    { from: 1998, to: 2008, weight: 24 },
  ],
  /** Women favour market prices: before choosing as everyone does, a woman goes to market prices with this probability. */
  marketPrices: { group: { field: 'gender', value: 'female' }, extraChoice: 0.4 },
  /** The young drop out of the weather menu: of the sessions aimed at weather content, this share leaves at the weather menu. */
  weather: { group: { field: 'birthYear', from: 1998 }, dropOut: 0.8 },
  /** Share of subscribers growing a second crop (the `crops` list). */
  secondCrop: 0.35,
  /** Farm size in acres: lognormal with this median. */
  farmSizeMedianAcres: 2,
} as const;

const DISTRICTS: Record<string, string[]> = {
  Nakuru: ['Njoro', 'Molo', 'Naivasha'],
  Kakamega: ['Lurambi', 'Mumias', 'Malava'],
  Bungoma: ['Kimilili', 'Webuye', 'Sirisia'],
  Meru: ['Imenti North', 'Tigania', 'Igembe'],
  Kisii: ['Bobasi', 'Kitutu', 'Nyaribari'],
  Machakos: ['Mavoko', 'Kathiani', 'Yatta'],
  Kitui: ['Mwingi', 'Mutomo', 'Kitui Central'],
  'Trans Nzoia': ['Kiminini', 'Saboti', 'Cherangany'],
  'Uasin Gishu': ['Soy', 'Turbo', 'Kesses'],
  Kiambu: ['Limuru', 'Githunguri', 'Gatundu'],
};

/** A subscriber's typed profile (stored as the `profile` JSON, except region and language: their own columns). */
export interface GeneratedProfile {
  gender: 'female' | 'male' | 'other';
  birthYear: number;
  region: string;
  district: string;
  crops: string[];
  farmSize: number;
}

/** Draws a profile for one subscriber whose region and main crop are already chosen. */
export function drawProfile(r: Random, region: string, crop: string): GeneratedProfile {
  const D = DEMOGRAPHY_TRUTH;
  const g = r.next();
  const gender = g < D.gender.female ? 'female' : g < D.gender.female + D.gender.male ? 'male' : 'other';
  const band = r.weighted(
    D.birthYearBands.map((b) => b),
    D.birthYearBands.map((b) => b.weight),
  );
  const birthYear = band.from + r.int(band.to - band.from + 1);
  const districts = DISTRICTS[region] ?? [region];
  const crops = [crop];
  if (r.chance(D.secondCrop)) {
    const other = r.weighted(CROPS, CROP_WEIGHTS);
    if (other !== crop) crops.push(other);
  }
  const farmSize = Math.round(D.farmSizeMedianAcres * Math.exp(0.7 * r.normal()) * 10) / 10;
  return { gender, birthYear, region, district: r.pick(districts), crops, farmSize };
}

/** Whether a profile is in the planted "young" group. */
export const isYoung = (birthYear: number) => birthYear >= DEMOGRAPHY_TRUTH.weather.group.from;

/**
 * The route a session aims for: a woman may go straight to market prices (the planted preference);
 * otherwise 70% the subscriber's crop, else anything. A young subscriber aiming at weather content
 * mostly leaves at the weather menu (`dropOut`).
 */
export function chooseRoute(r: Random, routes: readonly Route[], cropRoutes: readonly Route[], marketRoutes: readonly Route[], female: boolean, young: boolean): { route: Route; dropOut: boolean } {
  let route: Route;
  if (female && marketRoutes.length > 0 && r.chance(DEMOGRAPHY_TRUTH.marketPrices.extraChoice)) route = r.pick(marketRoutes);
  else route = cropRoutes.length > 0 && r.chance(0.7) ? r.pick(cropRoutes) : r.pick(routes);
  const dropOut = young && topicOf(route) === 'weather' && r.chance(DEMOGRAPHY_TRUTH.weather.dropOut);
  return { route, dropOut };
}

/**
 * The planted content shares of a session's first choice, per group, from the route table alone: what
 * share of the sessions of women and of the others aim at market prices, and what share of the sessions
 * of the young and of the others reach weather content. Browsing a second topic and SMS keywords blur
 * these a little; the ratios are what a report should recover.
 */
export function plantedShares(routes: readonly Route[]): { marketFemale: number; marketOthers: number; weatherYoung: number; weatherOthers: number } {
  const totalW = CROP_WEIGHTS.reduce((s, w) => s + w, 0);
  const share = (pick: (rs: readonly Route[]) => number, cropTopic: (cr: string) => number) => {
    let s = 0;
    for (let k = 0; k < CROPS.length; k++) {
      const cr = routes.filter((x) => x.crop === CROPS[k]);
      s += (CROP_WEIGHTS[k]! / totalW) * (cr.length > 0 ? 0.7 * cropTopic(CROPS[k]!) + 0.3 * pick(routes) : pick(routes));
    }
    return s;
  };
  const frac = (rs: readonly Route[], t: Topic) => (rs.length ? rs.filter((x) => topicOf(x) === t).length / rs.length : 0);
  const byCrop = (t: Topic) => (cr: string) => frac(routes.filter((x) => x.crop === cr), t);
  const market = share((rs) => frac(rs, 'market'), byCrop('market'));
  const weather = share((rs) => frac(rs, 'weather'), byCrop('weather'));
  const m = DEMOGRAPHY_TRUTH.marketPrices.extraChoice;
  const hasMarket = routes.some((x) => topicOf(x) === 'market');
  return {
    marketFemale: hasMarket ? m + (1 - m) * market : market,
    marketOthers: market,
    weatherYoung: weather * (1 - DEMOGRAPHY_TRUTH.weather.dropOut),
    weatherOthers: weather,
  };
}
