import { uplift, wilson } from '../crm/experiments';
import type { Campaign } from './campaign-types';
import { DAY, iso } from '../lib/clock';
import type { ArmSums, ArmsRepo } from './arms-repo';
import { ARMS_COUNTED_KEY, type ArmsCursorState } from './arms-conversion-store';
import { HOLDOUT_ARM } from './arms-validate';

/** Prices the results charge (config crm.costs). */
export interface ArmCosts {
  currency: string;
  smsPart: number;
  call: number;
}

/** One arm's (or the holdout's) line of the results. */
export interface ArmLine {
  name: string;
  channel: 'sms' | 'call' | 'none';
  serviceId: string | null;
  price: string | null;
  assigned: number;
  /** Delivered SMS or answered calls: only what happened (as of the last CRM pass). */
  reached: number;
  conversions: number;
  rate: number | null;
  ci95: [number, number] | null;
  /** Rate minus the holdout's, with the Newcombe 95% interval; null for the holdout or without one. */
  uplift: { value: number | null; ci95: [number, number] | null; significant: boolean } | null;
  cost: number;
  costPerConversion: number | null;
  /** Assignments not converted whose window is still open (their outcome may still change). */
  pending: number;
}

/** The arms section of GET /campaigns/:id/results. */
export interface ArmsResultsJson {
  goal: Campaign['goal'];
  holdoutPercent: number;
  currency: string;
  /** When the CRM pass last counted conversions; null before the first. */
  conversionsCountedAt: string | null;
  arms: ArmLine[];
  holdout: ArmLine;
  pending: { assignments: number; windowsOpenUntil: string | null; note: string | null };
  winner: string | null;
  reason: string;
  /** The reason as a code (console texts): winner, no_data, no_holdout, no_uplift, overlap. */
  reasonCode: WinnerReason;
}

export type WinnerReason = 'winner' | 'no_data' | 'no_holdout' | 'no_uplift' | 'overlap';

const r3 = (x: number) => Math.round(x * 1e6) / 1e6;
const money = (x: number) => Math.round(x * 100) / 100;

/**
 * The per-arm report of a campaign with arms: reach, conversions with their Wilson 95% interval, uplift
 * against the holdout (Newcombe 95% interval), cost and cost per conversion, open windows, and the winner
 * when the intervals allow the call.
 */
export class ArmsResults {
  constructor(
    private readonly d: { repo: ArmsRepo; state: Pick<ArmsCursorState, 'get'>; costs: () => ArmCosts },
  ) {}

  /** The arms section for a campaign with arms. */
  async results(c: Campaign, now: number): Promise<ArmsResultsJson> {
    const costs = this.d.costs();
    const windowMs = (c.goal?.windowDays ?? 0) * DAY;
    const rows = new Map((await this.d.repo.sums(c.id, windowMs, now)).map((x) => [x.arm, x]));
    const empty = (arm: string): ArmSums => ({ arm, assigned: 0, reached: 0, costMinor: 0, conversions: 0, open: 0, lastOpenUntil: null });
    const h = rows.get(HOLDOUT_ARM) ?? empty(HOLDOUT_ARM);
    const line = (name: string, channel: ArmLine['channel'], serviceId: string | null, price: string | null, s: ArmSums, isHoldout: boolean): ArmLine => {
      const cost = s.costMinor / 100;
      const u = isHoldout || (c.holdoutPercent ?? 0) === 0 ? null : uplift({ n: s.assigned, successes: s.conversions }, { n: h.assigned, successes: h.conversions });
      return {
        name,
        channel,
        serviceId,
        price,
        assigned: s.assigned,
        reached: s.reached,
        conversions: s.conversions,
        rate: s.assigned > 0 ? r3(s.conversions / s.assigned) : null,
        ci95: s.assigned > 0 ? (wilson(s.conversions, s.assigned).map(r3) as [number, number]) : null,
        uplift: u ? { value: u.uplift === null ? null : r3(u.uplift), ci95: u.ci95 ? (u.ci95.map(r3) as [number, number]) : null, significant: u.significant } : null,
        cost: money(cost),
        costPerConversion: s.conversions > 0 ? money(cost / s.conversions) : null,
        pending: s.open,
      };
    };
    const arms = (c.arms ?? []).map((arm) => line(arm.name, arm.channel ?? 'sms', arm.serviceId ?? null, arm.price ?? null, rows.get(arm.name) ?? empty(arm.name), false));
    const holdout = line(HOLDOUT_ARM, 'none', null, null, h, true);
    const all = [...rows.values()];
    const open = all.reduce((acc, x) => acc + x.open, 0);
    const until = all.reduce<number | null>((m, x) => (x.lastOpenUntil !== null && (m === null || x.lastOpenUntil > m) ? x.lastOpenUntil : m), null);
    const counted = await this.d.state.get<number | null>(ARMS_COUNTED_KEY, null);
    const { winner, reason, reasonCode } = pickWinner(c, arms, holdout, rows);
    return {
      goal: c.goal,
      holdoutPercent: c.holdoutPercent ?? 0,
      currency: costs.currency,
      conversionsCountedAt: iso(counted),
      arms,
      holdout,
      pending: {
        assignments: open,
        windowsOpenUntil: iso(until),
        note: open > 0 ? `${open} assignment(s) still inside their ${c.goal?.windowDays ?? 0}-day window: conversions may still rise until ${iso(until)}.` : null,
      },
      winner,
      reason,
      reasonCode,
    };
  }
}

/**
 * The winner: the arm whose uplift over the holdout excludes 0 and whose rate beats every other arm's with
 * a difference interval above 0. Anything less is no call, with the reason.
 */
export function pickWinner(c: Campaign, arms: ArmLine[], holdout: ArmLine, rows: Map<string, ArmSums>): { winner: string | null; reason: string; reasonCode: WinnerReason } {
  const none = (reasonCode: WinnerReason, reason: string) => ({ winner: null, reason, reasonCode });
  if (rows.size === 0) return none('no_data', 'not enough data: nobody assigned yet');
  if ((c.holdoutPercent ?? 0) === 0 || holdout.assigned === 0) return none('no_holdout', 'no holdout to measure uplift against');
  const best = [...arms].filter((a) => a.rate !== null).sort((x, y) => y.rate! - x.rate!)[0];
  if (!best) return none('no_data', 'not enough data: nobody assigned yet');
  if (!best.uplift?.significant || (best.uplift.value ?? 0) <= 0) {
    return arms.some((a) => a.uplift?.significant && (a.uplift.value ?? 0) > 0)
      ? none('overlap', 'not enough data: intervals overlap')
      : none('no_uplift', 'not enough data: no arm beats the holdout yet (uplift interval includes 0)');
  }
  for (const other of arms) {
    if (other.name === best.name) continue;
    const d = uplift({ n: best.assigned, successes: best.conversions }, { n: other.assigned, successes: other.conversions });
    if (d.ci95 === null || d.ci95[0] <= 0) return none('overlap', `not enough data: intervals overlap (${best.name} vs ${other.name})`);
  }
  return { winner: best.name, reason: `${best.name} beats the holdout and every other arm (95% intervals of the differences exclude 0)`, reasonCode: 'winner' };
}
