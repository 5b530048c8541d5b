import type { Days } from '../../crm/days';
import type { Reports } from '../../reports';
import type { RangeValues } from '../ui/range';

const DAY = 86_400_000;

/** A range of whole local days, as the reports take it (YYYY-MM-DD, both ends included). */
export interface DayRange {
  from: string;
  to: string;
  days: number;
}

/** A day number (local days since 1970-01-01) from YYYY-MM-DD, the way Days numbers them. */
const dayNumber = (iso: string) => Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY);

/**
 * The range the overview shows (default: the 30 days up to today) and the range of equal length just
 * before it, which each card compares with; null when `from` is after `to`.
 */
export function overviewRanges(r: RangeValues, now: number, days: Days): { current: DayRange; previous: DayRange } | null {
  const today = days.of(now);
  const to = r.to ? dayNumber(r.to) : today;
  const from = r.from ? dayNumber(r.from) : to - 29;
  if (from > to) return null;
  const n = to - from + 1;
  return {
    current: { from: days.iso(from), to: days.iso(to), days: n },
    previous: { from: days.iso(from - n), to: days.iso(from - 1), days: n },
  };
}

/** An amount of money in one currency. */
export interface Money {
  currency: string;
  amount: number;
}

/** One intervention kind's delivery and uplift on the outcome it aims at. */
export interface KindFigures {
  kind: string;
  treated: number;
  delivered: number;
  outcome: 'reachedContent' | 'returned' | 'renewed';
  uplift: number | null;
  ci95: [number, number] | null;
  significant: boolean;
}

/** Everything a range's cards show, read from the reports the API serves. */
export interface OverviewFigures {
  sessions: number;
  contentRate: number | null;
  dailySessions: { day: string; sessions: number }[];
  firstGo: { rate: number | null; ci95: [number, number] | null; episodes: number; openEpisodes: number };
  stuck: number;
  passive: { asOf: string | null; subscribers: number; revenueAtStake: Money[]; daily: { day: string; subscribers: number }[] };
  lapsing: number;
  churned: number;
  interventions: { treated: number; delivered: number; pendingOutcomes: number; kinds: KindFigures[] };
}

/** What each kind of intervention is meant to change (the outcome its card shows). */
const AIM: Record<string, KindFigures['outcome']> = { education_sms: 'reachedContent', voice_guidance: 'reachedContent', nudge: 'returned', save: 'renewed', winback: 'renewed', save_call: 'renewed' };

type Outcome = { uplift: number | null; ci95: [number, number] | null; significant: boolean };
type DiscoveryJson = {
  sessions: number;
  contentRate: number | null;
  daily: { day: string; sessions: number }[];
  soughtContent: { firstGoRate: number | null; firstGoInterval95: [number, number] | null; episodes: number; openEpisodes: number };
};
type PayingJson = {
  asOf: string | null;
  services: Record<string, { payingNotUsing: { subscribers: number }; revenueAtStake: number; currency: string }>;
  trend: { day: string; services: Record<string, { payingNotUsing: number }> }[];
};
type InterventionsJson = {
  pendingOutcomes: number;
  kinds: { kind: string; treated: { subscribers: number; reached: number }; outcomes: Record<KindFigures['outcome'], Outcome> }[];
};
type FindingsJson = { kinds: Record<string, { subscribers: number }> };

/** The figures of one range, each from the report the API answers for the same from/to. */
export async function overviewFigures(reports: Pick<Reports, 'run'>, r: DayRange): Promise<OverviewFigures> {
  const q = { from: r.from, to: r.to };
  const discovery = (await reports.run('discovery', q)) as unknown as DiscoveryJson;
  const stuck = (await reports.run('stuck', { ...q, limit: 1 })) as unknown as { subscribers: number };
  const paying = (await reports.run('paying-vs-using', q)) as unknown as PayingJson;
  const findings = (await reports.run('findings', q)) as unknown as FindingsJson;
  const interventions = (await reports.run('interventions', q)) as unknown as InterventionsJson;

  const revenue = new Map<string, number>();
  let passive = 0;
  for (const s of Object.values(paying.services)) {
    passive += s.payingNotUsing.subscribers;
    revenue.set(s.currency, (revenue.get(s.currency) ?? 0) + s.revenueAtStake);
  }
  const kinds = interventions.kinds.map((k): KindFigures => {
    const outcome = AIM[k.kind] ?? 'returned';
    const o = k.outcomes[outcome];
    return { kind: k.kind, treated: k.treated.subscribers, delivered: k.treated.reached, outcome, uplift: o.uplift, ci95: o.ci95, significant: o.significant };
  });
  return {
    sessions: discovery.sessions,
    contentRate: discovery.contentRate,
    dailySessions: discovery.daily.map((d) => ({ day: d.day, sessions: d.sessions })),
    firstGo: {
      rate: discovery.soughtContent.firstGoRate,
      ci95: discovery.soughtContent.firstGoInterval95,
      episodes: discovery.soughtContent.episodes,
      openEpisodes: discovery.soughtContent.openEpisodes,
    },
    stuck: stuck.subscribers,
    passive: {
      asOf: paying.asOf,
      subscribers: passive,
      revenueAtStake: [...revenue].map(([currency, amount]) => ({ currency, amount: Math.round(amount * 100) / 100 })),
      daily: paying.trend.map((t) => ({ day: t.day, subscribers: Object.values(t.services).reduce((a, s) => a + s.payingNotUsing, 0) })),
    },
    lapsing: findings.kinds.lapsing?.subscribers ?? 0,
    churned: findings.kinds.churned?.subscribers ?? 0,
    interventions: {
      treated: kinds.reduce((a, k) => a + k.treated, 0),
      delivered: kinds.reduce((a, k) => a + k.delivered, 0),
      pendingOutcomes: interventions.pendingOutcomes,
      kinds,
    },
  };
}

/** The risk summary of the last scoring (not a range: live subscriptions as of the last CRM pass). */
export async function riskNow(reports: Pick<Reports, 'run'>): Promise<{ computedAt: string | null; subscriptions: number; atLapseRisk: number } | null> {
  const risk = (await reports.run('risk', { limit: 1 })) as unknown as { computedAt: string | null; summary: { subscriptions: number; atRisk: { lapse: number } } | null };
  if (!risk.summary) return null;
  return { computedAt: risk.computedAt, subscriptions: risk.summary.subscriptions, atLapseRisk: risk.summary.atRisk.lapse };
}
