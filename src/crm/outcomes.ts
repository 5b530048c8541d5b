import type { Tx } from '../db/database';
import { DAY } from '../lib/clock';
import type { OutcomeStore } from './outcome-store';

/** How long after a window ends late events (receipts, delayed billing notifications) may still count. */
export const OUTCOME_GRACE_MS = DAY;

interface Open {
  id: string;
  at: number;
  windowEndsAt: number;
  reachedContentAt: number | null;
  returnedAt: number | null;
  renewedAt: number | null;
  revenueMinor: number;
  dirty: boolean;
}

/**
 * Outcomes of interventions still inside their window, updated from the same events the detectors read:
 * did the subscriber come back, reach content, renew (and how much they paid) after we acted, or after we
 * deliberately did not (the holdout)? Both arms are measured identically.
 */
export class OutcomeTracker {
  private readonly bySub = new Map<number, Open[]>();

  constructor(private readonly store: OutcomeStore) {}

  /** Loads the interventions whose outcome window is still open. */
  async load(): Promise<number> {
    const rows = await this.store.openOutcomes();
    for (const r of rows) {
      const list = this.bySub.get(r.subscriberId) ?? [];
      list.push({ id: r.id, at: r.at, windowEndsAt: r.windowEndsAt, reachedContentAt: r.reachedContentAt, returnedAt: r.returnedAt, renewedAt: r.renewedAt, revenueMinor: r.revenueMinor, dirty: false });
      this.bySub.set(r.subscriberId, list);
    }
    return rows.length;
  }

  /** Whether the subscriber has an intervention being measured (a cheap check on the hot path). */
  has(sub: number): boolean {
    return this.bySub.has(sub);
  }

  private each(sub: number, at: number, fn: (o: Open) => void): void {
    const list = this.bySub.get(sub);
    if (!list) return;
    for (const o of list) {
      if (at > o.at && at <= o.windowEndsAt) {
        fn(o);
        o.dirty = true;
      }
    }
  }

  /** The subscriber started a session (came back). */
  returned(sub: number, at: number): void {
    this.each(sub, at, (o) => {
      if (o.returnedAt === null || at < o.returnedAt) o.returnedAt = at;
    });
  }

  /** The subscriber reached content. */
  reachedContent(sub: number, at: number): void {
    this.each(sub, at, (o) => {
      if (o.reachedContentAt === null || at < o.reachedContentAt) o.reachedContentAt = at;
    });
  }

  /** A successful charge (renewal or new subscription). */
  charged(sub: number, at: number, amountMinor: number): void {
    this.each(sub, at, (o) => {
      if (o.renewedAt === null || at < o.renewedAt) o.renewedAt = at;
      o.revenueMinor += amountMinor;
    });
  }

  /** Writes changed outcomes inside the pass's unit (one row per intervention measured: thousands, not millions). */
  async flush(tx: Tx): Promise<number> {
    let n = 0;
    for (const list of this.bySub.values()) {
      for (const o of list) {
        if (!o.dirty) continue;
        await this.store.saveOutcome(o, tx);
        o.dirty = false;
        n++;
      }
    }
    return n;
  }
}

/** Closes outcome windows that ended before `now` minus a grace for late events; returns how many. */
export function closeOutcomeWindows(store: OutcomeStore, now: number, tx: Tx, graceMs = OUTCOME_GRACE_MS): Promise<number> {
  return store.closeOutcomes(now - graceMs, now, tx);
}
