import type { Track } from './treatment';
import { u01 } from './model';

/**
 * The planted truth of onboarding: of the new subscribers the welcome reached, this share find what they
 * seek at the first go on their next visit (instead of their natural chance), and this share of those
 * without a subscription come back in the fourth week after joining (so count as retained at 30 days).
 */
export const ONBOARDING_TRUTH = { firstGoMoveShare: 0.5, retentionMoveShare: 0.3, retentionVisitDay: 27, windowFromDay: 23, windowToDay: 30 } as const;

const SALT_FIRST_GO = 80;
const SALT_RETAIN = 81;

/** One arm's planted outcomes: subscribers counted, outcomes as they happened (y1) and as they would have been without the welcome (y0). */
export interface ArmOutcomes {
  n: number;
  y1: number;
  y0: number;
}

/** What the generator knows happened to onboarding, per arm, for the report to recover. */
export interface OnboardingTruth {
  planted: typeof ONBOARDING_TRUTH;
  welcomed: { treatment: number; holdout: number; delivered: number };
  /** First visit after the welcome decision: found at the first go. */
  firstGo: { treatment: ArmOutcomes; holdout: ArmOutcomes; effectOnReached: number | null; itt: number | null };
  /**
   * 30-day retention of the subscribers whose window closed in the simulation: y0 and y1 count the welcome's
   * own gain only (a planted visit to someone with no natural visit that week and no subscription); the
   * rest are retained or not alike in both worlds, so the gain over `n` is the true effect.
   */
  retention: { treatment: ArmOutcomes; holdout: ArmOutcomes; effectOnReached: number | null; itt: number | null };
}

interface Follow {
  treated: boolean;
  delivered: boolean;
  at: number;
  joinDay: number;
  moveFirstGo: boolean;
  moveRetain: boolean;
  firstGo: { y0: boolean; y1: boolean } | null;
  /** Natural activity in the retention window's last week. */
  activeInWindow: boolean;
  /** The planted fourth-week visit happened. */
  retainPlanted: boolean;
}

/**
 * Onboarding inside the simulation: follows every welcome the real CRM decided (arm from its holdout,
 * delivery settled by the treatment simulation), turns a moved subscriber's next visit into a clean one,
 * plants a moved subscriber's visit in their fourth week, and keeps both potential outcomes of each.
 */
export class OnboardingSim {
  private readonly follows = new Map<number, Follow>();

  constructor(
    private readonly seed: number,
    private readonly dayOf: (at: number) => number,
    private readonly shares: { firstGo: number; retain: number } = { firstGo: ONBOARDING_TRUTH.firstGoMoveShare, retain: ONBOARDING_TRUTH.retentionMoveShare },
  ) {}

  /** Follows the welcomes a pass decided (subscriber index `t.sub`); `joinDay` their simulated join day; `paying` whether they ever subscribe. */
  add(welcomes: readonly Track[], joinDay: (i: number) => number, paying: (i: number) => boolean): void {
    for (const t of welcomes) {
      if (this.follows.has(t.sub)) continue;
      const reached = t.treated && t.delivered;
      this.follows.set(t.sub, {
        treated: t.treated,
        delivered: t.delivered,
        at: t.at,
        joinDay: joinDay(t.sub),
        moveFirstGo: reached && u01(this.seed, t.sub, 0, SALT_FIRST_GO) < this.shares.firstGo,
        moveRetain: reached && !paying(t.sub) && u01(this.seed, t.sub, 0, SALT_RETAIN) < this.shares.retain,
        firstGo: null,
        activeInWindow: false,
        retainPlanted: false,
      });
    }
  }

  /** Whether the visit starting at `at` is subscriber `i`'s first after the welcome decision (and the welcome moves it to a clean one). */
  nextVisit(i: number, at: number): { first: boolean; moved: boolean } {
    const f = this.follows.get(i);
    if (!f || f.firstGo !== null || at <= f.at) return { first: false, moved: false };
    return { first: true, moved: f.moveFirstGo };
  }

  /** Records the first visit after the welcome: found at the first go naturally (y0) and as it happened (y1). */
  firstVisit(i: number, y0: boolean, y1: boolean): void {
    const f = this.follows.get(i);
    if (f && f.firstGo === null) f.firstGo = { y0, y1 };
  }

  /** Natural activity of subscriber `i` on simulated day `day`. */
  active(i: number, day: number): void {
    const f = this.follows.get(i);
    if (f && day - f.joinDay >= ONBOARDING_TRUTH.windowFromDay && day - f.joinDay <= ONBOARDING_TRUTH.windowToDay) f.activeInWindow = true;
  }

  /**
   * Subscribers whose planted fourth-week visit falls on `day`. Only those who have already made their first
   * visit after the welcome: a visit the welcome created must not become the first-go measure's visit too.
   */
  retentionVisits(day: number): number[] {
    const out: number[] = [];
    for (const [i, f] of this.follows) {
      if (!f.moveRetain || f.firstGo === null || f.joinDay + ONBOARDING_TRUTH.retentionVisitDay !== day) continue;
      f.retainPlanted = true;
      out.push(i);
    }
    return out;
  }

  /** The true outcomes per arm; retention over non-paying subscribers whose window ended before `lastDay`. */
  truth(lastDay: number, paying: (i: number) => boolean): OnboardingTruth {
    const arm = (): ArmOutcomes => ({ n: 0, y1: 0, y0: 0 });
    const fg = { treatment: arm(), holdout: arm() };
    const ret = { treatment: arm(), holdout: arm() };
    let treated = 0;
    let held = 0;
    let delivered = 0;
    let fgReached = 0;
    let retReached = 0;
    for (const [i, f] of this.follows) {
      if (f.treated) treated++;
      else held++;
      if (f.delivered) delivered++;
      const side = f.treated ? 'treatment' : 'holdout';
      if (f.firstGo) {
        fg[side].n++;
        fg[side].y1 += f.firstGo.y1 ? 1 : 0;
        fg[side].y0 += f.firstGo.y0 ? 1 : 0;
        if (f.delivered) fgReached++;
      }
      if (f.joinDay + ONBOARDING_TRUTH.windowToDay < lastDay) {
        ret[side].n++;
        if (f.retainPlanted && !f.activeInWindow && !paying(i)) ret[side].y1++;
        if (f.delivered) retReached++;
      }
    }
    const r4 = (x: number | null) => (x === null ? null : Math.round(x * 10000) / 10000);
    const gain = (a: ArmOutcomes) => a.y1 - a.y0;
    return {
      planted: ONBOARDING_TRUTH,
      welcomed: { treatment: treated, holdout: held, delivered },
      firstGo: { ...fg, effectOnReached: r4(fgReached ? gain(fg.treatment) / fgReached : null), itt: r4(fg.treatment.n ? gain(fg.treatment) / fg.treatment.n : null) },
      retention: { ...ret, effectOnReached: r4(retReached ? gain(ret.treatment) / retReached : null), itt: r4(ret.treatment.n ? gain(ret.treatment) / ret.treatment.n : null) },
    };
  }

  /** The simulated day of an instant. */
  day(at: number): number {
    return this.dayOf(at);
  }
}
