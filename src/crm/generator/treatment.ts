import type { Db } from '../../db/client';
import { HOUR } from '../../lib/clock';
import { INTERVENTION_KINDS, type InterventionKind } from '../interventions';
import type { BillingNote, BillingSim, Period } from './billing';
import { TreatmentStore } from './generator-store';
import { u01 } from './model';

/** Whether a billing notification is a successful charge (what the outcome "renewed" counts). */
export const isCharge = (n: BillingNote) => !n.lifecycle && (n.type === 'subscribed' || n.type === 'renewed');

/** The billing side a day of planted actions needs. */
export interface DayBilling {
  sim: BillingSim;
  /** The world without the persuasions, for moved saves. */
  shadow: BillingSim;
  period(i: number): Period | null;
  subscribeAt: Float64Array;
  balance: Float32Array;
  cancel: Float32Array;
  /** Records a charge notification of the treated world. */
  charge(i: number, note: BillingNote): void;
}

/** The outcome of the interventions report an intervention kind is meant to move. */
export type OutcomeName = 'returned' | 'reachedContent' | 'renewed';

/**
 * The planted truth of the interventions: how often an SMS or a call reaches the subscriber, and what
 * share of the subscribers it reached it moves to act within the outcome window (come back, reach
 * content, pay). A moved subscriber who would have acted anyway gains nothing, so the effect on those
 * reached is `moveShare x (1 - natural rate)`; the generator measures it exactly from both potential
 * outcomes of every subscriber (see `InterventionTruth`).
 */
export const INTERVENTION_TRUTH = {
  delivery: { sms: 0.85, call: 0.6 },
  effects: {
    winback: { outcome: 'returned', moveShare: 0.25 },
    save: { outcome: 'renewed', moveShare: 0.4 },
    nudge: { outcome: 'reachedContent', moveShare: 0.2 },
    education_sms: { outcome: 'reachedContent', moveShare: 0.2 },
    voice_guidance: { outcome: 'reachedContent', moveShare: 0.25 },
    // Onboarding's effects are planted on first-go discovery and retention instead (ONBOARDING_TRUTH).
    welcome: { outcome: 'reachedContent', moveShare: 0 },
    onboarding_followup: { outcome: 'reachedContent', moveShare: 0 },
    exit_guidance: { outcome: 'returned', moveShare: 0.2 },
    exit_offer: { outcome: 'renewed', moveShare: 0.15 },
    save_call: { outcome: 'renewed', moveShare: 0.3 },
  } satisfies Record<InterventionKind, { outcome: OutcomeName; moveShare: number }>,
} as const;

/** What the generator knows happened for one intervention kind (closed outcome windows only). */
export interface KindTruth {
  kind: InterventionKind;
  outcome: OutcomeName;
  treated: number;
  holdout: number;
  /** Treated subscribers the SMS or call reached (delivered or answered). */
  delivered: number;
  deliveryShare: number | null;
  /** Planted mechanism: share of the reached moved to act. */
  moveShare: number;
  /** Outcome rate without the intervention (both arms' natural behaviour). */
  naturalRate: number | null;
  /** Effect on those reached, from both potential outcomes of each reached subscriber (CACE). */
  effectOnReached: number | null;
  /** Intention-to-treat effect: the same gain over everyone assigned to treatment (= effectOnReached x deliveryShare). */
  itt: number | null;
  /** The outcome rates as they happened, per arm (what the report's treatment and holdout rates should be). */
  observed: { treatment: number | null; holdout: number | null };
}

/** A subscriber action planted by an intervention, due on a later simulated day. */
export interface PlantedAction {
  sub: number;
  at: number;
  kind: InterventionKind;
  track: Track;
}

/** One intervention as the generator follows it: its arm, delivery and both potential outcomes. */
export interface Track {
  id: string;
  sub: number;
  kind: InterventionKind;
  treated: boolean;
  delivered: boolean;
  moved: boolean;
  at: number;
  windowEndsAt: number;
  /** Outcome without this intervention's own push (natural behaviour and other interventions). */
  y0: boolean;
  /** Outcome as it happened. */
  y1: boolean;
  /** For a moved save: the start of the day its persuasion took effect, where the treated and untreated worlds split. */
  movedAt: number;
}

const KIND_INDEX = new Map(INTERVENTION_KINDS.map((k, i) => [k, i]));
const SALT_DELIVER = 40;
const SALT_MOVE = 50;
const SALT_WHEN = 60;

/**
 * The CRM acting inside the simulation: after each day's pass it reads the interventions the real CRM
 * decided (arms from the real holdout), settles their SMS and calls as receipts would (delivered or
 * failed, answered or not, with the planted shares), plants the moved subscribers' actions for the
 * following day, and follows every intervention's potential outcomes so the true effects are known.
 */
export class TreatmentSim {
  private readonly bySub = new Map<number, Track[]>();
  private readonly tracks: Track[] = [];
  private readonly actions = new Map<number, PlantedAction[]>();
  private readonly store: TreatmentStore;

  /** The share of the reached each kind moves (the planted one unless a run overrides it, e.g. zero for a null check). */
  private readonly moveShare: Record<InterventionKind, number>;

  constructor(
    db: Db,
    private readonly seed: number,
    private readonly dayOf: (at: number) => number,
    moveShares: Partial<Record<InterventionKind, number>> = {},
  ) {
    this.moveShare = Object.fromEntries(INTERVENTION_KINDS.map((k) => [k, moveShares[k] ?? INTERVENTION_TRUTH.effects[k].moveShare])) as Record<InterventionKind, number>;
    this.store = new TreatmentStore(db);
  }

  /** Welcome decisions settled since the last call (onboarding follows them), then forgotten here. */
  takeWelcomes(): Track[] {
    const w = this.welcomes;
    this.welcomes = [];
    return w;
  }

  private welcomes: Track[] = [];

  /** Whether subscriber index `i` has an intervention being followed. */
  has(i: number): boolean {
    return this.bySub.has(i);
  }

  /** Settles the interventions the pass at `passAt` decided (those after `prevPassAt`). */
  afterPass(prevPassAt: number, passAt: number): { delivered: number; failed: number; moved: number } {
    const rows = this.store.decided(prevPassAt, passAt);
    const out = { delivered: 0, failed: 0, moved: 0 };
    for (const row of rows) {
      const r = { ...row, kind: row.kind as InterventionKind };
      const i = r.sub - 1;
      const k = KIND_INDEX.get(r.kind) ?? 0;
      const day = this.dayOf(r.at);
      const t: Track = { id: r.id, sub: i, kind: r.kind, treated: r.arm === 'treatment', delivered: false, moved: false, at: r.at, windowEndsAt: r.windowEndsAt, y0: false, y1: false, movedAt: Infinity };
      if (t.treated && r.status === 'queued') {
        const isCall = r.channel === 'call';
        const share = isCall ? INTERVENTION_TRUTH.delivery.call : INTERVENTION_TRUTH.delivery.sms;
        t.delivered = u01(this.seed, i, day, SALT_DELIVER + k) < share;
        const due = Math.max(r.at, (isCall ? r.callDue : r.msgDue) ?? r.at);
        const final = due + 5_000 + Math.floor(u01(this.seed, i, day, SALT_WHEN + k) * 60_000);
        if (isCall && r.callId) {
          if (t.delivered) this.store.settleCall(r.callId, 'completed', null, due, due + 8_000, final + 90_000, 90);
          else this.store.settleCall(r.callId, 'no_answer', 'no_answer', due, null, due + 45_000, 0);
        } else if (r.messageId) {
          this.store.settleMessage(r.messageId, t.delivered, due, final);
        }
        if (t.delivered) out.delivered++;
        else out.failed++;
        if (t.delivered && u01(this.seed, i, day, SALT_MOVE + k) < this.moveShare[r.kind]) {
          // Acts within the day after the message or call reached them (at a waking hour).
          const at = final + HOUR + Math.floor(u01(this.seed, i, day, SALT_WHEN + 10 + k) * 10 * HOUR);
          if (at < r.windowEndsAt) {
            t.moved = true;
            out.moved++;
            const d = this.dayOf(at);
            const list = this.actions.get(d) ?? [];
            list.push({ sub: i, at, kind: r.kind, track: t });
            this.actions.set(d, list);
          }
        }
      }
      this.tracks.push(t);
      if (t.kind === 'welcome') this.welcomes.push(t);
      const list = this.bySub.get(i) ?? [];
      list.push(t);
      this.bySub.set(i, list);
    }
    return out;
  }

  /**
   * Starts simulated day `day`: persuaded savers pay (their untreated world is copied to the shadow
   * billing first), the shadow billing runs the day for every moved save still in its window, and the
   * other planted actions (a session reaching content) are returned by subscriber for the day's traffic.
   */
  startDay(day: number, dayStart: number, dayEnd: number, b: DayBilling): Map<number, PlantedAction[]> {
    const planted = new Map<number, PlantedAction[]>();
    const notes: BillingNote[] = [];
    for (const a of this.actionsOn(day)) {
      if (a.kind !== 'save') {
        planted.set(a.sub, [...(planted.get(a.sub) ?? []), a]);
        continue;
      }
      const period = b.period(a.sub);
      if (period === null) continue;
      b.sim.copyTo(b.shadow, a.sub);
      a.track.movedAt = dayStart;
      notes.length = 0;
      b.sim.persuade(a.sub, a.at, a.track.windowEndsAt, period, notes);
      for (const note of notes) {
        b.charge(a.sub, note);
        this.observe(a.sub, note.at, 'renewed', a.track);
      }
    }
    for (const t of this.shadowed(dayStart)) {
      const period = b.period(t.sub);
      if (period === null || !b.shadow.busy(t.sub, b.subscribeAt[t.sub]!, dayEnd)) continue;
      notes.length = 0;
      b.shadow.day(t.sub, b.subscribeAt[t.sub]!, period, b.balance[t.sub]!, b.cancel[t.sub]!, dayStart, dayEnd, notes);
      for (const note of notes) if (isCharge(note)) this.observe(t.sub, note.at, 'renewed', null, true);
    }
    return planted;
  }

  /** The planted actions due on simulated day `day`. */
  actionsOn(day: number): PlantedAction[] {
    const a = this.actions.get(day) ?? [];
    this.actions.delete(day);
    return a;
  }

  /**
   * Something the subscriber did at `at` that counts for `outcome`. `own` is the track whose push caused
   * it (its treated world only); `counterfactual` marks what happened only in the world without a moved
   * save's persuasion (the shadow billing).
   */
  observe(i: number, at: number, outcome: OutcomeName, own: Track | null = null, counterfactual = false): void {
    const list = this.bySub.get(i);
    if (!list) return;
    for (const t of list) {
      if (!(at > t.at && at <= t.windowEndsAt) || INTERVENTION_TRUTH.effects[t.kind].outcome !== outcome) continue;
      if (counterfactual) {
        // The shadow billing starts where the worlds split, so everything it charges is the untreated world's.
        if (t.kind === 'save' && t.moved && t.movedAt < Infinity) t.y0 = true;
        continue;
      }
      if (t === own) {
        t.y1 = true;
        continue;
      }
      // A charge after a moved save's persuasion belongs to the persuaded world only.
      if (outcome === 'renewed' && t.kind === 'save' && t.moved && at > t.movedAt) {
        t.y1 = true;
        continue;
      }
      t.y0 = true;
      t.y1 = true;
    }
  }

  /** Moved save subscribers whose window is open on the day starting at `dayStart` (their no-persuasion world is simulated alongside). */
  shadowed(dayStart: number): Track[] {
    return this.tracks.filter((t) => t.kind === 'save' && t.moved && t.movedAt < Infinity && t.windowEndsAt >= dayStart);
  }

  /** The true effects per kind, over the interventions whose outcome window the CRM has closed. */
  truth(): KindTruth[] {
    const closed = this.store.closedIds();
    return INTERVENTION_KINDS.map((kind) => {
      const ts = this.tracks.filter((t) => t.kind === kind && closed.has(t.id));
      const treated = ts.filter((t) => t.treated);
      const delivered = treated.filter((t) => t.delivered);
      const gain = treated.reduce((s, t) => s + (t.y1 && !t.y0 ? 1 : 0) - (t.y0 && !t.y1 ? 1 : 0), 0);
      const round = (x: number | null) => (x === null ? null : Math.round(x * 10000) / 10000);
      return {
        kind,
        outcome: INTERVENTION_TRUTH.effects[kind].outcome,
        treated: treated.length,
        holdout: ts.length - treated.length,
        delivered: delivered.length,
        deliveryShare: round(treated.length ? delivered.length / treated.length : null),
        moveShare: this.moveShare[kind],
        naturalRate: round(ts.length ? ts.filter((t) => t.y0).length / ts.length : null),
        effectOnReached: round(delivered.length ? gain / delivered.length : null),
        itt: round(treated.length ? gain / treated.length : null),
        observed: {
          treatment: round(treated.length ? treated.filter((t) => t.y1).length / treated.length : null),
          holdout: round(ts.length > treated.length ? ts.filter((t) => !t.treated && t.y1).length / (ts.length - treated.length) : null),
        },
      };
    });
  }
}
